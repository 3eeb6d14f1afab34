"""The summaries of a forecast over draws, and the result object.

Summaries over draws: for each action the mean probability, its 5th and
95th percentiles across draws (the 90% interval) and the share of draws in
which it is its actor's most likely choice; for each pathway its mean
probability and the metrics expected along it (weighted by how likely the
path is in each draw; for a path taken in no draw, the mean over draws of the
metric at its end); for each metric its mean and 90% interval.

Reductions are made block by block so that every summary is the same, bit
for bit, however the draws are chunked, on whichever executor, and across an
interruption and resume: a chunk of draws is reduced to per-draw arrays (what
the results store keeps) plus, for each aligned block of :data:`BLOCK`
draws, the sums the means need (:class:`ChunkOutput`, :func:`reduce_chunk`);
blocks are folded left to right in draw order (:class:`ForecastAccumulator`).
A block's sum depends only on its own draws. Path-probability intervals come
from 1/4000-wide histograms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.analysis._block_sums import block_sums, path_sums, row_block_sums
from realpolitik.compiler.factored import gathered
from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.plots.forecast_plots import plot_forecast
from realpolitik.plots.notebook import result_html
from realpolitik.run.outcomes import (
    DrawOutcomes,
    MetricPart,
    OutcomeLayout,
    level_probabilities,
    most_likely_actions,
)
from realpolitik.run.settings import Settings
from realpolitik.scenario.model import Scenario

if TYPE_CHECKING:  # matplotlib is imported only where a figure is made
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]

#: Interval reported around means (percentiles).
INTERVAL = (5.0, 95.0)
#: Draws per reduction block; chunk boundaries are multiples of it.
BLOCK = 1024
#: Histogram bins on [0, 1] for percentiles of probabilities.
BINS = 4000
#: Up to this many draws, action percentiles are exact (every draw kept).
EXACT_LIMIT = 1_000_000


@dataclass(frozen=True, eq=False)
class ChunkOutput:
    """What a chunk of draws ``start .. stop - 1`` reduces to (draws first).

    ``block_sums[b]`` holds, for block ``start // BLOCK + b``, the sums over
    its draws of: each action's probability, each path's probability, each
    metric at each path's end times the path's probability, and each metric
    at each path's end (see :func:`reduce_chunk`).
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
    of blocks, so its sum depends only on its own rows. With ``w > 1`` the
    same additions are compiled (:func:`realpolitik.analysis._block_sums.block_sums`)."""
    d, width = x.shape
    if width > 1:
        return block_sums(x, BLOCK)
    blocks = -(-d // BLOCK)
    if d != blocks * BLOCK:
        padded = np.zeros((blocks * BLOCK, width))
        padded[:d] = x
        x = padded
    out: FloatArray = np.ascontiguousarray(x).reshape(blocks, BLOCK, width).sum(axis=1)
    return out


def count_into(p: FloatArray, counts: NDArray[np.int64]) -> None:
    """Add the counts of ``p`` ``(D, columns)``, values in [0, 1] rounded to
    the nearest multiple of ``1 / bins`` (half to even, as NumPy's ``rint``;
    outside [0, 1] and NaN clipped to the ends), into ``counts``
    ``(columns, bins + 1)``.

    Compiled, and into a table that lives as long as its chunk or run: with
    NumPy's ``bincount`` into a new ``(paths, 4001)`` table per block (65 MB
    for the flagship's 2048 paths), the page faults and the pass over the
    table cost 0.13 s per block of 1024 draws, a seventh of a forecast.
    Tiles of draws column by column, so that one row of counts and the
    tile's values stay in the cache."""
    _count_bins(np.ascontiguousarray(p, dtype=np.float64), counts.shape[1] - 1, counts)


#: Draws per tile of :func:`_count_bins`.
_TILE = 64


@numba.njit(cache=True, boundscheck=False, nogil=True, inline="always")
def _bin(x: float, bins: int) -> int:  # pragma: no cover - compiled
    """The bin of a probability: ``x * bins`` rounded half to even, below 0
    and NaN to 0, above ``bins`` to ``bins``."""
    k = np.rint(x * bins)
    if k >= bins:
        return bins
    if k > 0:
        return int(k)
    return 0


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _count_bins(  # pragma: no cover - compiled
    p: FloatArray, bins: int, counts: NDArray[np.int64]
) -> None:
    n = p.shape[0]
    for d0 in range(0, n, _TILE):
        d1 = min(n, d0 + _TILE)
        for c in range(p.shape[1]):
            for d in range(d0, d1):
                counts[c, _bin(p[d, c], bins)] += 1


