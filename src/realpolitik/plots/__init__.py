"""Plots of results (matplotlib): forecasts, explanations, sensitivity and
scenario discovery.

Why a part of its own, below ``analysis``: a result draws itself
(``Forecast.plot()``, ``Explanation.plot()``, ...) by calling these modules,
so they cannot import the results' modules. They read a result through the
typing protocols of :mod:`realpolitik.plots.protocols` (the attributes they
use) or plain DataFrames, as ``alignment/plots.py`` does; ``report/`` builds
the HTML report on top of them.
"""
