"""Backward induction: a two-player tree with 256 leaves, 10^6 draws.

Ours: :func:`realpolitik.solve.backward_induction.solve_tree` on chunks of
draws (payoffs generated per chunk; generation timed separately), reporting
wall time, per-draw time and peak memory (the solve runs in a subprocess so
its peak resident set is its own).

Peer: what a user of pygambit 16.7 does for many draws: a Python loop over
draws that writes the draw's 512 payoffs into a pygambit tree's outcomes and
runs backward induction over pygambit's node objects (pygambit has no SPE
solver since 16.5). Timed on a sample of draws; the per-draw ratio is the
speed-up.

Run: python benchmarks/bench_backward_induction.py [--draws N] [--chunk C]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEPTH = 8  # 2^8 = 256 leaves


def build_tree():  # type: ignore[no-untyped-def]
    from realpolitik.games.tree import TreeBuilder

    b = TreeBuilder(["A", "B"])

    def grow(node: int, depth: int) -> None:
        if depth == DEPTH:
            b.terminal(node, [0.0, 0.0])
            return
        for kid in b.decision(node, depth % 2, ["l", "r"]):
            grow(kid, depth + 1)

    grow(b.root, 0)
    tree, _ = b.build()
    return tree


def ours(n_draws: int, chunk: int) -> dict[str, float]:
    """Solve ``n_draws`` draws chunk by chunk; payoff generation (uniform
    random numbers, written draws-last as the solver stores them) is timed
    apart from solving. The solver's compiled kernels use both cores."""
    from realpolitik.games.tree import TreeGame
    from realpolitik.solve.backward_induction import solve_tree

    tree = build_tree()
    generate = solve = 0.0
    checksum = 0.0
    # compile the kernels outside the timing (numba caches them on disk)
    solve_tree(TreeGame(tree, np.zeros((2, tree.n_terminals, 2))))
    for start in range(0, n_draws, chunk):
        size = min(chunk, n_draws - start)
        t0 = time.perf_counter()
        rng = np.random.default_rng([7, start])
        payoffs = np.moveaxis(rng.random((tree.n_terminals, 2, size)), -1, 0)
        t1 = time.perf_counter()
        solution = solve_tree(TreeGame(tree, payoffs))
        checksum += float(solution.expected_payoff[:, 0].sum())
        t2 = time.perf_counter()
        generate += t1 - t0
        solve += t2 - t1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "draws": n_draws,
        "chunk": chunk,
        "solve_s": solve,
        "generate_s": generate,
        "wall_s": solve + generate,
        "peak_bytes": peak,
        "checksum": checksum,
    }


def peer(sample: int) -> float:
    import pygambit as gbt

    g = gbt.Game.new_tree(players=["A", "B"])

    def grow(node, depth: int) -> None:  # type: ignore[no-untyped-def]
        if depth == DEPTH:
            return
        g.append_move(node, player=["A", "B"][depth % 2], actions=["l", "r"])
        for child in node.children:
            grow(child, depth + 1)

    grow(g.root, 0)
    leaves = [n for n in g.nodes if n.is_terminal]
    outcomes = []
    for k, leaf in enumerate(leaves):
        o = g.add_outcome(payoffs=[0, 0], label=f"z{k}")
        g.set_outcome(leaf, o)
        outcomes.append(o)
    players = list(g.players)
    rng = np.random.default_rng(3)
    draws = rng.standard_normal((sample, len(leaves), 2))

    def backward(node):  # type: ignore[no-untyped-def]
        if node.is_terminal:
            o = node.outcome
            return (float(o[players[0]]), float(o[players[1]]))
        mover = players.index(node.player)
        values = [backward(c) for c in node.children]
        return max(values, key=lambda v: v[mover])

    t0 = time.perf_counter()
    for d in range(sample):
        for k, o in enumerate(outcomes):
            o[players[0]] = gbt.Decimal(str(draws[d, k, 0]))
            o[players[1]] = gbt.Decimal(str(draws[d, k, 1]))
        backward(g.root)
    return (time.perf_counter() - t0) / sample


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=4096)
    parser.add_argument("--peer-sample", type=int, default=200)
    parser.add_argument("--ours-only", action="store_true")
    args = parser.parse_args()
    if args.ours_only:
        print(json.dumps(ours(args.draws, args.chunk)))
        return
    # our run in a fresh process, so its peak memory is its own
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--ours-only",
            "--draws",
            str(args.draws),
            "--chunk",
            str(args.chunk),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    mine = json.loads(result.stdout.strip().splitlines()[-1])
    per_draw_ours = mine["solve_s"] / mine["draws"]
    per_draw_peer = peer(args.peer_sample)
    row = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, 2 cores",
        "load_average_1min": os.getloadavg()[0],
        **mine,
        "per_draw_us_ours": per_draw_ours * 1e6,
        "per_draw_ms_peer": per_draw_peer * 1e3,
        "peer_sample": args.peer_sample,
        "speedup": per_draw_peer / per_draw_ours,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "backward_induction.json").write_text(json.dumps(row, indent=2))
    print("| what | ours | peer (pygambit loop) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| backward induction, 256 leaves, {mine['draws']:,} draws | "
        f"{mine['solve_s']:.2f} s solving ({per_draw_ours * 1e6:.2f} us/draw) + "
        f"{mine['generate_s']:.2f} s generating payoffs, peak "
        f"{mine['peak_bytes'] / 2**30:.2f} GiB | "
        f"{per_draw_peer * 1e3:.2f} ms/draw | {per_draw_peer / per_draw_ours:,.0f}x |"
    )


if __name__ == "__main__":
    main()
