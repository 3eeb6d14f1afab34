"""Maximum likelihood for any model of independent cases: the optimiser, the
Hessian, the covariance of the estimates and the identification check.

Why a module of its own: fitting, standard errors, the bootstrap, profiles
and the non-nested tests do not depend on what the model is, only on a
:class:`CaseLikelihood` (per-case log-likelihoods, and a weighted total with
its gradient). The canonical games are one such model; a likelihood over any
realpolitik game tree can reuse all of this unchanged.

Method. BFGS (``scipy.optimize.minimize``) on the mean negative
log-likelihood with the model's exact gradient, as ``games`` fits with
``maxLik``'s BFGS (Kenkel and Signorino 2014). The Hessian is the central
finite difference of the exact gradient (what ``maxLik`` reports after BFGS),
and one Newton step from the BFGS end point, accepted only if it raises the
log-likelihood, takes the estimate to the optimiser's precision. Covariance is
the inverse of the negative Hessian.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import linalg, optimize

__all__ = [
    "CaseLikelihood",
    "MLEFit",
    "covariance",
    "flat_directions",
    "hessian",
    "inverse_curvature",
    "maximize",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Gradient tolerance on the mean log-likelihood (per case).
GTOL = 1e-7
#: Cases used to estimate the starting curvature of a large model.
START_SUBSAMPLE = 20_000
#: Relative eigenvalue below which a direction of the scaled information is flat.
FLAT_TOL = 1e-9


class CaseLikelihood(Protocol):
    """A model of independent cases, as the fitting machinery sees it.

    Implementations must be picklable (the bootstrap and profiles send them
    to worker processes once). A model may also offer ``subset(rows)``
    returning the likelihood of those cases; :func:`maximize` then estimates
    its starting curvature on a subsample when there are many cases. A model
    whose gradient is itself a finite difference may offer ``hessian(theta,
    weights)``, the Hessian of the weighted log-likelihood; it is then used
    instead of differencing the gradient. A model whose parameter space is
    bounded may offer ``bounds``, ``{coefficient index: (low, high)}`` (open
    intervals; the log-likelihood is ``-inf`` outside them); likelihood
    profiles then keep their grid inside.
    """

    @property
    def n_cases(self) -> int:
        """Number of cases."""

    @property
    def n_params(self) -> int:
        """Length of the coefficient vector."""

    def loglik_cases(self, theta: FloatArray) -> FloatArray:
        """Log-likelihood of each case at ``theta``."""

    def value_and_gradient(
        self, theta: FloatArray, weights: FloatArray | None = None
    ) -> tuple[float, FloatArray]:
        """Weighted sum of the case log-likelihoods and its gradient."""


@dataclass(frozen=True)
class MLEFit:
    """The end point of a maximisation.

    Attributes
    ----------
    theta : full coefficient vector (fixed entries as given).
    loglik : (weighted) log-likelihood at ``theta``.
    converged : the gradient vanished to tolerance.
    iterations : optimiser iterations.
    message : the optimiser's message.
    gradient_max : largest absolute gradient entry per case at the end.
    seconds : wall time of the maximisation.
    hessian : Hessian of the (weighted) log-likelihood over the free
        coefficients at the end point, when asked for.
    """

    theta: FloatArray
    loglik: float
    converged: bool
    iterations: int
    message: str
    gradient_max: float
    seconds: float
    hessian: FloatArray | None = None


def _free_mask(n_params: int, free: BoolArray | None) -> BoolArray:
    return np.ones(n_params, dtype=bool) if free is None else np.asarray(free, dtype=bool)


def inverse_curvature(hess: FloatArray) -> FloatArray:
    """A positive definite inverse of the curvature ``-hess`` for BFGS's first
    step: eigenvalues replaced by their absolute values, floored at 1e-6 of
    the largest (so that a start outside the concave region still gives each
    coefficient its own scale)."""
    neg = -0.5 * (hess + hess.T)
    values, vectors = np.linalg.eigh(neg)
    top = max(float(np.max(np.abs(values))), 1e-300)
    floor = np.maximum(np.abs(values), 1e-6 * top)
    inv = (vectors / floor) @ vectors.T
    return np.asarray(0.5 * (inv + inv.T), dtype=np.float64)


def maximize(
    lik: CaseLikelihood,
    start: FloatArray,
    free: BoolArray | None = None,
    weights: FloatArray | None = None,
    *,
    gtol: float = GTOL,
    max_iter: int = 1000,
    start_hessian: FloatArray | None = None,
    polish: bool = True,
) -> MLEFit:
    """Maximise the log-likelihood over the free coefficients.

    Parameters
    ----------
    lik : the model.
    start : starting coefficients (fixed ones hold their fixed values).
    free : which coefficients to estimate (default all).
    weights : case weights (a bootstrap resample's counts), default 1.
    gtol : tolerance on the largest gradient entry of the mean log-likelihood.
    max_iter : BFGS iteration limit.
    start_hessian : Hessian of the mean log-likelihood near ``start`` over the
        free coefficients, to scale BFGS's first steps; computed by finite
        differences when not given (the Leblang fit needs 24 iterations
        instead of 172 with an identity start).
    polish : compute the Hessian at the BFGS end point, take one
        safeguarded Newton step with it, and return it in ``hessian``.

    Returns
    -------
    MLEFit
    """
    t0 = time.perf_counter()
    mask = _free_mask(lik.n_params, free)
    idx = np.flatnonzero(mask)
    full = np.array(start, dtype=np.float64)
    total = float(lik.n_cases if weights is None else np.sum(weights))
    scale = 1.0 / max(total, 1.0)

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        full[idx] = x
        value, grad = lik.value_and_gradient(full, weights)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(x)
        return -value * scale, -grad[idx] * scale

    def gradient(x: FloatArray) -> FloatArray:
        return objective(x)[1]

    x0 = full[idx].copy()
    options: dict[str, object] = {"gtol": gtol, "maxiter": max_iter}
    if idx.size:
        curv = (
            _start_curvature(lik, full, idx, gradient)
            if start_hessian is None
            else np.asarray(start_hessian)
        )
        options["hess_inv0"] = inverse_curvature(curv)
    result = optimize.minimize(objective, x0, jac=True, method="BFGS", options=options)
    x = np.asarray(result.x, dtype=np.float64)
    fval, gvec = objective(x)
    hess_mean: FloatArray | None = None
    if polish and idx.size:
        own = getattr(lik, "hessian", None)
        if callable(own):
            full[idx] = x
            hess_mean = -np.asarray(own(full, weights))[np.ix_(idx, idx)] * scale
        else:
            hess_mean = _fd_jacobian(gradient, x)
        x, fval, gvec = _newton_step(objective, x, fval, gvec, hess_mean)
    full[idx] = x
    gmax = float(np.max(np.abs(gvec))) if idx.size else 0.0
    converged = bool(np.isfinite(fval) and gmax <= max(gtol, 1e-5))
    return MLEFit(
        theta=full.copy(),
        loglik=-fval / scale,
        converged=converged,
        iterations=int(result.nit),
        message=str(result.message),
        gradient_max=gmax,
        seconds=time.perf_counter() - t0,
        hessian=None if hess_mean is None else -hess_mean / scale,
    )


def _start_curvature(
    lik: CaseLikelihood, full: FloatArray, idx: NDArray[np.intp], gradient: object
) -> FloatArray:
    """Curvature of the mean negative log-likelihood at the start, for BFGS's
    first steps: from a random subsample of ``START_SUBSAMPLE`` cases when the
    model offers ``subset(rows)`` and has more cases (it only scales the
    steps; the fit itself uses every case)."""
    own = getattr(lik, "hessian", None)
    if callable(own):
        return np.asarray(own(full), dtype=np.float64)[np.ix_(idx, idx)] / max(lik.n_cases, 1)
    subset = getattr(lik, "subset", None)
    if subset is None or lik.n_cases <= START_SUBSAMPLE:
        grad = gradient
        assert callable(grad)
        return -_fd_jacobian(grad, full[idx].copy())
    rows = np.sort(np.random.default_rng(0).choice(lik.n_cases, START_SUBSAMPLE, replace=False))
    sub: CaseLikelihood = subset(rows)
    theta = full.copy()

    def sub_gradient(x: FloatArray) -> FloatArray:
        theta[idx] = x
        return -sub.value_and_gradient(theta)[1][idx] / START_SUBSAMPLE

    return -_fd_jacobian(sub_gradient, full[idx].copy())


def _newton_step(
    objective: object, x: FloatArray, fval: float, gvec: FloatArray, hess: FloatArray
) -> tuple[FloatArray, float, FloatArray]:
    """One Newton step on the mean objective with its Hessian ``hess``, kept
    only if it lowers the objective (it does nothing at a flat optimum)."""
    fun = objective
    assert callable(fun)
    if float(np.max(np.abs(gvec))) < 1e-14:
        return x, fval, gvec
    try:
        with warnings.catch_warnings():
            # a singular Hessian is reported by flat_directions, not here
            warnings.simplefilter("ignore", linalg.LinAlgWarning)
            step = -linalg.solve(hess, gvec, assume_a="sym")
    except (linalg.LinAlgError, ValueError):
        return x, fval, gvec
    if not np.all(np.isfinite(step)) or float(step @ gvec) >= 0.0:
        return x, fval, gvec
    f_new, g_new = fun(x + step)
    if f_new <= fval and float(np.max(np.abs(g_new))) <= float(np.max(np.abs(gvec))):
        return x + step, f_new, g_new
    return x, fval, gvec


def _fd_jacobian(grad: object, x: FloatArray) -> FloatArray:
    """Central finite differences of a gradient function, symmetrised."""
    g = grad
    assert callable(g)
    k = x.size
    out = np.empty((k, k))
    steps = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
    for j in range(k):
        e = np.zeros(k)
        e[j] = steps[j]
        out[:, j] = (np.asarray(g(x + e)) - np.asarray(g(x - e))) / (2.0 * steps[j])
    return 0.5 * (out + out.T)


def hessian(
    lik: CaseLikelihood,
    theta: FloatArray,
    free: BoolArray | None = None,
    weights: FloatArray | None = None,
) -> FloatArray:
    """Hessian of the log-likelihood over the free coefficients: central
    differences of the exact gradient (``2 k`` gradient evaluations)."""
    mask = _free_mask(lik.n_params, free)
    idx = np.flatnonzero(mask)
    full = np.array(theta, dtype=np.float64)
    own = getattr(lik, "hessian", None)
    if callable(own):
        return np.asarray(own(full, weights), dtype=np.float64)[np.ix_(idx, idx)]

    def grad(x: FloatArray) -> FloatArray:
        full[idx] = x
        return lik.value_and_gradient(full, weights)[1][idx]

    return _fd_jacobian(grad, np.array(theta, dtype=np.float64)[idx])


def covariance(hess: FloatArray) -> tuple[FloatArray, bool]:
    """Inverse of the negative Hessian, and whether the Hessian is negative
    definite (a strict local maximum). A singular Hessian gives NaNs."""
    k = hess.shape[0]
    if k == 0:
        return np.zeros((0, 0)), True
    neg = -hess
    try:
        factor = linalg.cho_factor(neg)
        return linalg.cho_solve(factor, np.eye(k)), True
    except linalg.LinAlgError:
        pass
    try:
        if np.linalg.cond(neg) > 1e14:
            raise linalg.LinAlgError("singular")
        return np.asarray(linalg.inv(neg), dtype=np.float64), False
    except (linalg.LinAlgError, ValueError):
        return np.full((k, k), np.nan), False


def flat_directions(
    hess: FloatArray, names: Sequence[str], tol: float = FLAT_TOL
) -> list[list[tuple[str, float]]]:
    """Directions along which the log-likelihood is flat (or curves up).

    The Hessian is scaled to unit diagonal so that units of the regressors do
    not matter; an eigenvalue of the scaled negative Hessian below ``tol``
    times the largest marks a direction the data cannot pin down (collinear
    regressors, a utility that does not vary, separation). Each direction is
    returned as the coefficients that load on it, with their loadings.
    """
    k = hess.shape[0]
    if k == 0:
        return []
    neg = -hess
    diag = np.abs(np.diag(neg))
    zero = diag <= 1e-300
    out: list[list[tuple[str, float]]] = [[(names[int(j)], 1.0)] for j in np.flatnonzero(zero)]
    keep = np.flatnonzero(~zero)
    if keep.size == 0:
        return out
    d = 1.0 / np.sqrt(diag[keep])
    scaled = neg[np.ix_(keep, keep)] * d[:, None] * d[None, :]
    values, vectors = np.linalg.eigh(scaled)
    top = max(float(values[-1]), 1e-300)
    for j in np.flatnonzero(values <= tol * top):
        vec = vectors[:, j]
        order = np.argsort(-np.abs(vec))
        involved = [(names[int(keep[i])], float(vec[i])) for i in order if abs(vec[i]) >= 0.2]
        out.append(involved or [(names[int(keep[order[0]])], float(vec[order[0]]))])
    return out
