"""Benchmark: estimating strategic models, realpolitik against R's ``games``.

Three measurements, each with R's ``games`` 1.1.2 timed in the same run when
R and the package are installed (GPL peer, run as a separate ``Rscript``
process; never imported):

1. **Leblang fit**: ``egame12``, private information, probit, 7240 cases, 19
   coefficients (Kenkel and Signorino 2014, sec. 4), including standard
   errors; median of repeated fits in a warm process. ``games`` with its
   defaults (BFGS, ``reltol = sqrt(eps)``). Target: at most 0.2 s and at
   least 5x faster than ``games``.
2. **Bootstrap**: 1000 replicates of that fit on 2 worker processes
   (including their start-up). ``games`` runs 20 replicates (``boot = 20``);
   its time per replicate is extrapolated to 1000. Target: within 30 s.
3. **10^6 cases**: ``egame12``, agent error, probit, 6 coefficients, data
   simulated with known coefficients; one fit with standard errors. ``games``
   fits the same CSV. Target: within 10 s.

Both programs' log-likelihoods are compared in the same run.

Usage::

    python benchmarks/bench_estimation.py [--no-r] [--repeats 7] [--big-n 1000000]

Prints markdown rows for BENCHMARKS.md and writes
``benchmarks/results/estimation.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.estimation import estimate, with_bootstrap
from realpolitik.estimation.simulate import simulate

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "estimation" / "reference"
LEBLANG = (
    "outcome ~ capcont + lreserves + overval + creditgrow + USinterest + service"
    " + contagion + prioratt - 1 | 1 | 1 | unifgov + lexports + preelec + postelec"
    " + rightgov + realinterest + capcont + lreserves"
)
LEVELS = ["no attack", "devaluation", "defense"]
BIG_FORMULA = "y ~ x1 | 0 | x2 | z1"
BIG_TRUTH = (0.5, 1.0, -0.5, 1.0, 0.2, -1.0)

R_SCRIPT = r"""
suppressPackageStartupMessages({library(games); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
leb <- read.csv(args[1])
leb$outcome <- factor(leb$outcome, levels = c("no attack", "devaluation", "defense"))
f <- as.formula(args[2])
repeats <- as.integer(args[3])
cpu <- function(t) t[["user.self"]] + t[["sys.self"]]
fit_times <- numeric(repeats)
fit_cpu <- numeric(repeats)
for (i in seq_len(repeats)) {
    t <- system.time(m <- egame12(f, data = leb, link = "probit", type = "private"))
    fit_times[i] <- t[["elapsed"]]
    fit_cpu[i] <- cpu(t)
}
t <- system.time(mb <- egame12(f, data = leb, link = "probit", type = "private", boot = 20,
                               bootreport = FALSE))
out <- list(version = as.character(packageVersion("games")),
            fit_seconds = fit_times, fit_cpu_seconds = fit_cpu,
            log_likelihood = sum(m$log.likelihood),
            boot20_seconds = t[["elapsed"]] - median(fit_times),
            boot20_cpu_seconds = cpu(t) - median(fit_cpu))
if (length(args) >= 4 && nchar(args[4]) > 0) {
    big <- read.csv(args[4])
    t <- system.time(mg <- egame12(y ~ x1 | 0 | x2 | z1, data = big, link = "probit",
                                   type = "agent"))
    out$big_seconds <- t[["elapsed"]]
    out$big_cpu_seconds <- cpu(t)
    out$big_log_likelihood <- sum(mg$log.likelihood)
    out$big_n <- nrow(big)
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def _load() -> float:
    return os.getloadavg()[0]


def _cpu_with_children() -> float:
    """CPU seconds of this process and its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def r_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(
        ["Rscript", "-e", "cat(requireNamespace('games', quietly = TRUE))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.stdout.strip() == "TRUE"


def run_r(repeats: int, big_csv: Path | None) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as handle:
        handle.write(R_SCRIPT)
        script = handle.name
    try:
        done = subprocess.run(
            [
                "Rscript",
                script,
                str(DATA / "leblang2003.csv"),
                LEBLANG,
                str(repeats),
                str(big_csv) if big_csv else "",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def time_leblang(repeats: int) -> dict[str, Any]:
    estimate("egame12", DATA / "leblang2003.csv", LEBLANG, errors="private", levels=LEVELS)
    frame = pd.read_csv(DATA / "leblang2003.csv")
    walls, fits, cpus = [], [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fit = estimate("egame12", frame, LEBLANG, errors="private", levels=LEVELS)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        fits.append(fit.fit_seconds)
    return {
        "seconds_fit": statistics.median(fits),
        "cpu_seconds_with_formula_and_design": statistics.median(cpus),
        "seconds_with_formula_and_design": statistics.median(walls),
        "all_fit_seconds": fits,
        "log_likelihood": fit.log_likelihood,
        "iterations": fit.iterations,
    }


def time_bootstrap(replicates: int, workers: int) -> dict[str, Any]:
    fit = estimate("egame12", DATA / "leblang2003.csv", LEBLANG, errors="private", levels=LEVELS)
    hess_se = fit.coefficient_table(use_bootstrap=False)["std_error"].to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0, c0 = time.perf_counter(), _cpu_with_children()
        with_bootstrap(fit, replicates, seed=2014, workers=workers)
        seconds = time.perf_counter() - t0
        cpu = _cpu_with_children() - c0
    boot_se = fit.coefficients["std_error"].to_numpy()
    return {
        "replicates": replicates,
        "workers": workers,
        "seconds": seconds,
        "cpu_seconds_all_processes": cpu,
        "kept": int(fit.bootstrap.shape[0]) if fit.bootstrap is not None else 0,
        "warnings": [str(w.message) for w in caught],
        "median_se_ratio_boot_to_hessian": float(np.median(boot_se / hess_se)),
    }


def time_big(n: int, csv_dir: Path) -> tuple[dict[str, Any], Path]:
    rng = np.random.default_rng(2014)
    covariates = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "z1": rng.normal(size=n)}
    )
    data = simulate("egame12", covariates, BIG_FORMULA, BIG_TRUTH, seed=7)
    path = csv_dir / "big.csv"
    data.to_csv(path, index=False)
    t0, c0 = time.perf_counter(), time.process_time()
    fit = estimate("egame12", data, BIG_FORMULA)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    table = fit.coefficients
    return (
        {
            "n": n,
            "seconds_fit": fit.fit_seconds,
            "seconds_with_formula_and_design": wall,
            "cpu_seconds_with_formula_and_design": cpu,
            "iterations": fit.iterations,
            "log_likelihood": fit.log_likelihood,
            "max_abs_error_in_se": float(
                np.max(
                    np.abs(table["estimate"].to_numpy() - np.array(BIG_TRUTH))
                    / table["std_error"].to_numpy()
                )
            ),
        },
        path,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-r", action="store_true", help="skip the R peer")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--big-n", type=int, default=1_000_000)
    parser.add_argument("--r-big", action="store_true", help="also time games on the big data")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    record: dict[str, Any] = {
        "script": "benchmarks/bench_estimation.py",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": platform.platform(),
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        record["load_leblang"] = _load()
        record["leblang"] = time_leblang(args.repeats)
        print(f"leblang fit {record['leblang']['seconds_fit']:.3f} s", flush=True)
        record["load_bootstrap"] = _load()
        record["bootstrap"] = time_bootstrap(args.replicates, args.workers)
        print(f"bootstrap {record['bootstrap']['seconds']:.1f} s", flush=True)
        record["load_big"] = _load()
        record["big"], big_csv = time_big(args.big_n, Path(tmp))
        print(f"{args.big_n} cases {record['big']['seconds_fit']:.2f} s", flush=True)
        if not args.no_r and r_available():
            record["load_r"] = _load()
            record["games"] = run_r(args.repeats, big_csv if args.r_big else None)
    ours = record["leblang"]["seconds_fit"]
    rows = [
        "| date | load | what | ours: wall (CPU) | games 1.1.2: wall (CPU) | ratio wall (CPU) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    games = record.get("games")
    date = record["date"][:10]
    lb, bs, bg = record["leblang"], record["bootstrap"], record["big"]
    if games:
        r_fit = statistics.median(games["fit_seconds"])
        r_fit_cpu = statistics.median(games["fit_cpu_seconds"])
        ours_cpu = lb["cpu_seconds_with_formula_and_design"]
        record["ratio_fit"] = r_fit / ours
        record["agreement_leblang_loglik"] = abs(games["log_likelihood"] - lb["log_likelihood"])
        r_boot = games["boot20_seconds"] / 20 * args.replicates
        r_boot_cpu = games["boot20_cpu_seconds"] / 20 * args.replicates
        record["ratio_bootstrap"] = r_boot / bs["seconds"]
        rows.append(
            f"| {date} | {record['load_leblang']:.1f} | Leblang fit with SEs (7240 cases, 19 "
            f"coefficients; CPU includes formula and design) | {ours:.3f} s ({ours_cpu:.3f} s) | "
            f"{r_fit:.2f} s ({r_fit_cpu:.2f} s) | {r_fit / ours:.1f}x "
            f"({r_fit_cpu / ours_cpu:.1f}x) |"
        )
        rows.append(
            f"| {date} | {record['load_bootstrap']:.1f} | {args.replicates} bootstrap replicates, "
            f"{args.workers} workers (CPU of all processes) | {bs['seconds']:.1f} s "
            f"({bs['cpu_seconds_all_processes']:.1f} s) | {r_boot:.0f} s ({r_boot_cpu:.0f} s), "
            f"from 20 | {record['ratio_bootstrap']:.1f}x "
            f"({r_boot_cpu / bs['cpu_seconds_all_processes']:.1f}x) |"
        )
        if "big_seconds" in games:
            record["ratio_big"] = games["big_seconds"] / bg["seconds_fit"]
            record["agreement_big_loglik"] = abs(games["big_log_likelihood"] - bg["log_likelihood"])
            rows.append(
                f"| {date} | {record['load_big']:.1f} | {args.big_n} cases, egame12 agent probit, "
                f"6 coefficients | {bg['seconds_fit']:.2f} s "
                f"({bg['cpu_seconds_with_formula_and_design']:.2f} s) | "
                f"{games['big_seconds']:.1f} s "
                f"({games['big_cpu_seconds']:.1f} s) | {record['ratio_big']:.1f}x "
                f"({games['big_cpu_seconds'] / bg['cpu_seconds_with_formula_and_design']:.1f}x) |"
            )
    else:
        rows.append(f"| {date} | | Leblang fit | {ours:.3f} s | (no R) | |")
    print("\n".join(rows))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "estimation.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
