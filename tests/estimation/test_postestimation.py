"""After the fit: likelihood profiles and predicted probabilities against R's
``games`` (``profile.game``, ``predProbs``), Vuong and Clarke tests against
``games::vuong``/``clarke``, and the bootstrap (reproducible, independent of
the number of workers, and close to the Hessian standard errors where the
likelihood is near quadratic)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from realpolitik.estimation import (
    EstimationResult,
    clarke,
    estimate,
    predicted_probabilities,
    vuong,
    with_bootstrap,
)

WAR_FORMULA = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"


@pytest.fixture(scope="module")
def war_fit(reference_dir: Path) -> EstimationResult:
    return estimate("egame12", reference_dir / "war1800.csv", WAR_FORMULA)


def test_profile_matches_games(war_fit: EstimationResult, r_games: dict[str, Any]) -> None:
    ref = r_games["profile"]
    prof = war_fit.profile([ref["coefficient"]], steps=ref["steps"], dist=ref["dist"])
    np.testing.assert_allclose(prof.table["value"], ref["values"], rtol=0, atol=1e-6)
    # R refits each point with BFGS (reltol 1e-12); ours reach the maximum
    np.testing.assert_allclose(prof.table["log_likelihood"], ref["log_likelihood"], atol=1e-5)
    assert (prof.table["log_likelihood"] < prof.max_loglik).all()
    ci = prof.intervals().loc[ref["coefficient"]]
    assert ci["lower"] < war_fit.coefficients.loc[ref["coefficient"], "estimate"] < ci["upper"]
    assert prof.plot().axes


def test_predicted_probabilities_match_predprobs(
    war_fit: EstimationResult, r_games: dict[str, Any]
) -> None:
    ref = r_games["pred_probs"]
    pred = predicted_probabilities(war_fit, ref["x"], n=ref["n"], level=None)
    np.testing.assert_allclose(pred.table[ref["x"]], ref["x_values"], rtol=1e-12)
    for column, expected in zip(ref["outcome_names"], ref["probabilities"], strict=True):
        np.testing.assert_allclose(pred.table[column], expected, rtol=0, atol=1e-7)
    for column, value in pred.profile.items():
        expected = ref["profile"][column]
        assert value == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_prediction_bands(war_fit: EstimationResult) -> None:
    pred = predicted_probabilities(war_fit, "regime2", seed=1)
    assert list(pred.table["regime2"]) == ["autoc", "dem", "mixed"]
    for outcome in war_fit.model.levels:
        col = f"Pr({outcome})"
        assert (pred.table[f"{col}:low"] <= pred.table[col]).all()
        assert (pred.table[col] <= pred.table[f"{col}:high"]).all()
    total = pred.table[[f"Pr({o})" for o in war_fit.model.levels]].sum(axis=1)
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    again = predicted_probabilities(war_fit, "regime2", seed=1)
    pd.testing.assert_frame_equal(pred.table, again.table)
    assert pred.plot().axes


def test_vuong_and_clarke_formulas(r_games: dict[str, Any]) -> None:
    ref = r_games["nonnested"]
    m1 = (np.array(ref["loglik1"]), ref["model1"]["n_params"])
    m2 = (np.array(ref["loglik2"]), ref["model2"]["n_params"])
    v = vuong(m1, m2)
    c = clarke(m1, m2)
    assert v.statistic == pytest.approx(ref["vuong_statistic"], rel=1e-12)
    assert v.p_value == pytest.approx(ref["vuong_p"], rel=1e-10)
    assert c.statistic == ref["clarke_statistic"]
    assert c.p_value == pytest.approx(ref["clarke_p"], rel=1e-10)
    assert v.preferred == 1 and c.preferred == 1


def test_vuong_on_fitted_models(
    war_fit: EstimationResult, r_games: dict[str, Any], reference_dir: Path
) -> None:
    ref = r_games["nonnested"]
    other = estimate("egame12", reference_dir / "war1800.csv", ref["model2"]["formula"])
    assert other.log_likelihood == pytest.approx(ref["model2"]["log_likelihood"], abs=1e-6)
    v = vuong(war_fit, other)
    # per-case log-likelihoods at two optimisers' end points: agree to 1e-4
    assert v.statistic == pytest.approx(ref["vuong_statistic"], rel=1e-4)
    assert clarke(war_fit, other).statistic == ref["clarke_statistic"]
    with pytest.raises(ValueError, match="different numbers of cases"):
        vuong(war_fit, (np.zeros(5), 1))


def test_bootstrap_is_seeded_and_worker_independent(reference_dir: Path) -> None:
    base = estimate("egame12", reference_dir / "war1800.csv", WAR_FORMULA)
    one = with_bootstrap(base, 12, seed=5, workers=1).bootstrap
    assert one is not None
    base2 = estimate("egame12", reference_dir / "war1800.csv", WAR_FORMULA)
    two = with_bootstrap(base2, 12, seed=5, workers=2).bootstrap
    np.testing.assert_array_equal(one, two)
    base3 = estimate("egame12", reference_dir / "war1800.csv", WAR_FORMULA)
    other = with_bootstrap(base3, 12, seed=6, workers=1).bootstrap
    assert other is not None and not np.array_equal(one, other)


def test_bootstrap_standard_errors_near_hessian(reference_dir: Path) -> None:
    # d123 agent probit: 1000 simulated cases, a well-behaved likelihood
    fit = estimate(
        "egame123",
        reference_dir / "data_123.csv",
        "y ~ x1 + x2 | 0 | x3 | x4 + x5 | 0 | x6 | x7 | x8",
    )
    hess = fit.coefficient_table(use_bootstrap=False)["std_error"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_bootstrap(fit, 200, seed=11, workers=1)
    assert fit.se_source() == "bootstrap"
    boot = fit.coefficients["std_error"].to_numpy()
    ratio = boot / hess
    # sampling error of a standard deviation from 200 replicates is ~5%
    assert np.all((ratio > 0.75) & (ratio < 1.33)), ratio
    assert abs(float(np.median(ratio)) - 1.0) < 0.12
