"""Compiled path follower (numba) for the logit QRE of small normal-form games.

Why this module: :mod:`realpolitik.solve.homotopy` follows a batch of QRE
branches with stacked LAPACK calls, which is the right tool for large games
but not for the common small ones (stage games of a crisis, 3x3x3 and less):
there each step is a dozen NumPy calls on ``(m+1)``-square matrices with
``m`` below ten, and the time goes to call overhead, not arithmetic (about
60 us per 3x3x3 game). Here the whole trace of one game (residual, Jacobian,
LU factorisation, step control, crossings of the target lambdas) runs as one
compiled loop, and the games of a batch are spread over the cores in blocks
of games by Python threads (:mod:`realpolitik.solve._threads`). Every game is
traced on its own, so results do not depend on the batch, its chunking or the
number of threads.

It mirrors :mod:`realpolitik.solve.homotopy` (read its docstring for the
algorithm and :class:`~realpolitik.solve.homotopy.TraceOptions` for the
settings) applied to :class:`realpolitik.solve.logit.LogitSystem`: the same
pseudo-arc-length predictor-corrector from the centroid at ``lam = 0``, the
same system in log-odds coordinates

    H_i(z, lam) = z_i - lam * (u_i(s, p_-i) - u_i(1, p_-i))_{s >= 2},
    p_i = softmax(0, z_i),

with the same analytic Jacobian, the same step control, tolerances,
bifurcation test (sign of the bordered determinant, ``"continue"`` or
``"stop"``), first crossing of each target located on the cubic Hermite
interpolant and polished by Newton's method at fixed lambda, and the same
status codes. Differences are in floating-point rounding only: the payoff
contractions are loops over the payoff table instead of ``einsum``, and the
linear systems are solved by a hand-written LU factorisation with partial
pivoting (row by row, as LAPACK's ``dgetf2``) instead of ``numpy.linalg``;
the determinant's sign comes from the same factorisation. Where a step
decision sits exactly on a threshold the two paths could take different
steps; the points returned are polished to ``final_tol`` either way.

Scope: games with at most :data:`MAX_PLAYERS` players and
:data:`MAX_STRATEGIES` strategies in all (:func:`supports`); larger games
keep the NumPy path, where the stacked contractions pay off. Cost per game:
``O(steps * (P^3 prod(n) + m^3))`` with no allocation inside the trace.

References
----------
Allgower, E. L. and Georg, K. (1990). Numerical Continuation Methods: An
Introduction. Springer. (Pseudo-arc-length continuation, step control.)

Golub, G. H. and Van Loan, C. F. (2013). Matrix Computations, 4th ed., sec.
3.4 (Gaussian elimination with partial pivoting).

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.errors import InputError
from realpolitik.limits import require_bytes
from realpolitik.solve._threads import run_blocks
from realpolitik.solve.homotopy import BranchState, LambdaPoints, TraceOptions, TraceStatus

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
UIntArray = NDArray[np.uint64]

#: Games with more players than this use the NumPy path.
MAX_PLAYERS = 6
#: Games with more strategies in all (``sum(n_i)``) use the NumPy path.
MAX_STRATEGIES = 32
#: Games per block of the parallel loop (one block's scratch is allocated once).
BLOCK = 64

# Status codes (TraceStatus) as plain ints for the compiled code.
_REACHED = int(TraceStatus.REACHED)
_AFTER_BIF = int(TraceStatus.REACHED_AFTER_BIFURCATION)
_STOPPED_BIF = int(TraceStatus.STOPPED_AT_BIFURCATION)
_ENDED = int(TraceStatus.BRANCH_ENDED)
_MAX_STEPS = int(TraceStatus.MAX_STEPS)

# Positions in the float options vector.
_FIRST_STEP = 0
_MAX_STEP = 1
_MIN_STEP = 2
_MAX_GROWTH = 3
_CORRECTOR_TOL = 4
_NOMINAL_DISTANCE = 5
_MAX_DISTANCE = 6
_NOMINAL_CONTRACTION = 7
_MAX_CONTRACTION = 8
_MIN_TANGENT_COS = 9
_FINAL_TOL = 10
_CROSSING_TOL = 11
_LAM_MIN = 12
_BIFURCATION_STEP = 13
# Positions in the integer options vector.
_MAX_CORRECTOR_ITERATIONS = 0
_MAX_STEPS_OPT = 1
_FINAL_ITERATIONS = 2
_STOP_AT_BIFURCATION = 3
_DETECT = 4

# Layout vector ``lay`` (int64): sizes, then the offsets of every quantity in
# the per-thread float workspace ``ws``, then per-player tables. One flat
# workspace (instead of a dozen small arrays) keeps the compiled calls cheap.
_L_P = 0  # players
_L_M = 1  # unknowns m = sum(n_i - 1)
_L_S = 2  # pure profiles prod(n_i)
_L_W = 3  # row stride of the matrix A: m + 3 (bordered system + 2 right-hand sides)
_L_WS = 4  # workspace length
_L_X = 5  # current point (m)
_L_U = 6  # predicted / corrected point (m)
_L_T = 7  # tangent (m + 1)
_L_TN = 8  # new tangent (m + 1)
_L_C = 9  # curvature (m + 1)
_L_XO = 10  # point before the step (m)
_L_TO = 11  # tangent before the step (m + 1)
_L_CO = 12  # curvature before the step (m + 1)
_L_GUESS = 13  # interpolated crossing (m)
_L_BEST = 14  # best Newton iterate (m)
_L_XN = 15  # Newton iterate (m)
_L_F = 16  # residual (m)
_L_G = 17  # payoff gaps u_i(s) - u_i(1) (m)
_L_PR = 18  # probabilities (sum n_i), player i at POFF[i]
_L_UV = 19  # strategy values (sum n_i), player i at POFF[i]
_L_A = 20  # the matrix, (m + 1) rows of stride W
_L_ST = 21  # scalar state: lam, step, lam before the step, chord of the step
_L_D = 22  # start of the cross-derivative blocks
_L_DIMS = 24  # n_i (P entries)
_L_POFF = _L_DIMS + MAX_PLAYERS  # offsets of players in PR / UV (P + 1)
_L_ZOFF = _L_POFF + MAX_PLAYERS + 1  # offsets of players' log-odds (P + 1)
_L_DOFF = _L_ZOFF + MAX_PLAYERS + 1  # ws offset of block d u_i / d p_k at [i * P + k]
_L_SIZE = _L_DOFF + MAX_PLAYERS * MAX_PLAYERS
# The compiled code indexes with unsigned integers throughout (``lay`` is
# uint64): NumPy-style negative-index wraparound, which numba adds to every
# signed index, would double the cost of these small loops.
_UD = np.uint64(_L_DIMS)
_UP = np.uint64(_L_POFF)
_UZ = np.uint64(_L_ZOFF)
_UDO = np.uint64(_L_DOFF)
_0 = np.uint64(0)
_1 = np.uint64(1)
_2 = np.uint64(2)
_3 = np.uint64(3)

# Integer state ``ist`` of one trace.
_I_SIGN = 0  # sign of the bordered determinant at the current point
_I_BIF = 1  # bifurcations passed
_I_STEPS = 2  # accepted steps
_I_STATUS = 3  # TraceStatus code
_I_ACTIVE = 4  # still moving
_I_SIGN_OLD = 5  # before the last accepted step (for a rollback)
_I_BIF_OLD = 6
_I_SIZE = 7

# error_model="numpy": division by zero gives inf/nan as in NumPy (the
# tracer's tests rely on it) instead of raising.
_jit = numba.njit(cache=True, boundscheck=False, nogil=True, error_model="numpy")


def supports(dims: tuple[int, ...]) -> bool:
    """Whether games of this shape take the compiled path."""
    return 1 <= len(dims) <= MAX_PLAYERS and sum(dims) <= MAX_STRATEGIES


def _make_layout(dims: tuple[int, ...]) -> UIntArray:
    n_players = len(dims)
    m = sum(n - 1 for n in dims)
    lay = np.zeros(_L_SIZE, dtype=np.uint64)
    lay[_L_P] = n_players
    lay[_L_M] = m
    lay[_L_S] = int(np.prod(dims))
    lay[_L_W] = m + 3
    pos = 0
    for key in range(_L_X, _L_G + 1):
        lay[key] = pos
        pos += m + 1
    n_total = sum(dims)
    lay[_L_PR] = pos
    pos += n_total
    lay[_L_UV] = pos
    pos += n_total
    lay[_L_A] = pos
    pos += (m + 1) * (m + 3)
    lay[_L_ST] = pos
    pos += 4
    lay[_L_D] = pos
    for i in range(n_players):
        for k in range(n_players):
            if k != i:
                lay[_L_DOFF + i * n_players + k] = pos
                pos += dims[i] * dims[k]
    lay[_L_WS] = pos
    poff = np.concatenate([[0], np.cumsum(dims)])
    zoff = np.concatenate([[0], np.cumsum([n - 1 for n in dims])])
    lay[_L_DIMS : _L_DIMS + n_players] = dims
    lay[_L_POFF : _L_POFF + n_players + 1] = poff
    lay[_L_ZOFF : _L_ZOFF + n_players + 1] = zoff
    return lay


# ---------------------------------------------------------------------------
# Compiled pieces (all indices uint64; see _UD above)
# ---------------------------------------------------------------------------


@_jit
def _probabilities(lay: UIntArray, ws: FloatArray, xo: np.uint64) -> None:  # pragma: no cover
    """Probabilities ``softmax(0, z_i)`` of the log-odds at ``ws[xo:]`` into
    ``PR`` (the largest entry subtracted first, as ``LogitSystem``)."""
    pr = lay[_L_PR]
    for i in range(lay[_L_P]):
        n = lay[_UD + i]
        zo = xo + lay[_UZ + i]
        po = pr + lay[_UP + i]
        top = 0.0
        for s in range(n - _1):
            v = ws[zo + s]
            if v > top:
                top = v
        first = math.exp(-top) if top != 0.0 else 1.0
        ws[po] = first
        total = first
        for s in range(n - _1):
            e = math.exp(ws[zo + s] - top)
            ws[po + _1 + s] = e
            total += e
        for s in range(n):
            ws[po + s] /= total


@_jit
def _values(  # pragma: no cover - compiled
    tab: FloatArray, strat: UIntArray, lay: UIntArray, ws: FloatArray
) -> None:
    """Cross derivatives ``D_ik[s, r] = d u_i(s) / d p_k(r)`` (player ``i``'s
    table contracted with everyone but ``i`` and ``k``) into the D blocks,
    and strategy values ``u_i = D_ik p_k`` into ``UV``. ``tab`` is the
    game's ``(P * S,)`` payoffs, player-major, profiles in C order."""
    n_players = lay[_L_P]
    n_prof = lay[_L_S]
    pr = lay[_L_PR]
    uv = lay[_L_UV]
    if n_players == _1:
        for s in range(n_prof):
            ws[uv + s] = tab[s]
        return
    if n_players == _2:
        n0 = lay[_L_DIMS]
        n1 = lay[_L_DIMS + 1]
        d01 = lay[_L_DOFF + 1]
        d10 = lay[_L_DOFF + 2]
        for s in range(n0):
            for r in range(n1):
                ws[d01 + s * n1 + r] = tab[s * n1 + r]
                ws[d10 + r * n0 + s] = tab[n_prof + s * n1 + r]
    elif n_players == _3:
        # Three passes over the table, each contracting one player's axis
        # into two cross derivatives, summed in registers.
        n0 = lay[_L_DIMS]
        n1 = lay[_L_DIMS + 1]
        n2 = lay[_L_DIMS + 2]
        p0 = pr
        p1 = pr + n0
        p2 = p1 + n1
        t1 = n_prof
        t2 = n_prof + n_prof
        d01 = lay[_L_DOFF + 1]
        d02 = lay[_L_DOFF + 2]
        d10 = lay[_L_DOFF + 3]
        d12 = lay[_L_DOFF + 5]
        d20 = lay[_L_DOFF + 6]
        d21 = lay[_L_DOFF + 7]
        for s in range(n0):
            for r in range(n1):
                base = (s * n1 + r) * n2
                acc0 = 0.0
                acc1 = 0.0
                for t in range(n2):
                    q = ws[p2 + t]
                    acc0 += tab[base + t] * q
                    acc1 += tab[t1 + base + t] * q
                ws[d01 + s * n1 + r] = acc0
                ws[d10 + r * n0 + s] = acc1
        for s in range(n0):
            for t in range(n2):
                acc0 = 0.0
                acc2 = 0.0
                j = s * n1 * n2 + t
                for r in range(n1):
                    q = ws[p1 + r]
                    acc0 += tab[j] * q
                    acc2 += tab[t2 + j] * q
                    j += n2
                ws[d02 + s * n2 + t] = acc0
                ws[d20 + t * n0 + s] = acc2
        for r in range(n1):
            for t in range(n2):
                acc1 = 0.0
                acc2 = 0.0
                j = r * n2 + t
                for s in range(n0):
                    q = ws[p0 + s]
                    acc1 += tab[t1 + j] * q
                    acc2 += tab[t2 + j] * q
                    j += n1 * n2
                ws[d12 + r * n2 + t] = acc1
                ws[d21 + t * n1 + r] = acc2
    else:
        for q in range(lay[_L_D], lay[_L_WS]):
            ws[q] = 0.0
        for j in range(n_prof):
            for i in range(n_players - _1):
                si = strat[j, i]
                for k in range(i + _1, n_players):
                    w = 1.0
                    for o in range(n_players):
                        if o != i and o != k:
                            w *= ws[pr + lay[_UP + o] + strat[j, o]]
                    sk = strat[j, k]
                    dik = lay[_UDO + i * n_players + k] + si * lay[_UD + k] + sk
                    dki = lay[_UDO + k * n_players + i] + sk * lay[_UD + i] + si
                    ws[dik] += tab[i * n_prof + j] * w
                    ws[dki] += tab[k * n_prof + j] * w
    for i in range(n_players):
        ka = _1 if i == _0 else _0
        nk = lay[_UD + ka]
        dik = lay[_UDO + i * n_players + ka]
        pk = pr + lay[_UP + ka]
        ui = uv + lay[_UP + i]
        for s in range(lay[_UD + i]):
            acc = 0.0
            row = dik + s * nk
            for r in range(nk):
                acc += ws[row + r] * ws[pk + r]
            ws[ui + s] = acc


