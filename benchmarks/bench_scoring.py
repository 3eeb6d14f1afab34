"""Benchmark: calibrating lambda, estimating a scenario's parameters, and
scoring, with pygambit's ``logit_estimate`` (GPL peer, benchmarks only)
timed on the same data in the same run where it can take the data.

1. **lambda on 10^4 cases of a small game** (two sequential moves, every
   case the same game): ``realpolitik.calibrate`` (estimate, standard error,
   Wald and likelihood-ratio intervals) against pygambit 16.7.0's agent
   logit estimator on the action counts (estimate only; ``local_max=True``:
   its global search crashes on this data). Both lambdas and
   log-likelihoods are reported.
2. **lambda on 10^4 cases of the flagship** (china-russia-2022, 28 paths, 4
   movers): (a) every case at the central values (cases that share a game are
   solved once); (b) every case with its own draw of the 46 parameters
   (10^4 different games: a backtest's situation). pygambit's estimator
   takes one game's counts, so it has no counterpart for (b).
3. **A scenario's parameters**: Leblang's 7240 cases through the scenario
   that is egame12 (19 coefficients in 4 parameters, agent logit QRE) against
   the egame12 front end on the same data (logit, agent errors: the same
   model with exact derivatives).
4. **Scoring**: the flagship's forecast over 200 draws scored on 1000 cases.

Usage::

    python benchmarks/bench_scoring.py [--repeats 5] [--cases 10000]

Prints markdown rows for BENCHMARKS.md and writes
``benchmarks/results/scoring.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import realpolitik as rp
from realpolitik.estimation import egame12
from realpolitik.estimation.scenario_fit import estimate_scenario
from realpolitik.run.sampling import scenario_sampler
from realpolitik.scenario.load import load

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent / "tests" / "estimation"
SMALL = """\
format: 1
id: sequential
sources: {s: "an illustration"}
actors: {a: A, b: B}
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a: {win: "second == yield", war: "-(second == fight)"}
  b: {fight: "0.4 * (second == fight)", pride: "-0.3 * (second == yield)"}
