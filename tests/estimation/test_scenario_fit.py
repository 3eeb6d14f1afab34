"""Estimating a scenario's parameters from cases.

- **Against the egame12 front end**: Leblang's (2003) data fitted through a
  scenario that is egame12 (tests/estimation/scenarios/leblang_egame12.yaml)
  and through ``egame12`` with agent errors and the logit link (itself checked
  against R's ``games``): log-likelihoods, coefficients and standard errors
  agree, and so do the derivatives (the scenario's by finite differences
  through the estimated parameters, egame12's exact).
- **Write-back**: the fitted scenario loads, refits to the same estimates,
  and forecasts over draws.
- **Recovery** (a bounded version of ``benchmarks/montecarlo_scenario_fit.py``):
  coefficients of simulated cases are recovered without bias, with 95% Wald
  intervals covering about 95% of the time.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import realpolitik as rp
from realpolitik.estimation import egame12
from realpolitik.estimation.mle import hessian
from realpolitik.estimation.result import EstimationResult
from realpolitik.estimation.scenario_fit import estimate_scenario, prepare_scenario
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.scenario.load import load

HERE = Path(__file__).parent
LEBLANG_SCENARIO = HERE / "scenarios" / "leblang_egame12.yaml"
FORMULA = (
    "outcome ~ capcont + lreserves + overval + creditgrow + USinterest + service + contagion"
    " + prioratt - 1 | 1 | 1 | unifgov + lexports + preelec + postelec + rightgov"
    " + realinterest + capcont + lreserves"
)
LEVELS = ["no attack", "devaluation", "defense"]


def leblang_cases(data: pd.DataFrame) -> pd.DataFrame:
    """Leblang's outcomes as the choices of the scenario's two moves (the
    government's empty where there was no attack)."""
    cases = data.drop(columns=["outcome", "nation", "month", "year"]).copy()
    cases["attack"] = np.where(data["outcome"] == "no attack", "no_attack", "attack")
    cases["response"] = data["outcome"].map({"devaluation": "devalue", "defense": "defend"})
    return cases


@pytest.fixture(scope="module")
def leblang(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "leblang2003.csv")


@pytest.fixture(scope="module")
def front_end(leblang: pd.DataFrame) -> EstimationResult:
    return egame12(FORMULA, leblang, link="logit", errors="agent", levels=LEVELS)


@pytest.fixture(scope="module")
def scenario_fit(leblang: pd.DataFrame) -> ScenarioEstimate:
    return estimate_scenario(LEBLANG_SCENARIO, leblang_cases(leblang))


def test_the_scenario_fits_leblang_as_egame12_does(
    front_end: EstimationResult, scenario_fit: ScenarioEstimate
) -> None:
    assert scenario_fit.converged and front_end.converged
    assert scenario_fit.n == front_end.n == 7240
    assert scenario_fit.log_likelihood == pytest.approx(front_end.log_likelihood, abs=1e-6)
    ours = scenario_fit.coefficients
    theirs = front_end.coefficients
    assert len(ours) == len(theirs) == 19
    # the same coefficients in the same order (u1(no attack):capcont is u11:capcont)
    assert ours["estimate"].to_numpy() == pytest.approx(theirs["estimate"].to_numpy(), abs=1e-5)
    assert ours["std_error"].to_numpy() == pytest.approx(theirs["std_error"].to_numpy(), rel=2e-4)
    assert list(ours.index[:2]) == ["u11:capcont", "u11:lreserves"]
    assert list(theirs.index[:2]) == ["u1(no attack):capcont", "u1(no attack):lreserves"]


def test_the_derivatives_agree_with_egame12s_exact_ones(
    leblang: pd.DataFrame, front_end: EstimationResult
) -> None:
    ours, _ = prepare_scenario(LEBLANG_SCENARIO, leblang_cases(leblang))
    exact = front_end.likelihood
    theta = front_end.estimates + 0.05  # off the maximum, where the gradient is not 0
    value, grad = ours.value_and_gradient(theta)
    value_exact, grad_exact = exact.value_and_gradient(theta)
    assert value == pytest.approx(value_exact, rel=1e-12)
    assert np.max(np.abs(grad - grad_exact)) <= 1e-8 * np.max(np.abs(grad_exact))
    h_ours = ours.hessian(front_end.estimates)
    h_exact = hessian(exact, front_end.estimates)  # differences of the exact gradient
    assert np.max(np.abs(h_ours - h_exact)) <= 1e-6 * np.max(np.abs(h_exact))


def test_the_likelihood_pickles_for_worker_processes(leblang: pd.DataFrame) -> None:
    lik, _ = prepare_scenario(LEBLANG_SCENARIO, leblang_cases(leblang).head(300))
    theta = np.linspace(-1, 1, lik.n_params)
    again = pickle.loads(pickle.dumps(lik))
    assert again.loglik_cases(theta) == pytest.approx(lik.loglik_cases(theta), rel=1e-15)


def test_the_fit_is_written_back_and_refits_to_itself(
    scenario_fit: ScenarioEstimate, leblang: pd.DataFrame, tmp_path: Path
) -> None:
    text = scenario_fit.fitted_scenario()
    fitted = load(text=text, name="fitted.yaml")
    assert all(p.fitted for p in fitted.linear)
    table = scenario_fit.coefficients
    for name in ("u24:preelec", "u13:(Intercept)"):
        distribution = fitted.parameters[name].distribution
        assert distribution.central() == pytest.approx(table.loc[name, "estimate"], rel=1e-12)
    # covariates not declared became parameters (binary ones at their median)
    assert fitted.parameters["preelec"].central == 0.0
    again = estimate_scenario(fitted, leblang_cases(leblang))
    assert again.estimates == pytest.approx(scenario_fit.estimates, abs=1e-6)
    forecast = rp.forecast(fitted, draws=500, seed=3)
    attack = forecast.actions.set_index("action").loc["attack", "probability"]
    assert 0.0 < attack < 0.1


TRUTH = {"ua:(Intercept)": -0.5, "ua:x": 1.0, "ub:(Intercept)": 0.3, "ub:z": -1.2}
RECOVERY = """\
format: 1
id: recovery
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


def test_simulated_coefficients_are_recovered() -> None:
    scenario = load(text=RECOVERY, name="recovery.yaml")
    rng = np.random.default_rng(2014)
    names = list(TRUTH)
    truth = np.array(list(TRUTH.values()))
    estimates, covered = [], []
    for r in range(40):
        covariates = pd.DataFrame({"x": rng.normal(size=400), "z": rng.normal(size=400)})
        cases = rp.simulate_cases(scenario, covariates, coefficients=TRUTH, seed=r)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fit = estimate_scenario(scenario, cases)
        table = fit.coefficients.loc[names]
        estimates.append(table["estimate"].to_numpy())
        covered.append(np.abs(table["estimate"].to_numpy() - truth) <= 1.96 * table["std_error"])
    estimates_ = np.array(estimates)
    sd = estimates_.std(axis=0)
    # bias within half a sampling sd (the Monte Carlo error of the mean is sd / sqrt(40))
    assert np.all(np.abs(estimates_.mean(axis=0) - truth) <= 0.5 * sd)
    # 160 intervals: the Monte Carlo sd of the coverage is 1.7 points
    assert 0.89 <= np.mean(covered) <= 0.99