def reduce_chunk(
    start: int,
    parameters: FloatArray,
    outcomes: DrawOutcomes,
    *,
    counts: NDArray[np.int64] | None = None,
) -> ChunkOutput:
    """Reduce a chunk's outcomes to a :class:`ChunkOutput`.

    Per draw: the modal path and expected metrics; per block of draws, the
    sums ``(blocks, A + T + 2 M T)`` of the action probabilities, the path
    probabilities, each metric at each path's end times the path's
    probability (metric-major) and each metric at each path's end
    (metric-major). Each draw's expected metric is the sum over its own row
    (NumPy's pairwise sum along the last axis, the same for every row
    whatever ``D``) rather than ``einsum``, whose order may change with the
    array's size. ``counts``: a path histogram to add this chunk's counts
    into (and to return as its :attr:`ChunkOutput.path_histogram`), shared
    by the slices of one chunk (:func:`join_chunks` then takes it once).
    """
    action_probability = np.ascontiguousarray(outcomes.action_probability)
    # the outcomes come draws-last (rows of the reach): summed as they are
    p_t = np.ascontiguousarray(outcomes.path_probability.T)
    d = p_t.shape[1]
    expectation, weighted_sums, at_sums, modal = _path_sums(p_t, outcomes.metric_parts)
    extra = [] if outcomes.extra is None else [_row_block_sum(outcomes.extra.T)]
    sums = np.hstack(
        [_block_sum(action_probability), _row_block_sum(p_t), *weighted_sums, *at_sums, *extra]
    )
    return ChunkOutput(
        start=start,
        stop=start + d,
        parameters=parameters,
        action_probability=action_probability,
        modal_path=modal,
        metric_expectation=expectation,
        block_sums=sums,
        path_histogram=_counted(p_t, counts),
    )


def _row_block_sum(x_t: FloatArray) -> FloatArray:
    """:func:`_block_sum` of ``x_t.T`` for a draws-last ``x_t`` ``(w, D)``."""
    if x_t.shape[0] > 1:
        return row_block_sums(x_t, BLOCK)
    return _block_sum(np.ascontiguousarray(x_t.T))


def _path_sums(
    p_t: FloatArray, parts: tuple[MetricPart, ...]
) -> tuple[FloatArray, list[FloatArray], list[FloatArray], NDArray[np.int64]]:
    """Each metric's expectation per draw ``(D, M)`` (the sum over its row of
    ``p * value``), per metric the block sums of ``p * value`` and of
    ``value`` (``(blocks, T)`` each), and each draw's modal path, from
    draws-last path probabilities ``p_t`` ``(T, D)``, compiled
    (:func:`realpolitik.analysis._block_sums.path_sums`), every metric in one
    pass (the flagship's two metrics that vary by draw each took a pass of
    their own, reading the path probabilities again: 36 against 22 ms per
    1024 draws). A metric that varies by draw is read from its values per
    combination of actions where the compiler kept them so
    (:data:`~realpolitik.run.outcomes.MetricPart`), not from a ``(D, T)``
    array gathered and stacked first (the flagship's two such metrics: 64
    MB per 1024 draws)."""
    t, d = p_t.shape
    rows: list[int] = []
    varying: list[int] = []
    one_row_values: list[FloatArray] = []
    kept: list[tuple[FloatArray, NDArray[np.int64]]] = []
    for m, (values, inverse) in enumerate(parts):
        v = np.asarray(values, dtype=np.float64)
        if v.ndim < 2 or v.shape[0] == 1:
            # one row for every draw: gathered to the terminals (T values)
            full = gathered(v, inverse)
            rows.append(m)
            one_row_values.append(np.broadcast_to(full, (1, t))[0])
        else:
            if inverse is None:
                v, inverse = np.broadcast_to(v, (d, t)), np.arange(t, dtype=np.int64)
            varying.append(m)
            kept.append((v, inverse))
    one_row = np.stack(one_row_values).reshape(-1, 1, t) if rows else np.zeros((0, 1, t))
    per_draw = None
    inverses = None
    if varying:
        width = max(v.shape[1] for v, _ in kept)
        per_draw = np.zeros((len(kept), d, width))
        for k, (v, _) in enumerate(kept):
            per_draw[k, :, : v.shape[1]] = v
        inverses = np.stack([inverse for _, inverse in kept]).astype(np.int64)
    e, w, s, modal = path_sums(p_t, one_row, BLOCK, per_draw=per_draw, per_draw_inverse=inverses)
    order = np.argsort(np.array(rows + varying, dtype=np.int64))
    return (
        np.ascontiguousarray(e[:, order]),
        [w[:, k] for k in order],
        [s[:, k] for k in order],
        modal,
    )