@_jit
def _evaluate(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    xo: np.uint64,
    lam: float,
    jac: bool,
) -> None:
    """Residual ``F = H(x, lam)`` at ``x = ws[xo:xo+m]`` and, with ``jac``,
    ``[dH/dz, dH/dlam]`` in the first ``m`` rows of ``A`` (as
    ``LogitSystem.residual`` and ``LogitSystem.jacobian``)."""
    _probabilities(lay, ws, xo)
    _values(tab, strat, lay, ws)
    n_players = lay[_L_P]
    m = lay[_L_M]
    g = lay[_L_G]
    f = lay[_L_F]
    uv = lay[_L_UV]
    for i in range(n_players):
        ui = uv + lay[_UP + i]
        gi = g + lay[_UZ + i]
        first = ws[ui]
        for s in range(lay[_UD + i] - _1):
            ws[gi + s] = ws[ui + _1 + s] - first
    for r in range(m):
        ws[f + r] = ws[xo + r] - lam * ws[g + r]
    if not jac:
        return
    a = lay[_L_A]
    w = lay[_L_W]
    pr = lay[_L_PR]
    neg = -lam
    for i in range(n_players):
        ni = lay[_UD + i]
        zi = lay[_UZ + i]
        for s in range(_1, ni):
            zs = zi + s - _1
            row = a + zs * w
            gs = ws[g + zs]
            for k in range(n_players):
                nk = lay[_UD + k]
                zk = row + lay[_UZ + k] - _1
                if k == i:
                    for r in range(_1, nk):
                        ws[zk + r] = 0.0
                    continue
                # d/dz_k of lam (D_ik[s] - D_ik[1]) . p_k:
                # lam (D_ik[s, r] - D_ik[1, r] - g_i(s)) p_k(r)
                dik = lay[_UDO + i * n_players + k]
                ds = dik + s * nk
                pk = pr + lay[_UP + k]
                for r in range(_1, nk):
                    v = ws[ds + r] - ws[dik + r]
                    v -= gs
                    v *= ws[pk + r]
                    v *= neg
                    ws[zk + r] = v
            ws[row + zs] = 1.0
            ws[row + m] = -gs


