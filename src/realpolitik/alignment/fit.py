"""Maximum-likelihood fit of the alignment game's coefficients on one roll call.

Why this module is small and separate: the project's generic estimation
machinery is being built elsewhere; this keeps the fitting to three steps that
can be routed through it later: minimise :class:`VoteLikelihood` (a function
of ``theta`` returning the objective and its gradient) with SciPy's L-BFGS-B,
take standard errors from the inverse Hessian (central differences of the
analytic gradient), or from a parametric bootstrap (simulate votes from the
fitted equilibrium, refit; Efron and Tibshirani 1993, ch. 6).

The bandwagoning coefficient is kept within ``|gamma| < 1.95``, inside the
region where the equilibrium is unique (:mod:`realpolitik.alignment.qre`), so
that the likelihood is a function of ``theta``; an estimate on that bound is
reported as such (``at_bound``).

With a prior (``prior_scale``) the estimate is the posterior mode and the
inverse Hessian of the penalised objective its Laplace-approximation
covariance.

References
----------
Efron, B. and Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd
from rich.progress import track
from scipy.optimize import minimize

from realpolitik.alignment.data import Design, Scaling
from realpolitik.alignment.game import AlignmentGame, parameter_names
from realpolitik.alignment.likelihood import VoteLikelihood

__all__ = ["GAMMA_BOUND", "FitResult", "bootstrap", "fit_vote", "hessian", "simulate_votes"]

FloatArray = npt.NDArray[np.float64]

GAMMA_BOUND = 1.95
#: Relative step of the central differences of the gradient.
_STEP = 1e-5


@dataclass(frozen=True)
class FitResult:
    """Estimates, their covariance and the fit's quality."""

    names: tuple[str, ...]
    estimate: FloatArray
    covariance: FloatArray
    loglik: float
    objective: float
    n: int
    interaction: bool
    prior_scale: float | None
    converged: bool
    message: str
    columns: tuple[str, ...]
    scaling: Scaling
    at_bound: bool = False
    method: str = "hessian"
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))

    @property
    def n_free(self) -> int:
        return len(self.names) - (0 if self.interaction else 1)

    def table(self) -> pd.DataFrame:
        """One row per coefficient: estimate, standard error, z."""
        se = self.se
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, self.estimate / se, np.nan)
        return pd.DataFrame({"parameter": self.names, "estimate": self.estimate, "se": se, "z": z})


def hessian(likelihood: VoteLikelihood, theta: FloatArray) -> FloatArray:
    """Hessian of the objective by central differences of its analytic gradient."""
    theta = np.asarray(theta, dtype=float)
    p = len(theta)
    H = np.zeros((p, p))
    for j in range(p):
        h = _STEP * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        H[:, j] = (likelihood(up)[1] - likelihood(down)[1]) / (2 * h)
    return 0.5 * (H + H.T)


def _covariance(likelihood: VoteLikelihood, theta: FloatArray) -> FloatArray:
    H = hessian(likelihood, theta)
    free = np.ones(len(theta), dtype=bool)
    if not likelihood.interaction:
        free[-1] = False
    cov = np.zeros_like(H)
    sub = H[np.ix_(free, free)]
    cov[np.ix_(free, free)] = np.linalg.pinv(sub)
    return cov


def fit_vote(
    design: Design,
    *,
    interaction: bool = True,
    prior_scale: float | None = None,
    start: FloatArray | None = None,
    votes: npt.NDArray[np.intp] | None = None,
    covariance: bool = True,
) -> FitResult:
    """Fit the game's coefficients to one roll call by (penalised) maximum likelihood.

    Parameters
    ----------
    design : covariates and (unless ``votes`` is given) the observed votes.
    interaction : False fixes ``gamma = 0`` (a multinomial logit).
    prior_scale : Gaussian prior on the slopes (None: plain maximum likelihood).
    start : starting ``theta`` (zeros by default).
    votes : votes to fit instead of ``design.votes`` (simulated votes).
    covariance : False skips the Hessian (for bootstrap and recovery refits).
    """
    observed = design.votes if votes is None else votes
    if observed is None:
        raise ValueError("the design has no votes to fit")
    game = AlignmentGame(design.X, design.region)
    likelihood = VoteLikelihood(game, observed, prior_scale, interaction)
    x0 = np.zeros(likelihood.n_parameters) if start is None else np.array(start, dtype=float)
    if not interaction:
        x0[-1] = 0.0
    bound = GAMMA_BOUND if interaction else 0.0
    bounds = [(None, None)] * (likelihood.n_parameters - 1) + [(-bound, bound)]
    result = minimize(
        likelihood, x0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-7},
    )  # fmt: skip
    theta = np.asarray(result.x, dtype=float)
    cov = _covariance(likelihood, theta) if covariance else np.zeros((len(theta),) * 2)
    return FitResult(
        names=parameter_names(design.columns),
        estimate=theta,
        covariance=cov,
        loglik=likelihood.loglik(theta),
        objective=float(result.fun),
        n=len(observed),
        interaction=interaction,
        prior_scale=prior_scale,
        converged=bool(result.success),
        message=str(result.message),
        columns=design.columns,
        scaling=design.scaling,
        at_bound=bool(interaction and abs(theta[-1]) >= GAMMA_BOUND - 1e-6),
    )


def simulate_votes(
    game: AlignmentGame, prob: FloatArray, rng: np.random.Generator, size: int
) -> npt.NDArray[np.intp]:
    """``size`` roll calls drawn from equilibrium probabilities ``prob[country, choice]``
    (each member independently, as the QRE's choice model says): ``votes[sample, country]``."""
    cdf = np.cumsum(prob, axis=1)
    cdf[:, -1] = 1.0
    u = rng.random((size, game.n_countries))
    return np.asarray((u[:, :, None] > cdf[None, :, :]).sum(axis=2), dtype=np.intp)


def bootstrap(
    fit: FitResult, design: Design, *, replicates: int = 200, seed: int = 0, progress: bool = False
) -> FitResult:
    """Parametric bootstrap: votes simulated from the fitted equilibrium, refitted.

    Returns the original estimates with the bootstrap covariance (``method``
    ``"bootstrap"``; ``extra["failed"]`` counts refits that did not converge,
    left out).
    """
    game = AlignmentGame(design.X, design.region)
    likelihood = VoteLikelihood(game, np.zeros(design.n_countries, np.intp), fit.prior_scale,
                                fit.interaction)  # fmt: skip
    prob = likelihood.probabilities(fit.estimate)
    samples = simulate_votes(game, prob, np.random.default_rng(seed), replicates)
    rows: list[FloatArray] = []
    failed = 0
    loop = track(samples, description="bootstrap refits") if progress else samples
    for votes in loop:
        refit = fit_vote(
            design, interaction=fit.interaction, prior_scale=fit.prior_scale,
            start=fit.estimate, votes=votes, covariance=False,
        )  # fmt: skip
        if refit.converged:
            rows.append(refit.estimate)
        else:
            failed += 1
    estimates = np.array(rows)
    cov = np.cov(estimates, rowvar=False) if len(rows) > 1 else np.zeros_like(fit.covariance)
    return FitResult(
        **{**fit.__dict__, "covariance": cov, "method": "bootstrap",
           "extra": {"replicates": float(replicates), "failed": float(failed)}},
    )  # fmt: skip
