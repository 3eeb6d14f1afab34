"""The web layer: a FastAPI JSON API over the Python API and one dashboard
page that re-solves a scenario as its parameter sliders move
(:mod:`realpolitik.web.app`; started by ``realpolitik serve``)."""

from realpolitik.web.app import create_app

__all__ = ["create_app"]