@_jit
def _solve(  # pragma: no cover - compiled
    lay: UIntArray, ws: FloatArray, n: np.uint64, ncol: np.uint64
) -> int:
    """Gaussian elimination with partial pivoting on the ``n x n`` leading
    block of ``A`` (the first largest pivot, row by row as LAPACK's
    ``dgetf2``), the same row operations applied to the right-hand sides in
    columns ``n .. n + ncol - 1``, then back substitution: the solutions
    replace the right-hand sides.

    Returns the sign of the determinant; 0 if the matrix is singular (a zero
    pivot), a pivot is not finite or a solution is not finite (the
    solutions are then not to be used)."""
    a = lay[_L_A]
    w = lay[_L_W]
    wc = n + ncol
    sign = 1
    for j in range(n):
        rj = a + j * w
        best = j
        big = abs(ws[rj + j])
        for r in range(j + _1, n):
            v = abs(ws[a + r * w + j])
            if v > big:
                big = v
                best = r
        if not (big > 0.0 and big < math.inf):
            return 0
        if best != j:
            sign = -sign
            rb = a + best * w
            for c in range(j, wc):
                tmp = ws[rj + c]
                ws[rj + c] = ws[rb + c]
                ws[rb + c] = tmp
        pivot = ws[rj + j]
        if pivot < 0.0:
            sign = -sign
        inv = 1.0 / pivot
        for r in range(j + _1, n):
            rr = a + r * w
            factor = ws[rr + j] * inv
            if factor != 0.0:
                ws[rr + j] = factor
                for c in range(j + _1, wc):
                    ws[rr + c] -= factor * ws[rj + c]
    for c in range(n, wc):
        for jj in range(n):
            k = n - _1 - jj  # back substitution, last row first
            rk = a + k * w
            v = ws[rk + c] / ws[rk + k]
            if not math.isfinite(v):
                return 0
            ws[rk + c] = v
            for r in range(k):
                ws[a + r * w + c] -= ws[a + r * w + k] * v
    return sign


