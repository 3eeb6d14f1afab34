"""Normal-form solvers against pygambit 16.7, on random games.

Three rows, each timing our vectorised call on a whole batch (in a fresh
subprocess, so that its peak resident memory is its own) and pygambit's
solver called once per game on a sample of the same games (the solve call
only; building the pygambit game is timed separately and not counted):

1. logit QRE of 3x3x3 games at lambda = 1 (``logit_qre`` vs
   ``pygambit.qre.logit_solve_lambda``), 10^5 draws; the sample is also
   checked for agreement. Ours with the compiled path follower (the default
   for games this small) and with the NumPy one (``method="numpy"``); the
   compiled kernels are loaded (numba's on-disk cache) before timing.
2. all pure Nash equilibria of 3x3x3 games (``pure_nash_mask`` vs
   ``pygambit.nash.enumpure_solve``), 10^6 draws.
3. all extreme equilibria of 4x4 bimatrix games (``extreme_equilibria`` vs
   ``pygambit.nash.enummixed_solve``, exact rational arithmetic as by
   default, and with ``rational=False``), 10^4 draws.

Payoffs are uniform on [0, 10] (generic games). The machine may be shared
with other jobs: besides wall time the JSON records CPU time (ours: the whole
process, all worker threads) and the load average, and the table gives the
ratio both ways.

Run: python benchmarks/bench_normal_form.py [--qre-draws N] [--pure-draws N]
[--mixed-draws N] [--sample S]
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
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def games(seed: int, draws: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 10.0, size=(draws, len(shape), *shape))


# -- ours (run in a subprocess) ------------------------------------------------


def ours(task: str, draws: int, workers: int) -> dict[str, Any]:
    from realpolitik.solve.logit import logit_qre
    from realpolitik.solve.mixed_nash import extreme_equilibria
    from realpolitik.solve.pure_nash import pure_nash_mask

    if task in ("qre", "qre-numpy"):
        method = "numpy" if task == "qre-numpy" else "auto"
        pay = games(1, draws, (3, 3, 3))
        logit_qre(pay[:8], 1.0, workers=workers, method=method)  # load the kernels
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        t0, c0 = time.perf_counter(), time.process_time()
        q = logit_qre(pay, 1.0, workers=workers, method=method)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        extra = {
            "steps_mean": float(q.steps.mean()),
            "max_fixed_point_residual": float(q.fixed_point_residual.max()),
            "all_reached": bool((q.status == 0).all()),
        }
    elif task == "pure":
        pay = games(2, draws, (3, 3, 3))
        pure_nash_mask(pay[:8], workers=workers)  # load the kernels
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        t0, c0 = time.perf_counter(), time.process_time()
        mask = pure_nash_mask(pay, workers=workers)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        extra = {"equilibria_per_game": float(mask.reshape(draws, -1).sum(axis=1).mean())}
    else:
        pay = games(3, draws, (4, 4))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        t0, c0 = time.perf_counter(), time.process_time()
        eq = extreme_equilibria(pay)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        extra = {"equilibria_per_game": float(eq.counts().mean())}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "draws": draws,
        "workers": workers,
        "wall_s": wall,
        "cpu_s": cpu,
        "input_bytes": int(pay.nbytes),
        "peak_rss_bytes": int(peak),
        "rss_before_call_bytes": int(before),
        **extra,
    }


def run_ours(task: str, draws: int, workers: int) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--ours",
            task,
            "--draws",
            str(draws),
            "--workers",
            str(workers),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- pygambit, one game at a time ----------------------------------------------


def peer(task: str, sample: int) -> dict[str, Any]:
    import pygambit as gbt

    shape = (4, 4) if task == "mixed" else (3, 3, 3)
    pay = games({"qre": 1, "pure": 2, "mixed": 3}[task], sample, shape)
    t0 = time.perf_counter()
    built = [gbt.Game.from_arrays(*[pay[d, i] for i in range(len(shape))]) for d in range(sample)]
    build = (time.perf_counter() - t0) / sample
    out: dict[str, Any] = {"sample": sample, "build_s_per_game": build}
    t0, c0 = time.perf_counter(), time.process_time()
    if task == "qre":
        found = [gbt.qre.logit_solve_lambda(g, [1.0])[0] for g in built]
        out["s_per_game"] = (time.perf_counter() - t0) / sample
        out["cpu_s_per_game"] = (time.process_time() - c0) / sample
        profiles = np.array(
            [[q.profile[s] for s in g.strategies] for q, g in zip(found, built, strict=True)]
        )
        out["profiles"] = profiles
    elif task == "pure":
        for g in built:
            gbt.nash.enumpure_solve(g)
        out["s_per_game"] = (time.perf_counter() - t0) / sample
        out["cpu_s_per_game"] = (time.process_time() - c0) / sample
    else:
        for g in built:
            gbt.nash.enummixed_solve(g)
        out["s_per_game"] = (time.perf_counter() - t0) / sample
        out["cpu_s_per_game"] = (time.process_time() - c0) / sample
        t0 = time.perf_counter()
        for g in built:
            gbt.nash.enummixed_solve(g, rational=False)
        out["s_per_game_float"] = (time.perf_counter() - t0) / sample
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qre-draws", type=int, default=100_000)
    parser.add_argument("--pure-draws", type=int, default=1_000_000)
    parser.add_argument("--mixed-draws", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ours", choices=["qre", "qre-numpy", "pure", "mixed"])
    parser.add_argument("--draws", type=int, default=0)
    args = parser.parse_args()
    if args.ours:
        print(json.dumps(ours(args.ours, args.draws, args.workers)))
        return

    rows: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "load_average_at_start": os.getloadavg(),
    }
    # 1. logit QRE
    mine = run_ours("qre", args.qre_draws, args.workers)
    mine_1 = run_ours("qre", args.qre_draws, 1)
    mine_numpy = run_ours("qre-numpy", args.qre_draws, args.workers)
    theirs = peer("qre", args.sample)
    from realpolitik.solve.logit import logit_qre

    sample_ours = logit_qre(games(1, args.sample, (3, 3, 3)), 1.0)
    ours_flat = np.concatenate([p[:, 0] for p in sample_ours.probs], axis=1)
    agree = float(np.abs(ours_flat - theirs.pop("profiles")).max())
    rows["logit_qre_3x3x3_lam1"] = {
        "ours": mine,
        "ours_one_worker": mine_1,
        "ours_numpy_tracer": mine_numpy,
        "pygambit": theirs,
        "max_abs_difference_on_sample": agree,
        "per_game_ratio": theirs["s_per_game"] / (mine["wall_s"] / mine["draws"]),
        "per_game_cpu_ratio": theirs["cpu_s_per_game"] / (mine["cpu_s"] / mine["draws"]),
    }
    # 2. pure Nash equilibria
    mine = run_ours("pure", args.pure_draws, args.workers)
    theirs = peer("pure", args.sample)
    rows["pure_nash_3x3x3"] = {
        "ours": mine,
        "pygambit": theirs,
        "per_game_ratio": theirs["s_per_game"] / (mine["wall_s"] / mine["draws"]),
        "per_game_cpu_ratio": theirs["cpu_s_per_game"] / (mine["cpu_s"] / mine["draws"]),
        "quantecon": "not installed in the project venv; PEERS.md reports pure_nash_brute "
        "at 0.37 ms per 3x3x3 game",
    }
    # 3. extreme equilibria of 4x4 games
    mine = run_ours("mixed", args.mixed_draws, args.workers)
    theirs = peer("mixed", args.sample)
    rows["extreme_equilibria_4x4"] = {
        "ours": mine,
        "pygambit": theirs,
        "per_game_ratio": theirs["s_per_game"] / (mine["wall_s"] / mine["draws"]),
        "per_game_cpu_ratio": theirs["cpu_s_per_game"] / (mine["cpu_s"] / mine["draws"]),
        "per_game_ratio_vs_float": theirs["s_per_game_float"] / (mine["wall_s"] / mine["draws"]),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "normal_form.json").write_text(json.dumps(rows, indent=2))

    def fmt(entry: dict[str, Any], what: str, peer_name: str) -> str:
        o, p = entry["ours"], entry["pygambit"]
        per = o["wall_s"] / o["draws"]
        return (
            f"| {what} | {o['wall_s']:.2f} s for {o['draws']:,} games "
            f"({per * 1e6:.1f} us/game, peak RSS {o['peak_rss_bytes'] / 2**20:.0f} MiB, "
            f"input {o['input_bytes'] / 2**20:.0f} MiB) | {peer_name}: "
            f"{p['s_per_game'] * 1e3:.2f} ms/game | {entry['per_game_ratio']:,.0f}x; "
            f"{entry['per_game_cpu_ratio']:,.0f}x |"
        )

    print("| task | ours | pygambit 16.7 (one game per call) | ratio per game (wall; CPU) |")
    print("|---|---|---|---|")
    q = rows["logit_qre_3x3x3_lam1"]
    print(fmt(q, "logit QRE, 3x3x3, lambda = 1", "logit_solve_lambda"))
    print(
        f"| (same, one worker) | {q['ours_one_worker']['wall_s']:.2f} s | | "
        f"{q['pygambit']['s_per_game'] / (q['ours_one_worker']['wall_s'] / q['ours_one_worker']['draws']):,.0f}x |"  # noqa: E501
    )
    qn = q["ours_numpy_tracer"]
    print(
        f"| (same, NumPy path follower) | {qn['wall_s']:.2f} s | | "
        f"{q['pygambit']['s_per_game'] / (qn['wall_s'] / qn['draws']):,.0f}x |"
    )
    print(fmt(rows["pure_nash_3x3x3"], "all pure NE, 3x3x3", "enumpure_solve"))
    m = rows["extreme_equilibria_4x4"]
    print(fmt(m, "all extreme NE, 4x4", "enummixed_solve (rational)"))
    print(
        f"| (same, pygambit rational=False) | | {m['pygambit']['s_per_game_float'] * 1e3:.2f} "
        f"ms/game | {m['per_game_ratio_vs_float']:,.0f}x |"
    )
    print(f"\nQRE agreement with pygambit on {args.sample} games: max |diff| = {agree:.1e}")
    print(f"load average at start: {rows['load_average_at_start']}")


if __name__ == "__main__":
    main()
