"""Fit the alignment game's coefficients on one roll call, with the shared
estimation machinery.

Why this module exists: it turns a design (covariates, regions, observed
votes) into the game's likelihood (:class:`~realpolitik.alignment.likelihood.
VoteLikelihood`, a model of independent cases whose cases are members) and
hands it to :func:`realpolitik.estimation.inference.fit_likelihood`, which
fits every model the project estimates: BFGS with the exact gradient, a
safeguarded Newton step, the Hessian by central differences of the gradient,
its inverse as the covariance, flat directions and the same warnings. The
result, :class:`VoteEstimate`, is a
:class:`~realpolitik.estimation.inference.LikelihoodFit` (the coefficient
table in R's ``summary.game`` layout, the case bootstrap, likelihood
profiles, strict JSON), with what the alignment game adds: its covariates and
their scaling, the prior, and whether the bandwagoning term was free.

``interaction=False`` holds ``gamma`` at 0: the multinomial logit on the same
covariates (McFadden 1974), which the game nests and must not fit worse than.
With a prior (``prior_scale``) the estimate is the posterior mode and the
inverse Hessian of the penalised objective its Laplace-approximation
covariance; the log-likelihood reported is that of the votes alone.

References
----------
McFadden, D. (1974). Conditional logit analysis of qualitative choice
behavior. In P. Zarembka (ed.), *Frontiers in Econometrics*, 105-142.
Kenkel, B. and Signorino, C. S. (2014). Estimating extensive form games in R.
*Journal of Statistical Software* 56(8).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from realpolitik.alignment.choices import REFERENCE
from realpolitik.alignment.data import (
    Design,
    ImputeRule,
    Scaling,
    design_matrix,
    load_table,
    table_path,
    vintage_rows,
)
from realpolitik.alignment.game import AlignmentGame, parameter_names
from realpolitik.alignment.likelihood import GAMMA_BOUND, VoteLikelihood
from realpolitik.alignment.scenario import AlignmentScenario, load_alignment_scenario
from realpolitik.errors import InputError
from realpolitik.estimation.inference import LikelihoodFit, finite_or_none, fit_likelihood

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["VoteEstimate", "fit_scenario", "fit_vote"]

FloatArray = npt.NDArray[np.float64]

#: What makes the alignment likelihood flat, for the identification warning.
FLAT_CAUSES = (
    "a choice never observed, separation (a covariate that predicts a choice exactly; "
    "give a prior_scale), or a covariate without variation"
)


@dataclass(kw_only=True)
class VoteEstimate(LikelihoodFit):
    """The alignment game fitted on one roll call.

    Attributes (besides those of
    :class:`~realpolitik.estimation.inference.LikelihoodFit`)
    ----------
    columns : ``const`` and the covariates, in the design's order.
    scaling : the covariates' centre and scale (the fitting sample's).
    prior_scale : the Gaussian prior's scale on the slopes (None: plain ML).
    interaction : ``gamma`` was estimated (False: held at 0).
    vote : what was fitted (a label, e.g. the vote column).
    """

    columns: tuple[str, ...]
    scaling: Scaling
    prior_scale: float | None
    interaction: bool
    vote: str = ""

    @property
    def vote_likelihood(self) -> VoteLikelihood:
        assert isinstance(self.likelihood, VoteLikelihood)
        return self.likelihood

    @property
    def log_posterior(self) -> float:
        """The maximised objective: the log-likelihood minus the prior's penalty."""
        return self.log_likelihood - self.vote_likelihood.penalty(self.estimates)[0]

    @property
    def at_bound(self) -> bool:
        """``gamma`` stopped at the edge of its parameter space."""
        return self.interaction and abs(float(self.estimates[-1])) >= GAMMA_BOUND - 1e-3

    def full_covariance(self, use_bootstrap: bool = True) -> FloatArray:
        """Covariance of every coefficient (``gamma``'s row and column 0 when it
        was held at 0), as a scenario's ``fit.covariance`` holds it."""
        full = np.zeros((len(self.names), len(self.names)))
        free = np.flatnonzero(self.free_mask)
        full[np.ix_(free, free)] = self.covariance(use_bootstrap)
        return full

    def std_errors(self, use_bootstrap: bool = True) -> FloatArray:
        """Standard error of every coefficient (0 for one held fixed)."""
        return np.sqrt(np.clip(np.diag(self.full_covariance(use_bootstrap)), 0.0, None))

    def header(self) -> list[str]:
        model = (
            "logit QRE of the alignment game, regional bandwagoning (gamma)"
            if self.interaction
            else "multinomial logit (the alignment game with gamma = 0)"
        )
        prior = (
            "none (maximum likelihood)"
            if self.prior_scale is None
            else f"Gaussian on the slopes, scale {self.prior_scale:g} (posterior mode)"
        )
        return [
            f"{self.vote or 'votes'}: {model}",
            f"choices: yes, no, absent against {REFERENCE}; covariates (standardised): "
            + ", ".join(self.columns[1:]),
            f"prior: {prior}",
        ]

    def statistics(self) -> list[str]:
        lines = super().statistics()
        if self.prior_scale is not None:
            lines.insert(1, f"Log-posterior (maximised): {self.log_posterior:.7g}")
        return lines

    def to_json(self, use_bootstrap: bool = True) -> dict[str, Any]:
        """A strict-JSON document: ``{"model", "vote", "covariates",
        "interaction", "prior_scale", "log_posterior"}`` and the keys of
        :meth:`~realpolitik.estimation.inference.LikelihoodFit.fit_json`."""
        return {
            "model": "alignment" if self.interaction else "alignment-mnl",
            "vote": self.vote,
            "covariates": list(self.columns[1:]),
            "interaction": self.interaction,
            "prior_scale": self.prior_scale,
            "log_posterior": finite_or_none(self.log_posterior),
            **self.fit_json(use_bootstrap),
        }

    def plot(self, level: float = 0.95) -> Figure:
        """Coefficients with their confidence intervals."""
        title = f"{self.vote or 'votes'}: log-likelihood {self.log_likelihood:.4f}, n = {self.n}"
        return self.plot_coefficients(title, level)


