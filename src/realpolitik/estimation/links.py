"""Link functions of a binary choice: the distribution of the difference of
two actions' errors, as a cumulative distribution and its density.

Why a module of its own: every choice node of a strategic model, the
start-value regressions and the predicted probabilities use the same two
links, with the same guard against probabilities of exactly 0 or 1.

A choice node picks its second action with probability ``F(a / sigma)``, where
``a`` is the difference of the two actions' expected utilities and ``sigma``
the scale of the difference of their errors. ``probit``: ``F`` is the standard
normal distribution (Signorino 1999, 2003). ``logit``: ``F`` is the standard
logistic distribution, so that ``F(a / sigma)`` is R's
``plogis(a, scale = sigma)`` as in the R package ``games`` (Kenkel and
Signorino 2014).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = ["LINKS", "Link", "LinkName", "clip_probability", "get_link"]

LinkName = Literal["probit", "logit"]
FloatArray = NDArray[np.float64]

#: Smallest probability a node may return (R's ``.Machine$double.eps``).
PROB_FLOOR = float(np.finfo(np.float64).eps)
#: Largest probability a node may return (R's ``1 - .Machine$double.neg.eps``).
PROB_CEIL = 1.0 - float(np.finfo(np.float64).epsneg)

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def clip_probability(p: FloatArray) -> FloatArray:
    """Keep probabilities strictly inside (0, 1) so that their logarithms are
    finite (the rule of ``games``' ``finiteProbs``)."""
    return np.clip(p, PROB_FLOOR, PROB_CEIL)


def _normal_pdf(z: FloatArray) -> FloatArray:
    return np.asarray(_INV_SQRT_2PI * np.exp(-0.5 * z * z), dtype=np.float64)


def _logistic_pdf(z: FloatArray) -> FloatArray:
    p = _logistic_cdf(z)
    return np.asarray(p * (1.0 - p), dtype=np.float64)


def _normal_cdf(z: FloatArray) -> FloatArray:
    return np.asarray(special.ndtr(z), dtype=np.float64)


def _logistic_cdf(z: FloatArray) -> FloatArray:
    # 1 / (1 + e^-z) with NumPy's vectorised exp: several times faster than
    # scipy.special.expit, and exact in relative terms at both tails
    # (e^-z overflowing to infinity gives 0)
    with np.errstate(over="ignore"):
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


@dataclass(frozen=True)
class Link:
    """A binary-choice link: ``cdf(z)`` is the probability of the second
    action at standardised utility difference ``z``; ``pdf`` its derivative."""

    name: LinkName

    def cdf(self, z: FloatArray) -> FloatArray:
        """Probability of the second action, unclipped."""
        return _normal_cdf(z) if self.name == "probit" else _logistic_cdf(z)

    def pdf(self, z: FloatArray) -> FloatArray:
        """Derivative of :meth:`cdf` with respect to ``z``."""
        return _normal_pdf(z) if self.name == "probit" else _logistic_pdf(z)

    @property
    def scale_name(self) -> str:
        """Name of the error scale in coefficient labels, as in ``games``:
        ``sigma`` (probit) or ``lambda`` (logit)."""
        return "sigma" if self.name == "probit" else "lambda"


LINKS: dict[str, Link] = {
    "probit": Link("probit"),
    "logit": Link("logit"),
}


def get_link(name: str) -> Link:
    """The link called ``name`` (``probit`` or ``logit``)."""
    try:
        return LINKS[name]
    except KeyError:
        raise ValueError(f"unknown link {name!r}; use probit or logit") from None
