"""realpolitik's version: one place, read by the package, its reports, the web
API and the build (``pyproject.toml`` takes it from here)."""

__version__ = "0.1.0"
