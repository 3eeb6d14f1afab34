"""The backtest's forecast with the fitted coefficients' uncertainty
(``realpolitik backtest --draws N``) on one fold: Iran 2018 held out, the
fit on the four other cases.

Checked against the hand-coded model (``tests/case_library_reference.py``,
which uses none of realpolitik's compiler, solvers or estimation):

- the forecast mixes over the coefficients' draws: each held-out decision's
  log score (the sum over its reported dimensions, each conditional on the
  earlier ones) is ``log`` of the mean, over the very draws the forecast
  used, of the hand model's probability of everything the decision reports;
- those draws are the fit's sampling distribution: their mean and
  covariance are the hand fit's estimates and inverse Hessian (to Monte
  Carlo error).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from case_library_reference import NAMES, FragmentLikelihood, judgement_values
from realpolitik.analysis.backtest import BacktestResult, CaseScore, complete, held_out_score
from realpolitik.estimation.api import estimate
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.run.links import run_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.case_library import (
    CASE_NAMES,
    case_outcomes,
    case_scenario_text,
    fragment_text,
    pooled_outcomes,
)
from realpolitik.scenario.load import load

HELD_OUT = "iran-2018"
OTHERS = [c for c in CASE_NAMES if c != HELD_OUT]
DRAWS = 2048
SEED = 11


@pytest.fixture(scope="module")
def fold() -> tuple[CaseScore, pd.DataFrame]:
    return held_out_score(HELD_OUT, OTHERS, draws=DRAWS, seed=SEED)


@pytest.fixture(scope="module")
def coefficient_draws() -> np.ndarray:
    """The coefficients' draws the fold's forecast mixes over, taken as
    :func:`realpolitik.analysis.score.score` takes them."""
    scenario = load(text=case_scenario_text(HELD_OUT), name=f"{HELD_OUT}.yaml")
    fit = estimate(scenario, complete(pooled_outcomes(OTHERS)))
    assert isinstance(fit, ScenarioEstimate)
    fitted = load(text=fit.fitted_scenario(), name="fitted.yaml")
    settings = Settings.resolve(fitted, None, None, DRAWS, SEED, "mc", None)
    rows = run_sampler(fitted, settings).draws(0, DRAWS)
    columns = [fitted.parameter_ids.index(name) for name in NAMES]
    return np.asarray(rows[:, columns], dtype=np.float64)


@pytest.fixture(scope="module")
def hand_fit() -> tuple[np.ndarray, np.ndarray]:
    """The hand-coded model fitted on the same four cases: estimates and
    inverse Hessian (one BFGS fit for both tests)."""
    train = FragmentLikelihood(pooled_outcomes(OTHERS), judgement_values(fragment_text()))
    beta, _, _ = train.fit()
    return beta, train.covariance(beta)


@pytest.mark.slow
def test_each_decision_scores_the_mixture_over_the_draws(
    fold: tuple[CaseScore, pd.DataFrame],
    coefficient_draws: np.ndarray,
    hand_fit: tuple[np.ndarray, np.ndarray],
) -> None:
    row, scored = fold
    values = judgement_values(fragment_text())
    test_data = case_outcomes(HELD_OUT).dropna(subset=["pact_us"]).reset_index(drop=True)
    held = FragmentLikelihood(test_data, values)
    likelihood = np.exp([held.loglik(beta) for beta in coefficient_draws])  # (draws, decisions)
    expected = np.log(likelihood.mean(axis=0))
    per_decision = scored.groupby("case", sort=False)["log_score"].sum()
    np.testing.assert_allclose(per_decision.loc[test_data["case"]], expected, atol=1e-7)
    assert row.forecast_total == pytest.approx(expected.sum(), abs=1e-6)
    # the mixture is not the point estimate: the coefficients' spread matters here
    at_point = held.loglik(hand_fit[0]).sum()
    assert abs(row.forecast_total - at_point) > 0.1


@pytest.mark.slow
def test_the_draws_are_the_fits_sampling_distribution(
    coefficient_draws: np.ndarray, hand_fit: tuple[np.ndarray, np.ndarray]
) -> None:
    beta, cov = hand_fit
    se = np.sqrt(np.diag(cov))
    mean = coefficient_draws.mean(axis=0)
    # the sample mean's standard error is se / sqrt(draws): within 4 of them
    assert np.all(np.abs(mean - beta) <= 4.0 * se / np.sqrt(DRAWS) + 1e-3 * se)
    sample = np.cov(coefficient_draws, rowvar=False)
    np.testing.assert_allclose(np.sqrt(np.diag(sample)), se, rtol=0.08)
    corr = sample / np.outer(np.sqrt(np.diag(sample)), np.sqrt(np.diag(sample)))
    np.testing.assert_allclose(corr, cov / np.outer(se, se), atol=0.1)


@pytest.mark.slow
def test_the_result_says_what_it_scored(fold: tuple[CaseScore, pd.DataFrame]) -> None:
    row, scored = fold
    mixed = BacktestResult(
        rows=(row,), scored=scored, past_only=False, cases=CASE_NAMES, draws=DRAWS, seed=SEED
    )
    point = BacktestResult(rows=(row,), scored=scored, past_only=False, cases=CASE_NAMES)
    assert point.forecast_kind == "the fitted coefficients' point estimates"
    assert mixed.forecast_kind == (
        f"the mixture over {DRAWS} draws of the fitted coefficients (seed {SEED})"
    )
    document = mixed.to_json()
    assert (document["draws"], document["seed"]) == (DRAWS, SEED)
    assert document["held_out"][0]["forecast_total"] == pytest.approx(row.forecast_total)
