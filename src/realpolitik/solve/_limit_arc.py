"""Compiled pseudo-arc-length continuation (numba) of one draw's agent
logit QRE branch in ``(w, t)``, ``w`` the log probabilities and ``t = log
mu``: it passes the turning points of the branch in lambda (folds), which a
schedule in lambda cannot (Allgower and Georg 1990; Gambit's ``path.cc``
after Turocy 2005).

Why our own and not :mod:`realpolitik.solve.homotopy`: that tracer is
NumPy, vectorised over a batch with a Python loop over steps, and takes the
caller's Jacobian; the logit limit traces each draw in compiled code over
the cores (:mod:`realpolitik.solve._limit_trace`), with the log-reach passes
of :mod:`realpolitik.solve._limit_kernels`, so its continuation is compiled
too. The method is the same (bordered tangent, predictor, corrector
orthogonal to a tangent, step control, the determinant's sign); the
differences: the corrector is a chord method (the last point's factorised
bordered Jacobian reused: a Jacobian costs a tree pass per action), the
Jacobian is by forward differences, and the variables are scaled by
``max(1, |w|)`` (a vanishing action's ``w`` falls as ``mu``).

Why every action is a variable and not only those still mixing: an action
of vanishing probability still sets the beliefs below it, with a weight
that grows as ``lambda``; without its column the chord corrector stalls
(measured on the flagship). So the continuation is for trees of at most
``ARC_ALL_ACTIONS`` actions.

References
----------
Allgower, E. L. and Georg, K. (1990). Numerical Continuation Methods: An
Introduction. Springer (predictor-corrector, ch. 2; step control, ch. 6;
bifurcations and the determinant's sign, ch. 8).

Golub, G. H. and Van Loan, C. F. (2013). Matrix Computations, 4th ed.
Johns Hopkins (LU with partial pivoting, 3.4).

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263 (and Gambit 16.7.0's ``src/solvers/logit/path.cc``, GPL, read for
the method, not copied).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.solve._belief_kernels import TreeArrays
from realpolitik.solve._limit_kernels import (
    EPS,
    NEWTON_ITERATIONS,
    NOISE,
    jacobi,
    log_probs,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Pseudo-arc-length continuation (:func:`arc_follow`), arc length in
#: ``(log probabilities of the active actions, log mu)``: first, largest and
#: smallest step, steps per call at most.
ARC_FIRST_STEP = 0.05
ARC_MAX_STEP = 1.0
ARC_MIN_STEP = 1e-7
ARC_MAX_STEPS = 2000
#: Chord corrector: iterations, the correction at which a point is on the
#: branch, the largest first correction and contraction accepted.
ARC_CORRECTOR_ITERATIONS = 16
ARC_CORRECTOR_TOL = 1e-9
ARC_MAX_DISTANCE = 0.5
ARC_MAX_CONTRACTION = 0.6
#: The first correction the step length aims at (the chord corrector's
#: contraction does not shrink with the step at large ``mu``, so it only
#: refuses steps, above ``ARC_MAX_CONTRACTION``).
ARC_NOMINAL_DISTANCE = 0.05
#: A step whose tangent turns by more than ``arccos(ARC_MIN_COS)`` is refused.
ARC_MIN_COS = 0.9
#: A change of the determinant's sign is passed (and counted) only over a
#: step at most this long.
ARC_FLIP_STEP = 1e-4
#: Actions of the trees the continuation follows at most (every action is a
#: variable: its Jacobian costs a tree pass per action, its factorisation
#: their cube).
ARC_ALL_ACTIONS = 96
#: Forward-difference step of its Jacobian (relative to ``max(1, |w|)``; the
#: response grows steeper with ``lam``, so smaller than Newton's).
ARC_FD_STEP = 1e-9
#: Tree passes one call of the continuation spends at most.
ARC_MAX_PASSES = 20000


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _lu_factor(a: FloatArray, m: int, piv: IntArray) -> int:  # pragma: no cover - compiled
    """LU factorisation of ``a[:m, :m]`` in place with partial pivoting
    (Golub and Van Loan 2013, 3.4); returns the sign of the determinant, 0
    if singular."""
    sign = 1
    for c in range(m):
        pivot = c
        for i in range(c + 1, m):
            if abs(a[i, c]) > abs(a[pivot, c]):
                pivot = i
        piv[c] = pivot
        if not abs(a[pivot, c]) > 0.0:
            return 0
        if pivot != c:
            sign = -sign
            for j in range(m):
                a[c, j], a[pivot, j] = a[pivot, j], a[c, j]
        if a[c, c] < 0.0:
            sign = -sign
        inverse = 1.0 / a[c, c]
        for i in range(c + 1, m):
            factor = a[i, c] * inverse
            a[i, c] = factor
            if factor != 0.0:
                for j in range(c + 1, m):
                    a[i, j] -= factor * a[c, j]
    return sign


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _lu_solve(a: FloatArray, m: int, piv: IntArray, b: FloatArray) -> None:  # pragma: no cover
    """``b[:m] = A^-1 b[:m]`` with the factors of :func:`_lu_factor`."""
    for c in range(m):
        pivot = piv[c]
        if pivot != c:
            b[c], b[pivot] = b[pivot], b[c]
    for i in range(m):
        acc = b[i]
        for j in range(i):
            acc -= a[i, j] * b[j]
        b[i] = acc
    for i in range(m - 1, -1, -1):
        acc = b[i]
        for j in range(i + 1, m):
            acc -= a[i, j] * b[j]
        b[i] = acc / a[i, i]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _arc_jacobian(  # pragma: no cover - compiled
    span: float,
    t: float,
    w: FloatArray,
    border: FloatArray,
    jac: FloatArray,
    dcol: FloatArray,
    mat: FloatArray,
    piv: IntArray,
    active: IntArray,
    scale: FloatArray,
    ls0: FloatArray,
    p: FloatArray,
    logp: FloatArray,
    q: FloatArray,
    y: FloatArray,
    ls: FloatArray,
    v: FloatArray,
    value: FloatArray,
    log_reach: FloatArray,
    chance_row: FloatArray,
    log_chance: FloatArray,
    tree: TreeArrays,
    passes: IntArray,
    stats: FloatArray,
) -> tuple[int, int]:
    """The bordered Jacobian of ``H(w, t) = w - log softmax(lam(t) v(softmax
    w))``, ``lam = exp(t) / span``, at ``(w, t)``, factorised in ``mat``.

    Variables: every action (``active`` lists them; one of vanishing
    probability still sets the beliefs below it, with a weight that grows as
    ``lam``) and ``t``, each action's log probability in units of ``scale =
    max(1, |w|)`` (a vanishing action's ``w`` falls as ``mu``; unscaled it
    would make the arc length
    per unit of ``log mu`` grow as ``mu``). Columns by forward differences,
    one Jacobi pass each; ``jac[:, j]`` holds ``d log softmax(lam v) / d
    w_{active[j]}`` over every action and ``dcol`` its ``t`` derivative, so
    the inactive components of a tangent or correction follow from the
    active ones. ``mat`` is the scaled ``[[I - jac_AA, -dcol_A], [border_A,
    border_t]]`` factorised (``border`` in ``w`` units). The response at
    ``(w, t)`` is left in ``ls0``, ``p``, ``q`` and ``y``, its fixed-point
    residual and regret in ``stats[0:2]``. Returns ``(m, sign of det mat)``
    (sign 0: singular or not finite; ``m`` -1: more actions than
    ``ARC_ALL_ACTIONS``).
    """
    n = w.shape[0]
    lam = math.exp(t) / span
    m = n
    for a in range(n):
        active[a] = a
    if m > ARC_ALL_ACTIONS:
        return -1, 0
    for a in range(n):
        scale[a] = max(1.0, abs(w[a]))
    for j in range(m):
        a = active[j]
        keep = w[a]
        h = ARC_FD_STEP * max(1.0, abs(keep))
        w[a] = keep + h
        jacobi(
            lam, w, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance, tree,
        )  # fmt: skip
        passes[0] += 1
        w[a] = keep
        for b in range(n):
            jac[b, j] = ls[b]
    jacobi(
        lam * math.exp(ARC_FD_STEP), w, p, logp, q, y, ls, v, value, log_reach, chance_row,
        log_chance, tree,
    )  # fmt: skip
    for b in range(n):
        dcol[b] = ls[b]
    # last, the response at (w, t) itself: p, q, y are left for it
    gap, regret = jacobi(
        lam, w, p, logp, q, y, ls0, v, value, log_reach, chance_row, log_chance, tree,
    )  # fmt: skip
    passes[0] += 2
    stats[0] = gap
    stats[1] = regret
    if not math.isfinite(gap):
        return 0, 0
    for j in range(m):
        a = active[j]
        h = ARC_FD_STEP * max(1.0, abs(w[a]))
        for b in range(n):
            jac[b, j] = (jac[b, j] - ls0[b]) / h
    for b in range(n):
        dcol[b] = (dcol[b] - ls0[b]) / ARC_FD_STEP
    _fill_bordered(mat, jac, dcol, active, scale, m, border, n)
    return m, _lu_factor(mat, m + 1, piv)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _fill_bordered(  # pragma: no cover - compiled
    mat: FloatArray,
    jac: FloatArray,
    dcol: FloatArray,
    active: IntArray,
    scale: FloatArray,
    m: int,
    border: FloatArray,
    n: int,
) -> None:
    """``mat[:m+1, :m+1] = [[I - jac_AA, -dcol_A], [border_A, border_t]]`` in
    the scaled variables (row ``i`` and column ``j`` of action ``a``
    divided and multiplied by ``scale[a]``)."""
    for i in range(m):
        si = scale[active[i]]
        for j in range(m):
            mat[i, j] = -jac[active[i], j] * scale[active[j]] / si
        mat[i, i] += 1.0
        mat[i, m] = -dcol[active[i]] / si
    for j in range(m):
        mat[m, j] = border[active[j]] / scale[active[j]]
    mat[m, m] = border[n]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _expand(  # pragma: no cover - compiled
    z: FloatArray,
    m: int,
    active: IntArray,
    scale: FloatArray,
    jac: FloatArray,
    dcol: FloatArray,
    base: FloatArray,
    out: FloatArray,
) -> float:
    """A solution ``z`` of the scaled bordered system as a change of every
    action's ``w`` and of ``t`` (``out``): an active action's is ``z`` times
    its scale, an inactive one's ``base + jac_IA dw_A + dcol_I dt`` (its row
    of the Jacobian is the identity's). Returns the scaled norm of ``z``."""
    n = out.shape[0] - 1
    norm = z[m] * z[m]
    for j in range(m):
        norm += z[j] * z[j]
        z[j] *= scale[active[j]]
    for b in range(n):
        acc = base[b]
        for j in range(m):
            acc += jac[b, j] * z[j]
        out[b] = acc + dcol[b] * z[m]
    for j in range(m):
        out[active[j]] = z[j]
    out[n] = z[m]
    return math.sqrt(norm)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _tangent(  # pragma: no cover - compiled
    mat: FloatArray,
    piv: IntArray,
    m: int,
    active: IntArray,
    scale: FloatArray,
    jac: FloatArray,
    dcol: FloatArray,
    zero: FloatArray,
    z: FloatArray,
    out: FloatArray,
) -> bool:
    """The unit tangent (scaled norm) of the factorised bordered system:
    ``mat z = e_m``, so that it has a positive product with the border (the
    direction of travel); every action's and ``t``'s component in ``out``."""
    for i in range(m + 1):
        z[i] = 0.0
    z[m] = 1.0
    _lu_solve(mat, m + 1, piv, z)
    norm = _expand(z, m, active, scale, jac, dcol, zero, out)
    if not (math.isfinite(norm) and norm > 0.0):
        return False
    for a in range(out.shape[0]):
        out[a] /= norm
    return True


