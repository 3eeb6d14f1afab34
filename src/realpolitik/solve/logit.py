"""Logit quantal response equilibrium (QRE) of normal-form games, and its limit.

Why this module: the QRE is realpolitik's probabilistic forecast of a
simultaneous-move stage ("each state picks each option with a probability
that rises with its payoff"), and the limit of the principal logit branch is
its rule for selecting one Nash equilibrium of a stage game.

Definition (McKelvey and Palfrey 1995), on Gambit's convention: at precision
``lam >= 0`` on the *raw payoff scale* (no normalisation), a profile ``p`` is a
logit QRE if for every player ``i`` and strategy ``s``

    p_i(s) = exp(lam * u_i(s, p_-i)) / sum_t exp(lam * u_i(t, p_-i)).

At ``lam = 0`` the unique QRE is the centroid; as ``lam`` grows the *principal
branch* starting there leads, in generic games, to a unique Nash equilibrium
(McKelvey and Palfrey 1995, Theorem 3). Per-draw precisions are obtained by
scaling: the QRE of payoffs ``u`` at ``lam`` is the QRE of ``lam * u`` at 1.

Method
------
The branch is followed with :mod:`realpolitik.solve.homotopy` in
log-probability coordinates ``x = log p`` (Turocy 2005), on the system

    H_i(x, lam) = x_i - lam * u_i(p) + logsumexp(lam * u_i(p)) = 0,  p = exp(x),

one block per player, with the analytic Jacobian: ``dH_i/dx_i = I`` and for
``k != i``, ``dH_i/dx_k = -lam (I - 1 sigma_i^T) D_ik diag(p_k)`` where
``D_ik = d u_i / d p_k`` is player ``i``'s payoff table contracted with every
player but ``i`` and ``k`` and ``sigma_i = softmax(lam u_i)``;
``dH_i/dlam = -(u_i - sigma_i . u_i)``. (Gambit writes the same solution set
with a sum-to-one equation and log-ratio equations per player; the branch and
its arc-length parametrisation are the same, only Newton's iterates differ.)
Cost per Newton iteration and draw: ``O(P^2 prod(n))`` for the contractions
plus one ``(n+1)``-square LU solve, ``n = sum(n_i)``.

:func:`logit_qre` returns, for each requested lambda, the first point of the
principal branch where lambda reaches it (Gambit's ``logit_solve_lambda``).
:func:`logit_limit` follows the branch until the profile is an approximate
Nash equilibrium and polishes it to machine precision (see its docstring).

Bifurcations
------------
In games with symmetries or ties the principal branch can meet another branch
at a simple bifurcation point, beyond which "the" branch from ``lam = 0`` is
not unique. The tracer then goes straight through (it keeps to the branch
whose tangent it was following, the analytic continuation) and flags the
result (``REACHED_AFTER_BIFURCATION``; ``NASH_AFTER_BIFURCATION`` for the
limit). This rule makes no arbitrary choice and respects the game's
symmetries, as Harsanyi and Selten (1988) require of a selection rule.
Gambit 16.7 instead perturbs its first equation by 1e-7 where the orientation
flips, which either moves it onto one of the crossing branches or leaves it
stuck:

- Battle of the Sexes (``bos.nfg``, symmetric under swapping players and
  labels): bifurcation at ``lam = 0.808``; Gambit goes on to (Top, Left), we
  keep the symmetric branch to the mixed equilibrium ((3/5, 2/5), (2/5, 3/5)).
- ``deg1.nfg``: the centroid is a QRE for every ``lam``; at ``lam = 3`` Gambit
  leaves it, we stay.
- McKelvey and McLennan's 2x2x2 game: players 1 and 2 stay at (1/2, 1/2) and
  the branch meets a bifurcation at ``lam = 0.5968``, where Gambit stops (its
  ``logit_solve_lambda`` returns that point for every larger request and
  ``logit_solve`` returns it, with regret 0.21, as an "equilibrium"); we
  continue to the Nash equilibrium ((1/2, 1/2), (1/2, 1/2), (1, 0)).

Every point returned is a QRE (its fixed-point residual is reported).
``TraceOptions(bifurcation="stop")`` stops at the bifurcation instead.

References
----------
Harsanyi, J. C. and Selten, R. (1988). A General Theory of Equilibrium
Selection in Games. MIT Press.

McKelvey, R. D. and Palfrey, T. R. (1995). Quantal response equilibria for
normal form games. Games and Economic Behavior 10, 6-38.

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.

Gambit 16.7.0, ``src/solvers/logit/nfglogit.cc`` (the peer these results are
tested against; GPL, not copied).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError
from realpolitik.games.normal_form import (
    NormalFormGame,
    check_payoffs,
    cross_derivatives,
    payoff_range,
    strategy_values,
)
from realpolitik.limits import require_bytes
from realpolitik.solve.homotopy import (
    BranchState,
    TraceOptions,
    TraceStatus,
    follow_to_lambdas,
    follow_until,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
Profile = tuple[FloatArray, ...]

#: Draws solved together; bounds the working memory (Jacobians, contractions).
DEFAULT_CHUNK = 65_536


# ---------------------------------------------------------------------------
# The logit system H(x, lam) = 0 in log-probability coordinates
# ---------------------------------------------------------------------------


class LogitSystem:
    """Residual and Jacobian of the logit QRE equations of a batch of games,
    for :mod:`realpolitik.solve.homotopy` (``pass_rows=True`` convention).

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` float64.
    """

    def __init__(self, payoffs: FloatArray) -> None:
        self.payoffs = payoffs
        self.dims = tuple(int(n) for n in payoffs.shape[2:])
        self.n_players = len(self.dims)
        self.offsets = np.concatenate([[0], np.cumsum(self.dims)]).astype(int)
        self.n = int(self.offsets[-1])
        self._rows_key: IntArray | None = None
        self._rows_payoffs: FloatArray = payoffs
        self._cache_key: tuple[FloatArray, FloatArray, IntArray] | None = None
        self._cache: tuple[Profile, list[list[FloatArray | None]], Profile, Profile] | None = None

    # -- helpers ------------------------------------------------------------

    def start(self) -> FloatArray:
        """``(B, n)`` log-probabilities of the centroid (the QRE at lam = 0)."""
        b = self.payoffs.shape[0]
        return np.concatenate([np.full((b, m), -np.log(m)) for m in self.dims], axis=1)

    def split(self, x: FloatArray) -> Profile:
        """Per-player blocks of a ``(b, n)`` array."""
        return tuple(x[:, self.offsets[i] : self.offsets[i + 1]] for i in range(self.n_players))

    def probabilities(self, x: FloatArray) -> Profile:
        """Per player ``(b, n_i)`` probabilities from log-probabilities,
        renormalised to sum to one."""
        out = []
        for block in self.split(x):
            z = np.exp(block - block.max(axis=1, keepdims=True))
            out.append(z / z.sum(axis=1, keepdims=True))
        return tuple(out)

    def _payoffs_of(self, rows: IntArray) -> FloatArray:
        if rows.size == self.payoffs.shape[0]:
            return self.payoffs
        key = self._rows_key
        if key is None or key.shape != rows.shape or not np.array_equal(key, rows):
            self._rows_key = rows.copy()
            self._rows_payoffs = self.payoffs[rows]
        return self._rows_payoffs

    def _evaluate(
        self, x: FloatArray, lam: FloatArray, rows: IntArray
    ) -> tuple[Profile, list[list[FloatArray | None]], Profile, Profile]:
        """Probabilities, cross derivatives ``D[i][k]``, strategy values and
        logit responses ``sigma`` at ``x`` (cached for the Jacobian call)."""
        key = self._cache_key
        if (
            key is not None
            and self._cache is not None
            and key[0].shape == x.shape
            and np.array_equal(key[0], x)
            and np.array_equal(key[1], lam)
            and np.array_equal(key[2], rows)
        ):
            return self._cache
        table = self._payoffs_of(rows)
        with np.errstate(over="ignore", invalid="ignore"):
            p = tuple(np.exp(block) for block in self.split(x))
        P = self.n_players
        d: list[list[FloatArray | None]] = [[None] * P for _ in range(P)]
        values: list[FloatArray] = []
        for i in range(P):
            if P == 1:
                values.append(table[:, 0])
                continue
            for k in range(P):
                if k == i:
                    continue
                if P == 2:
                    d[i][k] = table[:, 0] if i == 0 else np.swapaxes(table[:, 1], 1, 2)
                else:
                    d[i][k] = cross_derivatives(table, p, i, k)
            k_any = 1 if i == 0 else 0
            dik = d[i][k_any]
            assert dik is not None
            values.append(np.einsum("bst,bt->bs", dik, p[k_any]))
        sigma = []
        for i in range(P):
            z = lam[:, None] * values[i]
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            sigma.append(e / e.sum(axis=1, keepdims=True))
        result = (p, d, tuple(values), tuple(sigma))
        self._cache_key = (x.copy(), lam.copy(), rows.copy())
        self._cache = result
        return result

    # -- homotopy callbacks -------------------------------------------------

    def residual(self, x: FloatArray, lam: FloatArray, rows: IntArray) -> FloatArray:
        """``(b, n)``: ``x_i - log softmax(lam u_i(exp x))`` per player."""
        _, _, values, _ = self._evaluate(x, lam, rows)
        out = np.empty_like(x)
        for i, block in enumerate(self.split(x)):
            z = lam[:, None] * values[i]
            m = z.max(axis=1, keepdims=True)
            lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
            out[:, self.offsets[i] : self.offsets[i + 1]] = block - z + lse
        return out

    def jacobian(
        self, x: FloatArray, lam: FloatArray, rows: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """``dH/dx`` ``(b, n, n)`` and ``dH/dlam`` ``(b, n)``."""
        p, d, values, sigma = self._evaluate(x, lam, rows)
        b = x.shape[0]
        jx = np.zeros((b, self.n, self.n))
        idx = np.arange(self.n)
        jx[:, idx, idx] = 1.0
        jl = np.empty((b, self.n))
        for i in range(self.n_players):
            ri = slice(self.offsets[i], self.offsets[i + 1])
            s_i = sigma[i]
            for k in range(self.n_players):
                dik = d[i][k]
                if k == i or dik is None:
                    continue
                c = dik * p[k][:, None, :]
                c = c - np.einsum("bs,bst->bt", s_i, c)[:, None, :]
                jx[:, ri, self.offsets[k] : self.offsets[k + 1]] = -lam[:, None, None] * c
            u = values[i]
            jl[:, ri] = -(u - np.einsum("bs,bs->b", s_i, u)[:, None])
        return jx, jl

    def max_regret(self, x: FloatArray, rows: IntArray) -> FloatArray:
        """``(b,)`` max regret of the renormalised profile at ``x``."""
        probs = self.probabilities(x)
        values = strategy_values(self._payoffs_of(rows), probs)
        gaps = [
            v.max(axis=1) - np.einsum("bs,bs->b", v, q) for v, q in zip(values, probs, strict=True)
        ]
        worst: FloatArray = np.max(np.stack(gaps, axis=1), axis=1)
        return worst


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LogitQRE:
    """Logit QRE on the principal branch at each requested lambda.

    Shapes always carry the lambda axis, also for a single lambda: ``B`` draws,
    ``K`` requested lambdas.

    Attributes
    ----------
    probs : per player ``(B, K, n_i)`` strategy probabilities.
    lam : ``(B, K)`` the lambda actually reached: the requested one, or less
        where the branch ended first (then ``status`` says why).
    lam_requested : ``(K,)``.
    fixed_point_residual : ``(B, K)`` ``max |p - logit(lam * u(p))|``.
    max_regret : ``(B, K)`` largest gain from a unilateral deviation, in
        payoff units (pygambit's ``max_regret()``).
    status : ``(B, K)`` :class:`~realpolitik.solve.homotopy.TraceStatus` codes.
    steps : ``(B,)`` path-following steps taken.
    """

    probs: Profile
    lam: FloatArray
    lam_requested: FloatArray
    fixed_point_residual: FloatArray
    max_regret: FloatArray
    status: NDArray[np.int8]
    steps: IntArray

    def at(self, k: int = 0) -> Profile:
        """The profile at the ``k``-th requested lambda: per player ``(B, n_i)``."""
        return tuple(p[:, k] for p in self.probs)


class LimitStatus(IntEnum):
    """How :func:`logit_limit` obtained each draw's profile."""

    #: An exact Nash equilibrium (polished; regret within tolerance).
    NASH = 0
    #: As NASH, but the branch passed a simple bifurcation on the way (the
    #: game is degenerate; another rule could select another equilibrium).
    NASH_AFTER_BIFURCATION = 1
    #: Polishing failed: the traced profile, an approximate equilibrium whose
    #: ``max_regret`` is reported.
    APPROXIMATE = 2
    #: The branch ended (step size underflow, step limit) before the profile
    #: came near an equilibrium: the last point is returned.
    FAILED = 3


@dataclass(frozen=True, eq=False)
class NashProfile:
    """One Nash equilibrium per draw (the limit of the principal logit branch).

    Attributes
    ----------
    probs : per player ``(B, n_i)``.
    payoffs : ``(B, P)`` expected payoffs.
    max_regret : ``(B,)`` in payoff units.
    lam : ``(B,)`` lambda where the branch was left for polishing.
    status : ``(B,)`` :class:`LimitStatus` codes.
    bifurcations : ``(B,)`` simple bifurcations passed on the way.
    """

    probs: Profile
    payoffs: FloatArray
    max_regret: FloatArray
    lam: FloatArray
    status: NDArray[np.int8]
    bifurcations: IntArray


# ---------------------------------------------------------------------------
# QRE at given lambdas
# ---------------------------------------------------------------------------


def _payoff_table(game: NormalFormGame | ArrayLike) -> FloatArray:
    if isinstance(game, NormalFormGame):
        return game.payoffs
    return check_payoffs(game)


def _chunks(b: int, chunk: int | None, workers: int) -> list[slice]:
    if chunk is not None and int(chunk) < 1:
        raise InputError(f"chunk_size must be at least 1, got {chunk}", field="chunk_size")
    size = DEFAULT_CHUNK if chunk is None else int(chunk)
    if chunk is None and workers > 1:
        size = min(size, -(-b // workers))
    return [slice(lo, min(lo + size, b)) for lo in range(0, b, size)]


def _workers(workers: int | None) -> int:
    if workers is None:
        return max(1, min(os.cpu_count() or 1, 8))
    if int(workers) < 1:
        raise InputError(f"workers must be at least 1, got {workers}", field="workers")
    return int(workers)


def _run_chunks(fn: Callable[[slice], None], parts: list[slice], workers: int) -> None:
    """Run ``fn`` on every chunk, on a pool of threads when ``workers > 1``
    (NumPy releases the GIL in the array kernels and LAPACK calls)."""
    if workers == 1 or len(parts) == 1:
        for part in parts:
            fn(part)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(parts))) as pool:
        for future in [pool.submit(fn, part) for part in parts]:
            future.result()


def fixed_point_residual(payoffs: FloatArray, probs: Profile, lam: FloatArray) -> FloatArray:
    """``(B,)`` ``max_i,s |p_i(s) - logit_i(s; lam * u_i(p))|`` for per-draw ``lam``."""
    values = strategy_values(payoffs, probs)
    worst = np.zeros(payoffs.shape[0])
    for v, q in zip(values, probs, strict=True):
        z = lam[:, None] * v
        e = np.exp(z - z.max(axis=1, keepdims=True))
        worst = np.maximum(worst, np.abs(q - e / e.sum(axis=1, keepdims=True)).max(axis=1))
    return worst


def logit_qre(
    payoffs: NormalFormGame | ArrayLike,
    lam: float | Sequence[float],
    *,
    options: TraceOptions | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> LogitQRE:
    """Logit QRE on the principal branch at each requested lambda.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` payoffs, or a :class:`NormalFormGame`.
    lam : a precision or an ascending list of them, on the raw payoff scale
        (``p ∝ exp(lam * u)``, Gambit's convention).
    options : path-following settings (:class:`~realpolitik.solve.homotopy.TraceOptions`).
    chunk_size : draws solved together (bounds memory); default 65536, or
        fewer so that every worker gets a chunk.
    workers : threads solving chunks in parallel; default the number of CPUs
        (at most 8). Results do not depend on it.

    Returns
    -------
    LogitQRE
        Probabilities shaped ``(B, K, n_i)`` per player (``K = 1`` for a scalar
        ``lam``), the lambda reached, residual, regret and status.

    Notes
    -----
    The first point of the branch where lambda reaches each target is
    returned, as Gambit's ``logit_solve_lambda`` does. In generic games the
    branch is monotone in lambda and this is simply "the" QRE; where the
    branch bends back (e.g. Gambit's ``loopback.nfg``) it is the first
    crossing. Cost: ``O(steps * B * (P^2 prod(n) + (sum n)^3))``.

    Examples
    --------
    The Prisoner's Dilemma at lambda = 1 (pygambit 16.7 gives P(C) = 0.2268):

    >>> import numpy as np
    >>> a = np.array([[9.0, 0.0], [10.0, 1.0]])
    >>> q = logit_qre(np.stack([a, a.T])[None], 1.0)
    >>> round(float(q.probs[0][0, 0, 0]), 4)
    0.2689
    """
    table = _payoff_table(payoffs)
    targets = np.atleast_1d(np.asarray(lam, dtype=np.float64))
    if targets.ndim != 1 or targets.size == 0 or not np.isfinite(targets).all():
        raise InputError("lam must be a finite number or a list of finite numbers", field="lam")
    if targets.min() < 0 or np.any(np.diff(targets) < 0):
        raise InputError(
            f"lam must be non-negative and ascending, got {targets.tolist()}", field="lam"
        )
    b = table.shape[0]
    dims = table.shape[2:]
    n = int(sum(dims))
    k = targets.size
    require_bytes("logit QRE profiles", (b, k, n), hint="solve fewer draws at once")
    probs = [np.empty((b, k, m)) for m in dims]
    lam_out = np.empty((b, k))
    status = np.empty((b, k), dtype=np.int8)
    steps = np.empty(b, dtype=np.int64)
    n_workers = _workers(workers)

    def solve_part(part: slice) -> None:
        system = LogitSystem(table[part])
        pts = follow_to_lambdas(
            system.residual,
            system.jacobian,
            system.start(),
            targets,
            options=options,
            pass_rows=True,
        )
        for kk in range(k):
            for i, q in enumerate(system.probabilities(pts.x[:, kk])):
                probs[i][part, kk] = q
        lam_out[part] = pts.lam
        status[part] = pts.status
        steps[part] = pts.steps

    _run_chunks(solve_part, _chunks(b, chunk_size, n_workers), n_workers)
    fpr = np.empty((b, k))
    regret = np.empty((b, k))
    for kk in range(k):
        prof = tuple(p[:, kk] for p in probs)
        fpr[:, kk] = fixed_point_residual(table, prof, lam_out[:, kk])
        values = strategy_values(table, prof)
        regret[:, kk] = np.max(
            np.stack(
                [
                    v.max(axis=1) - np.einsum("bs,bs->b", v, q)
                    for v, q in zip(values, prof, strict=True)
                ],
                axis=1,
            ),
            axis=1,
        )
    return LogitQRE(tuple(probs), lam_out, targets, fpr, regret, status, steps)


# ---------------------------------------------------------------------------
# The limit: a Nash equilibrium selected by the principal branch
# ---------------------------------------------------------------------------

#: Relative regret levels (x payoff range) at which the trace pauses to try
#: polishing; draws that fail continue along the branch to the next level.
_STAGES = (1e-3, 1e-5, 1e-7, 1e-9, 1e-11)
#: Probability thresholds tried to read off the support at each pause.
_SUPPORT_THRESHOLDS = (1e-2, 1e-3, 1e-5, 1e-8)


def _regret_tolerance(table: FloatArray, tol: float) -> FloatArray:
    flat = np.abs(table.reshape(table.shape[0], -1)).max(axis=1)
    out: FloatArray = tol * payoff_range(table) + 64.0 * np.finfo(np.float64).eps * flat
    return out


def polish_support(
    payoffs: FloatArray,
    probs: Profile,
    support: tuple[BoolArray, ...],
    *,
    iterations: int = 30,
) -> tuple[Profile, FloatArray]:
    """Solve the indifference conditions of a Nash equilibrium on a guessed
    support, by Newton's method from ``probs``.

    For every player ``i``: ``u_i(s, p_-i) = v_i`` for ``s`` in the support,
    ``p_i(s) = 0`` outside it, and ``sum_s p_i(s) = 1`` (unknowns ``p`` and the
    values ``v``). Steps use the pseudo-inverse, so where the equilibria form a
    continuum (degenerate games) the iteration converges to a nearby point of
    it. Vectorised over draws; the supports may differ per draw.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)``.
    probs : per player ``(B, n_i)`` starting profile.
    support : per player ``(B, n_i)`` bool.
    iterations : Newton iterations at most.

    Returns
    -------
    profile : per player ``(B, n_i)`` (not checked for non-negativity).
    residual : ``(B,)`` max-abs residual of the equations.
    """
    b = payoffs.shape[0]
    dims = tuple(int(m) for m in payoffs.shape[2:])
    n_players = len(dims)
    offsets = np.concatenate([[0], np.cumsum(dims)]).astype(int)
    n = int(offsets[-1])
    size = n + n_players
    require_bytes("support equations", (b, size, size))
    p = [np.where(s, q, 0.0) for q, s in zip(probs, support, strict=True)]
    p = [q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300) for q in p]
    values = strategy_values(payoffs, tuple(p))
    v = [np.einsum("bs,bs->b", u, q) for u, q in zip(values, p, strict=True)]
    sup = np.concatenate(support, axis=1)  # (B, n)
    residual = np.full(b, np.inf)
    live = np.arange(b)
    for _ in range(iterations):
        table = payoffs[live]
        pl = tuple(q[live] for q in p)
        vals = strategy_values(table, pl)
        bl = live.size
        eq = np.empty((bl, size))
        jac = np.zeros((bl, size, size))
        for i in range(n_players):
            lo, hi = offsets[i], offsets[i + 1]
            s_i = sup[live, lo:hi]
            eq[:, lo:hi] = np.where(s_i, vals[i] - v[i][live, None], pl[i])
            eq[:, n + i] = pl[i].sum(axis=1) - 1.0
            for k in range(n_players):
                if k == i:
                    continue
                dik = cross_derivatives(table, pl, i, k)
                jac[:, lo:hi, offsets[k] : offsets[k + 1]] = np.where(s_i[:, :, None], dik, 0.0)
            idx = np.arange(lo, hi)
            jac[:, idx, idx] = np.where(s_i, 0.0, 1.0)
            jac[:, lo:hi, n + i] = np.where(s_i, -1.0, 0.0)
            jac[:, n + i, lo:hi] = 1.0
        res = np.abs(eq).max(axis=1)
        residual[live] = res
        scale = 1.0 + np.abs(table.reshape(bl, -1)).max(axis=1)
        moving = res > 1e-15 * scale
        if not moving.any():
            break
        live = live[moving]
        jac = jac[moving]
        eq = eq[moving]
        with np.errstate(all="ignore"):
            step = -np.einsum("bij,bj->bi", np.linalg.pinv(jac, rcond=1e-11), eq)
        step = np.nan_to_num(step)
        for i in range(n_players):
            p[i][live] += step[:, offsets[i] : offsets[i + 1]]
            v[i][live] += step[:, n + i]
    # Final residual for the members still moving after the last iteration.
    if live.size:
        pl = tuple(q[live] for q in p)
        vals = strategy_values(payoffs[live], pl)
        worst = np.zeros(live.size)
        for i in range(n_players):
            s_i = sup[live, offsets[i] : offsets[i + 1]]
            e = np.where(s_i, vals[i] - v[i][live, None], pl[i])
            worst = np.maximum(worst, np.abs(e).max(axis=1))
            worst = np.maximum(worst, np.abs(pl[i].sum(axis=1) - 1.0))
        residual[live] = worst
    return tuple(p), residual


def logit_limit(
    payoffs: NormalFormGame | ArrayLike,
    *,
    tol: float = 1e-10,
    options: TraceOptions | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
) -> NashProfile:
    """The Nash equilibrium at the end of the principal logit branch.

    This is realpolitik's rule for selecting one equilibrium of a stage game.

    Method: follow the principal branch from the centroid until the profile's
    regret falls below ``1e-3`` times the payoff range; read off the support
    (strategies with probability above a threshold); solve the indifference
    conditions on that support by Newton's method (:func:`polish_support`);
    accept if the result is a probability profile within ``tol`` x range of
    regret and close to the traced point. Draws that fail continue along the
    branch to regret ``1e-5``, ``1e-7``, ... and retry. Draws that never
    polish return the traced profile (``APPROXIMATE``).

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` payoffs or a :class:`NormalFormGame`.
    tol : accepted max regret relative to each draw's payoff range (plus a
        rounding allowance of 64 ulp of the largest payoff).
    options : path-following settings.
    chunk_size : draws solved together (default 65536, or fewer so that every
        worker gets a chunk).
    workers : threads solving chunks in parallel (default: CPUs, at most 8).

    Returns
    -------
    NashProfile

    Notes
    -----
    Why this rule: in generic games the principal branch is unique and leads to
    a unique equilibrium (McKelvey and Palfrey 1995), so the selection is well
    defined, depends continuously on payoffs away from bifurcations, and is the
    ``lam -> infinity`` end of the same QRE used for probabilistic forecasts.
    Alternatives and why not: *risk dominance* (Harsanyi and Selten 1988) is
    defined for 2x2 games and pure equilibria only; *payoff dominance* often
    does not exist (no profile best for all) and ties; the *first pure
    equilibrium* in some order depends on how strategies are listed and may
    not exist; the Harsanyi-Selten *tracing procedure* needs a prior and is
    costlier; Lemke-Howson's answer depends on the dropped label and covers
    two players only.

    Differences from Gambit's ``logit_solve`` (maxregret 1e-8 relative): the
    result is polished to an exact equilibrium instead of a point of the
    branch with small regret. Where the branch meets a simple bifurcation
    (module docstring) the tracer continues straight through and the draw is
    flagged ``NASH_AFTER_BIFURCATION``. On McKelvey and McLennan's 2x2x2 game
    (Gambit's ``2x2x2.nfg``) the branch keeps players 1 and 2 at (1/2, 1/2)
    and meets a bifurcation at lambda = 0.5968; we continue and return the
    Nash equilibrium ((1/2, 1/2), (1/2, 1/2), (1, 0)) (flagged), whereas
    Gambit's ``logit_solve`` stops at the bifurcation and returns that point,
    with player 3 at (0.574, 0.426) and regret 0.21, as its "equilibrium". In
    Battle of the Sexes we return the mixed equilibrium where Gambit returns
    (Top, Left). Where the centroid is itself an equilibrium (Gambit's
    ``deg1.nfg``) both stop at once and return it.

    Examples
    --------
    A coordination game (Gambit's ``coord3.nfg`` has the same structure):
    the branch selects the payoff-dominant equilibrium.

    >>> import numpy as np
    >>> a = np.array([[3.0, 0.0], [0.0, 1.0]])
    >>> eq = logit_limit(np.stack([a, a])[None])
    >>> eq.probs[0][0].tolist(), LimitStatus(eq.status[0]).name
    ([1.0, 0.0], 'NASH')

    Battle of the Sexes (Gambit's ``bos.nfg``) is symmetric (swap the players
    and the strategy labels). Its principal branch keeps that symmetry until a
    symmetry-breaking bifurcation at lambda = 0.81; going straight through
    keeps it and selects the mixed equilibrium, flagged. (Gambit's
    perturbation breaks the symmetry and its ``logit_solve`` returns (Top,
    Left).)

    >>> a = np.array([[3.0, 0.0], [0.0, 2.0]]); b = np.array([[2.0, 0.0], [0.0, 3.0]])
    >>> eq = logit_limit(np.stack([a, b])[None])
    >>> np.round(eq.probs[0][0], 12).tolist(), np.round(eq.probs[1][0], 12).tolist()
    ([0.6, 0.4], [0.4, 0.6])
    >>> LimitStatus(eq.status[0]).name
    'NASH_AFTER_BIFURCATION'
    """
    table = _payoff_table(payoffs)
    if tol <= 0 or not np.isfinite(tol):
        raise InputError(f"tol must be a positive number, got {tol}", field="tol")
    b = table.shape[0]
    dims = table.shape[2:]
    require_bytes("Nash profiles", (b, int(sum(dims)) + len(dims) + 4))
    probs = [np.empty((b, m)) for m in dims]
    lam = np.empty(b)
    status = np.empty(b, dtype=np.int8)
    bifurcations = np.empty(b, dtype=np.int64)
    n_workers = _workers(workers)

    def solve_part(part: slice) -> None:
        out = _limit_chunk(table[part], tol, options)
        for i in range(len(dims)):
            probs[i][part] = out[0][i]
        lam[part], status[part], bifurcations[part] = out[1], out[2], out[3]

    _run_chunks(solve_part, _chunks(b, chunk_size, n_workers), n_workers)
    prof = tuple(probs)
    values = strategy_values(table, prof)
    pay = np.stack([np.einsum("bs,bs->b", v, q) for v, q in zip(values, prof, strict=True)], axis=1)
    regret = np.max(np.stack([v.max(axis=1) for v in values], axis=1) - pay, axis=1)
    return NashProfile(prof, pay, regret, lam, status, bifurcations)


def _limit_chunk(
    table: FloatArray, tol: float, options: TraceOptions | None
) -> tuple[Profile, FloatArray, NDArray[np.int8], IntArray]:
    system = LogitSystem(table)
    b = table.shape[0]
    scale = payoff_range(table)
    accept = _regret_tolerance(table, tol)
    opts = options or TraceOptions()
    # The limit needs long steps (log-probabilities of unused strategies fall
    # linearly in lambda); nothing else changes.
    opts = replace(opts, max_steps=max(opts.max_steps, 20_000))
    done = np.zeros(b, dtype=bool)
    result = [np.zeros((b, m)) for m in system.dims]
    status = np.full(b, LimitStatus.FAILED, dtype=np.int8)
    state: BranchState | FloatArray = system.start()
    last: BranchState | None = None
    for level in _STAGES:
        target = np.maximum(level * scale, accept)

        def stop(
            x: FloatArray, lam: FloatArray, rows: IntArray, target: FloatArray = target
        ) -> BoolArray:
            return np.asarray(system.max_regret(x, rows) <= target[rows])

        last = follow_until(
            system.residual,
            system.jacobian,
            state,
            stop,
            members=~done,
            options=opts,
            pass_rows=True,
        )
        state = last
        reached = ~done & np.isin(
            last.status, (TraceStatus.REACHED, TraceStatus.REACHED_AFTER_BIFURCATION)
        )
        rows = np.flatnonzero(reached)
        if rows.size:
            traced = system.probabilities(last.x[rows])
            sub = table[rows]
            ok_rows = np.zeros(rows.size, dtype=bool)
            for threshold in _SUPPORT_THRESHOLDS:
                todo = np.flatnonzero(~ok_rows)
                if todo.size == 0:
                    break
                start = tuple(q[todo] for q in traced)
                support = tuple(q >= threshold * q.max(axis=1, keepdims=True) for q in start)
                cand, _ = polish_support(sub[todo], start, support)
                good = _acceptable(sub[todo], cand, start, accept[rows[todo]], level)
                for i, q in enumerate(cand):
                    clean = np.clip(q[good], 0.0, None)
                    result[i][rows[todo[good]]] = clean / clean.sum(axis=1, keepdims=True)
                ok_rows[todo[good]] = True
            won = rows[ok_rows]
            done[won] = True
            status[won] = np.where(
                last.bifurcations[won] > 0, LimitStatus.NASH_AFTER_BIFURCATION, LimitStatus.NASH
            )
        if done.all() or not (reached & ~done).any():
            break
    assert last is not None
    rest = np.flatnonzero(~done)
    if rest.size:
        traced = system.probabilities(last.x[rest])
        for i, q in enumerate(traced):
            result[i][rest] = q
        fine = np.isin(
            last.status[rest], (TraceStatus.REACHED, TraceStatus.REACHED_AFTER_BIFURCATION)
        )
        status[rest] = np.where(fine, LimitStatus.APPROXIMATE, LimitStatus.FAILED)
    return tuple(result), last.lam.copy(), status, last.bifurcations.copy()


def _acceptable(
    table: FloatArray, cand: Profile, traced: Profile, accept: FloatArray, level: float
) -> BoolArray:
    """Candidates that are probability profiles, have regret within
    ``accept`` and lie near the traced point."""
    ok = np.ones(table.shape[0], dtype=bool)
    dist = np.zeros(table.shape[0])
    for q, t in zip(cand, traced, strict=True):
        ok &= np.isfinite(q).all(axis=1) & (q >= -1e-12).all(axis=1)
        dist = np.maximum(dist, np.abs(q - t).max(axis=1))
    clean = tuple(np.clip(np.nan_to_num(q), 0.0, None) for q in cand)
    clean = tuple(q / np.maximum(q.sum(axis=1, keepdims=True), 1e-300) for q in clean)
    values = strategy_values(table, clean)
    regret = np.max(
        np.stack(
            [
                v.max(axis=1) - np.einsum("bs,bs->b", v, q)
                for v, q in zip(values, clean, strict=True)
            ],
            axis=1,
        ),
        axis=1,
    )
    ok &= regret <= accept
    ok &= dist <= 10.0 * np.sqrt(level)
    return ok
