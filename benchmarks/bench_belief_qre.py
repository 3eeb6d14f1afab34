"""The agent QRE of general trees by compiled belief iteration, at scale.

Two scenarios (issues 13 and 14), each solved over many parameter draws by
:func:`realpolitik.analysis.forecast.forecast` into a fresh DuckDB store
(sampling, payoffs, the agent QRE, outcomes, summaries, store):

(a) ``benchmarks/data/compound_types_rounds.yaml``: a four-dimension move
    (48 joint actions), two private types per actor, three rounds (5959
    nodes, 3072 paths, 432 actions); target 10^5 draws within 10 s on 2
    cores;
(b) the built-in ``china-russia-2022`` (51 parameters, 2048 paths, 410
    actions; the first rows of 2026-12-06 were measured on its prototype, the
    same tree with placeholder terms, since removed); target 10^6 draws
    within 10 s, stored.

Where the time goes: one thread, per 10^3 draws, for sampling + payoffs (and
metrics), the solver (profiles; node values are computed only when asked for), and the
per-draw outcomes; with the solver's passes per draw and its status counts.

Peers, measured in the same run on a sample of the same draws:
- the previous NumPy belief iteration
  (:func:`realpolitik.solve.agent_qre.agent_qre_fixed_point`), also the
  largest difference between its profiles and ours;
- pygambit 16.7.0 (GPL, benchmarks only): ``qre.logit_solve_lambda`` on one
  draw's tree exported to ``.efg``, per draw (a few draws), with the largest
  difference from ours.
Ratios: the peer's time per draw over ours (one thread each).

Run: python benchmarks/bench_belief_qre.py [--draws-a N] [--draws-b N] [--sample N] [--gambit N]
Writes benchmarks/results/belief_qre.json and prints markdown rows.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "a": HERE / "data" / "compound_types_rounds.yaml",
    "b": HERE.parent / "src" / "realpolitik" / "scenario" / "library" / "china-russia-2022.yaml",
}


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


def full_run(path: Path, draws: int, seed: int = 2022) -> dict[str, Any]:
    """One forecast of ``draws`` draws into a fresh store (default executor)."""
    import realpolitik as rp
    from realpolitik.analysis.forecast import forecast

    scenario = rp.load(str(path))
    folder = Path(tempfile.mkdtemp())
    store = folder / "bench.duckdb"
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast(scenario, draws=draws, seed=seed, store=store)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    size = store.stat().st_size
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    return {
        "draws": draws,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_draw_us": 1e6 * wall / draws,
        "store_bytes": size,
        "load_average_before": load,
        "warnings": sorted({str(w.message)[:120] for w in caught}),
    }


def stages(path: Path, draws: int, seed: int = 2022) -> dict[str, Any]:
    """Seconds per 10^3 draws of each stage (warm; the solver on one
    thread, the other stages as the forecast runs them), and the solver's
    work per draw; also the game of these draws for the peers."""
    import realpolitik as rp
    from realpolitik.analysis import forecast_runs as runs
    from realpolitik.run.outcomes import draw_outcomes
    from realpolitik.run.settings import Settings
    from realpolitik.run.structural import draw_precision
    from realpolitik.solve import belief_iteration as bi
    from realpolitik.solve.dispatch import solve

    scenario = rp.load(str(path))
    settings = Settings.resolve(scenario, draws=draws, seed=seed)
    state = runs.ForecastTask.of(scenario, settings).state()
    compiled, layout, sampler = state.compiled, state.layout, state.sampler
    # warm: load the compiled kernels and the expressions' action combinations
    warm = compiled.parameter_values(sampler.draws(0, 64))
    warm_game = compiled.game(warm, terms=False, first_draw=0)
    draw_outcomes(
        layout,
        solve(warm_game, settings.concept, draw_precision(compiled.scenario, warm, settings.lam)),
        compiled.metric_values(warm, first_draw=0),
    )
    t = time.perf_counter()
    sample = sampler.draws(0, draws)
    params = compiled.parameter_values(sample)
    lam = draw_precision(compiled.scenario, params, settings.lam)
    game = compiled.game(params, terms=False, first_draw=0)
    metrics = compiled.metric_values(params, first_draw=0)
    build = time.perf_counter() - t
    lams = np.broadcast_to(np.asarray(lam, dtype=np.float64), (draws,)).copy()
    bi.iterate_beliefs(game.take(np.arange(min(draws, 64))), lams[:64], threads=1)  # compile
    t = time.perf_counter()
    found = bi.iterate_beliefs(game, lams, threads=1)
    iterate = time.perf_counter() - t
    solution = solve(game, settings.concept, lam)
    t = time.perf_counter()
    draw_outcomes(layout, solution, metrics)
    outcomes = time.perf_counter() - t
    scale = 1e3 / draws
    tree = game.tree
    return {
        "tree": {
            "nodes": tree.n_nodes,
            "terminals": tree.n_terminals,
            "actions": tree.n_actions,
            "infosets": tree.n_infosets,
        },
        "draws": draws,
        "s_per_1000_draws": {
            "sampling_and_payoffs": build * scale,
            "solver": iterate * scale,
            "outcomes": outcomes * scale,
        },
        "passes_per_draw": {
            "mean": float(found.passes.mean()),
            "p99": float(np.percentile(found.passes, 99)),
            "max": int(found.passes.max()),
        },
        "status_counts": {str(k): int(v) for k, v in enumerate(np.bincount(found.status))},
        "largest_residual": float(found.residual.max()),
        "_game": game,
        "_lam": lams,
        "_profile": found.profile,
        "_us_per_draw": 1e6 * iterate / draws,
    }


def numpy_peer(game: Any, lams: Any, profile: Any, sample: int) -> dict[str, Any]:
    """The previous NumPy belief iteration on the first ``sample`` draws."""
    from realpolitik.solve.agent_qre import agent_qre_fixed_point

    part = game.take(np.arange(sample))
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = agent_qre_fixed_point(part, lams[:sample], fallback=False)
    wall = time.perf_counter() - t
    assert old.residual is not None
    return {
        "draws": sample,
        "us_per_draw": 1e6 * wall / sample,
        "converged": int((old.residual <= 1e-8).sum()),
        "largest_difference": float(np.abs(old.behaviour - profile[:sample]).max()),
    }


def gambit_peer(game: Any, lams: Any, profile: Any, draws: int) -> dict[str, Any]:
    """pygambit's agent logit QRE of the first ``draws`` draws, one by one."""
    import pygambit as gbt

    from realpolitik.games.gambit_io import write_efg

    tree = game.tree
    where = {
        tuple(tree.action_labels(int(n))[k] for n, k in tree.path(node)): node
        for node in range(tree.n_nodes)
    }
    spent = 0.0
    worst = 0.0
    for d in range(draws):
        text = write_efg(game, d)
        gambit_game = gbt.read_efg(io.StringIO(text))
        t = time.perf_counter()
        point = gbt.qre.logit_solve_lambda(gambit_game, [float(lams[d])])[0]
        spent += time.perf_counter() - t
        assert abs(point.lam - lams[d]) < 1e-6, "pygambit stopped at another lambda"
        k = 0
        for player in gambit_game.players:
            for infoset in player.infosets:
                node = next(iter(infoset.members))
                labels: list[str] = []
                while node.parent is not None:
                    labels.append(node.prior_action.label)
                    node = node.parent
                s = int(tree.node_infoset[where[tuple(reversed(labels))]])
                lo = int(tree.action_offset[s])
                for a in range(len(infoset.actions)):
                    worst = max(worst, abs(float(point[k]) - float(profile[d, lo + a])))
                    k += 1
    return {"draws": draws, "us_per_draw": 1e6 * spent / draws, "largest_difference": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws-a", type=int, default=10**5)
    parser.add_argument("--draws-b", type=int, default=10**6)
    parser.add_argument("--stage-draws", type=int, default=4096)
    parser.add_argument("--sample", type=int, default=256, help="draws for the NumPy peer")
    parser.add_argument("--gambit", type=int, default=3, help="draws for pygambit")
    parser.add_argument("--only", choices=["a", "b"], default=None)
    args = parser.parse_args()
    out: dict[str, Any] = {"date": date.today().isoformat(), "machine": machine()}
    targets = {"a": args.draws_a, "b": args.draws_b}
    for key, path in SCENARIOS.items():
        if args.only and key != args.only:
            continue
        found = stages(path, args.stage_draws)
        game, lams, profile = found.pop("_game"), found.pop("_lam"), found.pop("_profile")
        ours_us = found.pop("_us_per_draw")
        peers: dict[str, Any] = {"ours_us_per_draw_one_thread": ours_us}
        peers["numpy"] = numpy_peer(game, lams, profile, args.sample)
        peers["numpy"]["ratio"] = peers["numpy"]["us_per_draw"] / ours_us
        if args.gambit:
            try:
                peers["pygambit"] = gambit_peer(game, lams, profile, args.gambit)
                peers["pygambit"]["ratio"] = peers["pygambit"]["us_per_draw"] / ours_us
            except ImportError:
                peers["pygambit"] = "not installed (pip install -e '.[peers]')"
        run = full_run(path, targets[key])
        out[key] = {"scenario": path.name, "stages": found, "peers": peers, "run": run}
        print(json.dumps(out[key], indent=1))
        print(
            f"| {out['date']} | {out['machine']}, load {run['load_average_before']:.1f} | "
            f"({key}) {path.name}, {run['draws']} draws, forecast into a store | "
            f"{run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU | target 10 s | "
            f"{'met' if run['wall_s'] <= 10 else 'not met'} |"
        )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    name = "belief_qre.json" if not args.only else f"belief_qre_{args.only}.json"
    (results / name).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