solve: {concept: qre, lambda: 1}
"""
LEBLANG = (
    "outcome ~ capcont + lreserves + overval + creditgrow + USinterest + service + contagion"
    " + prioratt - 1 | 1 | 1 | unifgov + lexports + preelec + postelec + rightgov"
    " + realinterest + capcont + lreserves"
)


def timed(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def gambit_small(counts: list[int]) -> tuple[float, float] | None:
    """pygambit's agent logit estimate on the small game's action counts."""
    try:
        import pygambit as gbt  # GPL peer: benchmarks only, never the package
        from pygambit import gambit as libgbt
    except ImportError:
        return None
    game = gbt.Game.new_tree(players=["a", "b"])
    game.append_move(game.root, "a", ["stay", "go"])
    game.append_move(game.root.children["go"], "b", ["yield", "fight"])
    payoffs = {
        ("stay", ""): (0, 0),
        ("go", "yield"): (1, Fraction(-3, 10)),
        ("go", "fight"): (-1, Fraction(2, 5)),
    }
    for (x, y), pay in payoffs.items():
        node = game.root.children[x] if not y else game.root.children[x].children[y]
        game.set_outcome(node, game.add_outcome(f"{x}-{y}", [Fraction(v) for v in pay]))
    data = game.mixed_behavior_profile(rational=False)
    actions = [a for p in game.players for i in p.infosets for a in i.actions]
    for action, count in zip(actions, counts, strict=True):
        data[action] = float(count)
    # logit_estimate's result wrapper fails on behaviour data in 16.7.0; the
    # estimator it wraps returns lambda and the log-likelihood
    result = libgbt._logit_behavior_estimate(data, local_max=True, first_step=0.03, max_accel=1.1)
    return float(result.lam), float(result.log_like)


def bench_small(cases: int, repeats: int) -> dict[str, Any]:
    scenario = load(text=SMALL, name="sequential.yaml")
    data = rp.simulate_cases(scenario, cases, lam=2.0, seed=1)
    counts = [
        int((data["first"] == "stay").sum()),
        int((data["first"] == "go").sum()),
        int((data["second"] == "yield").sum()),
        int((data["second"] == "fight").sum()),
    ]
    ours_s, fit = timed(lambda: rp.calibrate(scenario, data), repeats)
    peer_s, peer = timed(lambda: gambit_small(counts), repeats)
    return {
        "cases": cases,
        "ours_seconds": ours_s,
        "ours_lambda": fit.lam,
        "ours_loglik": fit.log_likelihood,
        "ours_interval_profile": list(fit.profile_interval),
        "gambit_seconds": peer_s if peer is not None else None,
        "gambit_lambda": None if peer is None else peer[0],
        "gambit_loglik": None if peer is None else peer[1],
    }


def bench_flagship(cases: int, repeats: int) -> dict[str, Any]:
    scenario = rp.load(LEGACY_FLAGSHIP)
    central = rp.simulate_cases(scenario, cases, seed=2)
    same_s, same = timed(lambda: rp.calibrate(scenario, central), repeats)
    draws = scenario_sampler(scenario, cases, method="mc", seed=3).draws(0, cases)
    own = pd.DataFrame(draws, columns=list(scenario.parameter_ids))
    varied = rp.simulate_cases(scenario, own, seed=4)
    varied_s, fit = timed(lambda: rp.calibrate(scenario, varied), max(1, repeats // 2))
    return {
        "cases": cases,
        "central_seconds": same_s,
        "central_lambda": same.lam,
        "varied_seconds": varied_s,
        "varied_lambda": fit.lam,
        "varied_lambda_se": fit.lambda_se,
        "true_lambda": scenario.solve.lam,
    }


def leblang_cases(data: pd.DataFrame) -> pd.DataFrame:
    cases = data.drop(columns=["outcome", "nation", "month", "year"]).copy()
    cases["attack"] = np.where(data["outcome"] == "no attack", "no_attack", "attack")
    cases["response"] = data["outcome"].map({"devaluation": "devalue", "defense": "defend"})
    return cases


def bench_leblang(repeats: int) -> dict[str, Any]:
    data = pd.read_csv(TESTS / "reference" / "leblang2003.csv")
    cases = leblang_cases(data)
    scenario = TESTS / "scenarios" / "leblang_egame12.yaml"
    levels = ["no attack", "devaluation", "defense"]
    ours_s, ours = timed(lambda: estimate_scenario(scenario, cases), repeats)
    front_s, front = timed(
        lambda: egame12(LEBLANG, data, link="logit", errors="agent", levels=levels), repeats
    )
    a, b = ours.coefficients, front.coefficients
    return {
        "scenario_seconds": ours_s,
        "egame12_seconds": front_s,
        "iterations": ours.iterations,
        "loglik_scenario": ours.log_likelihood,
        "loglik_egame12": front.log_likelihood,
        "max_coefficient_gap": float(np.max(np.abs(a["estimate"].to_numpy() - b["estimate"]))),
        "max_se_relative_gap": float(
            np.max(np.abs(a["std_error"].to_numpy() / b["std_error"].to_numpy() - 1))
        ),
    }


def bench_score(cases: int, draws: int) -> dict[str, Any]:
    scenario = rp.load(LEGACY_FLAGSHIP)
    outcomes = rp.simulate_cases(scenario, cases, seed=5)
    t0 = time.perf_counter()
    result = rp.score(scenario, outcomes, draws=draws, seed=6)
    seconds = time.perf_counter() - t0
    table = result.scores
    return {
        "cases": cases,
        "draws": draws,
        "observations": len(result.observations),
        "seconds": seconds,
        "log_score": float(table.loc["forecast", "log_score"]),
        "uniform_log_score": float(table.loc["uniform", "log_score"]),
        "base_rate_log_score": float(table.loc["base_rate", "log_score"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    load_before = os.getloadavg()[0]
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_before": load_before,
        "small": bench_small(args.cases, args.repeats),
        "flagship": bench_flagship(args.cases, args.repeats),
        "leblang": bench_leblang(args.repeats),
        "score": bench_score(1000, 200),
        "load_after": os.getloadavg()[0],
    }
    out = HERE / "results" / "scoring.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s, f, lb, sc = results["small"], results["flagship"], results["leblang"], results["score"]
    date = results["date"]
    print("| date | what | ours | peer | ratio |")
    print("| --- | --- | --- | --- | --- |")
    if s["gambit_seconds"]:
        print(
            f"| {date} | lambda, small game, {s['cases']} cases | {s['ours_seconds']:.3f} s "
            f"(lambda {s['ours_lambda']:.6f}) | pygambit {s['gambit_seconds']:.3f} s (lambda "
            f"{s['gambit_lambda']:.6f}) | {s['gambit_seconds'] / s['ours_seconds']:.2f}x |"
        )
    print(
        f"| {date} | lambda, flagship, {f['cases']} cases at the central values | "
        f"{f['central_seconds']:.2f} s | - | - |"
    )
    print(
        f"| {date} | lambda, flagship, {f['cases']} cases with their own parameters | "
        f"{f['varied_seconds']:.2f} s (lambda {f['varied_lambda']:.3f} +/- "
        f"{f['varied_lambda_se']:.3f}, true {f['true_lambda']:g}) | - | - |"
    )
    print(
        f"| {date} | Leblang through the egame12 scenario | {lb['scenario_seconds']:.2f} s "
        f"({lb['iterations']} iterations) | egame12 front end {lb['egame12_seconds']:.3f} s | "
        f"{lb['egame12_seconds'] / lb['scenario_seconds']:.3f}x |"
    )
    print(
        f"| {date} | score, flagship, {sc['cases']} cases x {sc['draws']} draws | "
        f"{sc['seconds']:.2f} s | - | - |"
    )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
