"""The likelihood, the fit and the standard errors of the alignment game, all
through the shared estimation machinery (:func:`realpolitik.alignment.fit_vote`
-> :func:`realpolitik.estimation.inference.fit_likelihood`).

Peers: statsmodels' multinomial logit (the game with ``gamma = 0`` must give
its log-likelihood, coefficients and standard errors), statsmodels' numerical
Hessian from function values alone (an independent check of the standard
errors with the interaction), finite differences of the objective for the
analytic gradient, and recovery of known coefficients from simulated votes
(bias, the spread of the estimates against the mean Hessian standard error,
the coverage of 95% intervals) with and without the interaction.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.optimize import approx_fprime
from statsmodels.tools.numdiff import approx_hess3

from realpolitik.alignment.data import design_matrix, load_table, vintage_rows
from realpolitik.alignment.fit import fit_vote
from realpolitik.alignment.game import AlignmentGame
from realpolitik.alignment.likelihood import GAMMA_BOUND, VoteLikelihood
from realpolitik.alignment.recovery import recovery_study, simulate_votes, synthetic_design
from realpolitik.alignment.scenario import load_alignment_scenario
from realpolitik.errors import InputError
from realpolitik.estimation.inference import IdentificationWarning, LikelihoodFit
from realpolitik.estimation.mle import CaseLikelihood

#: The covariates on which the 2014 multinomial logit has a finite maximum: with
#: ally_usa (no US treaty ally voted "no") or ally_rus added, the 11 "no" votes are
#: separated and the unpenalised "no" coefficients run off.
MLE_COVARIATES = ("affinity", "related_votes", "absent_rate", "vdem_accountability")
TRUE_THETA = np.array([0.5, 1.0, -0.5, -1.5, -0.8, 0.3, -1.0, 0.2, 0.4, 0.8])


@pytest.fixture(scope="module")
def design_2014():  # type: ignore[no-untyped-def]
    rows = vintage_rows(load_table(), 2014)
    return design_matrix(rows, MLE_COVARIATES, vote_column="vote_68_262")


@pytest.fixture(scope="module")
def game_fit(design_2014):  # type: ignore[no-untyped-def]
    return fit_vote(design_2014, label="vote_68_262")


@pytest.fixture(scope="module")
def mnl_peer(design_2014):  # type: ignore[no-untyped-def]
    """statsmodels' MNLogit (Newton) on the same design and votes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = sm.MNLogit(_statsmodels_order(design_2014.votes), design_2014.X).fit(
            method="newton", maxiter=300, disp=0
        )
    assert peer.mle_retvals["converged"]
    return peer


def _statsmodels_order(votes: np.ndarray) -> np.ndarray:
    """statsmodels takes the lowest code as reference: abstain (ours 2) becomes 0."""
    return np.select([votes == 2, votes == 0, votes == 1, votes == 3], [0, 1, 2, 3])


def test_the_likelihood_is_an_estimation_model(design_2014) -> None:  # type: ignore[no-untyped-def]
    likelihood = VoteLikelihood(AlignmentGame(design_2014.X, design_2014.region), design_2014.votes)
    as_model: CaseLikelihood = likelihood  # what mypy checks; the protocol's methods at run time
    assert all(callable(getattr(as_model, m)) for m in ("loglik_cases", "value_and_gradient"))
    assert likelihood.n_cases == 193 and likelihood.n_params == 3 * 5 + 1
    theta = np.zeros(likelihood.n_params)
    assert likelihood.value_and_gradient(theta)[0] == pytest.approx(193 * np.log(0.25))
    theta[-1] = GAMMA_BOUND  # outside the parameter space: refused, not extrapolated
    value, grad = likelihood.value_and_gradient(theta)
    assert value == -np.inf and not grad.any()
    assert np.isneginf(likelihood.loglik_cases(theta)).all()


@pytest.mark.parametrize(("gamma", "prior", "weighted"), [(0.0, None, False), (1.3, None, True),
                                                          (-0.9, 2.5, True)])  # fmt: skip