@_jit
def _finite_matrix(lay: UIntArray, ws: FloatArray, n: np.uint64) -> bool:  # pragma: no cover
    """Whether the ``n x n`` leading block of ``A`` is finite."""
    a = lay[_L_A]
    w = lay[_L_W]
    for r in range(n):
        for c in range(n):
            if not math.isfinite(ws[a + r * w + c]):
                return False
    return True


@_jit
def _max_abs(ws: FloatArray, lo: np.uint64, n: np.uint64) -> float:  # pragma: no cover
    """``max |ws[lo:lo+n]|`` (0 for n = 0), ``inf`` if an entry is not finite."""
    out = 0.0
    for r in range(lo, lo + n):
        v = ws[r]
        if not math.isfinite(v):
            return math.inf
        v = abs(v)
        if v > out:
            out = v
    return out


@_jit
def _max_abs_nan(ws: FloatArray, lo: np.uint64, n: np.uint64) -> float:  # pragma: no cover
    """``max |ws[lo:lo+n]|`` (0 for n = 0), NaN if an entry is NaN (NumPy's max)."""
    out = 0.0
    for r in range(lo, lo + n):
        v = abs(ws[r])
        if math.isnan(v):
            return math.nan
        if v > out:
            out = v
    return out


@_jit
def _max_regret(  # pragma: no cover - compiled
    tab: FloatArray, strat: UIntArray, lay: UIntArray, ws: FloatArray, xo: np.uint64
) -> float:
    """Max regret of the profile at ``ws[xo:]`` (``LogitSystem.max_regret``):
    the largest ``max_s u_i(s) - sum_s p_i(s) u_i(s)``; NaN if not finite."""
    _probabilities(lay, ws, xo)
    _values(tab, strat, lay, ws)
    pr = lay[_L_PR]
    uv = lay[_L_UV]
    worst = 0.0
    for i in range(lay[_L_P]):
        po = lay[_UP + i]
        top = ws[uv + po]
        mean = 0.0
        for s in range(lay[_UD + i]):
            v = ws[uv + po + s]
            if v > top or math.isnan(v):
                top = v
            mean += v * ws[pr + po + s]
        gap = top - mean
        if math.isnan(gap):
            return math.nan
        if gap > worst:
            worst = gap
    return worst


@_jit
def _start_tangent(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    lam: float,
    detect: bool,
) -> tuple[bool, int]:
    """Unit tangent at ``X`` into ``T``, oriented with ``lam`` increasing.
    Returns (singular, sign of the bordered determinant)."""
    m = lay[_L_M]
    m1 = m + _1
    a = lay[_L_A]
    w = lay[_L_W]
    xo = lay[_L_X]
    t = lay[_L_T]
    rm = a + m * w
    _evaluate(tab, strat, lay, ws, xo, lam, True)
    for c in range(m1):
        ws[rm + c] = 0.0
    ws[rm + m] = 1.0
    for r in range(m):
        ws[a + r * w + m1] = 0.0
    ws[rm + m1] = 1.0
    singular = not _finite_matrix(lay, ws, m1)
    if not singular:
        singular = _solve(lay, ws, m1, _1) == 0
    if singular:
        for c in range(m1):
            ws[t + c] = 0.0
    else:
        norm = 0.0
        for c in range(m1):
            v = ws[a + c * w + m1]
            norm += v * v
        norm = math.sqrt(norm)
        for c in range(m1):
            ws[t + c] = ws[a + c * w + m1] / norm
    sign = 0
    if detect:
        _evaluate(tab, strat, lay, ws, xo, lam, True)
        for c in range(m1):
            ws[rm + c] = ws[t + c]
        if singular:
            ws[rm + m] = 1.0
        if _finite_matrix(lay, ws, m1):
            sign = _solve(lay, ws, m1, _0)
    return singular, sign


@_jit
def _newton_fixed_lambda(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    start: np.uint64,
    lam: float,
    tol: float,
    iterations: int,
) -> float:
    """Newton's method on ``H(., lam) = 0`` from ``ws[start:]``; the best
    iterate goes to ``BEST``, its max-abs residual is returned."""
    m = lay[_L_M]
    a = lay[_L_A]
    w = lay[_L_W]
    xn = lay[_L_XN]
    best = lay[_L_BEST]
    f = lay[_L_F]
    for r in range(m):
        ws[xn + r] = ws[start + r]
        ws[best + r] = ws[start + r]
    _evaluate(tab, strat, lay, ws, xn, lam, True)
    best_res = _max_abs(ws, f, m)
    if not best_res > tol:
        return best_res
    for _ in range(iterations):
        for r in range(m):
            ws[a + r * w + m] = -ws[f + r]
        if _solve(lay, ws, m, _1) == 0:
            break
        for r in range(m):
            ws[xn + r] += ws[a + r * w + m]
        _evaluate(tab, strat, lay, ws, xn, lam, True)
        res = _max_abs(ws, f, m)
        if res < best_res:
            best_res = res
            for r in range(m):
                ws[best + r] = ws[xn + r]
        if not (res > tol and res < math.inf):
            break
    return best_res


@_jit
def _hermite_crossing(  # pragma: no cover - compiled
    lay: UIntArray, ws: FloatArray, l0: float, l1: float, chord: float, target: float
) -> None:
    """Where the cubic Hermite interpolant of the step from ``(XO, l0, TO)``
    to ``(X, l1, T)`` reaches ``lam = target``, into ``GUESS``."""
    m = lay[_L_M]
    t0 = lay[_L_TO]
    t1 = lay[_L_T]
    h = chord
    dl0 = ws[t0 + m]
    dl1 = ws[t1 + m]
    s = (target - l0) / (l1 - l0)
    if math.isnan(s):
        s = 1.0
    s = min(max(s, 0.0), 1.0)
    for _ in range(4):
        s2 = s * s
        s3 = s2 * s
        h00 = 2 * s3 - 3 * s2 + 1
        h10 = s3 - 2 * s2 + s
        h01 = -2 * s3 + 3 * s2
        h11 = s3 - s2
        d00 = 6 * s2 - 6 * s
        d10 = 3 * s2 - 4 * s + 1
        d01 = -6 * s2 + 6 * s
        d11 = 3 * s2 - 2 * s
        val = h00 * l0 + h10 * h * dl0 + h01 * l1 + h11 * h * dl1
        der = d00 * l0 + d10 * h * dl0 + d01 * l1 + d11 * h * dl1
        new = s - (val - target) / der
        if math.isfinite(new):
            s = new
        s = min(max(s, 0.0), 1.0)
    s2 = s * s
    s3 = s2 * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = (s3 - 2 * s2 + s) * h
    h01 = -2 * s3 + 3 * s2
    h11 = (s3 - s2) * h
    x0 = lay[_L_XO]
    x1 = lay[_L_X]
    out = lay[_L_GUESS]
    for r in range(m):
        ws[out + r] = h00 * ws[x0 + r] + h10 * ws[t0 + r] + h01 * ws[x1 + r] + h11 * ws[t1 + r]


