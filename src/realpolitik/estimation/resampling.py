"""Nonparametric bootstrap of a maximum-likelihood fit, seeded and parallel.

Why a module of its own: standard errors from the Hessian rest on the
quadratic approximation of the log-likelihood, which is poor where strategic
models are weakly identified; the bootstrap (Efron and Tibshirani 1993; in
``games``, ``boot = B``) resamples cases with replacement and refits.

A resample is drawn as multinomial case counts and the refit maximises the
count-weighted log-likelihood, the same estimator as refitting on copied rows
without copying the data. Replicate ``r`` draws from the ``r``-th child of
``numpy.random.SeedSequence(seed)``, so results do not depend on how
replicates are split among workers. Each refit starts at the full-sample
estimate with its Hessian as BFGS's initial curvature. Replicates that fail
to converge are dropped with a warning, as ``games`` does.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.estimation.mle import CaseLikelihood, maximize
from realpolitik.estimation.parallel import default_workers, map_tasks

__all__ = ["BootstrapResult", "bootstrap"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Most replicates in one request (a bound, not a statistical limit).
MAX_REPLICATES = 100_000


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap replicates of the free coefficients (converged ones only),
    how many failed, the seed and the wall time."""

    replicates: FloatArray
    n_failed: int
    seed: int
    seconds: float


@dataclass(frozen=True)
class _Payload:
    lik: CaseLikelihood
    theta: FloatArray
    free: BoolArray
    curvature: FloatArray | None


def _replicate_chunk(
    payload: _Payload, seeds: list[np.random.SeedSequence]
) -> tuple[FloatArray, BoolArray]:
    n = payload.lik.n_cases
    out = np.empty((len(seeds), int(payload.free.sum())))
    ok = np.empty(len(seeds), dtype=bool)
    for r, seq in enumerate(seeds):
        rng = np.random.default_rng(seq)
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
        fit = maximize(
            payload.lik,
            payload.theta,
            payload.free,
            counts,
            start_hessian=payload.curvature,
            polish=False,
        )
        out[r] = fit.theta[payload.free]
        ok[r] = fit.converged
    return out, ok


def bootstrap(
    lik: CaseLikelihood,
    theta: FloatArray,
    n_replicates: int,
    *,
    free: BoolArray | None = None,
    seed: int = 0,
    hessian: FloatArray | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Refit on ``n_replicates`` resamples of the cases.

    Parameters
    ----------
    lik : the model (any :class:`~realpolitik.estimation.mle.CaseLikelihood`).
    theta : the full-sample estimate (start of every refit).
    n_replicates : number of resamples.
    free : coefficients to estimate (default all).
    seed : seed of the resampling.
    hessian : Hessian of the log-likelihood at ``theta`` over the free
        coefficients (sum over cases), to start BFGS with the right scale.
    workers : processes (default: the cores available).
    progress : show a progress bar.

    Returns
    -------
    BootstrapResult
    """
    if not 1 <= n_replicates <= MAX_REPLICATES:
        raise ValueError(f"replicates must be between 1 and {MAX_REPLICATES}")
    t0 = time.perf_counter()
    mask = np.ones(lik.n_params, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    curvature = None if hessian is None else np.asarray(hessian) / max(lik.n_cases, 1)
    payload = _Payload(lik, np.asarray(theta, dtype=np.float64), mask, curvature)
    seeds = np.random.SeedSequence(seed).spawn(n_replicates)
    n_workers = default_workers() if workers is None else max(1, workers)
    per_task = max(1, min(50, n_replicates // (4 * n_workers) or 1))
    chunks = [seeds[i : i + per_task] for i in range(0, n_replicates, per_task)]
    results = map_tasks(
        _replicate_chunk,
        payload,
        chunks,
        [len(c) for c in chunks],
        workers=n_workers,
        description="bootstrap",
        progress=progress,
    )
    estimates = np.vstack([r[0] for r in results])
    converged = np.concatenate([r[1] for r in results])
    n_failed = int((~converged).sum())
    if n_failed:
        warnings.warn(
            f"{n_failed} of {n_replicates} bootstrap replicates did not converge and were dropped",
            stacklevel=2,
        )
    return BootstrapResult(estimates[converged], n_failed, seed, time.perf_counter() - t0)