@numba.njit(cache=True, boundscheck=False, nogil=True)
def arc_follow(  # pragma: no cover - compiled
    span: float,
    tol: float,
    t_start: float,
    t_exit: float,
    x: FloatArray,
    hint: FloatArray,
    p: FloatArray,
    logp: FloatArray,
    q: FloatArray,
    y: FloatArray,
    ls: FloatArray,
    v: FloatArray,
    value: FloatArray,
    log_reach: FloatArray,
    chance_row: FloatArray,
    log_chance: FloatArray,
    tree: TreeArrays,
    passes: IntArray,
    regret_out: FloatArray,
) -> tuple[bool, float, int]:
    """Pseudo-arc-length continuation of the branch in ``(w, t = log mu)``
    from the point with logits ``x`` at ``t_start`` until it passes
    ``t_exit`` going up in ``t`` (Allgower and Georg 1990, ch. 2 and 6;
    Gambit's ``path.cc`` after Turocy 2005): it passes turning points of
    ``mu``, which a schedule in ``mu`` cannot.

    Each step: the unit tangent from the bordered Jacobian
    (:func:`_arc_jacobian`; border: the last tangent, which keeps the
    direction of travel; at the start ``hint``, the direction the branch
    came from, or ``t`` increasing), an Euler predictor of arc length ``h``,
    a chord Newton corrector (the last point's factorised bordered Jacobian,
    corrections orthogonal to its border), then the Jacobian at the new
    point. A step is refused (``h`` halved) when the corrector's first
    correction exceeds ``ARC_MAX_DISTANCE``, it contracts worse than
    ``ARC_MAX_CONTRACTION`` or does not converge, the tangent turns by more
    than ``arccos(ARC_MIN_COS)``, or the sign of the bordered Jacobian's
    determinant changes over a step longer than ``ARC_FLIP_STEP`` (an
    oriented branch keeps it except at a bifurcation, Allgower and Georg
    sec. 8.1: a change over a long step means the corrector left the
    branch); a change that persists over a short step is passed and counted.

    Returns ``(reached, t, flips)``: on success the point at ``t`` (polished
    by Newton's method at that ``t`` to the fixed-point tolerance) with
    logits in ``x``, profile in ``q``, conditional regret in
    ``regret_out[0]``.
    """
    action_offset = tree.action_offset
    n = x.shape[0]
    size = n + 1
    width = min(n, ARC_ALL_ACTIONS) + 1
    jac = np.empty((n, width))
    jac_new = np.empty((n, width))
    dcol = np.empty(n)
    dcol_new = np.empty(n)
    mat = np.empty((width, width))
    mat_new = np.empty((width, width))
    piv = np.empty(width, dtype=np.int64)
    piv_new = np.empty(width, dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    active_new = np.empty(n, dtype=np.int64)
    scale = np.ones(n)
    scale_new = np.ones(n)
    tangent = np.zeros(size)
    tangent_new = np.zeros(size)
    border = np.zeros(size)
    z = np.empty(width)
    full = np.empty(size)
    zero = np.zeros(n)
    w = np.empty(n)
    wc = np.empty(n)
    ls0 = np.empty(n)
    stats = np.zeros(2)
    log_probs(x, w, action_offset)
    t = t_start
    for a in range(size):
        border[a] = hint[a]
    if border[n] == 0.0:
        border[n] = 1.0
    m, sign = _arc_jacobian(
        span, t, w, border, jac, dcol, mat, piv, active, scale, ls0, p, logp, q, y, ls, v,
        value, log_reach, chance_row, log_chance, tree, passes, stats,
    )  # fmt: skip
    if m < 0 or sign == 0:
        return False, t, 0
    if not _tangent(mat, piv, m, active, scale, jac, dcol, zero, z, tangent):
        return False, t, 0
    h = ARC_FIRST_STEP
    flips = 0
    reached = False
    budget = passes[0] + ARC_MAX_PASSES
    for _ in range(ARC_MAX_STEPS):
        if h < ARC_MIN_STEP or passes[0] > budget:
            break
        # predictor, then the chord corrector
        for a in range(n):
            wc[a] = w[a] + h * tangent[a]
        tc: float = t + h * float(tangent[n])
        ok = False
        previous = np.inf
        first = 0.0
        for k in range(ARC_CORRECTOR_ITERATIONS):
            gap, _ = jacobi(
                math.exp(tc) / span, wc, p, logp, q, y, ls, v, value, log_reach, chance_row,
                log_chance, tree,
            )  # fmt: skip
            passes[0] += 1
            if not math.isfinite(gap):
                break
            for j in range(m):
                z[j] = (ls[active[j]] - wc[active[j]]) / scale[active[j]]
            z[m] = 0.0
            _lu_solve(mat, m + 1, piv, z)
            dist = _expand(z, m, active, scale, jac, dcol, ls, full)
            if not math.isfinite(dist):
                break
            if k == 0:
                first = dist
                if dist > ARC_MAX_DISTANCE:
                    break
            else:
                if dist > ARC_MAX_CONTRACTION * previous:
                    break
            for j in range(m):
                full[active[j]] = wc[active[j]] + z[j]
            for a in range(n):
                wc[a] = full[a]
            tc += float(z[m])
            previous = dist
            if dist <= max(ARC_CORRECTOR_TOL, NOISE * EPS * math.exp(tc)):
                ok = True
                break
        if not ok:
            h *= 0.5
            continue
        # the Jacobian and tangent at the new point (border: the last tangent)
        m_new, sign_new = _arc_jacobian(
            span, tc, wc, tangent, jac_new, dcol_new, mat_new, piv_new, active_new,
            scale_new, ls0, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance, tree,
            passes, stats,
        )  # fmt: skip
        if (
            m_new < 0
            or sign_new == 0
            or not _tangent(
                mat_new,
                piv_new,
                m_new,
                active_new,
                scale_new,
                jac_new,
                dcol_new,
                zero,
                z,
                tangent_new,
            )
        ):
            h *= 0.5
            continue
        # the turn of the tangent, both measured in the new point's scale
        dot = tangent[n] * tangent_new[n]
        old = tangent[n] * tangent[n]
        for j in range(m_new):
            a = active_new[j]
            s2 = scale_new[a] * scale_new[a]
            dot += tangent[a] * tangent_new[a] / s2
            old += tangent[a] * tangent[a] / s2
        if not dot >= ARC_MIN_COS * math.sqrt(old):
            h *= 0.5
            continue
        if sign_new != sign:
            if h > ARC_FLIP_STEP:
                h *= 0.5
                continue
            flips += 1
            sign = sign_new
        # accept the step
        tangent, tangent_new = tangent_new, tangent
        jac, jac_new = jac_new, jac
        dcol, dcol_new = dcol_new, dcol
        mat, mat_new = mat_new, mat
        piv, piv_new = piv_new, piv
        active, active_new = active_new, active
        scale, scale_new = scale_new, scale
        m = m_new
        for a in range(n):
            w[a] = wc[a]
        t = tc
        # deceleration factor (Allgower and Georg 1990, sec. 6.1)
        slow = math.sqrt(first / ARC_NOMINAL_DISTANCE)
        h = min(h / min(max(slow, 0.5), 2.0), ARC_MAX_STEP)
        if t >= t_exit and tangent[n] > 0.0:
            reached = True
            break
    if not reached:
        return False, t, flips
    # polish at this t: Newton's method at fixed t (border e_t), last Jacobian
    for a in range(size):
        border[a] = 0.0
    border[n] = 1.0
    _fill_bordered(mat, jac, dcol, active, scale, m, border, n)
    if _lu_factor(mat, m + 1, piv) == 0:
        return False, t, flips
    step_tol = max(tol, NOISE * EPS * math.exp(t))
    for _ in range(NEWTON_ITERATIONS):
        gap, regret = jacobi(
            math.exp(t) / span, w, p, logp, q, y, ls, v, value, log_reach, chance_row,
            log_chance, tree,
        )  # fmt: skip
        passes[0] += 1
        if not math.isfinite(gap):
            return False, t, flips
        if gap <= step_tol:
            for a in range(n):
                x[a] = y[a]
                q[a] = p[a]
            regret_out[0] = regret
            return True, t, flips
        for j in range(m):
            z[j] = (ls[active[j]] - w[active[j]]) / scale[active[j]]
        z[m] = 0.0
        _lu_solve(mat, m + 1, piv, z)
        _expand(z, m, active, scale, jac, dcol, ls, full)
        for j in range(m):
            full[active[j]] = w[active[j]] + z[j]
        for a in range(n):
            w[a] = full[a]
    return False, t, flips


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
