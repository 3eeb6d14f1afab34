"""Parameter recovery: simulate votes from known coefficients, refit, compare.

Why this module exists: an estimator is credible when it finds the
coefficients that generated the data, with intervals that cover them as often
as they claim. This simulates roll calls from the alignment game's
equilibrium at a known ``theta`` and refits each with :func:`fit_vote` (the
shared estimation machinery; Monte Carlo study in the usual form: bias,
spread, mean Hessian standard error, coverage of the 95% Wald interval).

The bandwagoning coefficient is identified by how the regions' equilibrium
shares vary with their members' covariates (a contextual effect; Manski's
1993 reflection problem says it is not identified from a single group), so
the synthetic design has many regions whose covariate means differ.

References
----------
Manski, C. F. (1993). Identification of endogenous social effects: the
reflection problem. *Review of Economic Studies* 60(3), 531-542.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pandas as pd
from rich.progress import track

from realpolitik.alignment.data import Design, Scaling
from realpolitik.alignment.fit import fit_vote
from realpolitik.alignment.game import AlignmentGame, parameter_names
from realpolitik.alignment.likelihood import VoteLikelihood
from realpolitik.estimation.inference import ConvergenceWarning, IdentificationWarning
from realpolitik.estimation.simulate import draw_outcomes

__all__ = ["recovery_study", "simulate_votes", "synthetic_design"]

FloatArray = npt.NDArray[np.float64]
#: Normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054


def synthetic_design(n_countries: int = 480, n_regions: int = 60, seed: int = 0) -> Design:
    """Countries in equal regions, with two covariates: one with a regional
    component (``a``) and one without (``b``)."""
    rng = np.random.default_rng(seed)
    region = np.arange(n_countries) % n_regions
    a = rng.normal(size=n_regions)[region] + 0.5 * rng.normal(size=n_countries)
    b = rng.normal(size=n_countries)
    raw = np.column_stack([a, b])
    names = tuple(f"S{i:04d}" for i in range(n_countries))
    return Design(
        iso3=names,
        names=names,
        region=region.astype(np.intp),
        region_names=tuple(f"R{r}" for r in range(n_regions)),
        columns=("const", "a", "b"),
        X=np.column_stack([np.ones(n_countries), raw]),
        raw=raw,
        scaling=Scaling(("a", "b"), np.zeros(2), np.ones(2)),
        votes=None,
    )


def simulate_votes(
    design: Design, theta: FloatArray, rng: np.random.Generator, size: int
) -> npt.NDArray[np.intp]:
    """``size`` roll calls drawn from the game's equilibrium at ``theta``
    (each member independently, as the QRE's choice model says):
    ``votes[sample, country]``."""
    game = AlignmentGame(design.X, design.region)
    prob = VoteLikelihood(game, np.zeros(design.n_countries, np.intp)).probabilities(theta)
    drawn = draw_outcomes(np.tile(prob, (size, 1)), rng)
    return np.asarray(drawn.reshape(size, design.n_countries), dtype=np.intp)


def recovery_study(
    design: Design,
    theta: FloatArray,
    *,
    replicates: int = 50,
    interaction: bool = True,
    seed: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Fit ``replicates`` roll calls simulated at ``theta``; one row per parameter.

    Columns: ``true``, ``mean`` (of the estimates), ``bias``, ``sd`` (of the
    estimates), ``mean_se`` (of the Hessian standard errors), ``coverage``
    (share of 95% intervals holding the true value), ``fits`` (converged fits
    with a negative definite Hessian, ``gamma`` inside its bounds).
    With ``interaction=False`` the data are simulated and fitted with
    ``gamma = 0`` (``theta[-1]`` is ignored).
    """
    theta = np.array(theta, dtype=float)
    if not interaction:
        theta[-1] = 0.0
    samples = simulate_votes(design, theta, np.random.default_rng(seed), replicates)
    estimates, ses = [], []
    for votes in track(samples, description="recovery fits", disable=not progress):
        with warnings.catch_warnings():
            # a replicate's failure is counted in ``fits``, not shouted
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", IdentificationWarning)
            fit = fit_vote(design, interaction=interaction, votes=votes, start=theta)
        if fit.converged and fit.locally_identified and not fit.at_bound:
            estimates.append(fit.estimates)
            ses.append(fit.std_errors())
    est = np.array(estimates)
    se = np.array(ses)
    covered = np.abs(est - theta) <= Z95 * se
    frame = pd.DataFrame(
        {
            "parameter": parameter_names(design.columns),
            "true": theta,
            "mean": est.mean(axis=0),
            "bias": est.mean(axis=0) - theta,
            "sd": est.std(axis=0, ddof=1),
            "mean_se": se.mean(axis=0),
            "coverage": covered.mean(axis=0),
            "fits": len(est),
        }
    )
    return frame if interaction else frame.iloc[:-1].reset_index(drop=True)
