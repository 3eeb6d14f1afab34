"""Benchmark: the 193-member alignment QRE over 10^4 parameter draws, against a
per-draw SciPy fixed-point loop.

Times, in the same run:

* ``ours``: :func:`realpolitik.alignment.qre.solve_qre` on all draws at once
  (chunks of 512 draws, one thread; also with two threads over chunks), for the built-in scenario
  ``unga-2022-aggression``: coefficients drawn from their fitted normal
  distribution (bandwagoning term included), crisis parameters from their
  distributions; tolerance 1e-10 (sup norm of ``F(p) - p``);
* ``ours, stress``: the same draws with ``gamma`` replaced by draws uniform on
  [1.5, 1.95] (the slowest contraction the fit allows);
* ``peer``: ``scipy.optimize.fixed_point`` (Steffensen's del2 acceleration,
  xtol 1e-10) on one draw at a time, with the peer term as a dense matrix
  product, on a sample of 200 draws; per-draw time and agreement with ours.

Run ``python benchmarks/bench_alignment.py``; prints markdown rows and writes
``benchmarks/results/alignment.json``. Target from the issue: 10^4 draws
within 10 s on 2 cores.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from scipy import optimize

from realpolitik.alignment.data import design_matrix, load_table, vintage_rows
from realpolitik.alignment.forecast import _coefficient_draws, _crisis_terms
from realpolitik.alignment.game import AlignmentGame, unpack
from realpolitik.alignment.qre import solve_qre
from realpolitik.alignment.scenario import load_alignment_scenario

RESULTS = Path(__file__).resolve().parent / "results" / "alignment.json"
DRAWS = 10_000
PEER_SAMPLE = 200


def inputs(seed: int = 0) -> tuple[AlignmentGame, np.ndarray, np.ndarray]:
    sc = load_alignment_scenario("unga-2022-aggression")
    rows = vintage_rows(load_table(), sc.vintage)
    design = design_matrix(rows, sc.covariates, scaling=sc.scaling)
    game = AlignmentGame(design.X, design.region)
    rng = np.random.default_rng(seed)
    theta = _coefficient_draws(sc, DRAWS, rng)
    crisis = np.column_stack([p.sample(rng, DRAWS) for p in sc.crisis])
    beta, gamma = unpack(theta, design.X.shape[1])
    z, _ = _crisis_terms(sc, rows, crisis)
    return game, game.base_payoffs(beta, z), gamma


def peer_solve(game: AlignmentGame, base: np.ndarray, gamma: float) -> np.ndarray:
    W = game.peer_matrix()

    def fixed_map(p: np.ndarray) -> np.ndarray:
        u = base + gamma * (W @ p)
        e = np.exp(u - u.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    start = fixed_map(np.zeros_like(base))
    return np.asarray(optimize.fixed_point(fixed_map, start, xtol=1e-10, maxiter=5000))


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def main() -> None:
    load = os.getloadavg()[0]
    game, base, gamma = inputs()
    solve_qre(game, base[:64], gamma[:64])  # warm-up (thread pool, caches)
    ours, t_ours = timed(solve_qre, game, base, gamma)
    _, t_two = timed(solve_qre, game, base, gamma, threads=2)
    stress_gamma = np.random.default_rng(1).uniform(1.5, 1.95, DRAWS)
    stress, t_stress = timed(solve_qre, game, base, stress_gamma)
    sample = np.random.default_rng(2).choice(DRAWS, PEER_SAMPLE, replace=False)
    t0 = time.perf_counter()
    peer = [peer_solve(game, base[d], float(gamma[d])) for d in sample]
    t_peer = (time.perf_counter() - t0) / PEER_SAMPLE
    diff = max(float(np.abs(p - ours.prob[d]).max()) for p, d in zip(peer, sample, strict=True))
    per_ours = t_ours / DRAWS
    record = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_1min": round(load, 2),
        "draws": DRAWS,
        "countries": game.n_countries,
        "ours_s": round(t_ours, 3),
        "ours_two_threads_s": round(t_two, 3),
        "ours_stress_s": round(t_stress, 3),
        "ours_summary": ours.summary(),
        "stress_summary": stress.summary(),
        "peer_ms_per_draw": round(1e3 * t_peer, 3),
        "ratio": round(t_peer / per_ours, 1),
        "max_abs_difference": diff,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    print(
        f"| {record['date']} | {record['machine']}, load {load:.1f} | 193-member QRE with "
        f"bandwagoning, 10^4 draws of unga-2022-aggression | {t_ours:.2f} s "
        f"({1e6 * per_ours:.0f} us/draw; two threads {t_two:.2f} s; gamma in [1.5, 1.95]: "
        f"{t_stress:.2f} s) | {1e3 * t_peer:.2f} ms/draw | {t_peer / per_ours:.0f}x |"
    )


if __name__ == "__main__":
    main()
