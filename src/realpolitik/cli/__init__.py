"""Command line: typer commands over the Python API, one module per area.

Each area module exposes ``register(app)``; :mod:`realpolitik.cli.main` builds
the application and turns every :class:`realpolitik.errors.RealpolitikError`
into one line on stderr with exit code 2.
"""
