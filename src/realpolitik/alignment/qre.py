"""The logit QRE of the alignment game, for many parameter draws at once.

Why our own solver: the game has 193 players with 4 choices each and a
peer-group interaction; a forecast needs its fixed point for 10^4 parameter
draws in seconds. Gambit's logit solver traces one game at a time; a per-draw
``scipy.optimize.fixed_point`` loop is the peer in
``benchmarks/bench_alignment.py``. Here every iteration is a few array
operations over ``prob[draw, country, choice]``, in chunks of draws (optionally
spread over threads: NumPy releases the GIL in its kernels).

The fixed point
---------------
``p = F(p)`` with ``F_i(p) = softmax(b_i + gamma * s_i(p))`` (see
:mod:`realpolitik.alignment.game`). The Jacobian of the softmax,
``diag(q) - q q'``, has induced sup-norm ``max_c 2 q_c (1 - q_c) <= 1/2``, and
``s`` is an average of other players' probabilities (sup-norm 1), so

    ||F(p) - F(p')||_inf <= |gamma| / 2 * ||p - p'||_inf.

For ``|gamma| < 2`` the map is a contraction: the equilibrium is unique and the
plain iteration ``p <- F(p)`` converges to it from any start, geometrically at
rate ``|gamma| / 2`` (Banach's fixed-point theorem). (Steffensen's elementwise
acceleration, which ``scipy.optimize.fixed_point`` uses, was tried and took
more map evaluations on this game's draws; it is not used.) This is the logit version of
Brock and Durlauf's (2001) uniqueness condition for social interactions. For
``|gamma| >= 2`` nothing guarantees uniqueness or convergence: the solver damps
the iteration (``p <- p + omega (F(p) - p)``), reports draws that did not reach
the tolerance, and solves those draws again from every pure corner (all
members choosing the same option) to detect several equilibria; such draws
are flagged ``multiple`` (the first start's solution, the continuation of the
no-interaction equilibrium, is returned).

References
----------
McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for
normal form games. *Games and Economic Behavior* 10(1), 6-38.
Brock, W. A. and Durlauf, S. N. (2001). Discrete choice with social
interactions. *Review of Economic Studies* 68(2), 235-260.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from realpolitik.alignment.game import AlignmentGame
from realpolitik.limits import require_bytes

__all__ = ["CONTRACTION_BOUND", "QRESolution", "softmax", "solve_qre"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Below this ``|gamma|`` the fixed-point map is a contraction (module docstring).
CONTRACTION_BOUND = 2.0
#: Draws per chunk: a chunk's arrays (chunk x 193 x 4 doubles, a few of them)
#: stay within the CPU caches' reach and are reused between iterations.
CHUNK = 512
#: Two solutions farther apart than this (sup norm) are distinct equilibria.
DISTINCT = 1e-6


@dataclass(frozen=True)
class QRESolution:
    """The equilibrium of every draw.

    ``prob[draw, country, choice]``; ``iterations[draw]`` to reach the
    tolerance; ``residual[draw] = max |F(p) - p|``; ``converged[draw]``;
    ``multiple[draw]``: another start reached a different equilibrium (only
    possible when ``|gamma| >= 2``). ``iterations`` counts evaluations of the
    map ``F``.
    """

    prob: FloatArray
    iterations: npt.NDArray[np.int64]
    residual: FloatArray
    converged: BoolArray
    multiple: BoolArray

    def summary(self) -> str:
        """One line for a report: convergence and multiplicity counts."""
        n = len(self.converged)
        text = (
            f"{int(self.converged.sum())}/{n} draws converged "
            f"(max residual {float(self.residual.max()):.1e}, "
            f"at most {int(self.iterations.max())} iterations)"
        )
        if self.multiple.any():
            text += f"; {int(self.multiple.sum())} draws have several equilibria"
        return text


_ChunkResult = tuple[FloatArray, npt.NDArray[np.int64], FloatArray, BoolArray]


def softmax(u: FloatArray) -> FloatArray:
    """Logit choice probabilities along the last axis (stable: the max is subtracted).

    Examples
    --------
    >>> softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    z = u - u.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return np.asarray(z, dtype=np.float64)


@dataclass(frozen=True)
class _Layout:
    """Countries sorted by region, so that a region's members are contiguous on
    the last axis of ``[draw, choice, country]`` arrays: regional sums are then
    one ``np.add.reduceat`` and their expansion one ``np.repeat`` (much faster
    than a batched product with the membership matrix, or than reductions over
    a trailing axis of length 4)."""

    order: npt.NDArray[np.intp]
    starts: npt.NDArray[np.intp]
    counts: npt.NDArray[np.intp]
    peers: FloatArray

    @classmethod
    def of(cls, game: AlignmentGame) -> _Layout:
        order = np.argsort(game.region, kind="stable")
        region = game.region[order]
        counts = np.bincount(region, minlength=game.n_regions)
        present = counts > 0
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[present]
        return cls(order, starts.astype(np.intp), counts[present], game.peers[order])


def _map(layout: _Layout, base: FloatArray, g: FloatArray, prob: FloatArray) -> FloatArray:
    """``F(prob)`` for arrays ``[draw, choice, country]`` (``base`` shifted so that its
    maximum over choices is 0: ``exp`` cannot overflow, the peer term being
    within ``[-|gamma|, |gamma|]``)."""
    out = np.repeat(np.add.reduceat(prob, layout.starts, axis=2), layout.counts, axis=2)
    out -= prob
    out *= layout.peers
    out *= g
    out += base
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


