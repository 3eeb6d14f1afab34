"""A forecast over draws as chunk tasks on an executor, optionally recorded in
a results store, and resumed or replayed from it.

Chunks of draws are tasks (:class:`ForecastTask`) on an executor
(:mod:`realpolitik.uncertainty.ensemble`: in this process, threads, a process
pool or Dask), each returning a :class:`~realpolitik.analysis.forecast_summary.ChunkOutput`;
:func:`drive` folds them in draw order and hands each to the store's one
writer thread, so that a run is recorded chunk by chunk and an interrupted
run never leaves a half-written chunk. :func:`resume` completes an
interrupted (or killed) stored run; :func:`from_store` summarises one. For a
given seed the forecast is identical bit for bit whatever the chunking,
executor or interruptions (see :mod:`realpolitik.analysis.forecast_summary`).
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.analysis.assumptions import with_assumptions
from realpolitik.analysis.forecast_summary import (
    BINS,
    BLOCK,
    ChunkOutput,
    Forecast,
    ForecastAccumulator,
    join_chunks,
    reduce_chunk,
    summarize,
)
from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.evaluate import block_draws, evaluate_draws
from realpolitik.run.links import ScenarioSampler, run_sampler
from realpolitik.run.outcomes import DrawOutcomes, OutcomeLayout
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load
from realpolitik.scenario.model import Scenario
from realpolitik.solve._threads import default_threads, kernel_threads
from realpolitik.store.duckdb_store import RunInterrupted, RunRecord, Store
from realpolitik.uncertainty.ensemble import DEFAULT_CHUNK, Executor, make_executor, run_chunks
from realpolitik.uncertainty.sampling import SCHEME

FloatArray = NDArray[np.float64]

#: Draws per task of an ensemble (a DuckDB row group: a chunk is written
#: straight to the file as whole row groups).
ENSEMBLE_CHUNK = DEFAULT_CHUNK


def solve_range(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    sampler: ScenarioSampler,
    settings: Settings,
    start: int,
    stop: int,
) -> ChunkOutput:
    """Sample, solve and reduce draws ``start .. stop - 1`` (``start`` a
    multiple of :data:`BLOCK`), in slices sized to the tree
    (:func:`~realpolitik.run.evaluate.block_draws`, a multiple of :data:`BLOCK`)."""
    if start % BLOCK:
        raise ValueError(f"a chunk must start at a multiple of {BLOCK}, not {start}")
    size = block_draws(compiled, multiple=BLOCK)
    # one path histogram for the chunk, which every slice counts into
    counts = np.zeros((compiled.tree.n_terminals, BINS + 1), dtype=np.int64)
    slices = [(lo, min(lo + size, stop)) for lo in range(start, stop, size)]
    workers = min(default_threads(), len(slices))

    # each thread's payoff array, written slice after slice: a fresh one per
    # slice cost the flagship 8% of its forecast in first touches of its pages
    # (the outcomes returned hold nothing of it)
    scratch = threading.local()
    payoff_shape = (size, compiled.tree.n_terminals, len(compiled.players))

    def evaluate(lo: int, hi: int) -> tuple[FloatArray, DrawOutcomes]:
        draws = sampler.draws(lo, hi)
        if getattr(scratch, "payoffs", None) is None:
            scratch.payoffs = np.empty(payoff_shape)
        solved = evaluate_draws(
            compiled,
            layout,
            settings.concept,
            settings.lam,
            draws,
            first_draw=lo,
            payoffs_out=scratch.payoffs[: hi - lo],
        )
        return draws, solved.outcomes

    def on_one_thread(lo: int, hi: int) -> tuple[FloatArray, DrawOutcomes]:
        with kernel_threads(1):
            return evaluate(lo, hi)

    parts = []
    if workers <= 1:
        for lo, hi in slices:
            draws, outcomes = evaluate(lo, hi)
            parts.append(reduce_chunk(lo, draws, outcomes, counts=counts))
        return join_chunks(parts)
    # Several slices at once, one per core, each slice's kernels on one
    # thread: sampling, payoffs and the outcome sums are NumPy or compiled
    # code on one core, which left the other idle while a single slice at a
    # time spread only its kernels over the cores. Slices are reduced here,
    # in order, into the chunk's one histogram; whatever the threads, every
    # draw's result is the same bits.
    _ = sampler.links  # the upstream scenarios, compiled once before the threads start
    pool = ThreadPoolExecutor(workers, thread_name_prefix="realpolitik-slice")
    try:
        ahead = iter(slices)
        pending = deque(
            (lo, pool.submit(on_one_thread, lo, hi)) for lo, hi in islice(ahead, workers)
        )
        while pending:
            lo, future = pending.popleft()
            draws, outcomes = future.result()
            following = next(ahead, None)
            if following is not None:
                pending.append((following[0], pool.submit(on_one_thread, *following)))
            parts.append(reduce_chunk(lo, draws, outcomes, counts=counts))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return join_chunks(parts)


@dataclass(frozen=True, eq=False)
class _TaskState:
    compiled: CompiledScenario
    layout: OutcomeLayout
    sampler: ScenarioSampler


# Compiled scenarios of recent tasks, per process: a worker compiles a task's
# scenario once, not once per chunk.
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

    def remember(self, compiled: CompiledScenario, layout: OutcomeLayout | None = None) -> None:
        """Cache an already compiled scenario for this task (in this process),
        with its outcome layout if the caller has built it already (its path
        labels, built once, are shared then)."""
        state = _TaskState(
            compiled,
            layout if layout is not None else OutcomeLayout.of(compiled),
            run_sampler(compiled.scenario, self.settings),
        )
        with _STATES_LOCK:
            _STATES[self.key] = state
            while len(_STATES) > _STATES_KEPT:
                del _STATES[next(iter(_STATES))]

    def state(self) -> _TaskState:
        with _STATES_LOCK:
            state = _STATES.get(self.key)
        if state is None:
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
        return solve_range(state.compiled, state.layout, state.sampler, self.settings, start, stop)


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
    settings: Settings, sampler: ScenarioSampler, chunk: int, executor: str, keep: str = "all"
) -> dict[str, Any]:
    return {
        "keep": keep,
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


def create_run(
    store: Store,
    scenario: Scenario,
    settings: Settings,
    task: ForecastTask,
    chunk: int,
    executor: str,
    keep: str = "all",
) -> int:
    """Record a new run of ``task`` in ``store``; returns its id. ``keep``:
    what the store keeps per draw (:data:`realpolitik.store.KEEPS`)."""
    actions, metrics, paths = output_columns(task.state().layout)
    return store.create_run(
        scenario=scenario.id,
        title=scenario.title,
        scenario_hash=scenario.content_hash,
        scenario_file=scenario.file,
        scenario_text=scenario.source_text,
        settings=_run_settings(settings, task.state().sampler, chunk, executor, keep),
        seed=settings.seed,
        draws=settings.draws,
        parameters=list(scenario.parameter_ids),
        actions=actions,
        paths=paths,
        metrics=metrics,
        block=BLOCK,
    )


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


def drive(
    task: ForecastTask,
    accumulator: ForecastAccumulator,
    *,
    start: int,
    chunk: int,
    executor: Executor,
    store: Store | None,
    run_id: int | None,
    progress: Callable[[int], None] | None,
    then: Callable[[], None] | None = None,
) -> None:
    """Run the remaining chunks, write each to the store, fold it in; mark the
    run complete, interrupted (Ctrl-C) or failed.

    ``then`` (the forecast's summary, say) runs once every chunk is folded
    in, while the store's writer is still writing the last one: with 10^5
    draws a forecast is one chunk, whose write (about a second) used to come
    after everything else. The run's draws are complete whatever ``then``
    does: its error is raised after the run is marked complete.
    """
    total = task.settings.draws
    writer = _Writer(store, run_id) if store is not None and run_id is not None else None
    after: Exception | None = None
    try:
        for out in run_chunks(
            task, total, chunk=chunk, start=start, align=BLOCK, executor=executor
        ):
            if writer is not None:
                writer.put(out)
            accumulator.add(out)
            if progress is not None:
                progress(out.stop - out.start)
        if then is not None:
            try:
                then()
            except Exception as error:  # the caller's, once the draws are stored
                after = error
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
    if after is not None:
        raise after


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


def _recompute(
    store: Store,
    record: RunRecord,
    scenario: Scenario,
    settings: Settings,
    accumulator: ForecastAccumulator,
) -> None:
    """Fold a ``--keep summary`` run's chunks into ``accumulator`` by
    evaluating their draws again (they are a function of the recorded
    sampler), each checked against the chunk's stored sums and counts."""
    task = ForecastTask.of(scenario, settings)
    task.remember(accumulator.layout.compiled)
    shape = accumulator.path_hist.shape
    for start, stop, sums, counts in store.chunk_sums(record.id):
        out = task(start, stop)
        stored = np.zeros(shape[0] * shape[1], dtype=np.int64)
        stored[counts[:, 0]] = counts[:, 1]
        if not (
            np.array_equal(out.block_sums.ravel(), sums)
            and np.array_equal(out.path_histogram.ravel(), stored)
        ):
            raise InputError(
                f"run {record.id}: draws [{start}, {stop}) evaluate to other sums than the "
                f"stored ones (written by {record.versions.get('realpolitik', '?')}); this "
                "realpolitik cannot read a --keep summary run of another version"
            )
        accumulator.add(out)


def _replay(
    store: Store,
    record: RunRecord,
    accumulator: ForecastAccumulator,
    scenario: Scenario | None = None,
    settings: Settings | None = None,
) -> None:
    """Fold a stored run's chunks into ``accumulator``, in draw order."""
    if record.keep == "summary":
        assert scenario is not None and settings is not None
        _recompute(store, record, scenario, settings, accumulator)
        return
    shape = accumulator.path_hist.shape
    for stored in store.chunks(record.id):
        counts = np.zeros(shape[0] * shape[1], dtype=np.int64)
        counts[stored.counts[:, 0]] = stored.counts[:, 1]
        d = stored.action_probability.shape[0]
        accumulator.add(
            ChunkOutput(
                start=stored.start,
                stop=stored.start + d,
                parameters=np.zeros((d, 0)),
                action_probability=stored.action_probability,
                modal_path=stored.modal_path,
                metric_expectation=stored.metrics,
                block_sums=stored.block_sums.reshape(-1, accumulator.width),
                path_histogram=counts.reshape(shape),
            )
        )


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
    chunk, progress, executor, workers, cluster : as for
        :func:`realpolitik.analysis.forecast.forecast`; ``progress`` is first
        called with the draws already done.

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
        accumulator = ForecastAccumulator(OutcomeLayout.of(compiled))
        _replay(opened, record, accumulator, scenario, settings)
        if progress is not None and accumulator.n:
            progress(accumulator.n)
        if accumulator.n < settings.draws:
            task = ForecastTask.of(scenario, settings)
            task.remember(compiled)
            runner = make_executor(executor, workers=workers, cluster=cluster)
            try:
                opened.set_status(record.id, "running")
                drive(
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
    return with_assumptions(result, compiled)


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
        accumulator = ForecastAccumulator(OutcomeLayout.of(compiled))
        _replay(opened, record, accumulator, scenario, settings)
    finally:
        if opened is not store:
            opened.close()
    if accumulator.n != settings.draws:
        settings = replace(settings, draws=accumulator.n)
    result = summarize(compiled, settings, accumulator)
    result.extra["run_id"] = record.id
    return with_assumptions(result, compiled)


def stored_draws(store: str | Path | Store, run_id: int) -> pd.DataFrame:
    """A stored run's parameter draws, one row per draw: read from the store
    when it kept them (``--keep all``), else regenerated from the recorded
    sampler (the same numbers, bit for bit: draws are a function of the seed)."""
    opened = (
        Store.open(store, create=False, read_only=True) if isinstance(store, str | Path) else store
    )
    try:
        record, scenario, settings = _stored_run(opened, run_id)
        if record.keep == "all":
            return opened.draws(run_id)
        task = ForecastTask.of(scenario, settings)
        values = task.state().sampler.draws(0, record.draws_done)
    finally:
        if opened is not store:
            opened.close()
    frame = pd.DataFrame(values, columns=list(record.parameters))
    frame.insert(0, "draw", np.arange(record.draws_done, dtype=np.int64))
    return frame
