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
branch. The pieces that do not touch reach (``softmax_all``, the
Anderson update ``anderson_step`` with its least squares, the threads) are
the belief kernels'; the sweep loop is this module's own, with the log
passes in it (the belief kernels' loop calls their linear passes).

The pieces here work at one lambda: the log-reach passes
(:func:`_log_sweep`, :func:`jacobi`), the Anderson-accelerated sweeps
(:func:`iterate_log`) and Newton's method on the log probabilities with a
forward-difference Jacobian over the active actions (:func:`newton_log`:
every action on trees of at most ``NEWTON_MAX_ACTIVE``, else the actions
still mixing). Newton is what carries a limit that mixes (stripped poker,
signalling games): there the sweeps' map has a slope that grows with lambda
and the plain iteration diverges. The trace over lambda that uses them is
:mod:`realpolitik.solve._limit_trace`; the arc-length continuation,
:mod:`realpolitik.solve._limit_arc`.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.

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

from realpolitik import kernel_cache
from realpolitik.solve._belief_kernels import (
    CHANCE_UNIT,
    TreeArrays,
    anderson_step,
    softmax_all,
    solve_small,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

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
#: tolerance is ``max(tol, NOISE x eps x mu)``.
NOISE = 32.0
EPS = 2.220446049250313e-16


@numba.njit(cache=True, boundscheck=False, nogil=True)
def log_probs(  # pragma: no cover - compiled
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
    tree: TreeArrays,
) -> None:
    """Log reach probabilities of the nodes beliefs need (prefix order);
    ``fwd_source`` as in :func:`realpolitik.solve._belief_kernels._forward`."""
    fwd_node = tree.fwd_node
    fwd_parent = tree.fwd_parent
    fwd_source = tree.fwd_source
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
    tree: TreeArrays,
) -> tuple[float, float]:
    """One backward pass, as :func:`realpolitik.solve._belief_kernels._sweep`
    but with beliefs from log reach (``exp(log_reach - max)`` over the set).

    Returns ``(max |q - p|, regret)``: ``regret`` is the largest conditional
    agent regret ``max_a v(a) - sum_a p(a) v(a)`` over the sets, meaningful on
    the Jacobi pass (``respond`` False, where ``v`` are the values of ``p``).
    """
    unit_kind = tree.unit_kind
    unit_ref = tree.unit_ref
    child_offset = tree.child_offset
    child_index = tree.child_index
    edge_chance = tree.edge_chance
    action_offset = tree.action_offset
    set_player = tree.set_player
    set_node_offset = tree.set_node_offset
    set_nodes = tree.set_nodes
    value_offset = tree.value_offset
    value_players = tree.value_players
    # each set node's belief weight, computed once per pass (not per action)
    weight_of = np.empty(set_nodes.shape[0])
    gap = 0.0
    regret = 0.0
    for u in range(unit_kind.shape[0]):
        ref = unit_ref[u]
        if unit_kind[u] == CHANCE_UNIT:
            e0 = child_offset[ref]
            e1 = child_offset[ref + 1]
            # only the players who move above the node need its value
            for i in range(value_offset[ref], value_offset[ref + 1]):
                r = value_players[i]
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
                w = math.exp(log_reach[set_nodes[j]] - largest) if reached else 1.0
                weight_of[j] = w
                total += w
            scale = 1.0 / total
            for a in range(k):
                acc = 0.0
                for j in range(n0, n1):
                    acc += weight_of[j] * value[child_index[child_offset[set_nodes[j]] + a], mover]
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
            for i in range(value_offset[node], value_offset[node + 1]):
                r = value_players[i]
                acc = 0.0
                for a in range(k):
                    acc += weights[a0 + a] * value[child_index[base + a], r]
                value[node, r] = acc
    return gap, max(regret, 0.0)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def iterate_log(  # pragma: no cover - compiled
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
    tree: TreeArrays,
    passes: IntArray,
    regret_out: FloatArray,
) -> float:
    """Anderson-accelerated sweeps at one lambda from the logits ``x``, as
    :func:`realpolitik.solve._belief_kernels._iterate` with log reach.

    Returns the Jacobi residual of the profile left in ``q`` (``inf`` when
    the sweeps did not get within ``tol``), ``x`` its logits, and its
    conditional agent regret in ``regret_out[0]``.
    """
    action_offset = tree.action_offset
    n = x.shape[0]
    count = 0
    head = 0
    previous = np.inf
    for it in range(max_iter):
        softmax_all(x, p, action_offset)
        log_probs(x, logp, action_offset)
        _log_forward(log_reach, logp, log_chance, tree)
        gap, _ = _log_sweep(
            True, lam, p, q, y, v, value, log_reach, chance_row, tree,
        )  # fmt: skip
        passes[0] += 1
        if not math.isfinite(gap):
            return np.inf
        if gap <= tol:
            for a in range(n):
                x[a] = y[a]
                p[a] = q[a]
            log_probs(x, logp, action_offset)
            _log_forward(log_reach, logp, log_chance, tree)
            residual, regret = _log_sweep(
                False, lam, p, q, y, v, value, log_reach, chance_row, tree,
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
        count, head, previous = anderson_step(
            it, memory, beta, x, y, f, f_prev, x_prev, d_f, d_g, gram, coef, rhs,
            count, head, previous,
        )  # fmt: skip
    return np.inf


@numba.njit(cache=True, boundscheck=False, nogil=True)
def jacobi(  # pragma: no cover - compiled
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
    tree: TreeArrays,
) -> tuple[float, float]:
    """The Jacobi pass at the profile ``p = softmax(w)``: its logit response
    ``y = lam v(p)`` (``ls = log softmax(y)``), residual and regret."""
    action_offset = tree.action_offset
    softmax_all(w, p, action_offset)
    log_probs(w, logp, action_offset)
    _log_forward(log_reach, logp, log_chance, tree)
    gap, regret = _log_sweep(
        False, lam, p, q, y, v, value, log_reach, chance_row, tree,
    )  # fmt: skip
    log_probs(y, ls, action_offset)
    return gap, regret


@numba.njit(cache=True, boundscheck=False, nogil=True)
def newton_log(  # pragma: no cover - compiled
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
    tree: TreeArrays,
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
    residual as :func:`iterate_log` does, the profile in ``q``, its logits
    ``lam v`` in ``x``.
    """
    action_offset = tree.action_offset
    n = x.shape[0]
    n_sets = action_offset.shape[0] - 1
    log_probs(x, w, action_offset)
    gap, regret = jacobi(
        lam, w, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance, tree,
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
            jacobi(
                lam, w, p, logp, q, trial, step, v, value, log_reach, chance_row, log_chance,
                tree,
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
        if m > 0 and not solve_small(square, rhs, m, solved):
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
            new_gap, new_regret = jacobi(
                lam, w, p, logp, q, y, ls, v, value, log_reach, chance_row, log_chance,
                tree,
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


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