@_jit
def _advance(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    ist: IntArray,
    fopt: FloatArray,
    iopt: IntArray,
) -> bool:
    """One predictor-corrector attempt (``_Tracer.step_once`` for one member).

    On acceptance the point, tangent and curvature before the step are kept
    in ``XO``, ``TO``, ``CO`` (for a crossing or a rollback) and True is
    returned; a rejected step is halved (the trace ends if it underflows)."""
    m = lay[_L_M]
    m1 = m + _1
    m2 = m1 + _1
    a = lay[_L_A]
    w = lay[_L_W]
    rm = a + m * w
    x = lay[_L_X]
    up = lay[_L_U]
    t = lay[_L_T]
    tn = lay[_L_TN]
    c = lay[_L_C]
    f = lay[_L_F]
    st = lay[_L_ST]
    detect = iopt[_DETECT] != 0
    ctol = fopt[_CORRECTOR_TOL]
    lam = ws[st]
    h = ws[st + _1]
    # Predictor: (x, lam) + h t + h^2/2 c.
    half = 0.5 * h * h
    for r in range(m):
        ws[up + r] = ws[x + r] + (h * ws[t + r] + half * ws[c + r])
    lu = lam + (h * ws[t + m] + half * ws[c + m])
    # Corrector: Newton on the bordered system, corrections orthogonal to t.
    ok = False
    sign = 0
    first = 0.0
    kappa = 0.0
    previous = math.inf
    for k in range(iopt[_MAX_CORRECTOR_ITERATIONS]):
        _evaluate(tab, strat, lay, ws, up, lu, True)
        for col in range(m1):
            ws[rm + col] = ws[t + col]
        for r in range(m):
            row = a + r * w
            ws[row + m1] = -ws[f + r]
            ws[row + m2] = 0.0
        ws[rm + m1] = 0.0
        ws[rm + m2] = 1.0
        sg = _solve(lay, ws, m1, _2)
        dist = math.nan
        if sg != 0:
            dist = 0.0
            for r in range(m1):
                v = ws[a + r * w + m1]
                dist += v * v
            dist = math.sqrt(dist)
        bad = sg == 0 or not math.isfinite(dist) or dist > fopt[_MAX_DISTANCE]
        if k == 0:
            first = math.inf if bad else dist
            remaining = dist
        else:
            # Newton's error contracts like dist^2 / previous dist.
            contraction = dist / (previous + 1e-3 * ctol)
            kappa = max(kappa, math.inf if math.isnan(contraction) else contraction)
            if contraction > fopt[_MAX_CONTRACTION]:
                bad = True
            remaining = dist * contraction
        if bad:
            break
        for r in range(m):
            ws[up + r] += ws[a + r * w + m1]
        lu += ws[rm + m1]
        if remaining <= ctol or dist <= ctol:
            norm = 0.0
            for r in range(m1):
                v = ws[a + r * w + m2]
                norm += v * v
            norm = math.sqrt(norm)
            ok = math.isfinite(norm) and norm > 0.0
            scale = norm if ok else 1.0
            for r in range(m1):
                ws[tn + r] = ws[a + r * w + m2] / scale
            if detect:
                sign = sg
            break
        previous = dist
    cos = 0.0
    if ok:
        for r in range(m1):
            cos += ws[t + r] * ws[tn + r]
    ok = ok and cos >= fopt[_MIN_TANGENT_COS]
    flipped = False
    at_bifurcation = False
    if detect:
        flipped = ok and sign != 0 and ist[_I_SIGN] != 0 and sign != ist[_I_SIGN]
        # A flip over a long step may be a jump to another branch: shorten
        # the step until the flip persists over a step of bifurcation_step.
        at_bifurcation = flipped and h <= fopt[_BIFURCATION_STEP]
        ok = ok and (not flipped or (at_bifurcation and iopt[_STOP_AT_BIFURCATION] == 0))
    if at_bifurcation and not ok:
        ist[_I_STATUS] = _STOPPED_BIF
        ist[_I_ACTIVE] = 0
        return False
    if not ok:
        h *= 0.5
        ws[st + _1] = h
        if h < fopt[_MIN_STEP]:
            ist[_I_STATUS] = _ENDED
            ist[_I_ACTIVE] = 0
        return False
    # Accept; keep the state before the step for a crossing or a rollback.
    xo = lay[_L_XO]
    to = lay[_L_TO]
    co = lay[_L_CO]
    chord = 0.0
    for r in range(m):
        v = ws[up + r]
        old = ws[x + r]
        ws[xo + r] = old
        ws[x + r] = v
        diff = v - old
        chord += diff * diff
    dl = lu - lam
    chord = math.sqrt(chord + dl * dl)
    inv = max(chord, 1e-300)
    for r in range(m1):
        old = ws[t + r]
        new = ws[tn + r]
        ws[to + r] = old
        ws[co + r] = ws[c + r]
        ws[t + r] = new
        ws[c + r] = (new - old) / inv
    ws[st] = lu
    ws[st + _2] = lam
    ws[st + _3] = chord
    ist[_I_SIGN_OLD] = ist[_I_SIGN]
    ist[_I_BIF_OLD] = ist[_I_BIF]
    if flipped:
        ist[_I_BIF] += 1
    if detect and sign != 0:
        ist[_I_SIGN] = sign
    # Deceleration factor (Allgower and Georg, sec. 6.1).
    by_distance = math.sqrt(first / fopt[_NOMINAL_DISTANCE])
    by_contraction = math.sqrt(kappa / fopt[_NOMINAL_CONTRACTION])
    if math.isnan(by_distance) or math.isnan(by_contraction):
        decel = 1.0
    else:
        decel = max(by_distance, by_contraction)
    growth = fopt[_MAX_GROWTH]
    decel = min(max(decel, 1.0 / growth), growth)
    ws[st + _1] = min(h / decel, fopt[_MAX_STEP])
    ist[_I_STEPS] += 1
    return True


