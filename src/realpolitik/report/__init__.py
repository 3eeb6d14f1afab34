"""The HTML report: one self-contained file with the forecast, pathways,
reasons, a tornado and every parameter with its sources. Its figures come
from :mod:`realpolitik.plots` (below ``analysis``, so results draw themselves
too)."""