def _counted(p_t: FloatArray, counts: NDArray[np.int64] | None) -> NDArray[np.int64]:
    """:func:`count_into` of ``p_t.T`` (``p_t`` draws-last): into ``counts``
    (a new table if None), returned."""
    if counts is None:
        counts = np.zeros((p_t.shape[0], BINS + 1), dtype=np.int64)
    _count_rows(np.ascontiguousarray(p_t, dtype=np.float64), counts.shape[1] - 1, counts)
    return counts


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _count_rows(  # pragma: no cover - compiled
    p_t: FloatArray, bins: int, counts: NDArray[np.int64]
) -> None:
    """:func:`_count_bins` of draws-last values: row ``c`` of ``p_t`` counts
    into row ``c`` of ``counts``."""
    for c in range(p_t.shape[0]):
        for d in range(p_t.shape[1]):
            counts[c, _bin(p_t[c, d], bins)] += 1


def join_chunks(parts: list[ChunkOutput]) -> ChunkOutput:
    """Consecutive chunk outputs as one."""
    if len(parts) == 1:
        return parts[0]
    histogram = parts[0].path_histogram
    if any(part.path_histogram is not histogram for part in parts):
        # summed in place: stacking the parts first would hold every part's
        # (paths, BINS + 1) counts at once (8 parts of the flagship: 512 MiB)
        histogram = histogram.copy()
        for part in parts[1:]:
            histogram += part.path_histogram
    # else the parts counted into one shared table (reduce_chunk's counts)
    return ChunkOutput(
        start=parts[0].start,
        stop=parts[-1].stop,
        parameters=np.concatenate([p.parameters for p in parts]),
        action_probability=np.concatenate([p.action_probability for p in parts]),
        modal_path=np.concatenate([p.modal_path for p in parts]),
        metric_expectation=np.concatenate([p.metric_expectation for p in parts]),
        block_sums=np.concatenate([p.block_sums for p in parts]),
        path_histogram=histogram,
    )