@_jit
def _rollback(  # pragma: no cover - compiled
    lay: UIntArray, ws: FloatArray, ist: IntArray, fopt: FloatArray
) -> None:
    """Undo the last accepted step and retry it at half its length."""
    m = lay[_L_M]
    x = lay[_L_X]
    t = lay[_L_T]
    c = lay[_L_C]
    xo = lay[_L_XO]
    to = lay[_L_TO]
    co = lay[_L_CO]
    st = lay[_L_ST]
    for r in range(m):
        ws[x + r] = ws[xo + r]
    for r in range(m + _1):
        ws[t + r] = ws[to + r]
        ws[c + r] = ws[co + r]
    ws[st] = ws[st + _2]
    ist[_I_SIGN] = ist[_I_SIGN_OLD]
    ist[_I_BIF] = ist[_I_BIF_OLD]
    ist[_I_STEPS] -= 1
    ws[st + _1] = 0.5 * ws[st + _3]
    if ws[st + _1] < fopt[_MIN_STEP]:
        ist[_I_STATUS] = _ENDED
        ist[_I_ACTIVE] = 0


@_jit
def _start(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    ist: IntArray,
    lam0: float,
    fopt: FloatArray,
    iopt: IntArray,
) -> bool:
    """A fresh trace from ``X`` at ``lam0``; returns whether the Jacobian
    was singular there (the trace then ends at once)."""
    m = lay[_L_M]
    c = lay[_L_C]
    st = lay[_L_ST]
    for r in range(m + _1):
        ws[c + r] = 0.0
    singular, sign = _start_tangent(tab, strat, lay, ws, lam0, iopt[_DETECT] != 0)
    ws[st] = lam0
    ws[st + _1] = fopt[_FIRST_STEP]
    ist[_I_SIGN] = sign
    ist[_I_BIF] = 0
    ist[_I_STEPS] = 0
    ist[_I_STATUS] = _ENDED if singular else _REACHED
    ist[_I_ACTIVE] = 0 if singular else 1
    return singular


@_jit
def _stop_if_ended(  # pragma: no cover - compiled
    lay: UIntArray, ws: FloatArray, ist: IntArray, fopt: FloatArray, iopt: IntArray
) -> None:
    """After an accepted step that did not finish the trace: stop where the
    branch has fallen below ``lam_min`` or used its steps."""
    if ws[lay[_L_ST]] < fopt[_LAM_MIN]:
        ist[_I_STATUS] = _ENDED
        ist[_I_ACTIVE] = 0
    elif ist[_I_STEPS] >= iopt[_MAX_STEPS_OPT]:
        ist[_I_STATUS] = _MAX_STEPS
        ist[_I_ACTIVE] = 0


@_jit
def _stop_at_step_limit(ist: IntArray) -> None:  # pragma: no cover - compiled
    """A trace still active after its attempts (accepted or not) ran out."""
    if ist[_I_ACTIVE] != 0:
        ist[_I_STATUS] = _MAX_STEPS
        ist[_I_ACTIVE] = 0


@_jit
def _trace_to_lambdas_one(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    ist: IntArray,
    targets: FloatArray,
    lam0: float,
    fopt: FloatArray,
    iopt: IntArray,
    out_x: FloatArray,
    out_lam: FloatArray,
    out_res: FloatArray,
    out_status: NDArray[np.int8],
) -> None:
    """``follow_to_lambdas`` for one game (outputs: its rows)."""
    m = lay[_L_M]
    n_targets = targets.shape[0]
    x = lay[_L_X]
    st = lay[_L_ST]
    best = lay[_L_BEST]
    guess = lay[_L_GUESS]
    for r in range(m):
        ws[x + r] = 0.0
    _start(tab, strat, lay, ws, ist, lam0, fopt, iopt)
    # Targets equal to the start lambda are reached at the start.
    pointer = 0
    while pointer < n_targets and targets[pointer] <= lam0:
        pointer += 1
    if pointer > 0:
        res = _newton_fixed_lambda(
            tab, strat, lay, ws, x, lam0, fopt[_FINAL_TOL], iopt[_FINAL_ITERATIONS]
        )
        for k in range(pointer):
            for r in range(m):
                out_x[k, r] = ws[best + r]
            out_lam[k] = lam0
            out_res[k] = res
            out_status[k] = _REACHED
        if pointer >= n_targets:
            ist[_I_ACTIVE] = 0
    limit = iopt[_MAX_STEPS_OPT] * 4 + 200
    for _ in range(limit):
        if ist[_I_ACTIVE] == 0:
            break
        if not _advance(tab, strat, lay, ws, ist, fopt, iopt):
            continue
        rollback = False
        chord = ws[st + _3]
        allowed = max(0.25 * chord, 10.0 * fopt[_CORRECTOR_TOL])
        while pointer < n_targets and ws[st] >= targets[pointer]:
            tau = targets[pointer]
            _hermite_crossing(lay, ws, ws[st + _2], ws[st], chord, tau)
            res = _newton_fixed_lambda(
                tab, strat, lay, ws, guess, tau, fopt[_FINAL_TOL], iopt[_FINAL_ITERATIONS]
            )
            moved = 0.0
            for r in range(m):
                gap = abs(ws[best + r] - ws[guess + r])
                if math.isnan(gap) or gap > moved:
                    moved = gap
            # Trust the polished point only if Newton converged close to the
            # interpolated guess; otherwise retake the step shorter.
            if not (res <= fopt[_CROSSING_TOL] and moved <= allowed):
                rollback = True
                break
            for r in range(m):
                out_x[pointer, r] = ws[best + r]
            out_lam[pointer] = tau
            out_res[pointer] = res
            out_status[pointer] = _AFTER_BIF if ist[_I_BIF] > 0 else _REACHED
            pointer += 1
        if rollback:
            _rollback(lay, ws, ist, fopt)
        elif pointer >= n_targets:
            ist[_I_ACTIVE] = 0
        else:
            _stop_if_ended(lay, ws, ist, fopt, iopt)
    _stop_at_step_limit(ist)
    if pointer < n_targets:
        # The branch ended first: its last point for the remaining targets.
        _evaluate(tab, strat, lay, ws, x, ws[st], False)
        res_last = _max_abs_nan(ws, lay[_L_F], m)
        for k in range(pointer, n_targets):
            for r in range(m):
                out_x[k, r] = ws[x + r]
            out_lam[k] = ws[st]
            out_res[k] = res_last
            out_status[k] = ist[_I_STATUS]


