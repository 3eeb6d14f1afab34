"""Figures of an estimation: coefficients with intervals, likelihood
profiles, predicted probabilities with bands.

Why a module of its own: the estimation modules compute; this one draws, with
matplotlib's object interface (no global pyplot state, safe in the web
server), so that importing the estimators does not import matplotlib.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from realpolitik.plots.figure import new_figure


# What each figure reads from a result: protocols, so that the results can
# draw themselves without this module importing them (an import cycle).
class LikelihoodProfile(Protocol):
    """:class:`realpolitik.estimation.profile.LikelihoodProfile` as drawn here."""

    @property
    def table(self) -> pd.DataFrame: ...
    @property
    def estimates(self) -> dict[str, float]: ...
    @property
    def max_loglik(self) -> float: ...


class PredictedProbabilities(Protocol):
    """:class:`realpolitik.estimation.predict.PredictedProbabilities` as drawn here."""

    @property
    def table(self) -> pd.DataFrame: ...
    @property
    def x(self) -> str: ...
    @property
    def outcomes(self) -> tuple[str, ...]: ...
    @property
    def level(self) -> float | None: ...
    @property
    def band_source(self) -> str | None: ...
    @property
    def categorical(self) -> bool: ...


__all__ = ["plot_coefficients", "plot_predicted", "plot_profile"]


def _figure(width: float, height: float) -> Figure:
    fig = new_figure(figsize=(width, height), layout="constrained")
    return fig


def plot_coefficients(
    table: pd.DataFrame, *, title: str, se_source: str, level: float = 0.95
) -> Figure:
    """Each free coefficient (``table``: ``estimate``, ``std_error``, indexed
    by name) with its ``level`` normal interval, grouped by equation (top to
    bottom in ``games``' order)."""
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    names = list(table.index)
    fig = _figure(7.0, 0.9 + 0.28 * max(len(names), 1))
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    est = table["estimate"].to_numpy()
    half = z * table["std_error"].to_numpy()
    ax.errorbar(
        est,
        y,
        xerr=np.where(np.isfinite(half), half, 0.0),
        fmt="o",
        color="C0",
        ecolor="C0",
        capsize=2,
        markersize=4,
    )
    ax.axvline(0.0, color="0.6", linewidth=0.8)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel(f"estimate with {level:.0%} interval ({se_source} standard errors)")
    ax.set_title(title, fontsize=9)
    return fig


def plot_profile(profile: LikelihoodProfile, level: float = 0.95) -> Figure:
    """The profile log-likelihood of each coefficient, the estimate (x) and
    the likelihood-ratio cut-off (dashed)."""
    names = list(profile.estimates)
    cols = math.ceil(math.sqrt(len(names)))
    rows = math.ceil(len(names) / cols)
    fig = _figure(max(3.2 * cols, 5.0), 2.6 * rows + 0.4)
    cut = profile.max_loglik - float(stats.chi2.ppf(level, 1)) / 2.0
    for k, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, k + 1)
        part = profile.table[profile.table["coefficient"] == name]
        x = np.append(part["value"].to_numpy(), profile.estimates[name])
        y = np.append(part["log_likelihood"].to_numpy(), profile.max_loglik)
        order = np.argsort(x)
        ax.plot(x[order], y[order], "-o", color="C0", markersize=3)
        ax.plot([profile.estimates[name]], [profile.max_loglik], "x", color="C3", markersize=8)
        ax.axhline(cut, color="0.5", linestyle="--", linewidth=0.8)
        ax.set_xlabel(name, fontsize=8)
        ax.set_ylabel("log-likelihood", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"likelihood profiles (dashed: {level:.0%} likelihood-ratio cut-off)", fontsize=9)
    return fig


def plot_predicted(pred: PredictedProbabilities) -> Figure:
    """One panel per outcome: probability along the covariate with its band
    (dashed lines; error bars for a categorical covariate)."""
    n_out = len(pred.outcomes)
    fig = _figure(3.4 * n_out, 3.0)
    table = pred.table
    for t, outcome in enumerate(pred.outcomes):
        ax = fig.add_subplot(1, n_out, t + 1)
        name = f"Pr({outcome})"
        prob = table[name].to_numpy(dtype=np.float64)
        has_band = f"{name}:low" in table
        if pred.categorical:
            labels = [str(v) for v in table[pred.x]]
            pos = np.arange(len(labels))
            if has_band:
                low = table[f"{name}:low"].to_numpy(dtype=np.float64)
                high = table[f"{name}:high"].to_numpy(dtype=np.float64)
                ax.errorbar(pos, prob, yerr=[prob - low, high - prob], fmt="o", capsize=4)
            else:
                ax.plot(pos, prob, "o")
            ax.set_xticks(pos, labels)
        else:
            xs = table[pred.x].to_numpy(dtype=np.float64)
            ax.plot(xs, prob, color="C0")
            if has_band:
                ax.plot(xs, table[f"{name}:low"], "--", color="C0", linewidth=0.8)
                ax.plot(xs, table[f"{name}:high"], "--", color="C0", linewidth=0.8)
        ax.set_xlabel(pred.x)
        ax.set_ylabel(name)  # each panel on its own scale, as predProbs: rare outcomes stay visible
    band = f"; {pred.level:.0%} bands from {pred.band_source}" if pred.level else ""
    fig.suptitle(f"predicted probabilities over {pred.x}{band}", fontsize=9)
    return fig
