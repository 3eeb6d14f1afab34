"""Built-in scenarios, shipped as data files."""
