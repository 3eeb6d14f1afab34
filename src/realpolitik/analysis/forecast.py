"""Forecast a scenario: who does what with what probability, along which
pathways, with which expected metrics, and how sure one can be.

The forecast is computed at the parameters' central values (``draws=0``) or
over parameter draws. Over draws it runs as an ensemble: chunks of draws are
tasks on an executor, optionally recorded chunk by chunk in a DuckDB results
store (:mod:`realpolitik.analysis.forecast_runs`, docs/ensembles-and-store.md);
each chunk is sampled, compiled into payoffs, solved and reduced
(:mod:`realpolitik.run.evaluate`), and the reductions are folded into the
summaries of :mod:`realpolitik.analysis.forecast_summary`, so memory stays
bounded and, for a given seed, the forecast is identical bit for bit
whatever the chunking, executor or interruptions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from realpolitik.analysis.assumptions import with_assumptions
from realpolitik.analysis.forecast_runs import ENSEMBLE_CHUNK, ForecastTask, create_run, drive
from realpolitik.analysis.forecast_summary import (
    Forecast,
    ForecastAccumulator,
    reduce_chunk,
    summarize,
)
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.evaluate import evaluate_draws
from realpolitik.run.links import central_row
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.store.duckdb_store import KEEPS, Store
from realpolitik.uncertainty.ensemble import Executor, make_executor


def forecast(
    scenario: ScenarioLike,
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
    keep: str = "all",
    assumptions: bool = True,
) -> Forecast:
    """Forecast a scenario (see the module docstring).

    Parameters
    ----------
    scenario : a loaded scenario (:func:`realpolitik.load`), a built-in name
        or a path to a scenario file.
    concept : a concept that forecasts, ``"qre"`` or ``"spe"`` (default: the
        scenario's ``solve`` section; see :data:`realpolitik.concepts.CONCEPTS`).
    lam : logit precision for "qre" (default: the scenario's).
    draws : 0 for the central values, else the number of parameter draws.
    seed : sampling seed (drawn and recorded when omitted).
    method : "mc", "lhs" or "sobol".
    chunk : draws per task (rounded up to a multiple of the reduction block);
        results do not depend on it.
    progress : called with the number of draws finished after each chunk.
    store : a results store (path or :class:`~realpolitik.store.Store`) to
        record the run in, chunk by chunk; its id is in ``extra["run_id"]``.
    executor : ``"local"`` (default), ``"threads"``, ``"processes"``,
        ``"dask"``, an :class:`~realpolitik.uncertainty.ensemble.Executor` or
        a ``dask.distributed.Client``; results do not depend on it.
    workers : threads or processes for ``"threads"`` and ``"processes"``.
    cluster : a Dask scheduler address (``tcp://host:8786``).
    on_run : called with the run id and the store once the run is recorded.
    values : parameters set by hand, e.g. ``{"p_detect_targeted": 0.5}``,
        each inside its distribution's support: a "what if". At the central
        values they replace the central values; over draws they are held
        fixed while the other parameters vary (a conditional forecast).
    keep : with ``store``: what is stored per draw, ``"all"`` (parameters and
        outcomes), ``"outcomes"`` (the parameters are regenerated from the
        recorded sampler) or ``"summary"`` (chunk sums only; reading the run
        back evaluates its draws again). The forecast read back is identical
        whichever is kept (bytes per draw: BENCHMARKS.md).
    assumptions : also say what rests on assumptions (``extra["judgement"]``:
        the judgement share of each number; ``extra["noise"]``: QRE against
        best responses and lambda's Sobol' index); a few hundred more rows.

    Raises
    ------
    RunInterrupted
        (a ``KeyboardInterrupt``) on Ctrl-C during a stored run, after the
        run is marked interrupted; it says how to resume.
    """
    scenario = as_scenario(scenario)
    settings = Settings.resolve(scenario, concept, lam, draws, seed, method, values)
    if chunk < 1:
        raise InputError(f"--chunk must be >= 1 draw, got {chunk}")
    if keep not in KEEPS:
        raise InputError(f"--keep must be one of {', '.join(KEEPS)}, got {keep!r}")
    if settings.draws == 0:
        if store is not None:
            raise InputError("--store records parameter draws; add --draws N (N >= 1)")
        compiled = compile_scenario(scenario)
        layout = OutcomeLayout.of(compiled)
        accumulator = ForecastAccumulator(layout)
        central = central_row(scenario, settings)
        solved = evaluate_draws(
            compiled, layout, settings.concept, settings.lam, central, first_draw=None
        )
        accumulator.add(reduce_chunk(0, central, solved.outcomes))
        return with_assumptions(summarize(compiled, settings, accumulator), compiled, assumptions)
    # the executor and the store first: an unreachable cluster or a file that
    # is not a store is reported before any work
    runner = make_executor(executor, workers=workers, cluster=cluster)
    opened: Store | None = None
    run_id: int | None = None
    try:
        opened = Store.open(store) if isinstance(store, str | Path) else store
        compiled = compile_scenario(scenario)
        layout = OutcomeLayout.of(compiled)
        accumulator = ForecastAccumulator(layout)
        task = ForecastTask.of(scenario, settings)
        task.remember(compiled, layout)
        if opened is not None:
            run_id = create_run(
                opened, scenario, settings, task, chunk, runner.describe(), keep=keep
            )
            if on_run is not None:
                on_run(run_id, opened)
        summary: list[Forecast] = []
        drive(
            task,
            accumulator,
            start=0,
            chunk=chunk,
            executor=runner,
            store=opened,
            run_id=run_id,
            progress=progress,
            # summarised while the store writes the last chunk
            then=lambda: summary.append(
                with_assumptions(
                    summarize(compiled, settings, accumulator), compiled, assumptions, accumulator
                )
            ),
        )
    finally:
        if runner is not executor:
            runner.close()
        if opened is not None and opened is not store:
            opened.close()
    result = summary[0]
    if run_id is not None:
        result.extra["run_id"] = run_id
    return result
