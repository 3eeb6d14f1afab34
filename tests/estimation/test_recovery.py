"""Recovery of known coefficients from simulated data: bias and 95% Wald
interval coverage over Monte Carlo replications (a bounded version of
``benchmarks/montecarlo_estimation.py``, whose full result is recorded in
docs/estimation.md).

Pooled over about 1900 intervals the Monte Carlo standard error of the
coverage is 0.5 points, so the band 93-97% fails for standard errors off by
about 10%; a mean estimate more than half a sampling standard deviation from
the truth fails the bias check (the Monte Carlo standard error of that mean is
at most 0.13 sd)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from realpolitik.estimation import estimate
from realpolitik.estimation.simulate import simulate

DESIGNS = [
    # model, formula, truth, cases, replications, link, errors, scale formula
    (
        "egame12",
        "y ~ x1 | 0 | x2 | z1",
        (0.5, 1.0, -0.5, 1.0, 0.2, -1.0),
        300,
        150,
        "probit",
        "agent",
        None,
    ),
    (
        "egame12",
        "y ~ x1 | 0 | x2 | z1",
        (0.5, 1.0, -0.5, 1.0, 0.2, -1.0, 0.4),
        400,
        60,
        "logit",
        "agent",
        "~ w - 1",
    ),
    (
        "egame123",
        "y ~ x1 | 0 | x2 | 1 | 0 | z1 | 1 | z2",
        (0.5, 1.0, -0.4, 0.8, 0.3, 0.2, -0.7, 0.4, 0.3, 0.6),
        600,
        60,
        "probit",
        "private",
        None,
    ),
]


def _replicate(
    model: str,
    formula: str,
    truth: np.ndarray,
    n: int,
    reps: int,
    link: str,
    errors: str,
    sd: str | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    estimates, covered = [], []
    for r in range(reps):
        data = pd.DataFrame({c: rng.normal(size=n) for c in ("x1", "x2", "z1", "z2")})
        data["w"] = rng.uniform(size=n)
        data = simulate(
            model,
            data,
            formula,
            truth,
            link=link,
            errors=errors,
            sd_formula=sd,
            seed=seed * 1000 + r,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = estimate(model, data, formula, link=link, errors=errors, sd_formula=sd)
        table = fit.coefficient_table(use_bootstrap=False)
        est, se = table["estimate"].to_numpy(), table["std_error"].to_numpy()
        estimates.append(est)
        covered.append(np.abs(est - truth) <= 1.959964 * se)
    return np.array(estimates), np.array(covered)


@pytest.mark.slow
def test_bias_and_coverage() -> None:
    all_covered = []
    for k, (model, formula, truth, n, reps, link, errors, sd) in enumerate(DESIGNS):
        true = np.array(truth)
        est, covered = _replicate(model, formula, true, n, reps, link, errors, sd, seed=100 + k)
        spread = est.std(axis=0, ddof=1)
        bias = (est.mean(axis=0) - true) / spread
        assert np.all(np.abs(bias) < 0.5), (model, link, errors, bias)
        all_covered.append(covered.ravel())
    coverage = float(np.concatenate(all_covered).mean())
    assert 0.93 <= coverage <= 0.97, coverage
