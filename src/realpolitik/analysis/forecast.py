"""Forecast a scenario: who does what with what probability, along which
pathways, with which expected metrics, and how sure one can be.

The forecast is computed at the parameters' central values (``draws=0``) or
over parameter draws; draws are processed in chunks, each chunk sampled,
compiled into payoffs, solved and reduced, so memory stays bounded.

Summaries over draws: for each action the mean probability, its 5th and
95th percentiles across draws (the 90% interval) and the share of draws in
which it is its actor's most likely choice; for each pathway its mean
probability and the metrics expected along it (weighted by how likely the
path is in each draw; for a path taken in no draw, the mean over draws of the
metric at its end); for each metric its mean and 90% interval.

Over draws, :func:`forecast` runs as an ensemble (see the section
"Ensembles" below and docs/ensembles-and-store.md): chunks of draws are
tasks on an executor (:mod:`realpolitik.uncertainty.ensemble`: in this
process, threads, a process pool or Dask), each returning per-draw outcomes
and sums over aligned blocks of draws, optionally recorded chunk by chunk in
a DuckDB results store (:mod:`realpolitik.store`); :func:`resume` completes
an interrupted stored run and :func:`from_store` summarises one. For a given
seed the forecast is identical bit for bit whatever the chunking, executor
or interruptions. Path-probability intervals come from 1/4000-wide
histograms.
"""

from __future__ import annotations