class ForecastAccumulator:
    """Folds :class:`ChunkOutput` s, in draw order, into the summaries.

    Means come from folding block sums left to right (so they do not depend
    on the chunking). Percentiles of action probabilities are exact up to
    :data:`EXACT_LIMIT` draws (each draw's probabilities are kept); beyond
    that they come from fixed 1/4000-wide histograms on [0, 1] (exact to
    2.5e-4), so memory stays bounded. Percentiles of path probabilities
    always come from such histograms. Metric percentiles keep each draw's
    expectation (a few numbers per draw).
    """

    def __init__(self, layout: OutcomeLayout) -> None:
        self.layout = layout
        n_actions = len(layout.keys)
        n_paths = layout.compiled.tree.n_terminals
        n_metrics = len(layout.compiled.scenario.metrics)
        self.n = 0
        self.sums: FloatArray | None = None
        self.action_sum = np.zeros(n_actions)
        self.action_hist = np.zeros((n_actions, BINS + 1), dtype=np.int64)
        self.most_likely = np.zeros(n_actions, dtype=np.int64)
        self.path_sum = np.zeros(n_paths)
        self.modal_count = np.zeros(n_paths, dtype=np.int64)
        self.path_hist = np.zeros((n_paths, BINS + 1), dtype=np.int64)
        self.path_metric_sum = np.zeros((n_paths, n_metrics))
        self.terminal_metric_sum = np.zeros((n_paths, n_metrics))
        self.metric_values: list[FloatArray] = []
        self.action_values: list[FloatArray] | None = []
        self._by_action: FloatArray | None = None
        self.n_extra = 0 if layout.extras is None else layout.extras.width
        self.extra_sum = np.zeros(self.n_extra)

    @property
    def width(self) -> int:
        """Width of a block-sum row: actions + paths + 2 x paths x metrics
        (+ the extra outcomes of private information)."""
        a = self.action_sum.shape[0]
        t, m = self.path_metric_sum.shape
        return a + t + 2 * t * m + self.n_extra

    def add(self, out: ChunkOutput) -> None:
        """Add draws ``out.start ..`` (chunks must come in order, from 0)."""
        if out.start != self.n:
            raise ValueError(f"chunk starts at draw {out.start}; expected {self.n}")
        p = out.action_probability
        d = p.shape[0]
        if d == 0:
            return
        self.n += d
        stack = (
            out.block_sums if self.sums is None else np.vstack([self.sums[None, :], out.block_sums])
        )
        self.sums = np.cumsum(stack, axis=0)[-1]  # left to right, block by block
        a = p.shape[1]
        t = self.path_sum.shape[0]
        m = self.path_metric_sum.shape[1]
        self.action_sum = self.sums[:a]
        self.path_sum = self.sums[a : a + t]
        self.path_metric_sum = self.sums[a + t : a + t + t * m].reshape(m, t).T
        self.terminal_metric_sum = self.sums[a + t + t * m : a + t + 2 * t * m].reshape(m, t).T
        self.extra_sum = self.sums[a + t + 2 * t * m :]
        if self.action_values is not None:
            if self.n <= EXACT_LIMIT:
                self.action_values.append(p)
            else:
                self.action_values = None
        count_into(p, self.action_hist)
        self.most_likely += most_likely_actions(self.layout, p).sum(axis=0)
        self.modal_count += np.bincount(out.modal_path, minlength=t)
        self.path_hist += out.path_histogram
        self.metric_values.append(out.metric_expectation)

    def action_interval(self) -> tuple[FloatArray, FloatArray]:
        """Each action's probability at the :data:`INTERVAL` percentiles
        across draws: exact (NumPy's linear interpolation, both ends from one
        partition) while every draw is kept, else from the histograms."""
        if self.action_values:
            if self._by_action is None or self._by_action.shape[1] != self.n:
                self._by_action = np.concatenate([p.T for p in self.action_values], axis=1)
            lo, hi = np.percentile(self._by_action, INTERVAL, axis=1)
            return lo, hi
        return _histogram_interval(self.action_hist, self.n)

    def first_actions(self, n: int) -> FloatArray | None:
        """``(n, actions)`` the action probabilities of draws ``0 .. n - 1``,
        while every draw's are kept and there are that many (else None)."""
        if not self.action_values or self.n < n:
            return None
        rows: list[FloatArray] = []
        have = 0
        for p in self.action_values:
            rows.append(p[: n - have])
            have += rows[-1].shape[0]
            if have == n:
                break
        return np.concatenate(rows)

    def level_values(self) -> FloatArray | None:
        """``(draws, levels)`` each compound-move level's probability per draw,
        while every draw's action probabilities are kept (else None)."""
        if not self.action_values or not self.layout.levels:
            return None
        return level_probabilities(self.layout, np.concatenate(self.action_values))

    def path_interval(self) -> tuple[FloatArray, FloatArray]:
        """Each path's probability at the :data:`INTERVAL` percentiles across
        draws (from the histograms, to 1/BINS)."""
        return _histogram_interval(self.path_hist, self.n)


def _histogram_interval(counts: NDArray[np.int64], n: int) -> tuple[FloatArray, FloatArray]:
    """The :data:`INTERVAL` percentiles of each row's histogram: the first
    bin whose cumulative count reaches the share (the count of bins whose
    cumulative count falls short of it), to 1/BINS."""
    ends = _bins_short(counts, np.array([q / 100.0 * n for q in INTERVAL]))
    return np.clip(ends[:, 0], 0, BINS) / BINS, np.clip(ends[:, 1], 0, BINS) / BINS


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _bins_short(
    counts: NDArray[np.int64], thresholds: FloatArray
) -> NDArray[np.int64]:  # pragma: no cover - compiled
    """``out[r, k]``: how many bins of row ``r`` have a cumulative count
    below ``thresholds[k]`` (ascending), as NumPy's ``(np.cumsum(counts,
    axis=1) < threshold).sum(axis=1)`` (which built a 98 MB cumulative
    array for benchmark (a)'s 3072 paths): the cumulative count only
    grows, so a row is read up to the bin that reaches the last threshold."""
    rows, bins = counts.shape
    out = np.zeros((rows, thresholds.shape[0]), dtype=np.int64)
    for r in range(rows):
        total = 0
        k = 0
        for b in range(bins):
            total += counts[r, b]
            while k < thresholds.shape[0] and not total < thresholds[k]:
                out[r, k] = b
                k += 1
            if k == thresholds.shape[0]:
                break
        while k < thresholds.shape[0]:
            out[r, k] = bins
            k += 1
    return out