def test_gradient_matches_finite_differences(design_2014, gamma, prior, weighted) -> None:  # type: ignore[no-untyped-def]
    game = AlignmentGame(design_2014.X, design_2014.region)
    likelihood = VoteLikelihood(game, design_2014.votes, prior)
    rng = np.random.default_rng(4)
    theta = rng.normal(0, 0.4, likelihood.n_params)
    theta[-1] = gamma
    weights = rng.integers(0, 3, likelihood.n_cases).astype(float) if weighted else None
    _, grad = likelihood.value_and_gradient(theta, weights)
    numeric = approx_fprime(theta, lambda t: likelihood.value_and_gradient(t, weights)[0], 1e-7)
    assert np.abs(grad - numeric).max() < 1e-4 * max(1.0, np.abs(grad).max())
    if weights is not None:  # the weighted total is the weighted sum of the cases
        total = weights @ likelihood.loglik_cases(theta) - likelihood.penalty(theta)[0]
        assert likelihood.value_and_gradient(theta, weights)[0] == pytest.approx(total)


def test_loglik_at_gamma_zero_is_statsmodels_mnlogit(design_2014) -> None:  # type: ignore[no-untyped-def]
    likelihood = VoteLikelihood(AlignmentGame(design_2014.X, design_2014.region), design_2014.votes)
    theta = np.random.default_rng(2).normal(0, 0.5, likelihood.n_params)
    theta[-1] = 0.0
    k = design_2014.X.shape[1]
    params = theta[:-1].reshape(3, k).T  # yes, no, absent against abstain
    model = sm.MNLogit(_statsmodels_order(design_2014.votes), design_2014.X)
    assert likelihood.loglik_cases(theta).sum() == pytest.approx(
        model.loglike(params.ravel(order="F")), abs=1e-9
    )


def test_fit_without_interaction_is_statsmodels_mnlogit(design_2014, mnl_peer) -> None:  # type: ignore[no-untyped-def]
    ours = fit_vote(design_2014, interaction=False)
    assert isinstance(ours, LikelihoodFit) and ours.converged
    assert ours.log_likelihood == pytest.approx(mnl_peer.llf, abs=1e-8)
    k = design_2014.X.shape[1]
    params = np.asarray(mnl_peer.params)
    assert np.allclose(ours.estimates[:-1].reshape(3, k).T, params, atol=1e-6)
    assert np.allclose(ours.std_errors()[:-1].reshape(3, k).T, np.asarray(mnl_peer.bse), rtol=1e-4)
    assert ours.estimates[-1] == 0.0 and ours.std_errors()[-1] == 0.0
    assert ours.fixed_terms == {"gamma": 0.0} and "gamma" not in ours.coefficients.index
    assert ours.aic == pytest.approx(mnl_peer.aic)


def test_standard_errors_with_interaction_match_an_independent_hessian(game_fit) -> None:  # type: ignore[no-untyped-def]
    """statsmodels' ``approx_hess3`` differences the log-likelihood's values
    alone (ours differences the analytic, adjoint-based gradient)."""
    assert game_fit.converged and game_fit.locally_identified
    assert 0.3 < game_fit.estimates[-1] < GAMMA_BOUND  # gamma is interior and not 0
    likelihood = game_fit.likelihood
    hess = approx_hess3(game_fit.estimates, lambda t: likelihood.value_and_gradient(t)[0], 1e-4)
    peer_se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    assert np.allclose(game_fit.std_errors(), peer_se, rtol=2e-4)


def test_the_game_never_fits_worse_than_the_mnl(game_fit, mnl_peer) -> None:  # type: ignore[no-untyped-def]
    """In-sample fit beside statsmodels' multinomial logit on the same covariates."""
    assert game_fit.log_likelihood >= mnl_peer.llf - 1e-9
    assert game_fit.n_free == len(np.asarray(mnl_peer.params).ravel()) + 1


def test_summary_and_json_read_as_estimate_does(game_fit) -> None:  # type: ignore[no-untyped-def]
    text = game_fit.summary()
    assert "Coefficients:" in text and "Std. Error" in text and "Pr(>|z|)" in text
    assert "Standard errors estimated from inverse Hessian" in text
    assert f"Log-likelihood: {game_fit.log_likelihood:.7g}" in text
    doc = json.loads(json.dumps(game_fit.to_json(), allow_nan=False))
    assert doc["n"] == 193 and doc["interaction"] is True and doc["vote"] == "vote_68_262"
    gamma = doc["coefficients"]["gamma"]
    assert gamma["estimate"] == pytest.approx(game_fit.estimates[-1])
    assert gamma["std_error"] == pytest.approx(game_fit.std_errors()[-1])
    assert doc["std_error_source"] == "inverse Hessian" and doc["log_likelihood"] < 0


