"""The limiting logit equilibrium (``logit-limit``) over many draws, against
pygambit's ``logit_solve`` on one draw.

Ours: :func:`realpolitik.solve.logit_limit.trace_limit` on the first N draws
of the built-in ``china-russia-2022`` (410 actions, private types and a
signal) and of ``tests/scenarios/legacy-flagship.yaml`` (38 actions), one
thread, after compiling; time per draw, share of draws converged, median and
99th percentile of tree passes. Peer (GPL, benchmarks only): pygambit
16.7.0's ``nash.logit_solve(game, use_strategic=False)`` on one draw of the
smaller game exported to ``.efg`` (the flagship's export is out of its
reach in memory), time per draw and the largest difference at the sets it
reaches; ratio = peer time per draw over ours.

Run: python benchmarks/bench_logit_limit.py [--draws N]
Writes benchmarks/results/logit_limit.json and prints markdown rows.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SCENARIOS = {
    "china-russia-2022": HERE.parent / "src/realpolitik/scenario/library/china-russia-2022.yaml",
    "legacy-flagship": HERE.parent / "tests/scenarios/legacy-flagship.yaml",
}


def game_of(path: Path, draws: int) -> Any:
    import realpolitik as rp
    from realpolitik.analysis import forecast_runs as runs
    from realpolitik.run.settings import Settings

    scenario = rp.load(str(path))
    settings = Settings.resolve(scenario, draws=draws, seed=2022)
    state = runs.ForecastTask.of(scenario, settings).state()
    params = state.compiled.parameter_values(state.sampler.draws(0, draws))
    return state.compiled.game(params, terms=False, first_draw=0)


def ours(game: Any) -> dict[str, Any]:
    from realpolitik.solve.logit_limit import trace_limit

    trace_limit(game.take(np.arange(2)), threads=1)  # compile
    t = time.perf_counter()
    trace = trace_limit(game, threads=1)
    seconds = time.perf_counter() - t
    return {
        "draws": game.n_draws,
        "ms_per_draw": 1e3 * seconds / game.n_draws,
        "converged": float(trace.converged.mean()),
        "passes_median": float(np.median(trace.passes)),
        "passes_p99": float(np.percentile(trace.passes, 99)),
        "profile": trace.profile,
    }


def gambit(game: Any, profile: Any) -> dict[str, Any]:
    import pygambit as gbt

    from realpolitik.games.gambit_io import write_efg

    text = write_efg(game, 0)
    g = gbt.read_efg(io.StringIO(text))
    t = time.perf_counter()
    eq = gbt.nash.logit_solve(g, use_strategic=False).equilibria[0]
    seconds = time.perf_counter() - t
    flat = np.array([float(eq[a]) for p in g.players for s in p.infosets for a in s.actions])
    reach = np.repeat(
        [float(eq.infoset_prob(s)) for p in g.players for s in p.infosets],
        [len(s.actions) for p in g.players for s in p.infosets],
    )
    diff = float(np.abs(flat - profile[0])[reach >= 1e-6].max())
    return {"ms_per_draw": 1e3 * seconds, "max_abs_diff_reached": diff}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=500)
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    record: dict[str, Any] = {"load": os.getloadavg()[0], "draws": args.draws, "rows": {}}
    for name, path in SCENARIOS.items():
        game = game_of(path, args.draws)
        row = ours(game)
        record["rows"][name] = {k: v for k, v in row.items() if k != "profile"}
        line = (
            f"| {name} | {row['draws']} | {row['ms_per_draw']:.2f} ms | "
            f"{100 * row['converged']:.1f}% | {row['passes_median']:.0f} / "
            f"{row['passes_p99']:.0f} |"
        )
        if name == "legacy-flagship":
            try:
                peer = gambit(game, row["profile"])
                record["rows"][name]["pygambit"] = peer
                line += (
                    f" pygambit {peer['ms_per_draw']:.1f} ms/draw, ratio "
                    f"{peer['ms_per_draw'] / row['ms_per_draw']:.0f}x, max diff "
                    f"{peer['max_abs_diff_reached']:.1e} |"
                )
            except ImportError:
                line += " pygambit not installed |"
        else:
            line += " - |"
        print(line)
    out = HERE / "results" / "logit_limit.json"
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