@_jit
def _trace_to_lambdas(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    tables: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    targets: FloatArray,
    lam0: float,
    fopt: FloatArray,
    iopt: IntArray,
    out_x: FloatArray,
    out_lam: FloatArray,
    out_res: FloatArray,
    out_status: NDArray[np.int8],
    out_steps: IntArray,
    out_bifurcations: IntArray,
) -> None:
    """``follow_to_lambdas`` for the games of ``tables`` ``(B, P * S)`` in
    blocks ``[first_block, last_block)``."""
    n_games = tables.shape[0]
    for blk in range(first_block, last_block):
        ws = np.zeros(lay[_L_WS])
        ist = np.zeros(_I_SIZE, dtype=np.int64)
        for game in range(blk * BLOCK, min(n_games, (blk + 1) * BLOCK)):
            _trace_to_lambdas_one(
                tables[game], strat, lay, ws, ist, targets, lam0, fopt, iopt,
                out_x[game], out_lam[game], out_res[game], out_status[game],
            )  # fmt: skip
            out_steps[game] = ist[_I_STEPS]
            out_bifurcations[game] = ist[_I_BIF]


@_jit
def _trace_until_one(  # pragma: no cover - compiled
    tab: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    ws: FloatArray,
    ist: IntArray,
    fresh: bool,
    target: float,
    move: bool,
    fopt: FloatArray,
    iopt: IntArray,
    x_io: FloatArray,
    tangent_io: FloatArray,
    curvature_io: FloatArray,
    scalars_io: FloatArray,
    ints_io: IntArray,
) -> None:
    """``follow_until`` for one game with the stopping rule ``max_regret <=
    target``. The branch state is read from and written back to the ``_io``
    arrays: ``scalars_io = [lam, step, residual]``, ``ints_io = [det_sign,
    status, steps, bifurcations]``."""
    m = lay[_L_M]
    x = lay[_L_X]
    t = lay[_L_T]
    c = lay[_L_C]
    st = lay[_L_ST]
    for r in range(m):
        ws[x + r] = x_io[r]
    if fresh:
        move = move and not _start(tab, strat, lay, ws, ist, 0.0, fopt, iopt)
    else:
        ws[st] = scalars_io[0]
        ws[st + _1] = scalars_io[1]
        for r in range(m + _1):
            ws[t + r] = tangent_io[r]
            ws[c + r] = curvature_io[r]
        ist[_I_SIGN] = ints_io[0]
        ist[_I_STATUS] = ints_io[1]
        ist[_I_STEPS] = ints_io[2]
        ist[_I_BIF] = ints_io[3]
    ist[_I_ACTIVE] = 1 if move else 0
    if move:
        if _max_regret(tab, strat, lay, ws, x) <= target:
            ist[_I_STATUS] = _AFTER_BIF if ist[_I_BIF] > 0 else _REACHED
            ist[_I_ACTIVE] = 0
        else:
            ist[_I_STATUS] = _REACHED
    limit = iopt[_MAX_STEPS_OPT] * 4 + 200
    for _ in range(limit):
        if ist[_I_ACTIVE] == 0:
            break
        if not _advance(tab, strat, lay, ws, ist, fopt, iopt):
            continue
        if _max_regret(tab, strat, lay, ws, x) <= target:
            ist[_I_STATUS] = _AFTER_BIF if ist[_I_BIF] > 0 else _REACHED
            ist[_I_ACTIVE] = 0
        else:
            _stop_if_ended(lay, ws, ist, fopt, iopt)
    _stop_at_step_limit(ist)
    _evaluate(tab, strat, lay, ws, x, ws[st], False)
    scalars_io[2] = _max_abs(ws, lay[_L_F], m)
    for r in range(m):
        x_io[r] = ws[x + r]
    for r in range(m + _1):
        tangent_io[r] = ws[t + r]
        curvature_io[r] = ws[c + r]
    scalars_io[0] = ws[st]
    scalars_io[1] = ws[st + _1]
    ints_io[0] = ist[_I_SIGN]
    ints_io[1] = ist[_I_STATUS]
    ints_io[2] = ist[_I_STEPS]
    ints_io[3] = ist[_I_BIF]


@_jit
def _trace_until(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    tables: FloatArray,
    strat: UIntArray,
    lay: UIntArray,
    fresh: bool,
    target: FloatArray,
    move: BoolArray,
    fopt: FloatArray,
    iopt: IntArray,
    x: FloatArray,
    tangent: FloatArray,
    curvature: FloatArray,
    scalars: FloatArray,
    ints: IntArray,
) -> None:
    """``follow_until`` (stop at ``max_regret <= target``) for every game;
    the state arrays are updated in place."""
    n_games = tables.shape[0]
    for blk in range(first_block, last_block):
        ws = np.zeros(lay[_L_WS])
        ist = np.zeros(_I_SIZE, dtype=np.int64)
        for game in range(blk * BLOCK, min(n_games, (blk + 1) * BLOCK)):
            _trace_until_one(
                tables[game], strat, lay, ws, ist, fresh, target[game], move[game], fopt,
                iopt, x[game], tangent[game], curvature[game], scalars[game], ints[game],
            )  # fmt: skip


# ---------------------------------------------------------------------------
# Python entry points
# ---------------------------------------------------------------------------


