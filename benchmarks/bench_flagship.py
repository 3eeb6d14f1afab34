"""The flagship scenario over 10^6 draws: sampling + solving + summaries + store.

Ours: :func:`realpolitik.analysis.forecast.forecast` on ``china-russia-2022``
(35 parameters, 33 of them PERT; 47 nodes, 28 paths, agent QRE) with
``draws=10**6``, a fresh DuckDB results store, wall and CPU time, for each
executor asked for. The target is at most 10 s on the 2-core machine. A
second pass times each stage on its own (single thread, per 10^6 draws) to
show where the time goes.

Peer: EMA Workbench (Kwakkel 2017), the exploratory-modelling tool an analyst
would otherwise use: the same model, a Python function that evaluates the
flagship for one experiment (one parameter draw, through realpolitik's engine
on arrays of one draw), its 35 parameters given to EMA as the same scipy
distributions, Latin hypercube sampling, the sequential evaluator, outcomes
kept in EMA's arrays. Also a do-nothing model, which measures EMA's own cost
per experiment. Ratio: EMA's per-experiment time over our per-draw time,
measured in the same run.

Run: python benchmarks/bench_flagship.py [--draws N] [--ema N] [--executors local,threads,processes]
[--repeat 3] (runs per executor, interleaved; the fastest of each is reported)
Writes benchmarks/results/flagship.json and prints markdown rows.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import resource
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)

HERE = Path(__file__).resolve().parent
SCENARIO = LEGACY_FLAGSHIP


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()}"


def ours(draws: int, executor: str, seed: int = 2022) -> dict[str, Any]:
    """One full run into a fresh store."""
    import realpolitik as rp
    from realpolitik.analysis.forecast import forecast
    from realpolitik.uncertainty.ensemble import make_executor

    scenario = rp.load(SCENARIO)
    folder = Path(tempfile.mkdtemp())
    store = folder / "bench.duckdb"
    runner = make_executor(executor)
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    with runner:
        result = forecast(scenario, draws=draws, seed=seed, store=store, executor=runner)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    size = store.stat().st_size
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    china = result.actions[result.actions["actor"] == "china"]
    return {
        "executor": runner.describe(),
        "executor_name": executor,
        "draws": draws,
        "wall_s": wall,
        "cpu_s_this_process": cpu,
        "cpu_s_children": children.ru_utime + children.ru_stime,
        "per_draw_us": 1e6 * wall / draws,
        "store_bytes": size,
        "load_average_before": load,
        "china": {r.action: round(float(r.probability), 4) for r in china.itertuples()},
    }


def stages(draws: int = 2**17, seed: int = 2022) -> dict[str, float]:
    """Seconds per 10^6 draws of each stage, one thread, in the forecast's
    slices (:func:`realpolitik.run.evaluate.block_draws`)."""
    import realpolitik as rp
    from realpolitik.analysis import forecast_runs as runs
    from realpolitik.analysis.forecast_summary import (
        BLOCK,
        ForecastAccumulator,
        join_chunks,
        reduce_chunk,
        summarize,
    )
    from realpolitik.run.evaluate import block_draws
    from realpolitik.run.outcomes import draw_outcomes
    from realpolitik.run.settings import Settings
    from realpolitik.solve.dispatch import solve
    from realpolitik.store import Store

    scenario = rp.load(SCENARIO)
    settings = Settings.resolve(scenario, draws=draws, seed=seed)
    state = runs.ForecastTask.of(scenario, settings).state()
    compiled, layout, sampler = state.compiled, state.layout, state.sampler
    spent = dict.fromkeys(
        ["sampling", "payoffs", "solving", "metrics", "outcomes", "summaries", "store"], 0.0
    )
    accumulator = ForecastAccumulator(layout)
    folder = Path(tempfile.mkdtemp())
    actions, metrics, paths = runs.output_columns(layout)
    with Store.open(folder / "stages.duckdb") as store:
        run_id = store.create_run(
            scenario=scenario.id,
            title=scenario.title,
            scenario_hash=scenario.content_hash,
            scenario_file=scenario.file,
            scenario_text=scenario.source_text,
            settings={},
            seed=seed,
            draws=draws,
            parameters=list(scenario.parameter_ids),
            actions=actions,
            paths=paths,
            metrics=metrics,
            block=BLOCK,
        )
        for start in range(0, draws, runs.ENSEMBLE_CHUNK):
            stop = min(start + runs.ENSEMBLE_CHUNK, draws)
            parts = []
            size = block_draws(compiled, multiple=BLOCK)
            for lo in range(start, stop, size):
                hi = min(lo + size, stop)
                t = time.perf_counter()
                sample = sampler.draws(lo, hi)
                spent["sampling"] += time.perf_counter() - t
                t = time.perf_counter()
                params = compiled.parameter_values(sample)
                game = compiled.game(params, terms=False, first_draw=lo)
                spent["payoffs"] += time.perf_counter() - t
                t = time.perf_counter()
                solution = solve(game, settings.concept, settings.lam)
                spent["solving"] += time.perf_counter() - t
                t = time.perf_counter()
                values = compiled.metric_values(params, first_draw=lo)
                spent["metrics"] += time.perf_counter() - t
                t = time.perf_counter()
                outcomes = draw_outcomes(layout, solution, values)
                parts.append(reduce_chunk(lo, sample, outcomes))
                spent["outcomes"] += time.perf_counter() - t
            t = time.perf_counter()
            out = join_chunks(parts)
            accumulator.add(out)
            spent["summaries"] += time.perf_counter() - t
            t = time.perf_counter()
            store.write_chunk(
                run_id,
                start,
                stop,
                parameters=out.parameters,
                action_probability=out.action_probability,
                modal_path=out.modal_path,
                metrics=out.metric_expectation,
                block_sums=out.block_sums,
                counts=out.path_histogram,
            )
            spent["store"] += time.perf_counter() - t
        t = time.perf_counter()
        summarize(compiled, settings, accumulator)
        spent["summaries"] += time.perf_counter() - t
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    scale = 1e6 / draws
    return {k: v * scale for k, v in spent.items()}


def ema(experiments: int, model_kind: str, seed: int = 2022) -> dict[str, Any]:
    """EMA Workbench's time per experiment, sequential evaluator."""
    import logging

    from ema_workbench import Model, ScalarOutcome, perform_experiments
    from ema_workbench.em_framework.evaluators import SequentialEvaluator
    from ema_workbench.em_framework.parameters import RealParameter
    from scipy import stats

    import realpolitik as rp
    from realpolitik.compiler.scenario_tree import compile_scenario
    from realpolitik.run.outcomes import OutcomeLayout, action_and_path_probability
    from realpolitik.run.settings import Settings
    from realpolitik.solve.dispatch import solve
    from realpolitik.uncertainty.distributions import PERT, Triangular

    logging.getLogger("EMA").setLevel(logging.WARNING)
    scenario = rp.load(SCENARIO)
    compiled = compile_scenario(scenario)
    layout = OutcomeLayout.of(compiled)
    names = list(scenario.parameter_ids)
    settings = Settings.resolve(scenario, draws=1, seed=seed)
    action_names = [f"p{k}" for k in range(len(layout.keys))]
    metric_ids = [m.id for m in scenario.metrics]

    def flagship(**values: float) -> dict[str, float]:
        row = np.array([[values[n] for n in names]])
        params = compiled.parameter_values(row)
        solution = solve(compiled.game(params, terms=False), settings.concept, settings.lam)
        metric = compiled.metric_values(params)
        probability, paths = action_and_path_probability(layout, solution)
        out = dict(zip(action_names, probability[0].tolist(), strict=True))
        path = paths[0]
        for m in metric_ids:
            out[m] = float(np.dot(path, np.broadcast_to(metric[m], (1, path.size))[0]))
        return out

    def nothing(**values: float) -> dict[str, float]:
        return dict.fromkeys(action_names + metric_ids, 0.0)

    uncertainties = []
    for name in names:
        dist = scenario.parameters[name].distribution
        if isinstance(dist, PERT):
            a, b = dist.shapes
            frozen = stats.beta(a, b, loc=dist.low, scale=dist.high - dist.low)
        elif isinstance(dist, Triangular):
            width = dist.high - dist.low
            frozen = stats.triang((dist.mode - dist.low) / width, loc=dist.low, scale=width)
        else:  # pragma: no cover - the flagship has only these two
            raise TypeError(dist)
        uncertainties.append(RealParameter.from_dist(name, frozen))
    model = Model("flagship", function=flagship if model_kind == "flagship" else nothing)
    model.uncertainties = uncertainties
    model.outcomes = [ScalarOutcome(n) for n in action_names + metric_ids]
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stderr(io.StringIO()),  # EMA's progress bar
    ):
        warnings.simplefilter("ignore")
        with SequentialEvaluator(model) as evaluator:
            t0 = time.perf_counter()
            experiments_df, outcomes = perform_experiments(
                model, scenarios=experiments, evaluator=evaluator
            )
            wall = time.perf_counter() - t0
    assert len(experiments_df) == experiments and len(outcomes["p0"]) == experiments
    return {
        "model": model_kind,
        "experiments": experiments,
        "wall_s": wall,
        "per_experiment_us": 1e6 * wall / experiments,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10**6)
    parser.add_argument("--ema", type=int, default=2000, help="EMA experiments (flagship model)")
    parser.add_argument("--executors", default="local,threads,processes")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per executor; the fastest is reported"
    )
    args = parser.parse_args()

    import realpolitik.analysis.forecast  # noqa: F401 - imports outside the timings

    names = [name.strip() for name in args.executors.split(",")]
    # interleaved repeats; on a shared machine the fastest run is the least disturbed
    trials = [ours(args.draws, name) for _ in range(args.repeat) for name in names]
    runs = [
        min((t for t in trials if t["executor_name"] == n), key=lambda t: t["wall_s"])
        for n in names
    ]
    for run in runs:
        run["all_wall_s"] = [
            t["wall_s"] for t in trials if t["executor_name"] == run["executor_name"]
        ]
    best = min(runs, key=lambda r: r["wall_s"])
    per_stage = stages()
    peer = ema(args.ema, "flagship")
    floor = ema(max(args.ema, 5000), "nothing")
    ratio = peer["per_experiment_us"] / best["per_draw_us"]
    ratio_floor = floor["per_experiment_us"] / best["per_draw_us"]
    from importlib import metadata

    record = {
        "date": date.today().isoformat(),
        "machine": machine(),
        "scenario": SCENARIO,
        "target_s": 10.0,
        "ours": runs,
        "best": best,
        "stages_s_per_1e6_draws_one_thread": per_stage,
        "ema_workbench": {
            "version": metadata.version("ema_workbench"),
            "flagship": peer,
            "nothing": floor,
        },
        "ratio_ema_flagship_over_ours": ratio,
        "ratio_ema_nothing_over_ours": ratio_floor,
        "versions": {
            name: metadata.version(name) for name in ("realpolitik", "numpy", "scipy", "duckdb")
        },
    }
    out = HERE / "results" / "flagship.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    today = record["date"]
    print("| date | machine | what | ours | peer | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| {today} | {record['machine']} | flagship, {args.draws:,} draws, sampling + solving + "
        f"summaries + DuckDB store ({best['executor']}) | {best['wall_s']:.2f} s "
        f"({best['per_draw_us']:.1f} us/draw) | target 10 s | - |"
    )
    print(
        f"| {today} | {record['machine']} | per draw vs EMA Workbench "
        f"{record['ema_workbench']['version']} per experiment, same model | "
        f"{best['per_draw_us']:.1f} us | "
        f"{peer['per_experiment_us']:.0f} us | {ratio:.0f}x |"
    )
    print(
        f"| {today} | {record['machine']} | per draw vs EMA's own cost per experiment "
        f"(do-nothing model) | {best['per_draw_us']:.1f} us | "
        f"{floor['per_experiment_us']:.0f} us | {ratio_floor:.1f}x |"
    )
    print()
    print("Stages, seconds per 10^6 draws, one thread:")
    for name, seconds in per_stage.items():
        print(f"- {name}: {seconds:.2f}")
    for run in runs:
        print(
            f"- {run['executor']}: {run['wall_s']:.2f} s wall (runs: "
            f"{', '.join(f'{w:.2f}' for w in run['all_wall_s'])}), "
            f"{run['cpu_s_this_process']:.2f} s CPU (load average before: "
            f"{run['load_average_before']:.1f})"
        )


if __name__ == "__main__":
    main()