#: What the probabilities of a forecast are, in its JSON and its tables.
PROBABILITY_NOTE = (
    "actions and action_detail.probability are marginal: the probability that the action is "
    "taken; action_detail.conditional is the probability given that its move is reached, "
    "action_detail.reach the probability that the move is reached"
)


@dataclass(frozen=True, eq=False)
class Forecast:
    """A scenario's forecast (see the module docstring).

    Attributes
    ----------
    scenario : the scenario.
    settings : concept, lambda, draws, seed, sampling method.
    actions : one row per (actor, move, action): probability (marginal: the
        probability that the action is taken, mean over draws), p05, p95,
        most_likely_share, reach (the probability that the move is reached)
        and conditional (the probability of the action given that its move is
        reached: probability / reach, pooled over draws).
    pathways : one row per path, most likely first: path, probability,
        p05, p95 (from 1/4000-wide histograms), modal_share, and one column
        per metric (expected along the path).
    metrics : one row per metric: mean, p05, p95, unit, description.
    dimensions : compound moves: one row per (actor, move, dimension,
        level): the level's probability over the game (the sum of the joint
        actions that choose it), p05, p95.
    type_conditional : private types: one row per (typed actor, type, actor,
        move, action): the action's probability given the type (pooled over
        draws: the mean of the joint probability over the mean of the type's).
    beliefs : information sets that hide part of the path: one row per
        (actor, move, what it observed, hidden subject, level): the
        probability of the level given the observation (Bayes' rule on the
        path, pooled over draws), with the probability of reaching the set.
    """

    scenario: Scenario
    settings: Settings
    actions: pd.DataFrame
    pathways: pd.DataFrame
    metrics: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)
    dimensions: pd.DataFrame = field(default_factory=pd.DataFrame)
    type_conditional: pd.DataFrame = field(default_factory=pd.DataFrame)
    beliefs: pd.DataFrame = field(default_factory=pd.DataFrame)
    rounds: pd.DataFrame = field(default_factory=pd.DataFrame)

    def plot(self, directory: str | None = None) -> dict[str, Figure]:
        """The forecast's bars (with 90% bands over draws) and its pathway
        diagram as matplotlib figures, also written (PNG and SVG) to
        ``directory`` if given."""
        return plot_forecast(self, directory)

    def _repr_html_(self) -> str:
        s = self.settings
        how = s.concept.upper() + (f", lambda={s.lam:g}" if s.lam is not None else "")
        how += f", {s.draws} draws" if s.draws else ", central values"
        return result_html(
            f"{self.scenario.title} ({how})",
            [PROBABILITY_NOTE],
            {
                "Who does what": self.actions,
                "Pathways, most likely first": self.pathways.drop(columns=["steps"]),
                "Expected metrics": self.metrics,
            },
        )

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
                "reach": float(r["reach"]),
                "conditional": json_number(r["conditional"]),
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
                "metrics": {m: json_number(row[m]) for m in metric_names},
            }
            for _, row in self.pathways.iterrows()
        ]
        metrics = {str(r.metric): json_number(r.mean) for r in self.metrics.itertuples()}
        metric_detail = {
            str(r.metric): {
                "mean": json_number(r.mean),
                "p05": json_number(r.p05),
                "p95": json_number(r.p95),
                "unit": str(r.unit),
            }
            for r in self.metrics.itertuples()
        }
        s = self.settings
        optional = _information_json(self)
        # what rests on assumptions (analysis/judgement.py, analysis/noise.py)
        assumed: dict[str, Any] = {
            k: self.extra[k].to_json() for k in ("judgement", "noise") if k in self.extra
        }
        return optional | {
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "as_of": self.scenario.as_of,
            "concept": s.concept,
            "lambda": s.lam,
            "draws": s.draws,
            "seed": s.seed,
            "method": s.method if s.draws else None,
            "values": dict(s.values),
            "probabilities": PROBABILITY_NOTE,
            "actions": actions,
            "action_detail": detail,
            "pathways": pathways,
            "metrics": metrics,
            "metric_detail": metric_detail,
            **assumed,
        }


