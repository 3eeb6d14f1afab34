"""Forecast a scenario: who does what with what probability, along which
pathways, with which expected metrics, and how sure one can be.

The forecast is computed at the parameters' central values (``draws=0``) or
over parameter draws; draws are processed in chunks, each chunk sampled,
compiled into payoffs, solved and reduced, so memory stays bounded.

Summaries over draws: for each action the mean probability, its 5th and
95th percentiles across draws (the 90% interval) and the share of draws in
which it is its actor's most likely choice; for each pathway its mean
probability and the metrics expected along it (weighted by how likely the
path is in each draw); for each metric its mean and 90% interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.analysis.outcomes import DrawOutcomes, OutcomeLayout, draw_outcomes
from realpolitik.errors import InputError
from realpolitik.scenario.compile import CompiledScenario, compile_scenario
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve
from realpolitik.solve.tree_solution import TreeSolution
from realpolitik.uncertainty.sampling import Sampler

FloatArray = NDArray[np.float64]

#: Draws solved at once; bounds memory for any number of draws.
DEFAULT_CHUNK = 8192
#: Interval reported around means (percentiles).
INTERVAL = (5.0, 95.0)


@dataclass(frozen=True)
class Settings:
    """How a forecast is computed (recorded with every result)."""

    concept: str
    lam: float | None
    draws: int
    seed: int | None
    method: str = "mc"

    @classmethod
    def resolve(
        cls,
        scenario: Scenario,
        concept: str | None = None,
        lam: float | None = None,
        draws: int = 0,
        seed: int | None = None,
        method: str = "mc",
    ) -> Settings:
        concept = concept or scenario.solve.concept
        if concept not in ("spe", "qre"):
            raise InputError(f"unknown concept '{concept}'; use spe or qre")
        if concept == "qre":
            lam = scenario.solve.lam if lam is None else lam
            if not np.isfinite(lam) or lam < 0:
                raise InputError(f"--lambda must be a number >= 0, got {lam}")
        else:
            lam = None
        if draws < 0:
            raise InputError(f"--draws must be >= 0, got {draws}")
        if draws and seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
        return cls(concept, lam, draws, seed if draws else None, method)


def sampler_for(scenario: Scenario, settings: Settings) -> Sampler:
    """The parameter sampler of a forecast over draws."""
    names = scenario.parameter_ids
    return Sampler(
        names,
        tuple(scenario.parameters[n].distribution for n in names),
        n=settings.draws,
        method=settings.method,
        seed=settings.seed if settings.seed is not None else 0,
    )


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """One chunk of draws: the parameter values, the solution and outcomes."""

    start: int
    parameters: FloatArray  # (D, k)
    solution: TreeSolution
    outcomes: DrawOutcomes


def solve_chunks(
    compiled: CompiledScenario,
    settings: Settings,
    *,
    chunk: int = DEFAULT_CHUNK,
    terms: bool = False,
    start: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Iterator[ChunkResult]:
    """Solve the scenario chunk by chunk (one chunk at the central values
    when ``settings.draws == 0``)."""
    layout = OutcomeLayout.of(compiled)
    if settings.draws == 0:
        ranges = [(0, 1)]
        sampler = None
    else:
        sampler = sampler_for(compiled.scenario, settings)
        ranges = [(a, min(a + chunk, settings.draws)) for a in range(start, settings.draws, chunk)]
    for lo, hi in ranges:
        draws = None if sampler is None else sampler.draws(lo, hi)
        params = compiled.parameter_values(draws)
        if draws is None:
            draws = np.array([[compiled.scenario.parameters[n].central for n in compiled.scenario.parameter_ids]])
        game = compiled.game(params, terms=terms)
        solution = solve(game, settings.concept, settings.lam)
        outcomes = draw_outcomes(layout, solution, compiled.metric_values(params))
        yield ChunkResult(lo, draws, solution, outcomes)
        if progress is not None:
            progress(hi - lo)


class _Accumulator:
    """Reduces per-draw outcomes chunk by chunk.

    Means are running sums. Percentiles of action probabilities are exact up
    to :attr:`EXACT_LIMIT` draws (each draw's probabilities are kept); beyond
    that they come from fixed 1/4000-wide histograms on [0, 1] (exact to
    2.5e-4), so memory stays bounded. Metric percentiles keep each draw's
    expectation (a few numbers per draw).
    """

    BINS = 4000
    EXACT_LIMIT = 1_000_000

    def __init__(self, layout: OutcomeLayout) -> None:
        self.layout = layout
        n_actions = len(layout.keys)
        tree = layout.compiled.tree
        n_metrics = len(layout.compiled.scenario.metrics)
        self.n = 0
        self.action_sum = np.zeros(n_actions)
        self.action_hist = np.zeros((n_actions, self.BINS + 1), dtype=np.int64)
        self.most_likely = np.zeros(n_actions, dtype=np.int64)
        self.path_sum = np.zeros(tree.n_terminals)
        self.modal_count = np.zeros(tree.n_terminals, dtype=np.int64)
        self.path_metric_sum = np.zeros((tree.n_terminals, n_metrics))
        self.metric_values: list[FloatArray] = []
        self.action_values: list[FloatArray] | None = []

    def add(self, outcomes: DrawOutcomes) -> None:
        d = outcomes.n_draws
        self.n += d
        p = outcomes.action_probability
        if self.action_values is not None:
            if self.n <= self.EXACT_LIMIT:
                self.action_values.append(p)
            else:
                self.action_values = None
        self.action_sum += p.sum(axis=0)
        bins = np.clip(np.rint(p * self.BINS).astype(np.int64), 0, self.BINS)
        offsets = np.arange(p.shape[1]) * (self.BINS + 1)
        self.action_hist += np.bincount(
            (bins + offsets).ravel(), minlength=p.shape[1] * (self.BINS + 1)
        ).reshape(p.shape[1], -1)
        self.most_likely += outcomes.most_likely.sum(axis=0)
        self.path_sum += outcomes.path_probability.sum(axis=0)
        self.modal_count += np.bincount(outcomes.modal_path, minlength=len(self.path_sum))
        self.path_metric_sum += np.einsum(
            "dt,dtm->tm", outcomes.path_probability, outcomes.metric_at_terminal
        )
        self.metric_values.append(outcomes.metric_expectation)

    def action_percentile(self, q: float) -> FloatArray:
        if self.action_values:
            exact: FloatArray = np.percentile(np.concatenate(self.action_values), q, axis=0)
            return exact
        cumulative = np.cumsum(self.action_hist, axis=1)
        target = q / 100.0 * self.n
        index = (cumulative < target).sum(axis=1)
        result: FloatArray = np.clip(index, 0, self.BINS) / self.BINS
        return result


@dataclass(frozen=True, eq=False)
class Forecast:
    """A scenario's forecast (see the module docstring).

    Attributes
    ----------
    scenario : the scenario.
    settings : concept, lambda, draws, seed, sampling method.
    actions : one row per (actor, move, action): probability (mean over
        draws), p05, p95, most_likely_share.
    pathways : one row per path, most likely first: path, probability,
        modal_share, and one column per metric (expected along the path).
    metrics : one row per metric: mean, p05, p95, unit, description.
    """

    scenario: Scenario
    settings: Settings
    actions: pd.DataFrame
    pathways: pd.DataFrame
    metrics: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON document printed by ``realpolitik forecast --format json``."""
        actions: dict[str, dict[str, float]] = {}
        for row in self.actions.itertuples():
            actions.setdefault(str(row.actor), {})[str(row.action)] = float(row.probability)
        detail = [
            {
                "actor": str(r.actor),
                "move": str(r.move),
                "action": str(r.action),
                "label": str(r.label),
                "probability": float(r.probability),
                "p05": float(r.p05),
                "p95": float(r.p95),
                "most_likely_share": float(r.most_likely_share),
            }
            for r in self.actions.itertuples()
        ]
        metric_names = [m.id for m in self.scenario.metrics]
        pathways = [
            {
                "path": [[actor, action] for actor, action in row["steps"]],
                "probability": float(row["probability"]),
                "modal_share": float(row["modal_share"]),
                "metrics": {m: float(row[m]) for m in metric_names},
            }
            for _, row in self.pathways.iterrows()
        ]
        metrics = {str(r.metric): float(r.mean) for r in self.metrics.itertuples()}
        metric_detail = {
            str(r.metric): {
                "mean": float(r.mean),
                "p05": float(r.p05),
                "p95": float(r.p95),
                "unit": str(r.unit),
            }
            for r in self.metrics.itertuples()
        }
        s = self.settings
        return {
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "as_of": self.scenario.as_of,
            "concept": s.concept,
            "lambda": s.lam,
            "draws": s.draws,
            "seed": s.seed,
            "method": s.method if s.draws else None,
            "actions": actions,
            "action_detail": detail,
            "pathways": pathways,
            "metrics": metrics,
            "metric_detail": metric_detail,
        }


def summarize(
    compiled: CompiledScenario, settings: Settings, accumulator: _Accumulator
) -> Forecast:
    layout = accumulator.layout
    n = max(accumulator.n, 1)
    lo, hi = INTERVAL
    actions = pd.DataFrame(
        {
            "actor": [k.actor for k in layout.keys],
            "move": [k.move for k in layout.keys],
            "action": [k.action for k in layout.keys],
            "label": [k.label for k in layout.keys],
            "probability": accumulator.action_sum / n,
            "p05": accumulator.action_percentile(lo),
            "p95": accumulator.action_percentile(hi),
            "most_likely_share": accumulator.most_likely / n,
        }
    )
    metric_ids = [m.id for m in compiled.scenario.metrics]
    path_prob = accumulator.path_sum / n
    with np.errstate(invalid="ignore", divide="ignore"):
        along = accumulator.path_metric_sum / accumulator.path_sum[:, None]
    steps = [layout.path_label(t) for t in range(compiled.tree.n_terminals)]
    frame: dict[str, Any] = {
        "path": [" > ".join(f"{a}:{b}" for a, b in s) for s in steps],
        "steps": steps,
        "probability": path_prob,
        "modal_share": accumulator.modal_count / n,
    }
    for k, m in enumerate(metric_ids):
        frame[m] = np.where(np.isfinite(along[:, k]), along[:, k], np.nan)
    pathways = (
        pd.DataFrame(frame)
        .sort_values(["probability", "path"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    values = (
        np.concatenate(accumulator.metric_values, axis=0)
        if accumulator.metric_values
        else np.zeros((0, len(metric_ids)))
    )
    metrics = pd.DataFrame(
        {
            "metric": metric_ids,
            "mean": values.mean(axis=0) if len(values) else np.zeros(len(metric_ids)),
            "p05": np.percentile(values, lo, axis=0) if len(values) else np.zeros(len(metric_ids)),
            "p95": np.percentile(values, hi, axis=0) if len(values) else np.zeros(len(metric_ids)),
            "unit": [m.unit for m in compiled.scenario.metrics],
            "description": [m.description for m in compiled.scenario.metrics],
        }
    )
    return Forecast(compiled.scenario, settings, actions, pathways, metrics)


def forecast(
    scenario: Scenario,
    *,
    concept: str | None = None,
    lam: float | None = None,
    draws: int = 0,
    seed: int | None = None,
    method: str = "mc",
    chunk: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> Forecast:
    """Forecast a scenario (see the module docstring).

    Parameters
    ----------
    scenario : a loaded scenario (:func:`realpolitik.load`).
    concept : "spe" or "qre" (default: the scenario's ``solve`` section).
    lam : logit precision for "qre" (default: the scenario's).
    draws : 0 for the central values, else the number of parameter draws.
    seed : sampling seed (drawn and recorded when omitted).
    method : "mc", "lhs" or "sobol".
    chunk : draws solved at once.
    progress : called with the number of draws finished after each chunk.
    """
    settings = Settings.resolve(scenario, concept, lam, draws, seed, method)
    compiled = compile_scenario(scenario)
    layout = OutcomeLayout.of(compiled)
    accumulator = _Accumulator(layout)
    for result in solve_chunks(compiled, settings, chunk=chunk, progress=progress):
        accumulator.add(result.outcomes)
    return summarize(compiled, settings, accumulator)
