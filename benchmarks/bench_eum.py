"""Benchmark: the vectorised expected-utility model against per-pair Python.

Times, in the same run and on the same random problems:

* ``ours``: :func:`realpolitik.bargaining.eum.eum_rounds` (default ``scholz``
  variant; support sums by prefix sums over sorted voters, O(N^2 log N) per
  round);
* ``numpy N^3``: the same pipeline with the support sums taken over a
  materialised voter x pair tensor (O(N^3) per round, the obvious vectorisation);
* ``per-pair``: a straightforward implementation of the equations with Python
  loops over actor pairs and voters (the global denominator computed once per
  round, as any sane loop version would; McKibben's reference recomputes it for
  every pair, O(N^6)). At N = 200 it is timed for one round only and the
  per-round ratio is reported.

Run ``python benchmarks/bench_eum.py``; prints markdown rows and writes
``benchmarks/results/eum.json``. Target from the issue: N = 200, 10 rounds in
at most 1 s.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import realpolitik.bargaining.eum as eum_module
from realpolitik.bargaining.eum import eum_rounds

RESULTS = Path(__file__).resolve().parent / "results" / "eum.json"


def problem(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = rng.uniform(0.05, 1.0, n)
    x = np.round(rng.uniform(0.0, 100.0, n), 1)
    s = rng.uniform(0.05, 1.0, n)
    return c, x, s


# --------------------------------------------------------------------------- per-pair Python


def per_pair_round(x: list[float], c: list[float], s: list[float], delta: float) -> list[float]:
    """One round of the scholz variant, loops over pairs and voters."""
    n = len(x)
    w = [c[k] * s[k] for k in range(n)]

    def probabilities(r: list[float]) -> list[list[float]]:
        dis = [[(abs(x[k] - x[j]) / delta) ** r[k] for j in range(n)] for k in range(n)]
        pos = [[0.0] * n for _ in range(n)]
        total = 0.0
        for i in range(n):
            for j in range(n):
                acc = 0.0
                for k in range(n):
                    v = w[k] * (dis[k][j] - dis[k][i])
                    if v > 0:
                        acc += v
                    total += abs(v)
                pos[i][j] = acc
        return [[0.0 if x[i] == x[j] else pos[i][j] / total for j in range(n)] for i in range(n)]

    def eu(re: float, i: int, j: int, p: list[list[float]]) -> float:
        d = abs(x[i] - x[j]) / delta
        us = 2 - 4 * (0.5 - 0.5 * d) ** re
        uf = 2 - 4 * (0.5 + 0.5 * d) ** re
        usq = 2 - 4 * 0.5**re
        return float(s[j] * (p[i][j] * us + (1 - p[i][j]) * uf) + (1 - s[j]) * us - usq)

    ones = [1.0] * n
    p1 = probabilities(ones)
    danger = [sum(eu(1.0, b, a, p1) for b in range(n) if b != a) for a in range(n)]
    hi, lo = max(danger), min(danger)
    r = [(1 - q / 3) / (1 + q / 3) for q in ((2 * d - hi - lo) / (hi - lo) for d in danger)]
    p = probabilities(r)
    new = list(x)
    for a in range(n):
        conflicts: list[tuple[float, float]] = []
        compromises: list[tuple[float, float]] = []
        for j in range(n):
            if x[j] == x[a]:
                continue
            e_aj, e_ja = eu(r[a], a, j, p), eu(r[a], j, a, p)
            if e_ja > e_aj > 0:
                conflicts.append((abs(x[j] - x[a]), x[j]))
            elif e_ja > 0 > e_aj and e_ja > abs(e_aj):
                key = (abs(e_aj) * x[a] + abs(e_ja) * x[j]) / (abs(e_aj) + abs(e_ja))
                compromises.append((key, x[a] + (x[j] - x[a]) * abs(e_aj / e_ja)))
        if conflicts:
            new[a] = min(conflicts, key=lambda o: o[0])[1]
        elif compromises:
            new[a] = min(compromises, key=lambda o: o[0])[1]
    return new


def per_pair_run(c: np.ndarray, x: np.ndarray, s: np.ndarray, rounds: int) -> list[float]:
    pos = [float(v) for v in x]
    delta = float(np.ptp(x))
    for _ in range(rounds):
        pos = per_pair_round(pos, list(map(float, c)), list(map(float, s)), delta)
    return pos


# --------------------------------------------------------------------------- N^3 numpy


def support_cubic(x: np.ndarray, w: np.ndarray, r: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """sum_k w_k [a_kj - a_ki]^+ over a materialised (B, K, N, N) tensor."""
    a = (np.abs(x[:, :, None] - x[:, None, :]) / delta[:, None, None]) ** r[:, :, None]
    votes = w[:, :, None, None] * (a[:, :, None, :] - a[:, :, :, None])
    result: np.ndarray = np.maximum(votes, 0.0).sum(axis=1)
    return result


def with_cubic_support(fn: Callable[[], Any]) -> Any:
    original = eum_module.support
    eum_module.support = support_cubic
    try:
        return fn()
    finally:
        eum_module.support = original


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    rows: list[dict[str, Any]] = []
    print(
        "| N | rounds | ours (s) | numpy N^3 (s) | per-pair Python (s) | per-pair / ours "
        "| max |x diff| |"
    )
    print("|---|---|---|---|---|---|---|")
    for n, rounds, pair_rounds in ((10, 10, 10), (50, 10, 10), (100, 10, 1), (200, 10, 1)):
        c, x, s = problem(n)
        ours_fn = partial(eum_rounds, c, x, s, rounds=rounds)
        t_ours, trace = best_of(ours_fn, 3)
        t_cubic, cubic = best_of(partial(with_cubic_support, ours_fn), 1)
        t_pair, pair = best_of(partial(per_pair_run, c, x, s, pair_rounds), 1)
        diff = max(
            float(np.max(np.abs(np.asarray(pair) - trace.positions[pair_rounds]))),
            float(np.max(np.abs(cubic.positions - trace.positions))),
        )
        # Compare per round when the per-pair version ran fewer rounds.
        ratio = (t_pair / pair_rounds) / (t_ours / rounds)
        rows.append(
            {
                "n_actors": n,
                "rounds": rounds,
                "ours_s": t_ours,
                "numpy_cubic_s": t_cubic,
                "per_pair_s": t_pair,
                "per_pair_rounds": pair_rounds,
                "per_pair_over_ours_per_round": ratio,
                "max_abs_position_difference": diff,
            }
        )
        pair_txt = f"{t_pair:.3f}" + ("" if pair_rounds == rounds else f" ({pair_rounds} round)")
        print(
            f"| {n} | {rounds} | {t_ours:.4f} | {t_cubic:.3f} | {pair_txt} | {ratio:,.0f}x "
            f"| {diff:.1e} |"
        )
    # Draws axis: 1000 uncertain versions of a 10-actor problem at once, against
    # a Python loop over the draws.
    rng = np.random.default_rng(1)
    draws, n = 1000, 10
    c, x, s = (
        rng.uniform(0.05, 1, n),
        rng.uniform(0, 100, (draws, n)),
        rng.uniform(0, 1, (draws, n)),
    )
    t_batch, batch = best_of(partial(eum_rounds, c, x, s, rounds=10), 3)

    def loop() -> list[Any]:
        return [eum_rounds(c, x[d], s[d], rounds=10) for d in range(draws)]

    t_loop, looped = best_of(loop, 1)
    diff = max(
        float(np.max(np.abs(t.positions - batch.positions[d]))) for d, t in enumerate(looped)
    )
    batch_row = {
        "draws": draws,
        "n_actors": n,
        "rounds": 10,
        "batched_s": t_batch,
        "loop_over_draws_s": t_loop,
        "loop_over_batched": t_loop / t_batch,
        "max_abs_position_difference": diff,
    }
    print("\n| draws x N | batched (s) | loop over draws (s) | ratio | max |x diff| |")
    print("|---|---|---|---|---|")
    print(
        f"| {draws} x {n} | {t_batch:.3f} | {t_loop:.3f} | {t_loop / t_batch:.0f}x | {diff:.1e} |"
    )
    target = next(r for r in rows if r["n_actors"] == 200)
    verdict = "met" if target["ours_s"] <= 1.0 else "MISSED"
    print(f"\nN = 200, 10 rounds: {target['ours_s']:.3f} s (target <= 1 s: {verdict})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "eum",
                "machine": {
                    "python": platform.python_version(),
                    "numpy": np.__version__,
                    "processor": platform.processor() or platform.machine(),
                },
                "target": {
                    "n_actors": 200,
                    "rounds": 10,
                    "max_seconds": 1.0,
                    "seconds": target["ours_s"],
                    "met": target["ours_s"] <= 1.0,
                },
                "rows": rows,
                "draws": batch_row,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
