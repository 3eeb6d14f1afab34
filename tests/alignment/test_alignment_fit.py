"""The likelihood, the fit and the standard errors of the alignment game.

Peers: statsmodels' multinomial logit (the game with ``gamma = 0`` must give
its log-likelihood and coefficients), finite differences of the objective for
the analytic gradient, and recovery of known coefficients from simulated
votes (bias and the coverage of 95% intervals).
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.optimize import approx_fprime

from realpolitik.alignment.data import design_matrix, load_table, vintage_rows
from realpolitik.alignment.fit import bootstrap, fit_vote
from realpolitik.alignment.game import AlignmentGame
from realpolitik.alignment.likelihood import VoteLikelihood
from realpolitik.alignment.recovery import recovery_study, synthetic_design
from realpolitik.alignment.scenario import load_alignment_scenario

#: The covariates on which the 2014 multinomial logit has a finite maximum: with
#: ally_usa (no US treaty ally voted "no") or ally_rus added, the 11 "no" votes are
#: separated and the unpenalised "no" coefficients run off.
MLE_COVARIATES = ("affinity", "related_votes", "absent_rate", "vdem_accountability")
TRUE_THETA = np.array([0.5, 1.0, -0.5, -1.5, -0.8, 0.3, -1.0, 0.2, 0.4, 0.8])


@pytest.fixture(scope="module")
def design_2014():  # type: ignore[no-untyped-def]
    rows = vintage_rows(load_table(), 2014)
    return design_matrix(rows, MLE_COVARIATES, vote_column="vote_68_262")


def _statsmodels_order(votes: np.ndarray) -> np.ndarray:
    """statsmodels takes the lowest code as reference: abstain (ours 2) becomes 0."""
    return np.select([votes == 2, votes == 0, votes == 1, votes == 3], [0, 1, 2, 3])


@pytest.mark.parametrize(("gamma", "prior"), [(0.0, None), (1.3, None), (-0.9, 2.5)])
def test_gradient_matches_finite_differences(design_2014, gamma, prior) -> None:  # type: ignore[no-untyped-def]
    game = AlignmentGame(design_2014.X, design_2014.region)
    likelihood = VoteLikelihood(game, design_2014.votes, prior)
    theta = np.random.default_rng(4).normal(0, 0.4, likelihood.n_parameters)
    theta[-1] = gamma
    _, grad = likelihood(theta)
    numeric = approx_fprime(theta, lambda t: likelihood(t)[0], 1e-7)
    assert np.abs(grad - numeric).max() < 1e-4 * max(1.0, np.abs(grad).max())


def test_loglik_at_gamma_zero_is_statsmodels_mnlogit(design_2014) -> None:  # type: ignore[no-untyped-def]
    game = AlignmentGame(design_2014.X, design_2014.region)
    likelihood = VoteLikelihood(game, design_2014.votes, interaction=False)
    theta = np.random.default_rng(2).normal(0, 0.5, likelihood.n_parameters)
    k = design_2014.X.shape[1]
    params = theta[:-1].reshape(3, k).T  # yes, no, absent against abstain
    model = sm.MNLogit(_statsmodels_order(design_2014.votes), design_2014.X)
    assert likelihood.loglik(theta) == pytest.approx(
        model.loglike(params.ravel(order="F")), abs=1e-9
    )


def test_fit_without_interaction_is_statsmodels_mnlogit(design_2014) -> None:  # type: ignore[no-untyped-def]
    ours = fit_vote(design_2014, interaction=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = sm.MNLogit(_statsmodels_order(design_2014.votes), design_2014.X).fit(
            method="newton", maxiter=300, disp=0
        )
    assert peer.mle_retvals["converged"]
    assert ours.loglik == pytest.approx(peer.llf, abs=1e-6)
    k = design_2014.X.shape[1]
    ours_params = ours.estimate[:-1].reshape(3, k).T
    assert np.allclose(ours_params, np.asarray(peer.params), atol=2e-3 * np.abs(peer.params).max())
    assert np.allclose(ours.se[:-1].reshape(3, k).T, np.asarray(peer.bse), rtol=2e-3)
    assert ours.se[-1] == 0.0 and ours.estimate[-1] == 0.0


def test_the_game_never_fits_worse_than_the_mnl(design_2014) -> None:  # type: ignore[no-untyped-def]
    game = fit_vote(design_2014, interaction=True)
    mnl = fit_vote(design_2014, interaction=False)
    assert game.converged and game.loglik >= mnl.loglik - 1e-9


def test_the_shipped_scenario_holds_a_fresh_fit() -> None:
    scenario = load_alignment_scenario("unga-2022-aggression")
    rows = vintage_rows(load_table(), 2014)
    design = design_matrix(rows, scenario.covariates, vote_column="vote_68_262")
    fit = fit_vote(design, interaction=True, prior_scale=scenario.fit["prior_scale"])
    assert fit.names == scenario.names
    assert np.allclose(fit.estimate, scenario.estimate, atol=1e-4)
    assert np.allclose(fit.covariance, scenario.covariance, atol=1e-3)
    assert fit.loglik == pytest.approx(scenario.fit["loglik"], abs=1e-6)
    assert scenario.fit["loglik"] >= scenario.fit["mnl_loglik"]
    assert np.allclose(fit.scaling.mean, scenario.scaling.mean)


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
def test_bootstrap_standard_errors_agree_with_the_hessian() -> None:
    design = synthetic_design(300, 50, seed=3)
    game = AlignmentGame(design.X, design.region)
    prob = VoteLikelihood(game, np.zeros(300, np.intp)).probabilities(TRUE_THETA)
    votes = (np.random.default_rng(8).random((300, 1)) > np.cumsum(prob, axis=1)).sum(axis=1)
    fit = fit_vote(design, votes=votes)
    boot = bootstrap(
        fit,
        dataclasses.replace(design, votes=votes),
        replicates=40,
        seed=2,
    )
    assert boot.method == "bootstrap" and boot.extra["failed"] <= 4
    ratio = boot.se / fit.se
    assert np.median(ratio) == pytest.approx(1.0, abs=0.25), ratio
