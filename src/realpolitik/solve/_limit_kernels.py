"""Compiled kernels (numba) of the limiting logit equilibrium: each draw's
principal agent logit QRE traced up a geometric schedule of lambda, warm
started, until it sits at its limit.

Why a kernel of its own beside :mod:`realpolitik.solve._belief_kernels`:
the belief iteration there keeps reach probabilities as numbers, and at the
lambdas of the limit (``lambda x payoff range`` of 10^7 and more) the reach of
a set off the path of play underflows to 0; the sweep then weighs the set's
nodes equally, which is not the belief the logit branch converges to (the
ratio of two vanishing reach probabilities), and the trace jumps to another
fixed point. Here reach is kept as a logarithm, ``log p(a) = x(a) -
logsumexp(x)`` taken from the logits themselves, so beliefs at sets reached
with probability ``exp(-10^7)`` are still the ratios Bayes' rule gives on the
branch. The pieces that do not touch reach (``_softmax_all``, the
Anderson update ``_anderson_step`` with its least squares, the threads) are
the belief kernels'; the sweep loop is this module's own, with the log
passes in it (the belief kernels' loop calls their linear passes).

The algorithm per draw (see :mod:`realpolitik.solve.logit_limit` for the
why and the stopping rule):

* ``mu = lambda x S`` with ``S`` the draw's payoff range (max minus min over
  terminals and players), so that one schedule suits every draw;
* ``mu_0 = MU_START`` from the centroid; then, where the branch can fold
  (an information set of several nodes) and the tree has at most
  ``ARC_ALL_ACTIONS`` actions, :func:`_arc_follow` (pseudo-arc-length
  continuation in ``w`` = log probabilities and ``t = log mu``, every
  action a variable scaled by ``max(1, |w|)``, forward-difference bordered
  Jacobian factorised by our own LU, chord corrector) to ``ARC_HANDOVER``;
* then ``mu_{k+1} = r mu_k``, each step started from the secant predictor of
  the logits in ``mu`` (exact for a set whose limit is pure, where logits
  grow as ``mu``), solved by the Anderson accelerated Gauss-Seidel sweeps of
  the belief iteration (at most ``ANDERSON_SWEEPS``), and where they fail,
  or land more than ``PREDICTOR_TOL`` from the prediction (a stable fixed
  point of the sweeps beside an unstable branch), by Newton's method from
  the prediction on the log probabilities with a forward-difference
  Jacobian (every action on trees of at most ``NEWTON_MAX_ACTIVE``, else
  the actions still mixing); a step whose solution still misses the
  prediction by more than ``PREDICTOR_TOL`` is refused;
* a step's fixed-point tolerance is ``max(tol, 32 eps mu)``: logits of size
  ``mu`` carry about ``mu`` machine epsilons of rounding;
* a step that does not converge is retried from the last point with ``r``
  replaced by ``sqrt(r)`` (halving the step in ``log mu``), at most
  ``MAX_HALVINGS`` times in a row; after two good steps in a row ``r`` grows
  back (squared, at most ``RATIO_MAX``);
* where halving does not help, trees of at most ``ARC_ALL_ACTIONS`` actions
  follow the branch by arc length from the last good point (oriented by
  the secant it came along) to ``ARC_EXIT_RATIO`` times its ``mu``, at most
  ``MAX_ARCS`` times; otherwise, or where that fails, the trace leaps: the
  next step is by ``JUMP_RATIO`` (then its square; at most ``MAX_JUMPS``
  leaps). A draw that converges after a leap, or after a continuation that
  failed or passed a change of the determinant's sign, has status
  ``CONVERGED_AFTER_JUMP``: its limit is an equilibrium (the stopping rule
  holds) but may lie on another branch than the principal one;
* the draw stops when the last point's conditional agent regret (the most any
  mover gains by changing the action at one set, given reaching it, beliefs
  of the profile itself) is at most ``regret_tol x S`` and no probability
  moved by more than ``step_tol`` over the last step; or fails (status 2)
  when a step cannot be made or ``mu`` passes ``MU_MAX``.

Why not the reduced system (only the actions still mixing) in the
continuation: an action of vanishing probability still sets the beliefs
below it, with a weight that grows as ``lambda``; without its column the
chord corrector stalls (measured on the flagship). Every action is a
variable, so the continuation is for trees of at most ``ARC_ALL_ACTIONS``.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.

Allgower, E. L. and Georg, K. (1990). Numerical Continuation Methods: An
Introduction. Springer (predictor-corrector, ch. 2; step control, ch. 6;
bifurcations and the determinant's sign, ch. 8).

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263 (and Gambit 16.7.0's ``src/solvers/logit/path.cc``, GPL, read for
the method, not copied).

Walker, H. F. and Ni, P. (2011). Anderson acceleration for fixed-point
iterations. SIAM Journal on Numerical Analysis 49(4), 1715-1735.

Kelley, C. T. (2003). Solving Nonlinear Equations with Newton's Method.
SIAM (forward-difference Jacobians, ch. 2.3; line search, ch. 1.6).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik.solve._belief_kernels import (
    BLOCK,
    CHANCE_UNIT,
    _anderson_step,
    _softmax_all,
    _solve_small,
)
from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Status codes of a draw: converged along the branch, converged after
#: leaping over a part of it that lambda steps could not follow (the limit
#: may then lie on another branch), not converged.
CONVERGED = 0
CONVERGED_AFTER_JUMP = 1
NOT_CONVERGED = 2

#: Normalised precision (lambda x payoff range) of the first point.
MU_START = 1.0
#: The smallest first point tried when ``MU_START`` does not converge.
MU_FLOOR = 1e-3
#: First ratio of the geometric schedule, and the largest it grows to.
RATIO = 1.25
RATIO_MAX = 16.0
#: Leaps over a stretch the steps cannot follow: at most ``MAX_JUMPS`` per
#: draw, the ``k``-th by a ratio of ``JUMP_RATIO ** k``.
MAX_JUMPS = 2
JUMP_RATIO = 16.0
#: The largest distance (max-abs over action probabilities) of a step's
#: solution from its predictor: farther, the step has left the branch.
PREDICTOR_TOL = 0.25
#: Stretches followed by arc length (:func:`_arc_follow`) per draw at most.
MAX_ARCS = 3
#: The smallest ratio a step is halved to before the draw is given up.
RATIO_MIN = 1.001
#: Halvings of the step (in log mu) in a row before a draw is given up.
MAX_HALVINGS = 6
#: A draw whose normalised precision passes this has not reached its limit.
MU_MAX = 1e13
#: Anderson sweeps at a step before Newton's method takes over.
ANDERSON_SWEEPS = 60
#: Newton iterations at a step.
NEWTON_ITERATIONS = 12
#: Newton's method is not tried where more actions than this are active (its
#: Jacobian costs a tree pass per active action).
NEWTON_MAX_ACTIVE = 96
#: An action of probability at least this, in a set not within this of a
#: vertex, is active (its column of Newton's Jacobian is computed).
_ACTIVE = 1e-12
#: Forward-difference step of Newton's Jacobian (log probabilities).
_FD_STEP = 1e-7
#: Halvings of a Newton step at most.
_BACKTRACKS = 12
#: The fixed-point residual that rounding allows at ``mu``: logits ``lam v``
#: of size ``mu`` carry errors of ``mu`` machine epsilons, so a step's
#: tolerance is ``max(tol, _NOISE x eps x mu)``.
_NOISE = 32.0
_EPS = 2.220446049250313e-16
#: Pseudo-arc-length continuation (:func:`_arc_follow`), arc length in
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
#: On trees of at most ``ARC_ALL_ACTIONS`` actions the branch is followed by
#: arc length from the first point to this ``mu``.
ARC_HANDOVER = 1e4
#: Tree passes one call of the continuation spends at most.
ARC_MAX_PASSES = 20000
#: The continuation hands back to the schedule once it passes ``mu`` of the
#: point where the schedule stopped times this, going up.
ARC_EXIT_RATIO = 16.0


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _log_probs(  # pragma: no cover - compiled
    x: FloatArray, logp: FloatArray, action_offset: IntArray
) -> None:
    """``logp = log softmax(x)`` within every information set."""
    for s in range(action_offset.shape[0] - 1):
        a0 = action_offset[s]
        a1 = action_offset[s + 1]
        top = x[a0]
        for a in range(a0 + 1, a1):
            top = max(top, x[a])
        total = 0.0
        for a in range(a0, a1):
            total += math.exp(x[a] - top)
        shift = top + math.log(total)
        for a in range(a0, a1):
            logp[a] = x[a] - shift


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _log_forward(  # pragma: no cover - compiled
    log_reach: FloatArray,
    logp: FloatArray,
    log_chance: FloatArray,
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
) -> None:
    """Log reach probabilities of the nodes beliefs need (prefix order);
    ``fwd_source`` as in :func:`realpolitik.solve._belief_kernels._forward`."""
    log_reach[0] = 0.0
    for k in range(fwd_node.shape[0]):
        source = fwd_source[k]
        weight = logp[source] if source >= 0 else log_chance[-source - 1]
        log_reach[fwd_node[k]] = log_reach[fwd_parent[k]] + weight


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _log_sweep(  # pragma: no cover - compiled
    respond: bool,
    lam: float,
    p: FloatArray,
    q: FloatArray,
    y: FloatArray,
    v: FloatArray,
    value: FloatArray,
    log_reach: FloatArray,
    chance_row: FloatArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
) -> tuple[float, float]:
    """One backward pass, as :func:`realpolitik.solve._belief_kernels._sweep`
    but with beliefs from log reach (``exp(log_reach - max)`` over the set).

    Returns ``(max |q - p|, regret)``: ``regret`` is the largest conditional
    agent regret ``max_a v(a) - sum_a p(a) v(a)`` over the sets, meaningful on
    the Jacobi pass (``respond`` False, where ``v`` are the values of ``p``).
    """
    n_players = value.shape[1]
    gap = 0.0
    regret = 0.0
    for u in range(unit_kind.shape[0]):
        ref = unit_ref[u]
        if unit_kind[u] == CHANCE_UNIT:
            e0 = child_offset[ref]
            e1 = child_offset[ref + 1]
            for r in range(n_players):
                acc = 0.0
                for e in range(e0, e1):
                    acc += chance_row[edge_chance[e]] * value[child_index[e], r]
                value[ref, r] = acc
            continue
        a0 = action_offset[ref]
        k = action_offset[ref + 1] - a0
        mover = set_player[ref]
        n0 = set_node_offset[ref]
        n1 = set_node_offset[ref + 1]
        if n1 - n0 == 1:
            first = child_offset[set_nodes[n0]]
            for a in range(k):
                v[a] = value[child_index[first + a], mover]
        else:
            largest = -np.inf
            for j in range(n0, n1):
                largest = max(largest, log_reach[set_nodes[j]])
            reached = largest > -np.inf
            total = 0.0
            for j in range(n0, n1):
                total += math.exp(log_reach[set_nodes[j]] - largest) if reached else 1.0
            scale = 1.0 / total
            for a in range(k):
                acc = 0.0
                for j in range(n0, n1):
                    node = set_nodes[j]
                    w = math.exp(log_reach[node] - largest) if reached else 1.0
                    acc += w * value[child_index[child_offset[node] + a], mover]
                v[a] = acc * scale
        top = lam * v[0]
        best = v[0]
        for a in range(1, k):
            top = max(top, lam * v[a])
            best = max(best, v[a])
        norm = 0.0
        for a in range(k):
            z = lam * v[a]
            y[a0 + a] = z
            weight = math.exp(z - top)
            q[a0 + a] = weight
            norm += weight
        inverse = 1.0 / norm
        played = 0.0
        for a in range(k):
            q[a0 + a] *= inverse
            played += p[a0 + a] * v[a]
            step = abs(q[a0 + a] - p[a0 + a])
            if not step <= gap:  # a NaN is never within tolerance
                gap = step
        if not best - played <= regret:
            regret = best - played
        weights = q if respond else p
        for j in range(n0, n1):
            node = set_nodes[j]
            base = child_offset[node]
            for r in range(n_players):
                acc = 0.0
                for a in range(k):
                    acc += weights[a0 + a] * value[child_index[base + a], r]
                value[node, r] = acc
    return gap, max(regret, 0.0)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _iterate_log(  # pragma: no cover - compiled
    lam: float,
    tol: float,
    max_iter: int,
    memory: int,
    beta: float,
    x: FloatArray,
    p: FloatArray,
    logp: FloatArray,
    q: FloatArray,
    y: FloatArray,
    f: FloatArray,
    f_prev: FloatArray,
    x_prev: FloatArray,
    d_f: FloatArray,
    d_g: FloatArray,
    gram: FloatArray,
    coef: FloatArray,
    rhs: FloatArray,
    v: FloatArray,
    value: FloatArray,
    log_reach: FloatArray,
    chance_row: FloatArray,
    log_chance: FloatArray,
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
    passes: IntArray,
    regret_out: FloatArray,
) -> float:
    """Anderson-accelerated sweeps at one lambda from the logits ``x``, as
    :func:`realpolitik.solve._belief_kernels._iterate` with log reach.

    Returns the Jacobi residual of the profile left in ``q`` (``inf`` when
    the sweeps did not get within ``tol``), ``x`` its logits, and its
    conditional agent regret in ``regret_out[0]``.
    """
    n = x.shape[0]
    count = 0
    head = 0
    previous = np.inf
    for it in range(max_iter):
        _softmax_all(x, p, action_offset)
        _log_probs(x, logp, action_offset)
        _log_forward(log_reach, logp, log_chance, fwd_node, fwd_parent, fwd_source)
        gap, _ = _log_sweep(
            True, lam, p, q, y, v, value, log_reach, chance_row, unit_kind, unit_ref,
            child_offset, child_index, edge_chance, action_offset, set_player,
            set_node_offset, set_nodes,
        )  # fmt: skip
        passes[0] += 1
        if not math.isfinite(gap):
            return np.inf
        if gap <= tol:
            for a in range(n):
                x[a] = y[a]
                p[a] = q[a]
            _log_probs(x, logp, action_offset)
            _log_forward(log_reach, logp, log_chance, fwd_node, fwd_parent, fwd_source)
            residual, regret = _log_sweep(
                False, lam, p, q, y, v, value, log_reach, chance_row, unit_kind, unit_ref,
                child_offset, child_index, edge_chance, action_offset, set_player,
                set_node_offset, set_nodes,
            )  # fmt: skip
            passes[0] += 1
            if residual <= tol:
                for a in range(n):
                    q[a] = p[a]
                regret_out[0] = regret
                return residual
            count = 0
            head = 0
            previous = np.inf
            continue
        count, head, previous = _anderson_step(
            it, memory, beta, x, y, f, f_prev, x_prev, d_f, d_g, gram, coef, rhs,
            count, head, previous,
        )  # fmt: skip
    return np.inf


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _jacobi(  # pragma: no cover - compiled
    lam: float,
    w: FloatArray,
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
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
) -> tuple[float, float]:
    """The Jacobi pass at the profile ``p = softmax(w)``: its logit response
    ``y = lam v(p)`` (``ls = log softmax(y)``), residual and regret."""
    _softmax_all(w, p, action_offset)
    _log_probs(w, logp, action_offset)
    _log_forward(log_reach, logp, log_chance, fwd_node, fwd_parent, fwd_source)
    gap, regret = _log_sweep(
        False, lam, p, q, y, v, value, log_reach, chance_row, unit_kind, unit_ref,
        child_offset, child_index, edge_chance, action_offset, set_player,
        set_node_offset, set_nodes,
    )  # fmt: skip
    _log_probs(y, ls, action_offset)
    return gap, regret


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _newton_log(  # pragma: no cover - compiled
    lam: float,
    tol: float,
    max_iter: int,
    x: FloatArray,
    w: FloatArray,
    p: FloatArray,
    logp: FloatArray,
    q: FloatArray,
    y: FloatArray,
    ls: FloatArray,
    g: FloatArray,
    trial: FloatArray,
    step: FloatArray,
    jac: FloatArray,
    active: IntArray,
    v: FloatArray,
    value: FloatArray,
    log_reach: FloatArray,
    chance_row: FloatArray,
    log_chance: FloatArray,
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
    passes: IntArray,
    regret_out: FloatArray,
) -> float:
    """Newton's method at one lambda from the logits ``x``, for the steps
    where Anderson's sweeps do not converge (a limit that mixes: the map's
    slope grows with lambda there).

    Unknowns: log probabilities ``w``; equations ``w - log softmax(lam
    v(softmax(w))) = 0`` (a shift of a set's ``w`` moves its equations by the
    same shift, so the Jacobian is regular along it). The Jacobian's columns
    are forward differences, one Jacobi pass each, for the *active* actions
    only (probability above ``_ACTIVE`` in a set not already at a vertex);
    the other columns are those of the identity, so the system is solved on
    the active actions and the rest follows. On trees of at most
    ``NEWTON_MAX_ACTIVE`` actions every action is active: an action of
    vanishing probability still sets the beliefs below it. Steps are halved while the
    residual does not fall (at most ``_BACKTRACKS`` times). Returns the
    residual as :func:`_iterate_log` does, the profile in ``q``, its logits
    ``lam v`` in ``x``.
    """
    n = x.shape[0]
    n_sets = action_offset.shape[0] - 1
    _log_probs(x, w, action_offset)
    gap, regret = _jacobi(
        lam, w, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance, fwd_node,
        fwd_parent, fwd_source, unit_kind, unit_ref, child_offset, child_index,
        edge_chance, action_offset, set_player, set_node_offset, set_nodes,
    )  # fmt: skip
    passes[0] += 1
    for _ in range(max_iter):
        if not math.isfinite(gap):
            return np.inf
        if gap <= tol:
            for a in range(n):
                x[a] = y[a]
                q[a] = p[a]
            regret_out[0] = regret
            return gap
        for a in range(n):
            g[a] = w[a] - ls[a]
        m = 0
        if n <= NEWTON_MAX_ACTIVE:
            # every action: one of vanishing probability still moves the
            # beliefs below it (Selten's horse at high lambda)
            for a in range(n):
                active[a] = a
            m = n
        else:
            for s in range(n_sets):
                a0 = action_offset[s]
                a1 = action_offset[s + 1]
                top = 0.0
                for a in range(a0, a1):
                    top = max(top, p[a])
                if top >= 1.0 - _ACTIVE:
                    continue
                for a in range(a0, a1):
                    if p[a] >= _ACTIVE:
                        active[m] = a
                        m += 1
        if m > NEWTON_MAX_ACTIVE:
            return np.inf
        # columns of D = d log softmax(lam v) / dw at the active actions
        for j in range(m):
            a = active[j]
            keep = w[a]
            h = _FD_STEP * max(1.0, abs(keep))
            w[a] = keep + h
            _jacobi(
                lam, w, p, logp, q, trial, step, v, value, log_reach, chance_row, log_chance,
                fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
                child_index, edge_chance, action_offset, set_player, set_node_offset,
                set_nodes,
            )  # fmt: skip
            passes[0] += 1
            w[a] = keep
            for b in range(n):
                jac[b, j] = (step[b] - ls[b]) / h
        # (I - D_AA) dw_A = -g_A on the active rows; dw_I = -g_I + D_IA dw_A
        square = np.empty((m, m))
        rhs = np.empty(m)
        solved = np.empty(m)
        for i in range(m):
            for j in range(m):
                square[i, j] = -jac[active[i], j]
            square[i, i] += 1.0
            rhs[i] = -g[active[i]]
        if m > 0 and not _solve_small(square, rhs, m, solved):
            return np.inf
        for b in range(n):
            acc = -g[b]
            for j in range(m):
                acc += jac[b, j] * solved[j]
            step[b] = acc
        for j in range(m):
            step[active[j]] = solved[j]
        t = 1.0
        for a in range(n):
            trial[a] = w[a]
        for _ in range(_BACKTRACKS + 1):
            for a in range(n):
                w[a] = trial[a] + t * step[a]
            new_gap, new_regret = _jacobi(
                lam, w, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance,
                fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
                child_index, edge_chance, action_offset, set_player, set_node_offset,
                set_nodes,
            )  # fmt: skip
            passes[0] += 1
            if new_gap < gap:
                break
            t *= 0.5
        gap = new_gap
        regret = new_regret
    if gap <= tol:
        for a in range(n):
            x[a] = y[a]
            q[a] = p[a]
        regret_out[0] = regret
        return gap
    return np.inf


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
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
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
        _jacobi(
            lam, w, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance, fwd_node,
            fwd_parent, fwd_source, unit_kind, unit_ref, child_offset, child_index, edge_chance,
            action_offset, set_player, set_node_offset, set_nodes,
        )  # fmt: skip
        passes[0] += 1
        w[a] = keep
        for b in range(n):
            jac[b, j] = ls[b]
    _jacobi(
        lam * math.exp(ARC_FD_STEP), w, p, logp, q, y, ls, v, value, log_reach, chance_row,
        log_chance, fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
        child_index, edge_chance, action_offset, set_player, set_node_offset, set_nodes,
    )  # fmt: skip
    for b in range(n):
        dcol[b] = ls[b]
    # last, the response at (w, t) itself: p, q, y are left for it
    gap, regret = _jacobi(
        lam, w, p, logp, q, y, ls0, v, value, log_reach, chance_row, log_chance, fwd_node,
        fwd_parent, fwd_source, unit_kind, unit_ref, child_offset, child_index, edge_chance,
        action_offset, set_player, set_node_offset, set_nodes,
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
def _arc_follow(  # pragma: no cover - compiled
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
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
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
    _log_probs(x, w, action_offset)
    t = t_start
    for a in range(size):
        border[a] = hint[a]
    if border[n] == 0.0:
        border[n] = 1.0
    m, sign = _arc_jacobian(
        span, t, w, border, jac, dcol, mat, piv, active, scale, ls0, p, logp, q, y, ls, v,
        value, log_reach, chance_row, log_chance, fwd_node, fwd_parent, fwd_source, unit_kind,
        unit_ref, child_offset, child_index, edge_chance, action_offset, set_player,
        set_node_offset, set_nodes, passes, stats,
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
            gap, _ = _jacobi(
                math.exp(tc) / span, wc, p, logp, q, y, ls, v, value, log_reach, chance_row,
                log_chance, fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref,
                child_offset, child_index, edge_chance, action_offset, set_player,
                set_node_offset, set_nodes,
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
            if dist <= max(ARC_CORRECTOR_TOL, _NOISE * _EPS * math.exp(tc)):
                ok = True
                break
        if not ok:
            h *= 0.5
            continue
        # the Jacobian and tangent at the new point (border: the last tangent)
        m_new, sign_new = _arc_jacobian(
            span, tc, wc, tangent, jac_new, dcol_new, mat_new, piv_new, active_new,
            scale_new,
            ls0, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance, fwd_node,
            fwd_parent, fwd_source, unit_kind, unit_ref, child_offset, child_index,
            edge_chance, action_offset, set_player, set_node_offset, set_nodes, passes, stats,
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
    step_tol = max(tol, _NOISE * _EPS * math.exp(t))
    for _ in range(NEWTON_ITERATIONS):
        gap, regret = _jacobi(
            math.exp(t) / span, w, p, logp, q, y, ls, v, value, log_reach, chance_row,
            log_chance, fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
            child_index, edge_chance, action_offset, set_player, set_node_offset, set_nodes,
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


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _miss(  # pragma: no cover - compiled
    predicted: FloatArray, q: FloatArray, scratch: FloatArray, action_offset: IntArray
) -> float:
    """Largest distance between the profile ``q`` and that of the
    ``predicted`` logits (over action probabilities)."""
    _softmax_all(predicted, scratch, action_offset)
    miss = 0.0
    for a in range(q.shape[0]):
        miss = max(miss, abs(q[a] - scratch[a]))
    return miss


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _trace_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    payoffs: FloatArray,
    chance: FloatArray,
    tol: float,
    regret_tol: float,
    step_tol: float,
    max_iter: int,
    memory: int,
    terminal_node: IntArray,
    fwd_node: IntArray,
    fwd_parent: IntArray,
    fwd_source: IntArray,
    unit_kind: IntArray,
    unit_ref: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_chance: IntArray,
    action_offset: IntArray,
    set_player: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
    n_nodes: int,
    out_profile: FloatArray,
    out_mu: FloatArray,
    out_regret: FloatArray,
    out_step: FloatArray,
    out_status: IntArray,
    out_steps: IntArray,
    out_passes: IntArray,
    out_arcs: IntArray,
) -> None:
    """The traced limit of draws ``[first_block * BLOCK, last_block * BLOCK)``.

    ``payoffs`` ``(D, terminals, players)``, ``chance`` ``(D or 1, chance
    edges)``. Writes per draw the last profile of the trace ``(D, actions)``,
    its normalised precision ``mu``, its conditional agent regret over the
    payoff range, the largest probability change over its last step, the
    status, the lambda steps taken and the tree passes spent.
    """
    n_draws = payoffs.shape[0]
    n_players = payoffs.shape[2]
    n = action_offset[action_offset.shape[0] - 1]
    widest = 1
    for s in range(action_offset.shape[0] - 1):
        widest = max(widest, action_offset[s + 1] - action_offset[s])
    m = max(memory, 1)
    value = np.zeros((n_nodes, n_players))
    log_reach = np.zeros(n_nodes)
    x = np.empty(n)
    p = np.empty(n)
    logp = np.empty(n)
    q = np.empty(n)
    y = np.empty(n)
    f = np.empty(n)
    f_prev = np.empty(n)
    x_prev = np.empty(n)
    d_f = np.empty((m, n))
    d_g = np.empty((m, n))
    gram = np.zeros((m, m))
    coef = np.empty(m)
    rhs = np.empty(m)
    v = np.empty(widest)
    good_x = np.empty(n)
    good_p = np.empty(n)
    older_x = np.empty(n)
    predicted = np.empty(n)
    w = np.empty(n)
    ls = np.empty(n)
    g = np.empty(n)
    trial = np.empty(n)
    newton_step = np.empty(n)
    jac = np.empty((n, n))
    active = np.empty(n, dtype=np.int64)
    passes = np.zeros(1, dtype=np.int64)
    regret = np.zeros(1)
    log_chance = np.empty(chance.shape[1])
    hint = np.empty(n + 1)
    scratch = np.empty(n)
    # with one node per information set the agent QRE at each lambda is
    # unique (a backward pass of logit responses): the branch cannot fold
    can_fold = False
    for s in range(action_offset.shape[0] - 1):
        can_fold = can_fold or set_node_offset[s + 1] - set_node_offset[s] > 1
    for b in range(first_block, last_block):
        for d in range(b * BLOCK, min(n_draws, (b + 1) * BLOCK)):
            top = -np.inf
            bottom = np.inf
            for t in range(terminal_node.shape[0]):
                for r in range(n_players):
                    u = payoffs[d, t, r]
                    value[terminal_node[t], r] = u
                    top = max(top, u)
                    bottom = min(bottom, u)
            chance_row = chance[d] if chance.shape[0] > 1 else chance[0]
            for c in range(chance_row.shape[0]):
                log_chance[c] = math.log(chance_row[c]) if chance_row[c] > 0.0 else -np.inf
            passes[0] = 0
            steps = 0
            span = top - bottom
            if not span > 0.0:
                # every payoff equal (or not finite): every profile is an
                # equilibrium; the branch stays at the centroid
                for a in range(n):
                    x[a] = 0.0
                _softmax_all(x, p, action_offset)
                for a in range(n):
                    out_profile[d, a] = p[a]
                finite = span == 0.0
                out_mu[d] = 0.0
                out_regret[d] = 0.0 if finite else np.inf
                out_step[d] = 0.0 if finite else np.inf
                out_status[d] = CONVERGED if finite else NOT_CONVERGED
                out_steps[d] = 0
                out_passes[d] = 0
                out_arcs[d] = 0
                continue
            # the first point, from the centroid
            mu = MU_START
            ok = False
            while mu >= MU_FLOOR:
                for a in range(n):
                    x[a] = 0.0
                    predicted[a] = 0.0
                residual = _iterate_log(
                    mu / span, tol, max_iter, memory, 1.0, x, p, logp, q, y, f, f_prev,
                    x_prev, d_f, d_g, gram, coef, rhs, v, value, log_reach, chance_row,
                    log_chance, fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref,
                    child_offset, child_index, edge_chance, action_offset, set_player,
                    set_node_offset, set_nodes, passes, regret,
                )  # fmt: skip
                if not residual <= tol:
                    for a in range(n):
                        x[a] = predicted[a]
                    residual = _newton_log(
                        mu / span, tol, NEWTON_ITERATIONS, x, w, p, logp, q, y, ls, g, trial,
                        newton_step, jac, active, v, value, log_reach, chance_row, log_chance,
                        fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
                        child_index, edge_chance, action_offset, set_player, set_node_offset,
                        set_nodes, passes, regret,
                    )  # fmt: skip
                steps += 1
                if residual <= tol:
                    ok = True
                    break
                mu *= 0.125
            status = NOT_CONVERGED
            last_step = np.inf
            last_regret = np.inf
            good_mu = 0.0
            if ok:
                good_mu = mu
                for a in range(n):
                    good_x[a] = x[a]
                    good_p[a] = q[a]
                last_regret = regret[0] / span
                older_mu = 0.0  # no point before the first: scale the logits
                ratio = RATIO
                halvings = 0
                streak = 0
                jumps = 0
                arcs = 0
                flips = 0
                if can_fold and n <= ARC_ALL_ACTIONS and good_mu < ARC_HANDOVER:
                    # small trees: follow the branch by arc length to
                    # ARC_HANDOVER (where folds are), the schedule after
                    for a in range(n + 1):
                        hint[a] = 0.0
                    arcs += 1
                    reached, t_end, turned = _arc_follow(
                        span, tol, math.log(good_mu), math.log(ARC_HANDOVER), x, hint, p, logp,
                        q, y, ls, v, value, log_reach, chance_row, log_chance, fwd_node,
                        fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
                        child_index, edge_chance, action_offset, set_player, set_node_offset,
                        set_nodes, passes, regret,
                    )  # fmt: skip
                    if reached:
                        flips += turned
                        good_mu = math.exp(t_end)
                        for a in range(n):
                            good_x[a] = x[a]
                            good_p[a] = q[a]
                        last_regret = regret[0] / span
                    else:
                        # not followed: the schedule's limit is flagged
                        flips += 1
                while True:
                    target = good_mu * ratio
                    if target > MU_MAX:
                        break
                    # predictor: the secant of the logits in mu through the
                    # last two points (the logits scaled by the ratio at first)
                    if older_mu > 0.0:
                        slope = (target - good_mu) / (good_mu - older_mu)
                        for a in range(n):
                            x[a] = good_x[a] + slope * (good_x[a] - older_x[a])
                    else:
                        for a in range(n):
                            x[a] = good_x[a] * ratio
                    for a in range(n):
                        predicted[a] = x[a]
                    step_tol_k = max(tol, _NOISE * _EPS * target)
                    residual = _iterate_log(
                        target / span, step_tol_k, ANDERSON_SWEEPS, memory, 1.0, x, p, logp, q, y,
                        f, f_prev, x_prev, d_f, d_g, gram, coef, rhs, v, value, log_reach,
                        chance_row, log_chance, fwd_node, fwd_parent, fwd_source, unit_kind,
                        unit_ref, child_offset, child_index, edge_chance, action_offset,
                        set_player, set_node_offset, set_nodes, passes, regret,
                    )  # fmt: skip
                    # a step that lands far from its prediction has left the
                    # branch (the sweeps are drawn to a stable fixed point,
                    # the branch may lie on an unstable one): Newton's method
                    # from the prediction, which converges to the nearest
                    if (
                        residual <= step_tol_k
                        and _miss(predicted, q, scratch, action_offset) > PREDICTOR_TOL
                    ):
                        residual = np.inf
                    if not residual <= step_tol_k:
                        for a in range(n):
                            x[a] = predicted[a]
                        residual = _newton_log(
                            target / span, step_tol_k, NEWTON_ITERATIONS, x, w, p, logp, q, y,
                            ls, g, trial, newton_step, jac, active, v, value, log_reach, chance_row,
                            log_chance, fwd_node, fwd_parent, fwd_source, unit_kind, unit_ref,
                            child_offset, child_index, edge_chance, action_offset, set_player,
                            set_node_offset, set_nodes, passes, regret,
                        )  # fmt: skip
                        if (
                            residual <= step_tol_k
                            and _miss(predicted, q, scratch, action_offset) > PREDICTOR_TOL
                        ):
                            residual = np.inf
                    steps += 1
                    if not residual <= step_tol_k:
                        halvings += 1
                        streak = 0
                        ratio = math.sqrt(ratio)
                        if halvings > MAX_HALVINGS or ratio < RATIO_MIN:
                            # the branch cannot be followed in lambda here (a
                            # fold, or a region the solvers do not make):
                            # follow it by arc length from the last good point
                            if arcs < MAX_ARCS and n <= ARC_ALL_ACTIONS:
                                arcs += 1
                                for a in range(n + 1):
                                    hint[a] = 0.0
                                if older_mu > 0.0:
                                    _log_probs(good_x, hint[:n], action_offset)
                                    _log_probs(older_x, scratch, action_offset)
                                    for a in range(n):
                                        hint[a] -= scratch[a]
                                    hint[n] = math.log(good_mu / older_mu)
                                for a in range(n):
                                    x[a] = good_x[a]
                                reached, t_end, turned = _arc_follow(
                                    span, tol, math.log(good_mu),
                                    math.log(good_mu * ARC_EXIT_RATIO), x, hint, p, logp, q, y,
                                    ls, v, value, log_reach, chance_row, log_chance, fwd_node,
                                    fwd_parent, fwd_source, unit_kind, unit_ref, child_offset,
                                    child_index, edge_chance, action_offset, set_player,
                                    set_node_offset, set_nodes, passes, regret,
                                )  # fmt: skip
                                if reached:
                                    flips += turned
                                    older_mu = 0.0
                                    good_mu = math.exp(t_end)
                                    for a in range(n):
                                        good_x[a] = x[a]
                                        good_p[a] = q[a]
                                    last_step = np.inf
                                    last_regret = regret[0] / span
                                    ratio = RATIO
                                    halvings = 0
                                    streak = 0
                                    continue
                            # where that fails too, leap over the stretch, by
                            # JUMP_RATIO, then its square, ...
                            if jumps >= MAX_JUMPS:
                                break
                            jumps += 1
                            ratio = JUMP_RATIO**jumps
                            halvings = 0
                            older_mu = 0.0  # no secant across a leap
                        continue
                    change = 0.0
                    for a in range(n):
                        change = max(change, abs(q[a] - good_p[a]))
                    older_mu = good_mu
                    for a in range(n):
                        older_x[a] = good_x[a]
                        good_x[a] = x[a]
                        good_p[a] = q[a]
                    good_mu = target
                    last_step = change
                    last_regret = regret[0] / span
                    halvings = 0
                    streak += 1
                    if streak >= 2 and ratio < RATIO_MAX:
                        ratio = min(ratio * ratio, RATIO_MAX)
                        streak = 0
                    if last_regret <= regret_tol and last_step <= step_tol:
                        status = CONVERGED if jumps + flips == 0 else CONVERGED_AFTER_JUMP
                        break
                for a in range(n):
                    out_profile[d, a] = good_p[a]
            else:
                _softmax_all(x, p, action_offset)
                for a in range(n):
                    out_profile[d, a] = p[a]
            out_mu[d] = good_mu
            out_regret[d] = last_regret
            out_step[d] = last_step
            out_status[d] = status
            out_steps[d] = steps
            out_passes[d] = passes[0]
            out_arcs[d] = arcs


def trace_draws(
    payoffs: FloatArray,
    chance: FloatArray,
    tol: float,
    regret_tol: float,
    step_tol: float,
    max_iter: int,
    memory: int,
    plan: tuple[IntArray, ...],
    n_nodes: int,
    threads: int | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray, IntArray, IntArray, IntArray]:
    """Every draw's traced limit on all cores (see :func:`_trace_blocks`);
    ``plan`` is the tree's arrays in that function's order ``terminal_node ..
    set_nodes`` (:attr:`realpolitik.solve.belief_iteration.BeliefPlan.solve_arrays`).

    Returns profiles ``(D, actions)``, ``mu``, relative regrets, last step
    changes, statuses, lambda steps and tree passes per draw."""
    n_draws = payoffs.shape[0]
    n_actions = int(plan[9][-1])
    profile = np.empty((n_draws, n_actions))
    mu = np.empty(n_draws)
    regret = np.empty(n_draws)
    step = np.empty(n_draws)
    status = np.empty(n_draws, dtype=np.int64)
    steps = np.empty(n_draws, dtype=np.int64)
    passes = np.empty(n_draws, dtype=np.int64)
    arcs = np.empty(n_draws, dtype=np.int64)
    run_blocks(
        _trace_blocks,
        n_draws,
        BLOCK,
        (payoffs, chance, tol, regret_tol, step_tol, max_iter, memory, *plan, n_nodes,
         profile, mu, regret, step, status, steps, passes, arcs),
        threads,
    )  # fmt: skip
    return profile, mu, regret, step, status, steps, passes, arcs