def fit_vote(
    design: Design,
    *,
    interaction: bool = True,
    prior_scale: float | None = None,
    start: FloatArray | None = None,
    votes: npt.NDArray[np.intp] | None = None,
    label: str = "",
) -> VoteEstimate:
    """Fit the game's coefficients to one roll call by (penalised) maximum likelihood.

    Parameters
    ----------
    design : covariates and (unless ``votes`` is given) the observed votes.
    interaction : False holds ``gamma`` at 0 (a multinomial logit).
    prior_scale : Gaussian prior on the slopes (None: plain maximum likelihood).
    start : starting coefficients (zeros by default: every member indifferent).
    votes : votes to fit instead of ``design.votes`` (simulated votes).
    label : what is fitted, for the summary (e.g. the vote column).

    Returns
    -------
    VoteEstimate
    """
    observed = design.votes if votes is None else votes
    if observed is None:
        raise InputError("the design has no votes to fit", field="vote")
    if prior_scale is not None and not prior_scale > 0:
        raise InputError(f"prior_scale must be > 0, got {prior_scale}", field="prior_scale")
    likelihood = VoteLikelihood(
        AlignmentGame(design.X, design.region), np.asarray(observed, np.intp), prior_scale
    )
    theta0 = np.zeros(likelihood.n_params) if start is None else np.array(start, dtype=float)
    if theta0.shape != (likelihood.n_params,):
        raise InputError(
            f"start needs {likelihood.n_params} values, not {theta0.size}", field="start"
        )
    free = np.ones(likelihood.n_params, dtype=bool)
    if not interaction:
        theta0[-1] = 0.0
        free[-1] = False
    fit = fit_likelihood(
        likelihood,
        theta0,
        parameter_names(design.columns),
        free,
        flat_causes=FLAT_CAUSES,
        stacklevel=2,
    )
    return VoteEstimate(
        **fit.__dict__,
        columns=design.columns,
        scaling=design.scaling,
        prior_scale=prior_scale,
        interaction=interaction,
        vote=label,
    )


def fit_scenario(
    scenario: AlignmentScenario | str | Path,
    *,
    table: str | Path | None = None,
    impute: ImputeRule = "error",
) -> tuple[VoteEstimate, VoteEstimate]:
    """Refit a scenario's model on its roll call: the game as the scenario's
    ``fit`` block specifies it (covariates, vote column, vintage, prior,
    interaction) and, beside it, the multinomial logit on the same covariates
    and prior (``gamma`` held at 0).

    The covariates are standardised with the fitting sample's means and
    standard deviations, as the block's ``scaling`` records them.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a file.
    table : a covariate table instead of the scenario's (or the shipped one).
    impute : the rule for missing covariate values (see
        :func:`~realpolitik.alignment.data.load_table`).

    Returns
    -------
    (game, multinomial logit)
    """
    sc = scenario if isinstance(scenario, AlignmentScenario) else load_alignment_scenario(scenario)
    source = table if table is not None else sc.table
    file = str(source) if source is not None else str(table_path())
    frame = load_table(source, impute=impute)
    vote = str(sc.fit["vote"])
    if vote not in frame.columns:
        raise InputError(f"the table has no vote column {vote!r}", file=file, field=vote)
    rows = vintage_rows(frame, int(sc.fit["vintage"]), file=file)
    design = design_matrix(rows, sc.covariates, region_column=sc.peer_groups, vote_column=vote)
    prior = sc.fit["prior_scale"]
    game = fit_vote(design, interaction=bool(sc.fit["interaction"]), prior_scale=prior, label=vote)
    mnl = fit_vote(design, interaction=False, prior_scale=prior, label=vote)
    return game, mnl
