"""Uncertain parameters: their distributions and the samplers that draw them.

A scenario's parameters each carry a distribution with a cited source
(:mod:`~realpolitik.uncertainty.distributions`); a
:class:`~realpolitik.uncertainty.sampling.Sampler` turns them into an
``(n, k)`` array of draws by Monte Carlo, Latin hypercube or scrambled Sobol',
optionally correlated through a Gaussian copula, any slice on demand and the
same bit for bit whatever the chunking. See docs/uncertainty.md.
"""

from __future__ import annotations

from realpolitik.uncertainty.correlation import correlation_matrix, validate_correlation
from realpolitik.uncertainty.distributions import (
    FAMILIES,
    PERT,
    Beta,
    Discrete,
    Distribution,
    Family,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    from_spec,
)
from realpolitik.uncertainty.sampling import METHODS, Sampler

__all__ = [
    "FAMILIES",
    "METHODS",
    "PERT",
    "Beta",
    "Discrete",
    "Distribution",
    "Family",
    "Fixed",
    "LogNormal",
    "Normal",
    "Sampler",
    "Triangular",
    "Uniform",
    "correlation_matrix",
    "from_spec",
    "validate_correlation",
]
