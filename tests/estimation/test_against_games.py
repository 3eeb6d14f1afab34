"""realpolitik.estimation against R's ``games`` 1.1.2 as oracle.

Every fit of ``reference/games_reference.json`` (egame12 on the Leblang and
war1800 data, egame122 and egame123 on the package's simulated data; probit
and logit links; agent and private-information errors; scale equations, per
player or shared; fixed utilities) is refitted here from the same CSV files:

* coefficient names and the number of cases match ``games``;
* the per-case log-likelihoods at R's coefficients match R's to 1e-9 (the
  model definitions are the same, independently of any optimiser);
* the maximised log-likelihood matches to 1e-6 (the brief asks 1e-4) and is
  never lower than R's by more than that;
* the coefficients agree to a thousandth of a standard error (R's BFGS stops
  at ``reltol = 1e-12``; the optimum is flat in some directions);
* standard errors agree to 1e-3 (relative) with those of a Richardson-
  extrapolated Hessian computed in R (numDeriv) at R's estimate. (``games``'
  own standard errors come from maxLik's finite differences of function values
  whenever a scale equation is estimated, up to 40% off; they are recorded in
  the reference but not used as the oracle.)
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from games_oracle import TEXT_OUTCOME_LEVELS, load_r_reference
from realpolitik.estimation import EstimationResult, estimate

FITS = load_r_reference()["fits"]


def _fit(spec: dict[str, Any], reference_dir: Path) -> EstimationResult:
    single_outcome = "+" not in spec["formula"].split("~")[0]
    levels = TEXT_OUTCOME_LEVELS.get(spec["data"]) if single_outcome else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimate(
            spec["model"],
            reference_dir / spec["data"],
            spec["formula"],
            link=spec["link"],
            errors=spec["type"],
            levels=levels,
            sd_formula=spec["sdformula"],
            sd_by_player=spec["sdByPlayer"],
            fixed_utils=spec["fixedUtils"],
        )


@pytest.fixture(scope="module")
def fitted(reference_dir: Path) -> dict[str, EstimationResult]:
    return {spec["id"]: _fit(spec, reference_dir) for spec in FITS}


def _finite(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("spec", FITS, ids=[f["id"] for f in FITS])
def test_same_model_as_games(spec: dict[str, Any], fitted: dict[str, EstimationResult]) -> None:
    fit = fitted[spec["id"]]
    assert list(fit.names) == spec["names"]
    assert fit.n == spec["n"]
    assert list(fit.model.levels) == spec["levels"]
    at_r = fit.likelihood.loglik_cases(np.array(spec["coefficients"]))
    np.testing.assert_allclose(at_r[:25], spec["loglik_cases_first"], rtol=0, atol=1e-9)
    assert abs(float(at_r.sum()) - spec["log_likelihood"]) < 1e-9


@pytest.mark.parametrize("spec", FITS, ids=[f["id"] for f in FITS])
def test_maximum_matches_games(spec: dict[str, Any], fitted: dict[str, EstimationResult]) -> None:
    fit = fitted[spec["id"]]
    assert fit.converged
    assert abs(fit.log_likelihood - spec["log_likelihood"]) < 1e-6
    assert fit.log_likelihood > spec["log_likelihood"] - 1e-9
    fixed = np.array(spec["fixed"], dtype=bool)
    np.testing.assert_array_equal(~fit.free_mask, fixed)
    se = _finite(spec["std_errors_richardson"])
    ours = fit.estimates
    theirs = np.array(spec["coefficients"])
    np.testing.assert_array_equal(ours[fixed], theirs[fixed])
    gap = np.abs(ours[~fixed] - theirs[~fixed]) / se[~fixed]
    assert np.max(gap) < 1e-3, dict(zip(np.array(fit.names)[~fixed], gap, strict=True))


@pytest.mark.parametrize("spec", FITS, ids=[f["id"] for f in FITS])
def test_standard_errors_match_richardson_hessian(
    spec: dict[str, Any], fitted: dict[str, EstimationResult]
) -> None:
    fit = fitted[spec["id"]]
    assert spec["richardson_negative_definite"] is True
    assert fit.locally_identified
    expected = _finite(spec["std_errors_richardson"])[fit.free_mask]
    ours = fit.coefficient_table(use_bootstrap=False)["std_error"].to_numpy()
    np.testing.assert_allclose(ours, expected, rtol=1e-3)


def test_games_hessian_errors_are_coarse_where_a_scale_is_estimated() -> None:
    # why the oracle for standard errors is the Richardson Hessian: games' own
    # standard errors differ from it by more than 1% in some scale-equation fits
    worst = 0.0
    for spec in FITS:
        if spec["sdformula"] is None:
            continue
        own = _finite(spec["std_errors"])
        rich = _finite(spec["std_errors_richardson"])
        keep = np.isfinite(own) & np.isfinite(rich)
        worst = max(worst, float(np.max(np.abs(own[keep] - rich[keep]) / rich[keep])))
    assert worst > 0.01
