"""Profile likelihood: the best log-likelihood with one coefficient held at
each of a grid of values.

Why a module of its own: strategic models are often weakly identified along
some directions, where the quadratic approximation behind Hessian standard
errors misleads. The profile shows the likelihood itself (``games::profile``
after MASS's ``profile.glm``): a profile that peaks away from the estimate
reveals a non-global maximum; a flat one, a coefficient the data do not pin
down; where it falls ``chi2(1, level) / 2`` below the maximum gives a
likelihood-ratio confidence interval (Venzon and Moolgavkar 1988).

Works for any :class:`~realpolitik.estimation.mle.CaseLikelihood`. The grid
is ``games``': ``2 * steps`` points evenly spread over ``estimate +/- dist *
SE``, the estimate itself left out (it is the maximum). A model whose
parameter space is bounded (``bounds`` on the likelihood, see
:class:`~realpolitik.estimation.mle.CaseLikelihood`) has the grid points
outside it left out: a likelihood-ratio bound beyond them is reported as
missing (``NaN``), not invented.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from realpolitik.estimation.mle import CaseLikelihood, maximize
from realpolitik.estimation.parallel import map_tasks
from realpolitik.estimation.plots import plot_profile

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["LikelihoodProfile", "profile_likelihood"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class LikelihoodProfile:
    """Profiled log-likelihoods.

    Attributes
    ----------
    table : one row per refit: ``coefficient``, ``value``, ``log_likelihood``,
        ``converged``.
    estimates : the unrestricted estimate of each profiled coefficient.
    std_errors : their standard errors (set the grid).
    max_loglik : the unrestricted maximum.
    """

    table: pd.DataFrame
    estimates: dict[str, float]
    std_errors: dict[str, float]
    max_loglik: float

    def intervals(self, level: float = 0.95) -> pd.DataFrame:
        """Likelihood-ratio confidence intervals, by linear interpolation where
        the profile crosses ``max - chi2(1, level) / 2`` (``NaN`` where it
        does not cross within the grid)."""
        drop = float(stats.chi2.ppf(level, 1)) / 2.0
        cut = self.max_loglik - drop
        rows = []
        for name, est in self.estimates.items():
            part = self.table[self.table["coefficient"] == name]
            x = np.append(part["value"].to_numpy(), est)
            y = np.append(part["log_likelihood"].to_numpy(), self.max_loglik)
            order = np.argsort(x)
            x, y = x[order], y[order]
            centre = int(np.searchsorted(x, est))
            lower = _crossing(x[: centre + 1][::-1], y[: centre + 1][::-1], cut)
            upper = _crossing(x[centre:], y[centre:], cut)
            rows.append({"coefficient": name, "estimate": est, "lower": lower, "upper": upper})
        return pd.DataFrame(rows).set_index("coefficient")

    def plot(self, level: float = 0.95) -> Figure:
        """One panel per coefficient: the profile, the estimate and the
        likelihood-ratio cut-off."""
        return plot_profile(self, level)

    def to_json(self, level: float = 0.95) -> dict[str, Any]:
        """``{name: {"lower", "upper", "grid": [[value, log_likelihood], ...]}}``
        (strict JSON: a bound not reached within the grid is None)."""
        intervals = self.intervals(level)
        out: dict[str, Any] = {}
        for name in self.estimates:
            part = self.table[self.table["coefficient"] == name]
            at = intervals.index.get_loc(name)
            lower, upper = (
                float(intervals[k].to_numpy(dtype=float)[at]) for k in ("lower", "upper")
            )
            out[name] = {
                "lower": lower if math.isfinite(lower) else None,
                "upper": upper if math.isfinite(upper) else None,
                "grid": [
                    [float(v), float(ll)]
                    for v, ll in zip(part["value"], part["log_likelihood"], strict=True)
                ],
            }
        return out


def _crossing(x: FloatArray, y: FloatArray, cut: float) -> float:
    """First point, walking away from the maximum, where ``y`` falls below ``cut``."""
    for k in range(1, x.size):
        if y[k] < cut <= y[k - 1]:
            t = (y[k - 1] - cut) / (y[k - 1] - y[k])
            return float(x[k - 1] + t * (x[k] - x[k - 1]))
    return float("nan")


@dataclass(frozen=True)
class _Payload:
    lik: CaseLikelihood
    theta: FloatArray
    free: BoolArray
    curvature: FloatArray | None


def _refit(payload: _Payload, task: tuple[int, float]) -> tuple[float, bool]:
    j, value = task
    free = payload.free.copy()
    free[j] = False
    start = payload.theta.copy()
    start[j] = value
    curvature = None
    if payload.curvature is not None:
        keep = np.flatnonzero(payload.free)
        inner = np.flatnonzero(keep != j)
        curvature = payload.curvature[np.ix_(inner, inner)]
    fit = maximize(payload.lik, start, free, start_hessian=curvature, polish=True)
    return fit.loglik, fit.converged


def profile_likelihood(
    lik: CaseLikelihood,
    theta: FloatArray,
    names: Sequence[str],
    std_errors: FloatArray,
    *,
    which: Sequence[str] | None = None,
    free: BoolArray | None = None,
    hessian: FloatArray | None = None,
    steps: int = 5,
    dist: float = 3.0,
    workers: int = 1,
    progress: bool = False,
) -> LikelihoodProfile:
    """Profile the log-likelihood of each coefficient in ``which``.

    Parameters
    ----------
    lik : the model.
    theta : the estimate (all coefficients).
    names : names of all coefficients.
    std_errors : standard errors of all coefficients (NaN for fixed ones).
    which : coefficients to profile (default: every free one).
    free : which coefficients were estimated.
    hessian : Hessian over the free coefficients at ``theta`` (starts BFGS).
    steps, dist : the grid, as ``games::profile``.
    workers : processes.
    progress : show a progress bar.
    """
    if not 1 <= steps <= 1000 or not dist > 0:
        raise ValueError("steps must be between 1 and 1000 and dist positive")
    mask = np.ones(len(names), dtype=bool) if free is None else np.asarray(free, dtype=bool)
    chosen = [n for n, f in zip(names, mask, strict=True) if f] if which is None else list(which)
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise ValueError(f"unknown coefficient(s): {', '.join(unknown)}")
    theta = np.asarray(theta, dtype=np.float64)
    bounds: dict[int, tuple[float, float]] = getattr(lik, "bounds", None) or {}
    tasks: list[tuple[int, float]] = []
    for name in chosen:
        j = list(names).index(name)
        if not mask[j]:
            raise ValueError(f"{name} is fixed, not estimated")
        se = float(std_errors[j])
        if not np.isfinite(se) or se <= 0:
            raise ValueError(f"{name} has no finite standard error to set the grid")
        grid = np.linspace(theta[j] - dist * se, theta[j] + dist * se, 2 * steps + 1)
        low, high = bounds.get(j, (-np.inf, np.inf))
        tasks.extend((j, float(v)) for k, v in enumerate(grid) if k != steps and low < v < high)
    curvature = None if hessian is None else np.asarray(hessian) / max(lik.n_cases, 1)
    payload = _Payload(lik, theta, mask, curvature)
    # the maximised objective (a penalised model's includes its penalty, as
    # the profiled refits do)
    max_ll = float(lik.value_and_gradient(theta)[0])
    results = map_tasks(
        _refit,
        payload,
        tasks,
        [1] * len(tasks),
        workers=workers,
        description="profile",
        progress=progress,
    )
    table = pd.DataFrame(
        {
            "coefficient": [names[j] for j, _ in tasks],
            "value": [v for _, v in tasks],
            "log_likelihood": [r[0] for r in results],
            "converged": [r[1] for r in results],
        }
    )
    if bool((table["log_likelihood"] > max_ll + 1e-6).any()):
        warnings.warn(
            "some profiled fits reach a higher log-likelihood than the estimate: it is not the "
            "global maximum; refit from the best profiled point",
            stacklevel=2,
        )
    return LikelihoodProfile(
        table=table,
        estimates={n: float(theta[list(names).index(n)]) for n in chosen},
        std_errors={n: float(std_errors[list(names).index(n)]) for n in chosen},
        max_loglik=max_ll,
    )
