"""Simulate outcomes of a strategic model with known coefficients.

Why a module of its own: an estimator is checked by recovering coefficients
it did not see (bias and interval coverage over Monte Carlo replications),
and a benchmark needs data sets of any size. Outcomes are drawn from the
model's own outcome probabilities, by inverse transform of one uniform per
case, for all cases at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.estimation.canonical import CANONICAL_GAMES
from realpolitik.estimation.formula import parse_game_formula
from realpolitik.estimation.model import prepare

__all__ = ["draw_outcomes", "simulate"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def draw_outcomes(probabilities: FloatArray, rng: np.random.Generator) -> IntArray:
    """One outcome per row of ``probabilities`` (``(n, outcomes)``)."""
    cumulative = np.cumsum(probabilities, axis=1)
    u = rng.random(probabilities.shape[0]) * cumulative[:, -1]
    drawn = (u[:, None] > cumulative).sum(axis=1)
    return np.asarray(np.minimum(drawn, probabilities.shape[1] - 1), dtype=np.int64)


def simulate(
    model: str,
    data: pd.DataFrame,
    formula: str,
    coefficients: Mapping[str, float] | Sequence[float],
    *,
    link: str = "probit",
    errors: str = "agent",
    sd_formula: str | None = None,
    sd_by_player: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """``data`` with its outcome column(s) drawn from the model.

    Parameters
    ----------
    model : ``egame12``, ``egame122`` or ``egame123``.
    data : the regressor columns (outcome columns are added or replaced).
    formula : the model formula; a single outcome column gets integer codes
        0, 1, ... (terminal nodes left to right), action columns get 0/1.
    coefficients : by name (as :func:`~realpolitik.estimation.estimate`
        names them) or in order.
    link, errors, sd_formula, sd_by_player : as for estimation.
    seed : seed of the draws.
    """
    game = CANONICAL_GAMES.get(model)
    if game is None:
        raise InputError(f"unknown model {model!r}", field="model")
    outcome_cols = parse_game_formula(formula).outcome
    frame = data.copy()
    n = len(frame)
    placeholder = np.arange(n) % game.n_outcomes
    if len(outcome_cols) == 1:
        frame[outcome_cols[0]] = placeholder
    else:
        for col in outcome_cols:
            frame[col] = placeholder % 2
    prepared = prepare(
        game,
        frame,
        formula,
        link=link,
        errors=errors,
        sd_formula=sd_formula,
        sd_by_player=sd_by_player,
    )
    names = prepared.model.names
    if isinstance(coefficients, Mapping):
        missing = [name for name in names if name not in coefficients]
        if missing:
            raise InputError(f"coefficients missing: {', '.join(missing)}", field="coefficients")
        theta = np.array([float(coefficients[name]) for name in names])
    else:
        theta = np.asarray(coefficients, dtype=np.float64)
        if theta.shape != (len(names),):
            raise InputError(f"{len(names)} coefficients needed", field="coefficients")
    lik = prepared.model.likelihood(prepared.frame, prepared.outcome)
    drawn = draw_outcomes(lik.outcome_probabilities(theta), np.random.default_rng(seed))
    kept = prepared.frame.index
    if len(outcome_cols) == 1:
        frame.loc[kept, outcome_cols[0]] = drawn
        return frame.loc[kept]
    first = drawn >= 1 if model != "egame122" else drawn >= 2
    frame.loc[kept, outcome_cols[0]] = first.astype(np.int64)
    if model == "egame12":
        frame.loc[kept, outcome_cols[1]] = (drawn == 2).astype(np.int64)
    elif model == "egame122" and len(outcome_cols) == 2:
        frame.loc[kept, outcome_cols[1]] = (drawn % 2).astype(np.int64)
    elif model == "egame122":
        frame.loc[kept, outcome_cols[1]] = (drawn == 1).astype(np.int64)
        frame.loc[kept, outcome_cols[2]] = (drawn == 3).astype(np.int64)
    else:
        frame.loc[kept, outcome_cols[1]] = (drawn >= 2).astype(np.int64)
        frame.loc[kept, outcome_cols[2]] = (drawn == 3).astype(np.int64)
    return frame.loc[kept]