def test_separation_is_warned_about() -> None:
    """Without a prior the 2014 "no" votes are separated by the alliance
    columns: the machinery names the flat directions."""
    rows = vintage_rows(load_table(), 2014)
    design = design_matrix(
        rows, (*MLE_COVARIATES, "ally_usa", "ally_rus"), vote_column="vote_68_262"
    )
    with pytest.warns(IdentificationWarning, match="ally_"):
        fit_vote(design)


def test_the_shipped_scenario_holds_a_fresh_fit() -> None:
    scenario = load_alignment_scenario("unga-2022-aggression")
    spec = scenario.fit
    rows = vintage_rows(load_table(), spec["vintage"])
    design = design_matrix(rows, scenario.covariates, vote_column=spec["vote"])
    fit = fit_vote(design, interaction=spec["interaction"], prior_scale=spec["prior_scale"])
    assert fit.names == scenario.names
    assert np.allclose(fit.estimates, scenario.estimate, atol=1e-6)
    assert np.allclose(fit.full_covariance(), scenario.covariance, atol=1e-6)
    assert fit.log_likelihood == pytest.approx(spec["loglik"], abs=1e-6)
    assert spec["loglik"] >= spec["mnl_loglik"]
    assert np.allclose(fit.scaling.mean, scenario.scaling.mean)


def test_the_profile_of_gamma_stays_in_its_parameter_space(game_fit) -> None:  # type: ignore[no-untyped-def]
    profile = game_fit.profile(["gamma"], steps=3)
    values = profile.table["value"].to_numpy()
    assert (np.abs(values) < GAMMA_BOUND).all() and profile.table["converged"].all()
    # the estimate is the maximum, and the likelihood-ratio interval holds it
    assert (profile.table["log_likelihood"] <= profile.max_loglik + 1e-9).all()
    assert profile.max_loglik == pytest.approx(game_fit.log_likelihood)  # no prior here
    low, high = profile.intervals().loc["gamma", ["lower", "upper"]]
    assert not np.isfinite(low) or low < game_fit.estimates[-1]
    assert not np.isfinite(high) or high > game_fit.estimates[-1]
    json.dumps(profile.to_json(), allow_nan=False)


@pytest.mark.slow
@pytest.mark.parametrize("interaction", [True, False])
def test_known_coefficients_are_recovered(interaction: bool) -> None:
    design = synthetic_design(480, 60, seed=0)
    replicates = 40 if interaction else 100
    study = recovery_study(
        design, TRUE_THETA, replicates=replicates, interaction=interaction, seed=11
    )
    assert (study["fits"] >= 0.9 * replicates).all()
    # bias within 3.5 Monte Carlo standard errors of zero, for every parameter
    mc_se = study["sd"] / np.sqrt(study["fits"])
    assert (np.abs(study["bias"]) <= 3.5 * mc_se + 0.05).all(), study
    # Hessian standard errors match the spread of the estimates (pooled; one
    # parameter's spread over 40 replicates is itself uncertain by about 11%)
    ratio = study["mean_se"] / study["sd"]
    assert 0.75 <= ratio.median() <= 1.33 and ratio.between(0.5, 2.0).all(), study
    # 95% intervals cover about 95% of the time (pooled over parameters)
    assert 0.88 <= study["coverage"].mean() <= 0.995, study


@pytest.mark.slow
def test_case_bootstrap_standard_errors_agree_with_the_hessian() -> None:
    design = synthetic_design(300, 50, seed=3)
    votes = simulate_votes(design, TRUE_THETA, np.random.default_rng(8), 1)[0]
    fit = fit_vote(design, votes=votes)
    hessian_se = fit.std_errors(use_bootstrap=False)
    fit.with_bootstrap(60, seed=2, workers=2)
    assert fit.bootstrap is not None and fit.bootstrap.shape[0] >= 57
    assert fit.se_source() == "bootstrap"
    ratio = fit.std_errors() / hessian_se
    assert np.median(ratio) == pytest.approx(1.0, abs=0.2), ratio
    assert ((ratio > 0.6) & (ratio < 1.6)).all(), ratio


def test_bad_fit_arguments_are_input_errors(design_2014) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="start needs 16 values, not 3"):
        fit_vote(design_2014, start=np.zeros(3))
    with pytest.raises(InputError, match="prior_scale must be > 0"):
        fit_vote(design_2014, prior_scale=0.0)