def _prepare(payoffs: FloatArray) -> tuple[FloatArray, UIntArray, UIntArray]:
    """``(B, P * S)`` tables (player-major, profiles in C order), pure
    profiles ``(S, P)`` and the workspace layout."""
    dims = tuple(int(n) for n in payoffs.shape[2:])
    if not supports(dims):
        raise InputError(
            f"games of shape {dims} are too large for the compiled tracer "
            f"(at most {MAX_PLAYERS} players and {MAX_STRATEGIES} strategies in all)",
            field="payoffs",
        )
    b = payoffs.shape[0]
    tables = np.ascontiguousarray(payoffs, dtype=np.float64).reshape(b, -1)
    n_players = len(dims)
    strat = np.ascontiguousarray(np.indices(dims).reshape(n_players, -1).T, dtype=np.uint64)
    return tables, strat, _make_layout(dims)


def _options(opts: TraceOptions) -> tuple[FloatArray, IntArray]:
    fopt = np.array(
        [
            opts.first_step,
            opts.max_step,
            opts.min_step,
            opts.max_growth,
            opts.corrector_tol,
            opts.nominal_distance,
            opts.max_distance,
            opts.nominal_contraction,
            opts.max_contraction,
            opts.min_tangent_cos,
            opts.final_tol,
            opts.crossing_tol,
            opts.lam_min,
            opts.bifurcation_step,
        ],
        dtype=np.float64,
    )
    iopt = np.array(
        [
            opts.max_corrector_iterations,
            opts.max_steps,
            opts.final_iterations,
            1 if opts.bifurcation == "stop" else 0,
            1 if opts.detect_bifurcations else 0,
        ],
        dtype=np.int64,
    )
    return fopt, iopt


def follow_logit_to_lambdas(
    payoffs: FloatArray,
    lams: FloatArray,
    *,
    lam0: float = 0.0,
    options: TraceOptions | None = None,
    workers: int | None = None,
) -> LambdaPoints:
    """Compiled :func:`~realpolitik.solve.homotopy.follow_to_lambdas` on the
    logit system of each game, from the centroid at ``lam0``.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` float64 with :func:`supports` true
        for its shape.
    lams : ``(K,)`` ascending targets, each ``>= lam0`` (checked by the
        caller, :func:`realpolitik.solve.logit.logit_qre`).
    lam0 : lambda of the start point (the centroid is the QRE only at 0).
    options : the tracer's settings (default :class:`TraceOptions`).
    workers : threads (default: numba's thread count, all cores, at most 8).

    Returns
    -------
    LambdaPoints
        ``x`` in log-odds coordinates ``(B, K, m)``, ``m = sum(n_i - 1)``, as
        :func:`follow_to_lambdas` with ``LogitSystem`` returns them.
    """
    opts = options or TraceOptions()
    tables, strat, lay = _prepare(payoffs)
    targets = np.ascontiguousarray(lams, dtype=np.float64).reshape(-1)
    b = tables.shape[0]
    k = targets.size
    m = int(lay[_L_M])
    require_bytes("points on the branch at the target lambdas", (b, k, m + 3))
    out_x = np.zeros((b, k, m))
    out_lam = np.zeros((b, k))
    out_res = np.zeros((b, k))
    out_status = np.zeros((b, k), dtype=np.int8)
    steps = np.zeros(b, dtype=np.int64)
    bifurcations = np.zeros(b, dtype=np.int64)
    fopt, iopt = _options(opts)
    run_blocks(
        _trace_to_lambdas,
        b,
        BLOCK,
        (
            tables, strat, lay, targets, float(lam0), fopt, iopt,
            out_x, out_lam, out_res, out_status, steps, bifurcations,
        ),
        workers,
    )  # fmt: skip
    return LambdaPoints(out_x, out_lam, out_res, out_status, steps, bifurcations)


def follow_logit_until_regret(
    payoffs: FloatArray,
    start: BranchState | None,
    regret_target: FloatArray,
    *,
    members: BoolArray | None = None,
    options: TraceOptions | None = None,
    workers: int | None = None,
) -> BranchState:
    """Compiled :func:`~realpolitik.solve.homotopy.follow_until` on the logit
    system, stopping where the profile's max regret is at most the target.

    Parameters
    ----------
    payoffs : ``(B, P, n_1, ..., n_P)`` with :func:`supports` true for its shape.
    start : ``None`` to start at the centroid (``lam = 0``), or the state of
        an earlier call to continue along the same branch.
    regret_target : ``(B,)`` max regret (payoff units) at which a game stops.
    members : ``(B,)`` which games to move (default all).
    options : the tracer's settings.
    workers : threads (default: numba's thread count, all cores, at most 8).

    Returns
    -------
    BranchState
        As :func:`follow_until` with ``LogitSystem.max_regret`` as the
        stopping rule returns it.
    """
    opts = options or TraceOptions()
    tables, strat, lay = _prepare(payoffs)
    b = tables.shape[0]
    m = int(lay[_L_M])
    require_bytes("branch tracer state", (b, 3 * m + 8))
    move = np.ones(b, dtype=bool) if members is None else np.asarray(members, dtype=bool).copy()
    if move.shape != (b,):
        raise InputError(f"members has shape {move.shape}, expected ({b},)", field="members")
    target = np.ascontiguousarray(regret_target, dtype=np.float64).reshape(b)
    scalars = np.zeros((b, 3))
    ints = np.zeros((b, 4), dtype=np.int64)
    if start is None:
        x = np.zeros((b, m))
        tangent = np.zeros((b, m + 1))
        curvature = np.zeros((b, m + 1))
    else:
        x = np.array(start.x, dtype=np.float64, order="C")
        tangent = np.array(start.tangent, dtype=np.float64, order="C")
        curvature = np.array(start.curvature, dtype=np.float64, order="C")
        scalars[:, 0] = start.lam
        scalars[:, 1] = start.step
        ints[:, 0] = start.det_sign
        ints[:, 1] = start.status
        ints[:, 2] = start.steps
        ints[:, 3] = start.bifurcations
    fopt, iopt = _options(opts)
    run_blocks(
        _trace_until,
        b,
        BLOCK,
        (
            tables, strat, lay, start is None, target, move, fopt, iopt,
            x, tangent, curvature, scalars, ints,
        ),
        workers,
    )  # fmt: skip
    return BranchState(
        x,
        scalars[:, 0].copy(),
        tangent,
        scalars[:, 1].copy(),
        curvature,
        ints[:, 0].astype(np.int8),
        scalars[:, 2].copy(),
        ints[:, 1].astype(np.int8),
        ints[:, 2].copy(),
        ints[:, 3].copy(),
    )


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