import difflib
import queue
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.analysis.outcomes import (
    DrawOutcomes,
    OutcomeLayout,
    action_and_path_probability,
    draw_outcomes,
)
from realpolitik.errors import InputError
from realpolitik.scenario.compile import CompiledScenario, compile_scenario
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve
from realpolitik.solve.tree_solution import TreeSolution
from realpolitik.store.duckdb_store import RunInterrupted, RunRecord, Store
from realpolitik.uncertainty.distributions import Fixed
from realpolitik.uncertainty.ensemble import DEFAULT_CHUNK as DEFAULT_ENSEMBLE_CHUNK
from realpolitik.uncertainty.ensemble import Executor, make_executor, run_chunks
from realpolitik.uncertainty.sampling import Sampler, correlation_matrix

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
    #: parameters set by hand (the "what if" of ``forecast --set`` and the
    #: dashboard's sliders): at the central values they replace the central
    #: values; over draws they are held at these values while the others vary
    values: tuple[tuple[str, float], ...] = ()

    @classmethod
    def resolve(
        cls,
        scenario: Scenario,
        concept: str | None = None,
        lam: float | None = None,
        draws: int = 0,
        seed: int | None = None,
        method: str = "mc",
        values: Mapping[str, float] | None = None,
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
        chosen = check_values(scenario, values or {})
        return cls(concept, lam, draws, seed if draws else None, method, chosen)

    def central_row(self, scenario: Scenario) -> FloatArray:
        """``(1, k)`` the parameters' central values, with :attr:`values` in
        their place (columns in the scenario's parameter order)."""
        chosen = dict(self.values)
        return np.array(
            [[chosen.get(n, scenario.parameters[n].central) for n in scenario.parameter_ids]]
        )


def check_values(scenario: Scenario, values: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """Validate hand-set parameter values: known names, finite numbers inside
    each distribution's support. Returns them in the scenario's order."""
    problems = []
    for name, value in values.items():
        if name not in scenario.parameters:
            close = difflib.get_close_matches(name, scenario.parameter_ids, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(
                f"unknown parameter '{name}'{hint}; parameters: {', '.join(scenario.parameter_ids)}"
            )
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"parameter '{name}': {value!r} is not a number")
            continue
        low, high = scenario.parameters[name].distribution.support()
        if not np.isfinite(value) or not low <= value <= high:
            problems.append(
                f"parameter '{name}' = {value:g} is outside its distribution's support "
                f"[{low:g}, {high:g}]"
            )
    if problems:
        raise InputError("; ".join(problems), field="values")
    return tuple((n, float(values[n])) for n in scenario.parameter_ids if n in values)


def sampler_for(scenario: Scenario, settings: Settings) -> Sampler:
    """The parameter sampler of a forecast over draws."""
    names = scenario.parameter_ids
    chosen = dict(settings.values)
    correlation = None
    # a parameter set by hand is a point mass: it takes no dimension of the
    # sampler and leaves its correlations (the others keep theirs)
    pairs = {
        (c.a, c.b): c.rho for c in scenario.correlations if c.a not in chosen and c.b not in chosen
    }
    if pairs:
        correlation = correlation_matrix(names, pairs)
    return Sampler(
        names,
        tuple(
            Fixed(chosen[n]) if n in chosen else scenario.parameters[n].distribution for n in names
        ),
        n=settings.draws,
        method=settings.method,
        seed=settings.seed if settings.seed is not None else 0,
        correlation=correlation,
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
        first = None if draws is None else lo  # numbers draws in error messages
        if draws is None:
            draws = settings.central_row(compiled.scenario)
            params = compiled.parameter_values(draws)
        game = compiled.game(params, terms=terms, first_draw=first)
        solution = solve(game, settings.concept, settings.lam)
        metrics = compiled.metric_values(params, first_draw=first)
        outcomes = draw_outcomes(layout, solution, metrics)
        yield ChunkResult(lo, draws, solution, outcomes)
        if progress is not None:
            progress(hi - lo)


class _Accumulator:
    """Reduces per-draw outcomes chunk by chunk.

    Means are running sums. Percentiles of action probabilities are exact up
    to :attr:`EXACT_LIMIT` draws (each draw's probabilities are kept); beyond
    that they come from fixed 1/4000-wide histograms on [0, 1] (exact to
    2.5e-4), so memory stays bounded. Percentiles of path probabilities
    always come from such histograms. Metric percentiles keep each draw's
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
        self.path_hist = np.zeros((tree.n_terminals, self.BINS + 1), dtype=np.int64)
        self.path_metric_sum = np.zeros((tree.n_terminals, n_metrics))
        self.terminal_metric_sum = np.zeros((tree.n_terminals, n_metrics))
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
        ).reshape(p.shape[1], self.BINS + 1)
        self.most_likely += outcomes.most_likely.sum(axis=0)
        self.path_sum += outcomes.path_probability.sum(axis=0)
        self.path_hist += _histogram(outcomes.path_probability, self.BINS)
        self.modal_count += np.bincount(outcomes.modal_path, minlength=len(self.path_sum))
        self.path_metric_sum += np.einsum(
            "dt,dtm->tm", outcomes.path_probability, outcomes.metric_at_terminal
        )
        self.terminal_metric_sum += outcomes.metric_at_terminal.sum(axis=0)
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

    def path_percentile(self, q: float) -> FloatArray:
        """Each path's probability at percentile ``q`` across draws (from the
        histograms, to 1/BINS)."""
        cumulative = np.cumsum(self.path_hist, axis=1)
        index = (cumulative < q / 100.0 * self.n).sum(axis=1)
        result: FloatArray = np.clip(index, 0, self.BINS) / self.BINS
        return result


def _histogram(p: FloatArray, bins: int) -> NDArray[np.int64]:
    """``(columns, bins + 1)`` counts of ``p`` (``(D, columns)``, values in
    [0, 1]) rounded to the nearest multiple of ``1 / bins``."""
    index = np.clip(np.rint(p * bins).astype(np.int64), 0, bins)
    offsets = np.arange(p.shape[1]) * (bins + 1)
    counts: NDArray[np.int64] = np.bincount(
        (index + offsets).ravel(), minlength=p.shape[1] * (bins + 1)
    ).reshape(p.shape[1], bins + 1)
    return counts


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
        p05, p95 (from 1/4000-wide histograms), modal_share, and one column
        per metric (expected along the path).
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
        # actor -> action id -> probability; an action id the actor has in
        # several moves is keyed "move:action" (one entry per move)
        repeats = self.actions.groupby(["actor", "action"])["move"].transform("size")
        actions: dict[str, dict[str, float]] = {}
        records = self.actions.to_dict("records")
        for row, count in zip(records, repeats, strict=True):
            key = str(row["action"]) if count == 1 else f"{row['move']}:{row['action']}"
            actions.setdefault(str(row["actor"]), {})[key] = float(row["probability"])
        detail = [
            {
                "actor": str(r["actor"]),
                "move": str(r["move"]),
                "action": str(r["action"]),
                "label": str(r["label"]),
                "probability": float(r["probability"]),
                "p05": float(r["p05"]),
                "p95": float(r["p95"]),
                "most_likely_share": float(r["most_likely_share"]),
            }
            for r in records
        ]
        metric_names = [m.id for m in self.scenario.metrics]
        pathways = [
            {
                "path": [[actor, action] for actor, action in row["steps"]],
                "probability": float(row["probability"]),
                "p05": float(row["p05"]),
                "p95": float(row["p95"]),
                "modal_share": float(row["modal_share"]),
                "metrics": {m: _json_number(row[m]) for m in metric_names},
            }
            for _, row in self.pathways.iterrows()
        ]
        metrics = {str(r.metric): _json_number(r.mean) for r in self.metrics.itertuples()}
        metric_detail = {
            str(r.metric): {
                "mean": _json_number(r.mean),
                "p05": _json_number(r.p05),
                "p95": _json_number(r.p95),
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
            "values": dict(s.values),
            "actions": actions,
            "action_detail": detail,
            "pathways": pathways,
            "metrics": metrics,
            "metric_detail": metric_detail,
        }


def _json_number(value: Any) -> float | None:
    """A float for JSON, or None (null) if it is not finite (a metric whose
    mean overflowed): strict JSON has no NaN or infinity."""
    number = float(value)
    return number if np.isfinite(number) else None


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
    # weighted by how likely the path is in each draw; a path taken in no
    # draw gets the plain mean over draws of the metric at its end
    taken = accumulator.path_sum[:, None] > 0
    along = np.where(
        taken,
        accumulator.path_metric_sum / np.where(taken, accumulator.path_sum[:, None], 1.0),
        accumulator.terminal_metric_sum / n,
    )
    steps = [layout.path_label(t) for t in range(compiled.tree.n_terminals)]
    frame: dict[str, Any] = {
        "path": [" > ".join(f"{a}:{b}" for a, b in s) for s in steps],
        "steps": steps,
        "probability": path_prob,
        "p05": accumulator.path_percentile(lo),
        "p95": accumulator.path_percentile(hi),
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


# ---------------------------------------------------------------------------
# Ensembles: the forecast as chunk tasks on an executor, optionally stored.
#
# A task solves draws [start, stop) in slices of SLICE draws and returns a
# ChunkOutput: the per-draw arrays the store keeps, plus the sums the
# summaries need over each aligned block of BLOCK draws. A block's sum
# depends only on its own draws, and blocks are folded left to right in draw
# order, so every summary is the same bit for bit whatever the chunk size,
# executor, or interruption and resume.

#: Draws per reduction block; chunk boundaries are multiples of it.
BLOCK = 1024
#: Draws solved at once inside a task (cache-friendly; a multiple of BLOCK).
SLICE = 8192
#: Draws per task of an ensemble (a DuckDB row group: a chunk is written
#: straight to the file as whole row groups).
ENSEMBLE_CHUNK = DEFAULT_ENSEMBLE_CHUNK


@dataclass(frozen=True, eq=False)
class ChunkOutput:
    """What a task returns for draws ``start .. stop - 1`` (draws first).

    ``block_sums[b]`` holds, for block ``start // BLOCK + b``, the sums over
    its draws of: each action's probability, each path's probability, each
    metric at each path's end times the path's probability, and each metric
    at each path's end (see :func:`_reduce`).
    """

    start: int
    stop: int
    parameters: FloatArray  # (D, k)
    action_probability: FloatArray  # (D, actions)
    modal_path: NDArray[np.int64]  # (D,)
    metric_expectation: FloatArray  # (D, metrics)
    block_sums: FloatArray  # (blocks, width)
    path_histogram: NDArray[np.int64]  # (paths, BINS + 1) counts


def _block_sum(x: FloatArray) -> FloatArray:
    """``(blocks, w)`` sums of ``x`` (``(D, w)``) over consecutive blocks of
    :data:`BLOCK` rows, the last padded with zeros. The sum runs over the
    middle axis of a C-ordered ``(blocks, BLOCK, w)`` array, which NumPy
    accumulates row after row for each column (pairwise only when ``w`` is
    1): either way each block is reduced the same way whatever the number
    of blocks, so its sum depends only on its own rows."""
    d, width = x.shape
    blocks = -(-d // BLOCK)
    if d != blocks * BLOCK:
        padded = np.zeros((blocks * BLOCK, width))
        padded[:d] = x
        x = padded
    out: FloatArray = np.ascontiguousarray(x).reshape(blocks, BLOCK, width).sum(axis=1)
    return out


def _reduce(
    action_probability: FloatArray, path_probability: FloatArray, metric_at: list[FloatArray]
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Per draw: the modal path ``(D,)`` and expected metrics ``(D, M)``; per
    block of draws, the sums ``(blocks, A + T + 2 M T)`` of the action
    probabilities, the path probabilities, each metric at each path's end
    times the path's probability (metric-major) and each metric at each
    path's end (metric-major).

    ``metric_at`` holds one ``(D, T)`` array per metric. Definitions as in
    :class:`DrawOutcomes`; each draw's expected metric is the sum over its
    own row (NumPy's pairwise sum along the last axis, the same for every
    row whatever ``D``) rather than ``einsum``, whose order may change with
    the array's size.
    """
    d, t = path_probability.shape
    p = np.ascontiguousarray(path_probability)
    modal: NDArray[np.int64] = np.argmax(p, axis=1).astype(np.int64)
    expectation = np.empty((d, len(metric_at)))
    weighted_sums, at_sums = [], []
    for m, values in enumerate(metric_at):
        at = np.ascontiguousarray(np.broadcast_to(values, (d, t)))
        weighted = p * at
        expectation[:, m] = weighted.sum(axis=1)
        weighted_sums.append(_block_sum(weighted))
        at_sums.append(_block_sum(at))
    first = [_block_sum(np.ascontiguousarray(action_probability)), _block_sum(p)]
    sums = np.hstack([*first, *weighted_sums, *at_sums])
    return modal, expectation, sums


def _most_likely(layout: OutcomeLayout, action_probability: FloatArray) -> NDArray[np.bool_]:
    """:attr:`DrawOutcomes.most_likely` from the action probabilities alone
    (what the store keeps): each (move, actor)'s likeliest action, first on
    ties, in draws where the move happens."""
    out = np.zeros(action_probability.shape, dtype=bool)
    rows = np.arange(action_probability.shape[0])
    for columns in layout.moves_of_keys.values():
        block = action_probability[:, columns]
        best = np.argmax(block, axis=1)
        out[rows, np.asarray(columns)[best]] = block.sum(axis=1) > 0
    return out


def _solve_draws(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    settings: Settings,
    draws: FloatArray,
    first_draw: int | None,
) -> tuple[FloatArray, NDArray[np.int64], FloatArray, FloatArray, NDArray[np.int64]]:
    """Action probabilities, modal paths, expected metrics, block sums and
    path-probability histogram counts of a slice of draws (``first_draw``:
    the index of its first draw, None for the central values)."""
    params = compiled.parameter_values(draws)
    game = compiled.game(params, terms=False, first_draw=first_draw)
    solution = solve(game, settings.concept, settings.lam)
    metrics = compiled.metric_values(params, first_draw=first_draw)
    action_probability, path_probability = action_and_path_probability(layout, solution)
    metric_at = [np.asarray(metrics[m.id]) for m in compiled.scenario.metrics]
    modal, expectation, sums = _reduce(action_probability, path_probability, metric_at)
    counts = _histogram(path_probability, _Accumulator.BINS)
    return np.ascontiguousarray(action_probability), modal, expectation, sums, counts


def _solve_range(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    sampler: Sampler,
    settings: Settings,
    start: int,
    stop: int,
) -> ChunkOutput:
    """Sample and solve draws ``start .. stop - 1`` (``start`` a multiple of BLOCK)."""
    if start % BLOCK:
        raise ValueError(f"a chunk must start at a multiple of {BLOCK}, not {start}")
    parts = []
    for lo in range(start, stop, SLICE):
        hi = min(lo + SLICE, stop)
        draws = sampler.draws(lo, hi)
        parts.append((draws, *_solve_draws(compiled, layout, settings, draws, lo)))
    return ChunkOutput(
        start=start,
        stop=stop,
        parameters=np.concatenate([p[0] for p in parts]),
        action_probability=np.concatenate([p[1] for p in parts]),
        modal_path=np.concatenate([p[2] for p in parts]),
        metric_expectation=np.concatenate([p[3] for p in parts]),
        block_sums=np.concatenate([p[4] for p in parts]),
        path_histogram=np.sum([p[5] for p in parts], axis=0),
    )


@dataclass(frozen=True, eq=False)
class _TaskState:
    compiled: CompiledScenario
    layout: OutcomeLayout
    sampler: Sampler


_STATES: dict[tuple[str, Settings], _TaskState] = {}
_STATES_LOCK = threading.Lock()
_STATES_KEPT = 4


@dataclass(frozen=True)
class ForecastTask:
    """The forecast of draws ``[start, stop)`` as a picklable task.

    Carries the scenario's text (not its compiled arrays) and the settings;
    each worker process loads and compiles the scenario once and caches it.
    Calling the task returns a :class:`ChunkOutput` that depends only on the
    scenario, the settings and the range.
    """

    source_text: str
    file: str
    content_hash: str
    settings: Settings

    @classmethod
    def of(cls, scenario: Scenario, settings: Settings) -> ForecastTask:
        return cls(scenario.source_text, scenario.file, scenario.content_hash, settings)

    @property
    def key(self) -> tuple[str, Settings]:
        return (self.content_hash, self.settings)

    def remember(self, compiled: CompiledScenario) -> None:
        """Cache an already compiled scenario for this task (in this process)."""
        state = _TaskState(
            compiled, OutcomeLayout.of(compiled), sampler_for(compiled.scenario, self.settings)
        )
        with _STATES_LOCK:
            _STATES[self.key] = state
            while len(_STATES) > _STATES_KEPT:
                del _STATES[next(iter(_STATES))]

    def state(self) -> _TaskState:
        with _STATES_LOCK:
            state = _STATES.get(self.key)
        if state is None:
            from realpolitik.scenario.load import load

            if not self.source_text:
                raise InputError(
                    "this scenario has no source text, so it cannot be sent to other processes; "
                    "load it from a file, or run it in this process (executor local)"
                )
            scenario = load(text=self.source_text, name=self.file)
            if scenario.content_hash != self.content_hash:  # pragma: no cover - same text
                raise RuntimeError("scenario text does not match its hash")
            with warnings.catch_warnings():  # said once already, by the caller's process
                warnings.simplefilter("ignore", UserWarning)
                self.remember(compile_scenario(scenario))
            with _STATES_LOCK:
                state = _STATES[self.key]
        return state

    def __call__(self, start: int, stop: int) -> ChunkOutput:
        state = self.state()
        return _solve_range(state.compiled, state.layout, state.sampler, self.settings, start, stop)


class _BlockAccumulator(_Accumulator):
    """:class:`_Accumulator` fed with :class:`ChunkOutput` s: its sums come
    from folding block sums in draw order (so they do not depend on the
    chunking), the rest (histograms, counts, per-draw values) as before."""

    def __init__(self, layout: OutcomeLayout) -> None:
        super().__init__(layout)
        self.sums: FloatArray | None = None
        self._by_action: FloatArray | None = None

    def add_chunk(
        self,
        start: int,
        action_probability: FloatArray,
        modal_path: NDArray[np.int64],
        metric_expectation: FloatArray,
        block_sums: FloatArray,
        path_histogram: NDArray[np.int64],
    ) -> None:
        """Add draws ``start ..`` (chunks must come in order, from 0)."""
        if start != self.n:
            raise ValueError(f"chunk starts at draw {start}; expected {self.n}")
        d = action_probability.shape[0]
        if d == 0:
            return
        self.n += d
        stack = block_sums if self.sums is None else np.vstack([self.sums[None, :], block_sums])
        self.sums = np.cumsum(stack, axis=0)[-1]  # left to right, block by block
        a = action_probability.shape[1]
        t = self.path_sum.shape[0]
        m = self.path_metric_sum.shape[1]
        self.action_sum = self.sums[:a]
        self.path_sum = self.sums[a : a + t]
        self.path_metric_sum = self.sums[a + t : a + t + t * m].reshape(m, t).T
        self.terminal_metric_sum = self.sums[a + t + t * m :].reshape(m, t).T
        p = action_probability
        if self.action_values is not None:
            if self.n <= self.EXACT_LIMIT:
                self.action_values.append(p)
            else:
                self.action_values = None
        bins = np.clip(np.rint(p * self.BINS).astype(np.int64), 0, self.BINS)
        offsets = np.arange(a) * (self.BINS + 1)
        self.action_hist += np.bincount(
            (bins + offsets).ravel(), minlength=a * (self.BINS + 1)
        ).reshape(a, self.BINS + 1)
        self.most_likely += _most_likely(self.layout, p).sum(axis=0)
        self.modal_count += np.bincount(modal_path, minlength=t)
        self.path_hist += path_histogram
        self.metric_values.append(metric_expectation)

    def action_percentile(self, q: float) -> FloatArray:
        """As :meth:`_Accumulator.action_percentile`; the exact case works on
        one action per row (contiguous), built once for all percentiles."""
        if not self.action_values:
            return super().action_percentile(q)
        if self._by_action is None or self._by_action.shape[1] != self.n:
            self._by_action = np.concatenate([p.T for p in self.action_values], axis=1)
        out: FloatArray = np.percentile(self._by_action, q, axis=1)
        return out

    def add(self, outcomes: DrawOutcomes) -> None:
        if self.n % BLOCK:
            raise ValueError(f"chunks must be multiples of {BLOCK} draws except the last")
        at = outcomes.metric_at_terminal
        modal, expectation, sums = _reduce(
            outcomes.action_probability,
            outcomes.path_probability,
            [at[:, :, m] for m in range(at.shape[2])],
        )
        counts = _histogram(outcomes.path_probability, self.BINS)
        self.add_chunk(self.n, outcomes.action_probability, modal, expectation, sums, counts)


def output_columns(layout: OutcomeLayout) -> tuple[list[str], list[str], list[str]]:
    """Names of a run's per-draw columns: actions (``actor:action``, or
    ``actor:move:action`` where an actor repeats an action id), metrics
    (their ids; ``metric:<id>`` on a clash) and path labels."""
    short = [k.name for k in layout.keys]
    actions = [
        k.name if short.count(k.name) == 1 else f"{k.actor}:{k.move}:{k.action}"
        for k in layout.keys
    ]
    taken = {"draw", "modal_path", *actions}
    metrics = [
        m.id if m.id not in taken else f"metric:{m.id}" for m in layout.compiled.scenario.metrics
    ]
    paths = [
        " > ".join(f"{a}:{b}" for a, b in layout.path_label(t))
        for t in range(layout.compiled.tree.n_terminals)
    ]
    return actions, metrics, paths


def _run_settings(
    settings: Settings, sampler: Sampler, chunk: int, executor: str
) -> dict[str, Any]:
    return {
        "concept": settings.concept,
        "lambda": settings.lam,
        "draws": settings.draws,
        "seed": settings.seed,
        "method": settings.method,
        "values": dict(settings.values),
        "block": BLOCK,
        "chunk": chunk,
        "executor": executor,
        "sampler": sampler.record(),
    }


class _Writer:
    """The store's one writer: a thread that writes chunks in order, each in
    its own transaction, while the next chunks are computed (DuckDB works
    without the GIL). At most ``depth`` chunks wait in its queue, which
    bounds memory and holds back the producer when the disk is slower."""

    def __init__(self, store: Store, run_id: int, depth: int = 2) -> None:
        self.store = store
        self.run_id = run_id
        self.queue: queue.Queue[ChunkOutput | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="realpolitik-store", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while True:
            out = self.queue.get()
            if out is None or self.stopping.is_set() or self.error is not None:
                if out is None:
                    return
                continue
            try:
                self.store.write_chunk(
                    self.run_id,
                    out.start,
                    out.stop,
                    parameters=out.parameters,
                    action_probability=out.action_probability,
                    modal_path=out.modal_path,
                    metrics=out.metric_expectation,
                    block_sums=out.block_sums,
                    counts=out.path_histogram,
                )
            except BaseException as error:  # reported to the producer
                self.error = error

    def put(self, out: ChunkOutput) -> None:
        """Queue a chunk (waits while the queue is full); re-raise a write error."""
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(out, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        """Write everything queued, then stop; re-raise a write error."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def abandon(self) -> None:
        """Stop after the chunk being written (its transaction completes);
        drop the queued ones."""
        self.stopping.set()
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                break
        self.queue.put(None)
        self.thread.join()


def _drive(
    task: ForecastTask,
    accumulator: _BlockAccumulator,
    *,
    start: int,
    chunk: int,
    executor: Executor,
    store: Store | None,
    run_id: int | None,
    progress: Callable[[int], None] | None,
) -> None:
    """Run the remaining chunks, write each to the store, fold it in; mark the
    run complete, interrupted (Ctrl-C) or failed."""
    total = task.settings.draws
    writer = _Writer(store, run_id) if store is not None and run_id is not None else None
    try:
        for out in run_chunks(
            task, total, chunk=chunk, start=start, align=BLOCK, executor=executor
        ):
            if writer is not None:
                writer.put(out)
            accumulator.add_chunk(
                out.start,
                out.action_probability,
                out.modal_path,
                out.metric_expectation,
                out.block_sums,
                out.path_histogram,
            )
            if progress is not None:
                progress(out.stop - out.start)
        if writer is not None:
            writer.finish()
    except KeyboardInterrupt:
        if writer is None or store is None or run_id is None:
            raise
        writer.abandon()
        done = store.run(run_id).draws_done
        store.set_status(run_id, "interrupted", f"interrupted after {done} of {total} draws")
        raise RunInterrupted(run_id, done, total, store.path) from None
    except BaseException as error:
        if writer is not None and store is not None and run_id is not None:
            writer.abandon()
            message = " ".join(str(error).split()) or type(error).__name__
            store.set_status(run_id, "failed", message)
        raise
    if store is not None and run_id is not None:
        store.set_status(run_id, "complete")


def forecast(
    scenario: Scenario,
    *,
    concept: str | None = None,
    lam: float | None = None,
    draws: int = 0,
    seed: int | None = None,
    method: str = "mc",
    chunk: int = ENSEMBLE_CHUNK,
    progress: Callable[[int], None] | None = None,
    store: str | Path | Store | None = None,
    executor: str | Executor | Any = None,
    workers: int | None = None,
    cluster: str | None = None,
    on_run: Callable[[int, Store], None] | None = None,
    values: Mapping[str, float] | None = None,
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
    chunk : draws per task (rounded up to a multiple of :data:`BLOCK`);
        results do not depend on it.
    progress : called with the number of draws finished after each chunk.
    store : a results store (path or :class:`~realpolitik.store.Store`) to
        record the run in, chunk by chunk; its id is in ``extra["run_id"]``.
    executor : ``"local"`` (default), ``"processes"``, ``"dask"``, an
        :class:`~realpolitik.uncertainty.ensemble.Executor` or a
        ``dask.distributed.Client``; results do not depend on it.
    workers : processes for ``"processes"``.
    cluster : a Dask scheduler address (``tcp://host:8786``).
    on_run : called with the run id and the store once the run is recorded.
    values : parameters set by hand, e.g. ``{"p_detect_targeted": 0.5}``,
        each inside its distribution's support: a "what if". At the central
        values they replace the central values; over draws they are held
        fixed while the other parameters vary (a conditional forecast).

    Raises
    ------
    RunInterrupted
        (a ``KeyboardInterrupt``) on Ctrl-C during a stored run, after the
        run is marked interrupted; it says how to resume.
    """
    settings = Settings.resolve(scenario, concept, lam, draws, seed, method, values)
    if chunk < 1:
        raise InputError(f"--chunk must be >= 1 draw, got {chunk}")
    if settings.draws == 0:
        if store is not None:
            raise InputError("--store records parameter draws; add --draws N (N >= 1)")
        compiled = compile_scenario(scenario)
        layout = OutcomeLayout.of(compiled)
        accumulator = _BlockAccumulator(layout)
        central = settings.central_row(scenario)
        accumulator.add_chunk(0, *_solve_draws(compiled, layout, settings, central, None))
        return summarize(compiled, settings, accumulator)
    # the executor and the store first: an unreachable cluster or a file that
    # is not a store is reported before any work
    runner = make_executor(executor, workers=workers, cluster=cluster)
    opened: Store | None = None
    run_id: int | None = None
    try:
        opened = Store.open(store) if isinstance(store, str | Path) else store
        compiled = compile_scenario(scenario)
        layout = OutcomeLayout.of(compiled)
        accumulator = _BlockAccumulator(layout)
        task = ForecastTask.of(scenario, settings)
        task.remember(compiled)
        if opened is not None:
            actions, metrics, paths = output_columns(layout)
            run_id = opened.create_run(
                scenario=scenario.id,
                title=scenario.title,
                scenario_hash=scenario.content_hash,
                scenario_file=scenario.file,
                scenario_text=scenario.source_text,
                settings=_run_settings(settings, task.state().sampler, chunk, runner.describe()),
                seed=settings.seed,
                draws=settings.draws,
                parameters=list(scenario.parameter_ids),
                actions=actions,
                paths=paths,
                metrics=metrics,
                block=BLOCK,
            )
            if on_run is not None:
                on_run(run_id, opened)
        _drive(
            task,
            accumulator,
            start=0,
            chunk=chunk,
            executor=runner,
            store=opened,
            run_id=run_id,
            progress=progress,
        )
    finally:
        if runner is not executor:
            runner.close()
        if opened is not None and opened is not store:
            opened.close()
    result = summarize(compiled, settings, accumulator)
    if run_id is not None:
        result.extra["run_id"] = run_id
    return result


def _settings_of(record: RunRecord) -> Settings:
    s = record.settings
    return Settings(
        str(s["concept"]),
        None if s["lambda"] is None else float(s["lambda"]),
        int(s["draws"]),
        None if s["seed"] is None else int(s["seed"]),
        str(s["method"]),
        tuple((str(k), float(v)) for k, v in s.get("values", {}).items()),
    )


def _stored_run(store: Store, run_id: int) -> tuple[RunRecord, Scenario, Settings]:
    """A stored run's record, scenario (from the stored text) and settings,
    checked against this version of realpolitik."""
    from realpolitik.scenario.load import load
    from realpolitik.uncertainty.sampling import SCHEME

    record = store.run(run_id)
    scheme = record.settings.get("sampler", {}).get("scheme")
    if scheme != SCHEME or record.block != BLOCK:
        raise InputError(
            f"run {record.id} was drawn with sampling scheme {scheme} and blocks of "
            f"{record.block}; this realpolitik uses {SCHEME} and {BLOCK}, so its draws would "
            "differ; start a new run"
        )
    scenario = load(text=store.scenario_text(run_id), name=record.scenario_file)
    if scenario.content_hash != record.scenario_hash:  # pragma: no cover - same text
        raise InputError(f"run {record.id}: the stored scenario text does not match its hash")
    return record, scenario, _settings_of(record)


def _replay(store: Store, record: RunRecord, accumulator: _BlockAccumulator) -> None:
    shape = accumulator.path_hist.shape
    for stored in store.chunks(record.id):
        counts = np.zeros(shape[0] * shape[1], dtype=np.int64)
        counts[stored.counts[:, 0]] = stored.counts[:, 1]
        accumulator.add_chunk(
            stored.start,
            stored.action_probability,
            stored.modal_path,
            stored.metrics,
            stored.block_sums.reshape(-1, accumulator_width(accumulator)),
            counts.reshape(shape),
        )


def accumulator_width(accumulator: _Accumulator) -> int:
    """Width of a block-sum row: actions + paths + 2 x paths x metrics."""
    a = accumulator.action_sum.shape[0]
    t, m = accumulator.path_metric_sum.shape
    return a + t + 2 * t * m


def resume(
    store: str | Path | Store,
    run_id: int,
    *,
    chunk: int = ENSEMBLE_CHUNK,
    progress: Callable[[int], None] | None = None,
    executor: str | Executor | Any = None,
    workers: int | None = None,
    cluster: str | None = None,
) -> Forecast:
    """Complete an interrupted (or killed) stored run and return its forecast.

    The draws already stored are read back, the remaining ones computed from
    where the run stopped, and the forecast is identical, bit for bit, to
    that of the same run uninterrupted. A complete run is summarised from
    the store without computing anything.

    Parameters
    ----------
    store : the results store (path or :class:`~realpolitik.store.Store`).
    run_id : the run (``realpolitik runs list``).
    chunk, progress, executor, workers, cluster : as for :func:`forecast`;
        ``progress`` is first called with the draws already done.

    Raises
    ------
    InputError
        For an unknown run, a failed run, or a run made by an incompatible
        version.
    """
    opened = Store.open(store, create=False) if isinstance(store, str | Path) else store
    try:
        record, scenario, settings = _stored_run(opened, run_id)
        if record.status == "failed":
            raise InputError(
                f"run {record.id} failed ({record.message}); fix the cause and start a new run"
            )
        compiled = compile_scenario(scenario)
        layout = OutcomeLayout.of(compiled)
        accumulator = _BlockAccumulator(layout)
        _replay(opened, record, accumulator)
        if progress is not None and accumulator.n:
            progress(accumulator.n)
        if accumulator.n < settings.draws:
            task = ForecastTask.of(scenario, settings)
            task.remember(compiled)
            runner = make_executor(executor, workers=workers, cluster=cluster)
            try:
                opened.set_status(record.id, "running")
                _drive(
                    task,
                    accumulator,
                    start=accumulator.n,
                    chunk=chunk,
                    executor=runner,
                    store=opened,
                    run_id=record.id,
                    progress=progress,
                )
            finally:
                if runner is not executor:
                    runner.close()
        elif record.status != "complete":
            opened.set_status(record.id, "complete")
    finally:
        if opened is not store:
            opened.close()
    result = summarize(compiled, settings, accumulator)
    result.extra["run_id"] = record.id
    return result


def from_store(store: str | Path | Store, run_id: int, *, partial: bool = False) -> Forecast:
    """The forecast of a stored run, summarised from the store alone.

    Identical, bit for bit, to the forecast returned when the run was made.
    An incomplete run is refused unless ``partial`` (then the summaries cover
    the draws done, and ``settings.draws`` says how many that is).
    """
    if isinstance(store, str | Path):
        opened = Store.open(store, create=False, read_only=True)
    else:
        opened = store
    try:
        record, scenario, settings = _stored_run(opened, run_id)
        if record.draws_done < record.draws and not partial:
            raise InputError(
                f"run {record.id} has {record.draws_done} of {record.draws} draws; complete it "
                f"with `realpolitik run --resume {record.id} --store {opened.path}`"
            )
        compiled = compile_scenario(scenario)
        accumulator = _BlockAccumulator(OutcomeLayout.of(compiled))
        _replay(opened, record, accumulator)
    finally:
        if opened is not store:
            opened.close()
    if accumulator.n != settings.draws:
        settings = replace(settings, draws=accumulator.n)
    result = summarize(compiled, settings, accumulator)
    result.extra["run_id"] = record.id
    return result
