"""Vuong and Clarke tests: which of two non-nested models fits the same
cases better.

Why a module of its own: choosing between strategic specifications (a
balance-of-power model against a regime-type model, a strategic model against
a logit) is a comparison of non-nested likelihoods; it needs only each
model's per-case log-likelihoods and parameter count, so it works for any
two fitted models of the same cases, as ``games::vuong`` and
``games::clarke`` do.

* Vuong (1989): ``z = (sum d_i - c) / (sqrt(n) s)`` with ``d_i`` the case
  log-likelihood differences, ``s`` their standard deviation (denominator
  ``n``) and the Schwarz correction ``c = (k1 - k2) log(n) / 2``; two-sided
  normal p-value.
* Clarke (2007): the number ``B`` of cases with ``d_i > (k1 - k2) log(n) /
  (2 n)``, binomial(n, 1/2) under the null; two-sided p-value
  ``2 P(X <= min(B, n - B))`` (as ``games`` computes it; capped at 1 here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import stats

__all__ = ["FittedCases", "NonNestedTest", "clarke", "vuong"]

FloatArray = NDArray[np.float64]


class FittedCases(Protocol):
    """What a test needs from a fitted model."""

    @property
    def loglik_cases(self) -> FloatArray:
        """Log-likelihood of each case at the estimate."""

    @property
    def n_free(self) -> int:
        """Number of estimated parameters."""


@dataclass(frozen=True)
class NonNestedTest:
    """The outcome of a Vuong or Clarke test.

    ``preferred`` is 1 or 2 when that model is significantly better at
    ``level``, else ``None``.
    """

    test: Literal["vuong", "clarke"]
    statistic: float
    p_value: float
    preferred: int | None
    n: int
    loglik1: float
    loglik2: float
    n_params: tuple[int, int]
    level: float

    def __str__(self) -> str:
        name = "Vuong" if self.test == "vuong" else "Clarke"
        stat = (
            f"{self.statistic:.4g}"
            if self.test == "vuong"
            else f"{int(self.statistic)} ({round(100 * self.statistic / self.n)}%)"
        )
        verdict = (
            f"Model {self.preferred} is preferred"
            if self.preferred
            else "Neither model is significantly preferred"
        )
        return (
            f"{name} test for non-nested models\n"
            f"Model 1 log-likelihood: {self.loglik1:.6g}\n"
            f"Model 2 log-likelihood: {self.loglik2:.6g}\n"
            f"Observations: {self.n}\nTest statistic: {stat}\n"
            f"{verdict} (p = {self.p_value:.3g})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "preferred": self.preferred,
            "n": self.n,
            "log_likelihoods": [self.loglik1, self.loglik2],
            "n_params": list(self.n_params),
        }


def _cases(model: FittedCases | tuple[FloatArray, int]) -> tuple[FloatArray, int]:
    if isinstance(model, tuple):
        values, k = model
        return np.asarray(values, dtype=np.float64), int(k)
    return np.asarray(model.loglik_cases, dtype=np.float64), int(model.n_free)


def _pair(
    model1: FittedCases | tuple[FloatArray, int], model2: FittedCases | tuple[FloatArray, int]
) -> tuple[FloatArray, FloatArray, int, int, int]:
    l1, k1 = _cases(model1)
    l2, k2 = _cases(model2)
    if l1.shape != l2.shape or l1.ndim != 1:
        raise ValueError(
            f"the models were fitted on different numbers of cases ({l1.size} and {l2.size})"
        )
    return l1, l2, k1, k2, int(l1.size)


def vuong(
    model1: FittedCases | tuple[FloatArray, int],
    model2: FittedCases | tuple[FloatArray, int],
    level: float = 0.05,
) -> NonNestedTest:
    """Vuong's test; positive statistics favour ``model1``.

    Each model is a fitted result or a pair ``(case log-likelihoods, k)``.

    Examples
    --------
    >>> import numpy as np
    >>> t = vuong((np.log([0.9, 0.8, 0.7]), 1), (np.log([0.5, 0.5, 0.5]), 1))
    >>> round(t.statistic, 4), t.preferred
    (7.8408, 1)
    """
    l1, l2, k1, k2, n = _pair(model1, model2)
    d = l1 - l2
    correction = (k1 - k2) * math.log(n) / 2.0
    spread = float(np.std(d))
    stat = (float(d.sum()) - correction) / (math.sqrt(n) * spread) if spread > 0 else 0.0
    p = float(2.0 * stats.norm.sf(abs(stat)))
    preferred = (1 if stat > 0 else 2) if p < level else None
    return NonNestedTest(
        "vuong", stat, p, preferred, n, float(l1.sum()), float(l2.sum()), (k1, k2), level
    )


def clarke(
    model1: FittedCases | tuple[FloatArray, int],
    model2: FittedCases | tuple[FloatArray, int],
    level: float = 0.05,
) -> NonNestedTest:
    """Clarke's distribution-free test; the statistic counts the cases where
    ``model1`` fits better (after the Schwarz correction)."""
    l1, l2, k1, k2, n = _pair(model1, model2)
    correction = (k1 - k2) * math.log(n) / (2.0 * n)
    count = int(np.sum(l1 - l2 > correction))
    p = min(1.0, float(2.0 * stats.binom.cdf(min(count, n - count), n, 0.5)))
    preferred = (1 if count > n - count else 2) if p < level else None
    return NonNestedTest(
        "clarke", float(count), p, preferred, n, float(l1.sum()), float(l2.sum()), (k1, k2), level
    )
