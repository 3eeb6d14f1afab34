"""The pooled fit over the case library (``scenario/library/fits``), checked
against an independent implementation of the same likelihood: the fragment's
agent QRE written by hand in NumPy and maximised with SciPy
(``tests/case_library_reference.py``), on the same 47 decisions."""

from __future__ import annotations

import re
from importlib import resources

import numpy as np
import pytest

import realpolitik as rp
from case_library_reference import NAMES, FragmentLikelihood, judgement_values
from realpolitik.scenario.case_library import fit_text, fragment_text, pooled_outcomes
from realpolitik.scenario.load import load
from realpolitik.uncertainty.distributions import Normal


@pytest.fixture(scope="module")
def reference() -> tuple[FragmentLikelihood, np.ndarray, float, np.ndarray]:
    lik = FragmentLikelihood(pooled_outcomes(), judgement_values(fragment_text()))
    beta, loglik, se = lik.fit()
    return lik, beta, loglik, se


def _shipped() -> tuple[np.ndarray, np.ndarray, dict[tuple[str, str], float], float]:
    sc = load(text=fit_text(), name="third-state-cases.yaml")
    dists = [sc.parameters[n].distribution for n in NAMES]
    assert all(isinstance(d, Normal) for d in dists)
    means = np.array([d.mu for d in dists if isinstance(d, Normal)])
    sds = np.array([d.sd for d in dists if isinstance(d, Normal)])
    rho = {(c.a, c.b): c.rho for c in sc.correlations}
    found = re.search(r"log-likelihood (-?\d+\.\d+)", sc.sources["estimated_fit"].cite)
    assert found is not None
    return means, sds, rho, float(found.group(1))


def test_shipped_fit_agrees_with_an_independent_fit(
    reference: tuple[FragmentLikelihood, np.ndarray, float, np.ndarray],
) -> None:
    lik, beta, loglik, se = reference
    assert lik.n == 47  # the E3 has no ATOP covariates
    means, sds, _, shipped_loglik = _shipped()
    assert shipped_loglik == pytest.approx(loglik, abs=1e-5)
    # coefficients to a thousandth of a standard error, standard errors to 1e-3
    np.testing.assert_allclose(means, beta, atol=1e-3 * se.min())
    np.testing.assert_allclose(sds, se, rtol=1e-3)


def test_shipped_correlations_agree_with_the_independent_hessian(
    reference: tuple[FragmentLikelihood, np.ndarray, float, np.ndarray],
) -> None:
    lik, beta, _, se = reference
    _, _, rho, _ = _shipped()
    cov = lik.covariance(beta)
    corr = cov / np.outer(se, se)
    for (a, b), r in rho.items():
        assert r == pytest.approx(corr[NAMES.index(a), NAMES.index(b)], abs=2e-3), (a, b)


def test_each_decisions_likelihood_under_the_fitted_scenario_is_the_hand_one(
    reference: tuple[FragmentLikelihood, np.ndarray, float, np.ndarray],
) -> None:
    lik, _, _, _ = reference
    means, _, _, _ = _shipped()
    data = pooled_outcomes().dropna(subset=["pact_us"]).reset_index(drop=True)
    scored = rp.score(load(text=fit_text(), name="fit.yaml"), data).observations
    by_case = scored.groupby("case", sort=False)["log_score"].sum()
    np.testing.assert_allclose(by_case.loc[data["case"]].to_numpy(), lik.loglik(means), atol=1e-9)


def test_the_flagships_fit_maximises_the_independent_likelihood_with_no_threat_effect() -> None:
    """``fits/third-state-cases-no-threat.yaml`` (what the flagship uses:
    ``c_punish`` held at 0) is the maximum of the hand-written likelihood with
    that coefficient at 0: its log-likelihood is the hand one, the hand
    gradient in the ten free coefficients vanishes there, and its standard
    errors are the hand Hessian's."""
    text = (
        resources.files("realpolitik.scenario.library")
        .joinpath("fits", "third-state-cases-no-threat.yaml")
        .read_text(encoding="utf-8")
    )
    sc = load(text=text, name="third-state-cases-no-threat.yaml")
    free = NAMES[:-1]
    dists = [sc.parameters[n].distribution for n in free]
    means = np.array([d.mu for d in dists if isinstance(d, Normal)])
    sds = np.array([d.sd for d in dists if isinstance(d, Normal)])
    found = re.search(r"log-likelihood (-?\d+\.\d+)", sc.sources["estimated_fit"].cite)
    assert found is not None and len(means) == len(free)
    lik = FragmentLikelihood(pooled_outcomes(), judgement_values(fragment_text()))

    def total(b: np.ndarray) -> float:
        return float(lik.loglik(np.append(b, 0.0)).sum())

    assert total(means) == pytest.approx(float(found.group(1)), abs=1e-5)
    h = 1e-5
    gradient = [(total(means + h * e) - total(means - h * e)) / (2 * h) for e in np.eye(len(free))]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-3)
    hess = np.zeros((len(free), len(free)))
    k = 1e-4
    for i, ei in enumerate(np.eye(len(free))):
        for j, ej in enumerate(np.eye(len(free))):
            hess[i, j] = (
                total(means + k * ei + k * ej)
                - total(means + k * ei - k * ej)
                - total(means - k * ei + k * ej)
                + total(means - k * ei - k * ej)
            ) / (4 * k * k)
    np.testing.assert_allclose(np.sqrt(np.diag(np.linalg.inv(-hess))), sds, rtol=2e-3)