def _information_json(result: Forecast) -> dict[str, Any]:
    """The JSON of compound moves, types and beliefs (only where the scenario
    has them)."""
    out: dict[str, Any] = {}
    if len(result.dimensions):
        rows = result.dimensions.to_dict("records")
        dims: dict[str, dict[str, dict[str, float]]] = {}
        for r in rows:
            dims.setdefault(str(r["actor"]), {}).setdefault(str(r["dimension"]), {})[
                str(r["level"])
            ] = float(r["probability"])
        out["dimensions"] = dims
        out["dimension_detail"] = [
            {
                "actor": str(r["actor"]),
                "move": str(r["move"]),
                "dimension": str(r["dimension"]),
                "level": str(r["level"]),
                "probability": float(r["probability"]),
                "p05": json_number(r["p05"]),
                "p95": json_number(r["p95"]),
            }
            for r in rows
        ]
    if len(result.type_conditional):
        typed: dict[str, dict[str, dict[str, dict[str, float | None]]]] = {}
        for r in result.type_conditional.to_dict("records"):
            holder = typed.setdefault(f"{r['typed_actor']}.type", {}).setdefault(str(r["type"]), {})
            holder.setdefault(str(r["actor"]), {})[f"{r['move']}:{r['action']}"] = json_number(
                r["probability"]
            )
        out["type_conditional"] = typed
    if len(result.beliefs):
        sets: dict[tuple[str, str, int], dict[str, Any]] = {}
        for r in result.beliefs.to_dict("records"):
            entry = sets.setdefault(
                (str(r["actor"]), str(r["move"]), int(r["infoset"])),
                {
                    "actor": str(r["actor"]),
                    "move": str(r["move"]),
                    "observed": [list(step) for step in r["observed"]],
                    "reach_probability": json_number(r["reach"]),
                    "beliefs": {},
                },
            )
            entry["beliefs"].setdefault(str(r["subject"]), {})[str(r["level"])] = json_number(
                r["probability"]
            )
        out["beliefs"] = list(sets.values())
    if len(result.rounds):
        table: dict[str, dict[str, dict[str, dict[str, list[float | None]]]]] = {}
        for r in result.rounds.to_dict("records"):
            entry = (
                table.setdefault(str(r["actor"]), {})
                .setdefault(str(r["move"]), {})
                .setdefault(str(r["action"]), {"in_round": [], "by_round": []})
            )
            entry["in_round"].append(json_number(r["in_round"]))
            entry["by_round"].append(json_number(r["by_round"]))
        out["rounds"] = table
    return out


def json_number(value: Any) -> float | None:
    """A float for JSON; None (null) for NaN, which marks a value that is not
    defined (a probability conditional on a move never reached). An infinity
    (a metric whose mean overflowed) is kept, so that writing the JSON with
    :func:`realpolitik.strict_json.dumps_strict` refuses it with a
    :class:`~realpolitik.errors.NumericError` naming where it is, instead of
    a silent null."""
    number = float(value)
    return None if np.isnan(number) else number


