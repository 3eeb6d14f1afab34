"""Predicted outcome probabilities over one covariate, with confidence bands
(``games::predProbs``).

Why a module of its own: coefficients of a strategic model are utilities,
not effects on outcomes; what a reader wants is how the probability of war
moves with, say, the balance of power. One covariate varies over a grid while
the others sit at a typical profile (``games``' and Zelig's rule: the mean of
a numeric column, the median of a 0/1 column, the most frequent level of a
factor), and the model's outcome probabilities are computed along the grid.

Bands come from coefficient draws: the bootstrap replicates when the model
was bootstrapped, else draws from the normal approximation (mean the
estimate, covariance the inverse Hessian), as ``predProbs`` does. All grid
points and draws are evaluated in one vectorised pass of the game tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.estimation.plots import plot_predicted
from realpolitik.estimation.result import EstimationResult
from realpolitik.estimation.tree import tree_forward

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PredictedProbabilities", "predicted_probabilities", "typical_profile"]

FloatArray = NDArray[np.float64]

#: Most grid points times draws evaluated at once.
MAX_EVALUATIONS = 50_000_000


@dataclass(frozen=True)
class PredictedProbabilities:
    """Outcome probabilities along a covariate.

    ``table`` has the covariate column, ``Pr(<outcome>)`` for every outcome,
    and, with bands, ``Pr(<outcome>):low`` and ``Pr(<outcome>):high``;
    ``profile`` the values the other columns were held at.
    """

    table: pd.DataFrame
    x: str
    outcomes: tuple[str, ...]
    level: float | None
    band_source: str | None
    profile: dict[str, object]
    categorical: bool

    def plot(self) -> Figure:
        """One panel per outcome: the probability along the covariate and its band."""
        return plot_predicted(self)


def _is_binary(values: pd.Series) -> bool:
    present = set(pd.unique(values.dropna()))
    return bool(present) and all(v in (0, 1) for v in present)


def _mode(values: pd.Series) -> object:
    """Most frequent value, ties to the one seen first (``games::Mode``)."""
    counts = values.value_counts(sort=False).reindex(pd.unique(values.dropna()))
    return counts.idxmax()


def typical_profile(result: EstimationResult) -> dict[str, object]:
    """The regressor values other covariates are held at: mean of numeric
    columns, median of 0/1 columns, mode of the others."""
    profile: dict[str, object] = {}
    for col in result.model.regressor_columns:
        series = result.frame[col]
        if result.model.coding[col].is_factor:
            profile[col] = _mode(series)
        elif _is_binary(series):
            profile[col] = float(np.median(series.to_numpy(dtype=np.float64)))
        else:
            profile[col] = float(series.to_numpy(dtype=np.float64).mean())
    return profile


def _draws(result: EstimationResult, n_draws: int, seed: int) -> tuple[FloatArray, str | None]:
    free = result.free_mask
    if result.bootstrap is not None and result.bootstrap.shape[0] > 1:
        sample = result.bootstrap
        source = f"{sample.shape[0]} bootstrap replicates"
    else:
        vcov = result.vcov
        if not np.all(np.isfinite(vcov)):
            return np.zeros((0, result.estimates.size)), None
        rng = np.random.default_rng(seed)
        sample = rng.multivariate_normal(result.estimates[free], vcov, size=n_draws, method="eigh")
        source = f"{n_draws} draws from the normal approximation"
    full = np.tile(result.estimates, (sample.shape[0], 1))
    full[:, free] = sample
    return full, source


def predicted_probabilities(
    result: EstimationResult,
    x: str,
    *,
    values: Sequence[object] | None = None,
    n: int = 100,
    xlim: tuple[float, float] | None = None,
    level: float | None = 0.95,
    at: Mapping[str, object] | None = None,
    draws: int = 1000,
    seed: int = 0,
) -> PredictedProbabilities:
    """Outcome probabilities as ``x`` varies, others at :func:`typical_profile`.

    Parameters
    ----------
    result : a fitted model.
    x : the covariate to vary (a regressor column).
    values : its values (default: 0 and 1 for a 0/1 column, every level of a
        factor, else ``n`` points over ``xlim`` or the observed range).
    n, xlim : the grid of a numeric covariate.
    level : width of the bands (``None`` for none).
    at : values of other columns, overriding the typical profile.
    draws : normal draws when there is no bootstrap.
    seed : seed of those draws.
    """
    columns = result.model.regressor_columns
    if x not in columns:
        raise InputError(f"{x!r} is not a regressor of the model ({', '.join(columns)})", field="x")
    if not 2 <= n <= 100_000:
        raise InputError("the grid needs between 2 and 100000 points", field="n")
    coding = result.model.coding[x]
    series = result.frame[x]
    categorical = coding.is_factor
    if values is not None:
        grid: list[object] = list(values)
    elif coding.levels is not None:
        grid = list(coding.levels)
    elif _is_binary(series):
        grid = [0.0, 1.0]
        categorical = True
    else:
        low, high = xlim if xlim is not None else (float(series.min()), float(series.max()))
        grid = list(np.linspace(low, high, n))
    profile = typical_profile(result)
    for key, value in (at or {}).items():
        if key not in columns:
            raise InputError(f"{key!r} is not a regressor of the model", field="at")
        profile[key] = value
    rows = pd.DataFrame({col: [profile[col]] * len(grid) for col in columns})
    rows[x] = pd.Series(grid, index=rows.index, dtype=object if categorical else np.float64)
    util, scale = result.model.designs(rows)
    lik = result.likelihood
    point = tree_forward(
        lik.tree,
        lik.link,
        lik.errors,
        lik.utilities(result.estimates, util),
        lik.scales(result.estimates, scale),
    ).terminal_probs(lik.tree)
    names = [f"Pr({lev})" for lev in result.model.levels]
    table = pd.DataFrame({x: grid})
    for t, name in enumerate(names):
        table[name] = np.broadcast_to(point[t], (len(grid),))
    source: str | None = None
    if level is not None:
        thetas, source = _draws(result, draws, seed)
        if thetas.shape[0] * len(grid) > MAX_EVALUATIONS:
            raise InputError("too many grid points times draws", field="draws")
        if thetas.shape[0]:
            probs = tree_forward(
                lik.tree,
                lik.link,
                lik.errors,
                lik.utilities(thetas, util),
                lik.scales(thetas, scale),
            ).terminal_probs(lik.tree)
            spread = np.broadcast_to(probs, (len(names), len(grid), thetas.shape[0]))
            tail = (1.0 - level) / 2.0
            lower = np.quantile(spread, tail, axis=2)
            upper = np.quantile(spread, 1.0 - tail, axis=2)
            for t, name in enumerate(names):
                table[f"{name}:low"] = lower[t]
                table[f"{name}:high"] = upper[t]
    return PredictedProbabilities(
        table=table,
        x=x,
        outcomes=tuple(result.model.levels),
        level=level if source is not None else None,
        band_source=source,
        profile={k: v for k, v in profile.items() if k != x},
        categorical=categorical,
    )
