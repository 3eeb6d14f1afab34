"""Simulate observed cases of a scenario: play its agent logit QRE once per
case and report the choices made, in the file format that estimation,
calibration and scoring read (:mod:`realpolitik.run.case_table`).

Why: recovery checks (data simulated with known coefficients or a known
lambda, refitted; bias and coverage), power calculations before collecting
cases, and examples. Each case's game is solved at its own parameters (its
covariates through the estimated parameters' formulas), all cases at once;
a terminal is drawn per case from its path probabilities by inverting their
cumulative sums against one uniform draw, and the choices on that path are
written out (empty where a move did not happen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.concepts import LAMBDA
from realpolitik.errors import InputError
from realpolitik.run.case_table import observable_subjects
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.solve.dispatch import solve

__all__ = ["default_reports", "simulate_cases"]

FloatArray = NDArray[np.float64]


def default_reports(scenario: ScenarioLike) -> list[str]:
    """The choices reported by default: every decision move by its id, every
    mover of a simultaneous move by its actor's id (when it moves once), every
    compound move by its id (its joint action); chance moves are not reported."""
    loaded = as_scenario(scenario)
    counts: dict[str, int] = {}
    for move in loaded.moves:
        for actor in move.actors:
            counts[actor] = counts.get(actor, 0) + 1
    out: list[str] = []
    for move in loaded.moves:
        if move.kind == "decision":
            out.append(move.id)
        elif move.kind == "simultaneous":
            out += [a for a in move.actors if counts[a] == 1]
    return out


def simulate_cases(
    scenario: ScenarioLike,
    cases: pd.DataFrame | int,
    *,
    coefficients: Mapping[str, float] | None = None,
    lam: float | None = None,
    seed: int = 0,
    report: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Simulated cases of ``scenario``.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
    cases : a DataFrame with one row per case and a column per covariate of
        the estimated parameters' formulas and per parameter whose value is
        given (the rest at their central values), or a number of cases (all
        at the central values).
    coefficients : values of the estimated parameters' coefficients,
        ``parameter:term`` (default: their central values, if fitted).
    lam : the QRE's precision (default: the scenario's).
    seed : seed of the draws.
    report : the choices to report (column names as in the case format;
        default :func:`default_reports`).

    Returns
    -------
    DataFrame
        The rows of ``cases`` (or a ``case`` column) with a column per
        reported choice: the action taken, or None where the move did not
        happen.
    """
    loaded = as_scenario(scenario)
    compiled = compile_scenario(loaded)
    frame = pd.DataFrame(index=range(cases)) if isinstance(cases, int) else cases.copy()
    n = len(frame)
    if n < 1:
        raise InputError("simulate at least one case")
    precision = LAMBDA.check(loaded.solve.lam if lam is None else lam, "lambda")
    values: dict[str, FloatArray] = {}
    for pid in loaded.parameter_ids:
        central = loaded.parameters[pid].central
        own = frame[pid].to_numpy(dtype=np.float64) if pid in frame else np.full(n, central)
        values[pid] = own.reshape(-1, 1)
    given = dict(coefficients or {})
    for predictor in loaded.linear:
        columns: dict[str, FloatArray] = {}
        for column in predictor.columns:
            if column not in frame and column not in values:
                raise InputError(f"missing covariate {column!r} of {predictor.id}")
            columns[column] = (
                frame[column].to_numpy(dtype=np.float64).reshape(-1, 1)
                if column in frame
                else values[column]
            )
        total = np.zeros((n, 1))
        for cid, regressor in zip(
            predictor.coefficient_ids, predictor.regressors(columns), strict=True
        ):
            if cid in given:
                b = given[cid]
            elif cid in loaded.parameters:
                b = loaded.parameters[cid].central
            else:
                raise InputError(f"no value for coefficient {cid!r}", field="coefficients")
            total = total + b * regressor
        values[predictor.id] = total
    game = compiled.game(values, terms=False, first_draw=None)
    reach = solve(game, "qre", precision).terminal_reach
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(reach, axis=1)
    u = rng.random(n) * cumulative[:, -1]
    terminal = np.minimum((cumulative < u[:, None]).sum(axis=1), reach.shape[1] - 1)
    subjects = observable_subjects(compiled)
    for name in report if report is not None else default_reports(loaded):
        if name not in subjects:
            raise InputError(f"{name!r} names no choice of the scenario", field="report")
        subject = subjects[name]
        levels = np.array([*subject.levels, None], dtype=object)
        taken = subject.terminal_level[terminal]
        frame[name] = levels[np.where(taken >= 0, taken, len(subject.levels))]
    return frame