def summarize(
    compiled: CompiledScenario, settings: Settings, accumulator: ForecastAccumulator
) -> Forecast:
    """The :class:`Forecast` of the draws folded into ``accumulator``."""
    layout = accumulator.layout
    n = max(accumulator.n, 1)
    action_lo, action_hi = accumulator.action_interval()
    actions = pd.DataFrame(
        {
            "actor": [k.actor for k in layout.keys],
            "move": [k.move for k in layout.keys],
            "action": [k.action for k in layout.keys],
            "label": [k.label for k in layout.keys],
            "probability": accumulator.action_sum / n,
            "p05": action_lo,
            "p95": action_hi,
            "most_likely_share": accumulator.most_likely / n,
        }
    )
    # an actor's actions at a move sum to the probability that the move is
    # reached; the conditional probability is the pooled ratio E[p] / E[reach]
    actions["reach"] = actions.groupby(["actor", "move"])["probability"].transform("sum")
    actions["conditional"] = np.where(
        actions["reach"] > 0,
        actions["probability"] / actions["reach"].where(actions["reach"] > 0, 1.0),
        np.nan,
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
    path_lo, path_hi = accumulator.path_interval()
    frame: dict[str, Any] = {
        "path": [" > ".join(f"{a}:{b}" for a, b in s) for s in steps],
        "steps": steps,
        "probability": path_prob,
        "p05": path_lo,
        "p95": path_hi,
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
    zero = np.zeros(len(metric_ids))
    metric_lo, metric_hi = np.percentile(values, INTERVAL, axis=0) if len(values) else (zero, zero)
    metrics = pd.DataFrame(
        {
            "metric": metric_ids,
            "mean": values.mean(axis=0) if len(values) else zero,
            "p05": metric_lo,
            "p95": metric_hi,
            "unit": [m.unit for m in compiled.scenario.metrics],
            "description": [m.description for m in compiled.scenario.metrics],
        }
    )
    return Forecast(
        compiled.scenario,
        settings,
        actions,
        pathways,
        metrics,
        dimensions=_dimensions_frame(accumulator, n),
        type_conditional=_type_frame(accumulator),
        beliefs=_belief_frame(accumulator),
        rounds=_rounds_frame(accumulator, actions),
    )


def _dimensions_frame(accumulator: ForecastAccumulator, n: int) -> pd.DataFrame:
    layout = accumulator.layout
    if not layout.levels:
        return pd.DataFrame()
    mean = level_probabilities(layout, (accumulator.action_sum / n)[None, :])[0]
    per_draw = accumulator.level_values()
    nan = np.full(len(layout.levels), np.nan)
    level_lo, level_hi = (
        (nan, nan) if per_draw is None else np.percentile(per_draw, INTERVAL, axis=0)
    )
    return pd.DataFrame(
        {
            "actor": [k.actor for k in layout.levels],
            "move": [k.move for k in layout.levels],
            "dimension": [k.dimension for k in layout.levels],
            "level": [k.level for k in layout.levels],
            "label": [k.label for k in layout.levels],
            "probability": mean,
            "p05": level_lo,
            "p95": level_hi,
        }
    )


def _type_frame(accumulator: ForecastAccumulator) -> pd.DataFrame:
    extras = accumulator.layout.extras
    if extras is None or not extras.types:
        return pd.DataFrame()
    keys = accumulator.layout.keys
    n_types = len(extras.types)
    mass = accumulator.extra_sum[:n_types]
    joint = accumulator.extra_sum[n_types : n_types + n_types * len(keys)].reshape(
        n_types, len(keys)
    )
    rows = []
    for t, key in enumerate(extras.types):
        for a, action in enumerate(keys):
            rows.append(
                {
                    "typed_actor": key.actor,
                    "type": key.type,
                    "actor": action.actor,
                    "move": action.move,
                    "action": action.action,
                    "probability": joint[t, a] / mass[t] if mass[t] > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _rounds_frame(accumulator: ForecastAccumulator, actions: pd.DataFrame) -> pd.DataFrame:
    extras = accumulator.layout.extras
    if extras is None or not extras.rounds:
        return pd.DataFrame()
    n = max(accumulator.n, 1)
    start = len(accumulator.extra_sum) - len(extras.rounds)
    by_round = accumulator.extra_sum[start:] / n
    marginal = actions.set_index(["actor", "move", "action"])["probability"]
    return pd.DataFrame(
        {
            "actor": [k.actor for k in extras.rounds],
            "move": [k.move for k in extras.rounds],
            "action": [k.action for k in extras.rounds],
            "round": [k.round for k in extras.rounds],
            "in_round": [
                float(marginal.get((k.actor, f"{k.move}@{k.round}", k.action), np.nan))
                for k in extras.rounds
            ],
            "by_round": by_round,
        }
    )


def _belief_frame(accumulator: ForecastAccumulator) -> pd.DataFrame:
    extras = accumulator.layout.extras
    if extras is None or not extras.beliefs:
        return pd.DataFrame()
    offset = len(extras.edge_lists)
    k = len(extras.beliefs)
    numerator = accumulator.extra_sum[offset : offset + k]
    reach = accumulator.extra_sum[offset + k : offset + 2 * k]
    n = max(accumulator.n, 1)
    return pd.DataFrame(
        {
            "actor": [b.actor for b in extras.beliefs],
            "move": [b.move for b in extras.beliefs],
            "infoset": [b.infoset for b in extras.beliefs],
            "observed": [b.observed for b in extras.beliefs],
            "subject": [b.subject for b in extras.beliefs],
            "level": [b.level for b in extras.beliefs],
            "probability": np.where(reach > 0, numerator / np.where(reach > 0, reach, 1), np.nan),
            "reach": reach / n,
        }
    )


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