def _iterate(
    layout: _Layout,
    base: FloatArray,
    gamma: FloatArray,
    start: FloatArray,
    tol: float,
    max_iter: int,
    omega: FloatArray,
) -> tuple[FloatArray, npt.NDArray[np.int64], FloatArray]:
    """Damped fixed-point iteration on one chunk, ``p <- p + omega (F(p) - p)``.

    A draw stops once ``max |F(p) - p| <= tol`` and its ``F(p)`` is returned;
    the arrays are compacted to the draws still running whenever a quarter of
    them have stopped, so that quickly converging draws (small ``|gamma|``) do
    not wait for the slowest. Returns the probabilities, the iterations (map
    evaluations) each draw needed, and the residuals.
    """
    draws = base.shape[0]
    out = start.copy()
    iterations = np.full(draws, max_iter, dtype=np.int64)
    residual = np.full(draws, np.inf)
    active = np.arange(draws)
    prob, b = start.copy(), base
    g, w = gamma[:, None, None], omega[:, None, None]
    for it in range(1, max_iter + 1):
        p1 = _map(layout, b, g, prob)
        res = np.abs(p1 - prob).max(axis=(1, 2))
        residual[active] = res
        stop = res <= tol
        if it == max_iter:
            stop[:] = True
        if stop.any():
            finished = active[stop]
            out[finished] = p1[stop]
            iterations[finished] = np.where(res[stop] <= tol, it, max_iter)
        p1 -= prob
        p1 *= w
        prob += p1
        if stop.all():
            break
        if stop.sum() * 4 >= len(active) or it % 16 == 0:
            keep = ~stop
            active, prob, b, g, w = active[keep], prob[keep], b[keep], g[keep], w[keep]
    return out, iterations, residual


def _solve_chunk(
    layout: _Layout,
    base: FloatArray,
    gamma: FloatArray,
    tol: float,
    max_iter: int,
    damping: float,
) -> _ChunkResult:
    """One chunk of draws, ``base[draw, country, choice]`` in, same layout out."""
    inner = base[:, layout.order, :].transpose(0, 2, 1)
    inner = inner - inner.max(axis=1, keepdims=True)
    contracting = np.abs(gamma) < CONTRACTION_BOUND
    omega = np.where(contracting, 1.0, damping)
    start = np.exp(inner)
    start /= start.sum(axis=1, keepdims=True)
    prob, iterations, residual = _iterate(layout, inner, gamma, start, tol, max_iter, omega)
    multiple = np.zeros(base.shape[0], dtype=bool)
    loose = np.flatnonzero(~contracting)
    if loose.size:
        n_choices = inner.shape[1]
        for corner in range(n_choices):
            start = np.zeros((loose.size, *inner.shape[1:]))
            start[:, corner, :] = 1.0
            other, _, other_res = _iterate(
                layout, inner[loose], gamma[loose], start, tol, max_iter, omega[loose]
            )
            apart = np.abs(other - prob[loose]).max(axis=(1, 2)) > DISTINCT
            multiple[loose] |= apart & (other_res <= tol)
    out = np.empty_like(base)
    out[:, layout.order, :] = prob.transpose(0, 2, 1)
    return out, iterations, residual, multiple


def solve_qre(
    game: AlignmentGame,
    base: FloatArray,
    gamma: FloatArray,
    *,
    tol: float = 1e-10,
    max_iter: int = 5000,
    damping: float = 0.5,
    threads: int | None = None,
) -> QRESolution:
    """The logit QRE of the alignment game for every draw.

    Parameters
    ----------
    game : players, covariates and peer groups.
    base : ``base[draw, country, choice]``: payoffs without the peer term
        (:meth:`AlignmentGame.base_payoffs`).
    gamma : ``gamma[draw]``: the bandwagoning coefficient.
    tol : sup-norm of ``F(p) - p`` at which a draw has converged.
    max_iter : iterations before a draw is reported as not converged.
    damping : step ``omega`` for draws with ``|gamma| >= 2`` (1 below that).
    threads : chunks solved at once (default 1: on the project's 2-core machine a
        second thread made the benchmark slower, the work being memory-bound).

    Returns
    -------
    QRESolution

    Examples
    --------
    Two regions of two identical members; with ``gamma = 0`` each plays the
    logit of its own payoffs:

    >>> game = AlignmentGame(np.ones((4, 1)), np.array([0, 0, 1, 1]))
    >>> base = np.log(np.array([[[1.0, 1.0, 2.0, 4.0]] * 4]))
    >>> sol = solve_qre(game, base, np.array([0.0]))
    >>> sol.prob[0, 0].round(3), bool(sol.converged[0])
    (array([0.125, 0.125, 0.25 , 0.5  ]), True)
    """
    base = np.asarray(base, dtype=float)
    gamma = np.asarray(gamma, dtype=float).reshape(-1)
    if base.ndim != 3 or base.shape[1] != game.n_countries or gamma.shape != (base.shape[0],):
        raise ValueError("base must be (draws, countries, choices) and gamma (draws,)")
    require_bytes("alignment QRE probabilities", base.shape, hint="use fewer draws")
    draws = base.shape[0]
    bounds = [(lo, min(lo + CHUNK, draws)) for lo in range(0, draws, CHUNK)]
    workers = threads or 1
    layout = _Layout.of(game)

    def run(bound: tuple[int, int]) -> _ChunkResult:
        lo, hi = bound
        return _solve_chunk(layout, base[lo:hi], gamma[lo:hi], tol, max_iter, damping)

    if workers > 1 and len(bounds) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(run, bounds))
    else:
        parts = [run(b) for b in bounds]
    prob = np.concatenate([p[0] for p in parts])
    iterations = np.concatenate([p[1] for p in parts])
    residual = np.concatenate([p[2] for p in parts])
    multiple = np.concatenate([p[3] for p in parts])
    return QRESolution(prob, iterations, residual, residual <= tol, multiple)
