"""Score bargaining forecasts against real decisions (DEU III-style files).

Why this module exists: a forecasting model is only worth its complexity if it
beats simple rules on outcomes that really happened. For each issue with an
observed outcome, the expected-utility model, KTAB's SMP and the two baselines
(capability x salience weighted mean and weighted median of the initial
positions) each give a forecast on the 0-100 scale; the absolute errors are
summarised as the mean absolute error, the median absolute error and the share
of issues forecast within 10 points (|error| <= 10).

Every model is scored on the same issues and sees the same actors. An actor
with zero salience attaches no weight to the issue (no votes, no weight in the
baselines) and KTAB's SMP cannot measure distances for it, so it is left out
of the issue for every model; an issue is scored when it has an observed
outcome and at least 3 actors with a position and a salience above zero.
Skipped issues are listed with the reason.

References
----------
Arregui, J. and Perarnaud, C. (2021). The DEU III dataset. doi:10.34810/data53.

Thomson, R., Stokman, F. N., Achen, C. H. and Koenig, T. (eds) (2006). *The
European Union Decides*. Cambridge University Press (the weighted mean as the
benchmark that bargaining models rarely beat).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.bargaining.baselines import baselines
from realpolitik.bargaining.data import MIN_ACTORS, ObservedIssue, read_deu3
from realpolitik.bargaining.models import BARGAINING_MODELS, ModelOptions
from realpolitik.bargaining.types import BargainingProblem, BargainingRun, FloatArray
from realpolitik.errors import InputError

__all__ = [
    "BASELINES",
    "MODELS",
    "Evaluation",
    "Score",
    "active_actors",
    "evaluate_file",
    "evaluate_issues",
    "score",
]

#: Models that can be scored, in report order.
MODELS: tuple[str, ...] = tuple(BARGAINING_MODELS)
#: Baselines always scored beside them.
BASELINES: tuple[str, ...] = ("weighted_mean", "weighted_median")

WITHIN = 10.0
"""Points on the 0-100 scale within which a forecast counts as close."""

Runner = Callable[[BargainingProblem], BargainingRun]


@dataclass(frozen=True)
class Score:
    """Summary of one forecaster's absolute errors over the scored issues."""

    mae: float
    median_ae: float
    share_within_10: float

    def as_dict(self) -> dict[str, float]:
        return {
            "mae": self.mae,
            "median_ae": self.median_ae,
            "share_within_10": self.share_within_10,
        }


