"""Reports: static plots (matplotlib, PNG and SVG) and tables built from the
analysis results."""
