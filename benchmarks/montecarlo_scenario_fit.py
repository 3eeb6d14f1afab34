"""Monte Carlo check of scenario estimation and lambda calibration: bias and
95% interval coverage on cases simulated with known coefficients (or a known
lambda), refitted through the scenario path.

Designs:

1. **sequential**: two moves; each mover's utility a parameter estimated
   from one covariate (4 coefficients), 500 cases reporting both moves.
2. **unreported chance**: nature draws how strong the first mover is; both
   movers see it, the cases do not report it, so the likelihood marginalises
   it (4 coefficients, 500 cases).
3. **private information**: the same, but the second mover does not see
   nature's draw (an information set: the agent QRE by the general-tree
   solver, much slower, hence 300 cases and at most 100 replications).
4. **lambda**: the precision behind 1000 cases of a sequential game whose
   first mover's gain varies by case; Wald interval of lambda on the log
   scale.

Usage::

    python benchmarks/montecarlo_scenario_fit.py [--replications 500]

Each replication draws fresh covariates and choices (seeded by replication).
Coverage should be near 95% (Monte Carlo standard error about 1 point per
coefficient at 500 replications); bias is in units of the estimates' sampling
standard deviation. Writes ``benchmarks/results/montecarlo_scenario_fit.json``;
the result is recorded in docs/estimation.md, and a bounded version runs in
tests/estimation/test_scenario_fit.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import realpolitik as rp
from realpolitik.estimation.scenario_fit import estimate_scenario
from realpolitik.scenario.load import load

HERE = Path(__file__).resolve().parent

SEQUENTIAL = """\
format: 1
id: sequential
sources: {s: "simulation"}
actors: {a: A, b: B}
parameters:
  ua: {estimate: {formula: "~ x"}, source: s}
  ub: {estimate: {formula: "~ z"}, source: s}
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a: {quiet: "ua * (first == stay)", war: "-(second == fight)", win: "second == yield"}
  b: {fight: "ub * (second == fight)"}
solve: {concept: qre, lambda: 1}
"""

UNREPORTED = """\
format: 1
id: unreported
sources: {s: "simulation"}
actors: {a: A, b: B}
parameters:
  ua: {estimate: {formula: "~ x"}, source: s}
  ub: {estimate: {formula: "~ z"}, source: s}
moves:
  - {id: nature, chance: {strong: "0.4", weak: "0.6"}}
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a:
    quiet: "ua * (first == stay)"
    war: "(2 * (nature == strong) - 1) * (second == fight)"
    win: "second == yield"
  b: {fight: "ub * (second == fight) - 1.5 * (nature == strong) * (second == fight)"}
solve: {concept: qre, lambda: 1}
"""
PRIVATE = UNREPORTED.replace('"0.6"}}', '"0.6"}, observed_by: [a]}').replace(
    "id: unreported", "id: private"
)

LAMBDA = """\
format: 1
id: lambda
sources: {s: "simulation"}
actors: {a: A, b: B}
parameters:
  gain: {dist: uniform, low: 0, high: 2, source: s}
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a: {win: "gain * (second == yield)", war: "-(second == fight)"}
  b: {fight: "0.4 * (second == fight)", pride: "-0.3 * (second == yield)"}
solve: {concept: qre, lambda: 1}
"""

TRUTH = {"ua:(Intercept)": -0.5, "ua:x": 1.0, "ub:(Intercept)": 0.3, "ub:z": -1.2}
TRUE_LAMBDA = 2.5


def coefficient_design(text: str, cases: int, replications: int) -> dict[str, Any]:
    scenario = load(text=text, name="design.yaml")
    names = list(TRUTH)
    truth = np.array(list(TRUTH.values()))
    estimates, covered, failed = [], [], 0
    t0 = time.perf_counter()
    for r in range(replications):
        rng = np.random.default_rng([20141, r])
        covariates = pd.DataFrame({"x": rng.normal(size=cases), "z": rng.normal(size=cases)})
        data = rp.simulate_cases(
            scenario, covariates, coefficients=TRUTH, seed=r, report=["first", "second"]
        )
        fit = estimate_scenario(scenario, data)
        if not fit.converged:
            failed += 1
            continue
        table = fit.coefficients.loc[names]
        estimates.append(table["estimate"].to_numpy())
        covered.append(np.abs(table["estimate"].to_numpy() - truth) <= 1.96 * table["std_error"])
    return summarise(names, truth, estimates, covered, failed, cases, time.perf_counter() - t0)


def lambda_design(cases: int, replications: int) -> dict[str, Any]:
    scenario = load(text=LAMBDA, name="lambda.yaml")
    estimates, covered, failed = [], [], 0
    t0 = time.perf_counter()
    for r in range(replications):
        rng = np.random.default_rng([20142, r])
        gains = pd.DataFrame({"gain": rng.uniform(0, 2, cases)})
        data = rp.simulate_cases(scenario, gains, lam=TRUE_LAMBDA, seed=r)
        fit = rp.calibrate(scenario, data)
        if not fit.converged:
            failed += 1
            continue
        low, high = fit.lambda_interval()
        estimates.append(np.array([np.log(fit.lam)]))
        covered.append(np.array([low <= TRUE_LAMBDA <= high]))
    return summarise(
        ["log(lambda)"],
        np.array([np.log(TRUE_LAMBDA)]),
        estimates,
        covered,
        failed,
        cases,
        time.perf_counter() - t0,
    )


def summarise(
    names: list[str],
    truth: np.ndarray,
    estimates: list[np.ndarray],
    covered: list[np.ndarray],
    failed: int,
    cases: int,
    seconds: float,
) -> dict[str, Any]:
    est = np.array(estimates)
    cov = np.array(covered, dtype=float)
    sd = est.std(axis=0, ddof=1)
    bias = (est.mean(axis=0) - truth) / sd
    return {
        "cases": cases,
        "replications": len(estimates),
        "failed": failed,
        "seconds": seconds,
        "coverage_pooled": float(cov.mean()),
        "coverage": dict(zip(names, cov.mean(axis=0).tolist(), strict=True)),
        "bias_in_sd": dict(zip(names, bias.tolist(), strict=True)),
        "max_abs_bias_in_sd": float(np.max(np.abs(bias))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=500)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    n = args.replications
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.processor() or platform.machine(),
        "seed": [20141, 20142],
        "sequential": coefficient_design(SEQUENTIAL, 500, n),
        "unreported chance": coefficient_design(UNREPORTED, 500, n),
        "private information": coefficient_design(PRIVATE, 300, min(n, 100)),
        "lambda": lambda_design(1000, n),
    }
    out = HERE / "results" / "montecarlo_scenario_fit.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        "| design | cases | replications | coverage (pooled) | per coefficient "
        "| max abs bias (sd) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name in ("sequential", "unreported chance", "private information", "lambda"):
        d = results[name]
        assert isinstance(d, dict)
        per = ", ".join(f"{k} {v:.3f}" for k, v in d["coverage"].items())
        print(
            f"| {name} | {d['cases']} | {d['replications']} | {d['coverage_pooled']:.3f} | "
            f"{per} | {d['max_abs_bias_in_sd']:.3f} |"
        )


if __name__ == "__main__":
    main()