def score(forecast: FloatArray, outcome: FloatArray) -> Score:
    """Mean and median absolute error and the share of |error| <= 10.

    Examples
    --------
    >>> import numpy as np
    >>> score(np.array([10.0, 50.0, 80.0]), np.array([20.0, 50.0, 50.0]))
    Score(mae=13.333333333333334, median_ae=10.0, share_within_10=0.6666666666666666)
    """
    err = np.abs(np.asarray(forecast, dtype=np.float64) - np.asarray(outcome, dtype=np.float64))
    if err.size == 0:
        return Score(float("nan"), float("nan"), float("nan"))
    return Score(float(err.mean()), float(np.median(err)), float(np.mean(err <= WITHIN)))


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Forecasts and scores for every scored issue.

    Attributes
    ----------
    issue_ids : (n,) scored issues, in file order.
    outcome : (n,) observed outcomes.
    forecasts : name -> (n,) forecasts, for each model and baseline.
    scores : name -> :class:`Score`.
    skipped : (issue id, reason) for the issues left out.
    """

    issue_ids: tuple[str, ...]
    outcome: FloatArray
    forecasts: dict[str, FloatArray]
    scores: dict[str, Score]
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    def to_json(self) -> dict[str, Any]:
        """``{"n_issues": n, "scores": {name: {"mae", "median_ae", "share_within_10"}}}``."""
        return {
            "n_issues": self.n_issues,
            "scores": {name: s.as_dict() for name, s in self.scores.items()},
        }


def _runner(name: str, options: ModelOptions) -> Runner:
    """Model ``name`` of the registry with ``options``, as a function of a problem."""
    model = BARGAINING_MODELS[name]

    def run(problem: BargainingProblem) -> BargainingRun:
        return model.run(problem, options)

    return run


def active_actors(problem: BargainingProblem) -> BargainingProblem:
    """The problem without the actors whose every salience is zero."""
    keep = np.flatnonzero(np.any(np.asarray(problem.salience) > 0, axis=1))
    if keep.size == problem.n_actors:
        return problem
    return dataclasses.replace(
        problem,
        actors=tuple(problem.actors[k] for k in keep),
        capability=np.asarray(problem.capability)[keep],
        position=np.asarray(problem.position)[keep],
        salience=np.asarray(problem.salience)[keep],
    )


def _skip_reason(issue: ObservedIssue, problem: BargainingProblem) -> str | None:
    if issue.outcome is None:
        return "no observed outcome"
    if problem.n_actors < MIN_ACTORS:
        return f"{problem.n_actors} actor(s) with a position and a salience above zero"
    return None


def evaluate_issues(
    issues: Sequence[ObservedIssue],
    *,
    models: Sequence[str] = MODELS,
    options: Mapping[str, ModelOptions] | None = None,
    runners: dict[str, Runner] | None = None,
) -> Evaluation:
    """Forecast every usable issue with each model and baseline, and score them.

    Parameters
    ----------
    issues : from :func:`~realpolitik.bargaining.data.read_deu3`.
    models : which of :data:`MODELS` to run (baselines are always scored).
    options : per model name, its :class:`~realpolitik.bargaining.models.ModelOptions`
        (default: the model's defaults).
    runners : override or add a model, name -> function of a problem
        returning a :class:`BargainingRun` (its ``forecast[0]`` is scored).

    Returns
    -------
    Evaluation

    Raises
    ------
    InputError
        An unknown model name, or no issue left to score.
    """
    table: dict[str, Runner] = dict(runners or {})
    for name in models:
        if name in table:
            continue
        if name not in BARGAINING_MODELS:
            raise InputError(
                f"unknown model {name!r}; choose from {', '.join(MODELS)}", field="models"
            )
        table[name] = _runner(name, (options or {}).get(name, ModelOptions()))

    kept: list[tuple[ObservedIssue, BargainingProblem]] = []
    skipped: list[tuple[str, str]] = []
    for issue in issues:
        problem = active_actors(issue.problem)
        reason = _skip_reason(issue, problem)
        if reason is None:
            kept.append((issue, problem))
        else:
            skipped.append((issue.issue_id, reason))
    if not kept:
        raise InputError(
            "no issue has an outcome and at least 3 actors; nothing to score", field="out"
        )
    names = [*models, *BASELINES]
    fc: dict[str, list[float]] = {name: [] for name in names}
    for _, problem in kept:
        base = baselines(problem)
        for name in BASELINES:
            fc[name].append(float(base[name][0]))
        for name in models:
            fc[name].append(float(table[name](problem).forecast[0]))
    outcome = np.array([float(i.outcome) for i, _ in kept if i.outcome is not None])
    forecasts = {name: np.asarray(values, dtype=np.float64) for name, values in fc.items()}
    return Evaluation(
        issue_ids=tuple(i.issue_id for i, _ in kept),
        outcome=outcome,
        forecasts=forecasts,
        scores={name: score(forecasts[name], outcome) for name in names},
        skipped=tuple(skipped),
    )


def evaluate_file(
    path: str | Path,
    *,
    models: Sequence[str] = MODELS,
    options: Mapping[str, ModelOptions] | None = None,
) -> Evaluation:
    """Read a DEU III-style file and score every model and baseline on it.

    See :func:`evaluate_issues` for the parameters.

    Examples
    --------
    ``evaluate_file("deu3_dev.csv").to_json()`` gives
    ``{"n_issues": ..., "scores": {"eum": {...}, "smp": {...},
    "weighted_mean": {...}, "weighted_median": {...}}}``.
    """
    return evaluate_issues(read_deu3(path), models=models, options=options)
