"""Benchmark: Sobol' indices (8 parameters, N = 2^14) and PRIM (10^5 points).

- Sobol': ``realpolitik.analysis.sensitivity.sobol_indices`` on the Sobol'
  G-function (8 parameters, a = 0, 1, 4.5, 9, 99, 99, 99, 99), timed as
  sampling + evaluation + analysis, against the same pipeline written directly
  with SALib (``SALib.sample.sobol`` + evaluation + ``SALib.analyze.sobol``).
  The estimates are checked against the G-function's analytical first-order
  indices (Saltelli et al. 2008).
- PRIM: ``realpolitik.analysis.prim.prim`` (peel, select, prune, paste) on
  10^5 points in 8 dimensions with a known box (x0 >= 0.6, x1 <= 0.3, 5% label
  noise), against the GPL ``prim`` package (``pip install prim``; Hadka's
  port of the EMA Workbench's PRIM), run with Friedman and Fisher's original
  peeling objective (``obj_func=original``) as ours, ``find_box()`` (peel +
  paste). The peer is used here only, never by the package.

Prints markdown table rows and writes ``results/bench_sensitivity.json``.
Run: ``python benchmarks/bench_sensitivity.py``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.analysis.prim import prim
from realpolitik.analysis.sensitivity import sobol_indices

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 3

G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0])


def g_function(X: np.ndarray) -> np.ndarray:
    """Sobol' G-function on [0, 1]^8, vectorised."""
    return np.prod((np.abs(4.0 * X - 2.0) + G_A) / (1.0 + G_A), axis=1)


def g_first_order() -> np.ndarray:
    """Analytical S1 of the G-function: V_i = 1 / (3 (1 + a_i)^2), V = prod(1 + V_i) - 1."""
    vi = 1.0 / (3.0 * (1.0 + G_A) ** 2)
    return vi / (np.prod(1.0 + vi) - 1.0)


def best_of(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    best = float("inf")
    out: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def bench_sobol() -> dict[str, Any]:
    names = [f"x{i}" for i in range(8)]
    n_base = 2**14

    def ours() -> Any:
        return sobol_indices(g_function, names, lambda u: u, n_base, seed=1)

    def salib_direct() -> Any:
        from SALib.analyze import sobol as analyze
        from SALib.sample import sobol as sample

        problem = {"num_vars": 8, "names": names, "bounds": [[0.0, 1.0]] * 8}
        X = sample.sample(problem, n_base, calc_second_order=False, seed=1)
        Y = g_function(X)
        return analyze.analyze(problem, Y, calc_second_order=False, seed=2)

    t_ours, df = best_of(ours)
    t_peer, si = best_of(salib_direct)

    # Where the time goes (SALib direct, one run): sampling, evaluation, analysis.
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    problem = {"num_vars": 8, "names": names, "bounds": [[0.0, 1.0]] * 8}
    t0 = time.perf_counter()
    X = sample.sample(problem, n_base, calc_second_order=False, seed=1)
    t1 = time.perf_counter()
    Y = g_function(X)
    t2 = time.perf_counter()
    analyze.analyze(problem, Y, calc_second_order=False, seed=2)
    t3 = time.perf_counter()
    err = float(np.max(np.abs(df["S1"].to_numpy() - g_first_order())))
    err_peer = float(np.max(np.abs(np.asarray(si["S1"]) - g_first_order())))
    return {
        "name": "Sobol' S1+ST, 8 parameters, N = 2^14 (163,840 evaluations)",
        "ours_s": t_ours,
        "peer": "SALib 1.6 sample + evaluate + analyze, direct",
        "peer_s": t_peer,
        "ratio": t_ours / t_peer,
        "breakdown_s": {"sample": t1 - t0, "evaluate": t2 - t1, "analyze": t3 - t2},
        "max_abs_error_S1_ours": err,
        "max_abs_error_S1_peer": err_peer,
    }


def prim_data(n: int = 100_000, k: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, k))
    y = ((X[:, 0] >= 0.6) & (X[:, 1] <= 0.3)) ^ (rng.random(n) < 0.05)
    return X, y


def bench_prim() -> dict[str, Any]:
    X, y = prim_data()
    t_ours, result = best_of(lambda: prim(X, y))
    box = result.box.set_index("parameter")
    row: dict[str, Any] = {
        "name": "PRIM, 10^5 points x 8 dimensions (peel + select + paste)",
        "ours_s": t_ours,
        "ours_box": {
            "x0_lower": float(box.loc["x0", "lower"]),
            "x1_upper": float(box.loc["x1", "upper"]),
            "restricted": box.index[box["restricted"]].tolist(),
            "coverage": result.coverage,
            "density": result.density,
            "peeling_steps": len(result.trajectory) - 1,
        },
    }
    try:
        import pandas as pd
        from prim import Prim  # GPL peer: benchmark only
        from prim.prim_objfcn import original
    except ImportError:
        row.update(peer="prim (GPL) not installed: pip install prim", peer_s=None, ratio=None)
        return row

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])

    def peer() -> Any:
        return Prim(
            frame, y.astype(float), threshold=0.5, threshold_type=">", obj_func=original
        ).find_box()

    t_peer, peer_box = best_of(peer)
    limits = peer_box.limits
    row.update(
        peer="prim 1.0.0 (GPL), obj_func=original, find_box()",
        peer_s=t_peer,
        ratio=t_ours / t_peer,
        peer_box={
            "x0_lower": float(limits.loc["x0", "min"]) if "x0" in limits.index else None,
            "x1_upper": float(limits.loc["x1", "max"]) if "x1" in limits.index else None,
            "restricted": [str(i) for i in limits.index],
            "coverage": float(peer_box.coverage),
            "density": float(peer_box.density),
        },
    )
    return row


def main() -> None:
    rows = [bench_sobol(), bench_prim()]
    print("| benchmark | ours (s) | peer | peer (s) | ours / peer |")
    print("|---|---|---|---|---|")
    for r in rows:
        peer_s = "n/a" if r.get("peer_s") is None else f"{r['peer_s']:.3f}"
        ratio = "n/a" if r.get("ratio") is None else f"{r['ratio']:.2f}"
        print(f"| {r['name']} | {r['ours_s']:.3f} | {r['peer']} | {peer_s} | {ratio} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "bench_sensitivity",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "repeats": REPEATS,
        "timing": "best of repeats, wall clock",
        "rows": rows,
    }
    out = RESULTS / "bench_sensitivity.json"
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {out}")
    for r in rows:
        for key in (
            "breakdown_s",
            "max_abs_error_S1_ours",
            "max_abs_error_S1_peer",
            "ours_box",
            "peer_box",
        ):
            if key in r:
                print(f"{r['name']}: {key} = {r[key]}")


if __name__ == "__main__":
    main()
