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


def ours(n_draws: int, chunk: int, threads: int) -> dict[str, float]:
    from concurrent.futures import ThreadPoolExecutor

    from realpolitik.games.tree import TreeGame
    from realpolitik.solve.backward_induction import solve_tree

    tree = build_tree()
    starts = list(range(0, n_draws, chunk))

    def payoffs(start: int) -> np.ndarray:
        rng = np.random.default_rng([7, start])
        size = min(chunk, n_draws - start)
        # draws-last in memory, the layout the solver uses internally
        return np.moveaxis(rng.standard_normal((tree.n_terminals, 2, size)), -1, 0)

    t0 = time.perf_counter()
    generated = [payoffs(s) for s in starts[:1]]
    gen_one = time.perf_counter() - t0

    def work(start: int) -> float:
        pay = payoffs(start)
        sol = solve_tree(TreeGame(tree, pay))
        return float(sol.expected_payoff[:, 0].sum())

    t0 = time.perf_counter()
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            total = sum(pool.map(work, starts))
    else:
        total = sum(work(s) for s in starts)
    wall = time.perf_counter() - t0
    del generated
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "draws": n_draws,
        "chunk": chunk,
        "threads": threads,
        "wall_s_including_generation": wall,
        "generation_s_estimate": gen_one * len(starts),
        "solve_s_estimate": wall - gen_one * len(starts) / max(threads, 1),
        "peak_bytes": peak,
        "checksum": total,
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
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--peer-sample", type=int, default=200)
    parser.add_argument("--ours-only", action="store_true")
    args = parser.parse_args()
    if args.ours_only:
        print(json.dumps(ours(args.draws, args.chunk, args.threads)))
        return
    # our run in a fresh process, so its peak memory is its own
    result = subprocess.run(
        [sys.executable, __file__, "--ours-only", "--draws", str(args.draws),
         "--chunk", str(args.chunk), "--threads", str(args.threads)],
        capture_output=True, text=True, check=True,
    )
    mine = json.loads(result.stdout.strip().splitlines()[-1])
    per_draw_ours = mine["wall_s_including_generation"] / mine["draws"]
    per_draw_peer = peer(args.peer_sample)
    row = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, 2 cores",
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
        f"{mine['wall_s_including_generation']:.2f} s wall incl. payoff generation "
        f"({per_draw_ours * 1e6:.2f} us/draw), peak {mine['peak_bytes'] / 2**30:.2f} GiB | "
        f"{per_draw_peer * 1e3:.2f} ms/draw | {per_draw_peer / per_draw_ours:,.0f}x |"
    )


if __name__ == "__main__":
    main()
