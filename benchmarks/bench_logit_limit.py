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
reaches; ratio = peer time per draw over ours. Third row: N random 3x3
bimatrix games embedded as trees (many branches end at a mixed
equilibrium, an unstable fixed point of the sweeps, which a lambda step can
leave silently; a few fold) against the normal-form tracer of
``solve/logit.py``: share within 1e-5 of its limit, share off it unflagged.

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
        "flagged": float(trace.jumped.mean()),
        "arcs": float((trace.arcs > 0).mean()),
        "passes_median": float(np.median(trace.passes)),
        "passes_p99": float(np.percentile(trace.passes, 99)),
        "profile": trace.profile,
        "converged_mask": trace.converged,
        "flagged_mask": trace.jumped,
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


def bimatrix(draws: int) -> dict[str, Any]:
    """Random 3x3 bimatrix games (seed 2026) embedded as trees (player 2
    does not see player 1's move), against the normal-form tracer of
    ``solve/logit.py`` (an independent path to the branch's end): share of
    draws within 1e-5 of it, and of draws off it without a flag."""
    from realpolitik.games.tree import TreeBuilder, TreeGame
    from realpolitik.solve.logit import logit_limit

    k = 3
    tables = np.random.default_rng(2026).normal(size=(draws, 2, k, k))
    b = TreeBuilder(["1", "2"])
    for i, node in enumerate(b.decision(b.root, "1", [f"r{i}" for i in range(k)])):
        for j, leaf in enumerate(b.decision(node, "2", [f"c{j}" for j in range(k)], infoset="2")):
            b.terminal(leaf, [i * k + j, 0])
    tree, marker = b.build()
    cell = marker[:, 0].astype(int)
    flat = tables.reshape(draws, 2, k * k)[:, :, cell].transpose(0, 2, 1)
    game = TreeGame(tree, np.ascontiguousarray(flat))
    row = ours(game)
    t = time.perf_counter()
    expected = np.concatenate(logit_limit(tables).probs, axis=1)
    peer_ms = 1e3 * (time.perf_counter() - t) / draws
    off = np.abs(row.pop("profile") - expected).max(axis=1) > 1e-5
    row["agree"] = float((~off).mean())
    row["silently_off"] = float((off & (row["converged_mask"] & ~row["flagged_mask"])).mean())
    row["peer_ms_per_draw"] = peer_ms
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=500)
    args = parser.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    record: dict[str, Any] = {"load": os.getloadavg()[0], "draws": args.draws, "rows": {}}
    for name, path in SCENARIOS.items():
        game = game_of(path, args.draws)
        row = ours(game)
        record["rows"][name] = {k: v for k, v in row.items() if not k.endswith(("profile", "mask"))}
        line = (
            f"| {name} | {row['draws']} | {row['ms_per_draw']:.2f} ms | "
            f"{100 * row['converged']:.1f}% (flagged {100 * row['flagged']:.1f}%) | "
            f"{row['passes_median']:.0f} / {row['passes_p99']:.0f} |"
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
    row = bimatrix(args.draws)
    record["rows"]["bimatrix-3x3"] = {k: v for k, v in row.items() if not k.endswith("mask")}
    print(
        f"| bimatrix-3x3 | {row['draws']} | {row['ms_per_draw']:.2f} ms | "
        f"{100 * row['converged']:.1f}% | {row['passes_median']:.0f} / {row['passes_p99']:.0f} |"
        f" solve/logit.py {row['peer_ms_per_draw']:.2f} ms/draw; within 1e-5 of it "
        f"{100 * row['agree']:.1f}%, off it unflagged {100 * row['silently_off']:.1f}% |"
    )
    out = HERE / "results" / "logit_limit.json"
    out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
