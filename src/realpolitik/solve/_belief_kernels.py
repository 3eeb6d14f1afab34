"""Compiled kernels (numba) of the agent logit QRE of general trees by belief
iteration: one draw at a time, the whole iteration in one compiled loop.

Why compiled code here: an iteration is a forward pass (reach probabilities,
hence beliefs) and a backward pass (action values, logit responses, node
values) over every node of the tree, a few operations per edge. In NumPy each
step of each pass is a separate gather, scatter or ``reduceat`` over all draws
with temporaries; here a draw's passes run over flat edge arrays with its
whole state (a node's values, reach, the profile) in the cache, and a draw
stops costing work as soon as it has converged. Draws are independent, so
blocks of draws are spread over the cores by Python threads
(:mod:`realpolitik.solve._threads`) and results do not depend on how the draws
are chunked or split.

The algorithm (see :mod:`realpolitik.solve.belief_iteration` for the why):

* ``G``, one *Gauss-Seidel sweep*: reach probabilities under the profile
  ``p = softmax(x)`` (``x`` the actions' logits), hence beliefs by Bayes'
  rule; then the information sets from the last movers back (``unit_*``, an
  order in which every set comes after all sets and chance nodes below any of
  its nodes), each taking the logit response ``softmax(lam v)`` to its
  belief-weighted action values ``v`` under the responses already computed
  below it. ``G(x)`` is the new logits ``lam v``.
* the fixed point ``x = G(x)`` by Anderson acceleration (Walker and Ni 2011,
  "type II" with ``memory`` past differences; restarted when the residual
  grows or the least-squares coefficients blow up);
* convergence is checked on the profile: once a sweep moves no probability by
  more than ``tol``, one *Jacobi* pass (every set's logit response to values
  and beliefs of the profile itself) gives the residual reported, ``max |p -
  softmax(lam v(p))|``; the draw stops when it is at most ``tol``;
* lambda continuation only when needed: the target lambda is tried from the
  centroid first; if that fails, from the centroid in ``steps`` equal steps of
  lambda (each step starting from the last solution, logits scaled by the
  ratio of lambdas), then in four times as many, then with the steps damped
  (``x + beta f`` in place of ``x + f`` in the Anderson update, ``beta`` 1/2,
  1/8, 1/32): a belief feedback that makes the plain map oscillate around
  its fixed point (Selten's horse at lambda >= 4) is tamed by damping.

Status per draw: 0 converged at the first try, 1 converged by continuation,
2 not converged (the last iterate is returned).

References
----------
Walker, H. F. and Ni, P. (2011). Anderson acceleration for fixed-point
iterations. SIAM Journal on Numerical Analysis 49(4), 1715-1735.

McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.solve._vector_exp import vexp

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


class TreeArrays(NamedTuple):
    """A tree's structure as the compiled passes read it, one argument
    instead of twelve (int64 arrays, built once per tree by
    :func:`realpolitik.solve.belief_iteration.belief_plan`): the forward pass
    reads ``fwd_*``, the backward sweep the rest.

    Attributes
    ----------
    fwd_node, fwd_parent, fwd_source : the nodes whose reach beliefs need
        (every node of a set with several nodes, and their ancestors), in
        prefix order without the root; their parents; the flat action of the
        edge into each, or ``-(c + 1)`` for chance column ``c``.
    unit_kind, unit_ref : the backward order: chance nodes (kind 0, ref the
        node) and information sets (kind 1, ref the set), each after all
        units below any of its nodes.
    child_offset, child_index, action_offset : the tree's own.
    edge_chance : each edge's chance column (0 for decision edges, unused).
    set_player, set_node_offset, set_nodes : each set's mover and nodes.
    value_offset, value_players : the players whose value at each node a
        pass computes, node ``i``'s in
        ``value_players[value_offset[i]:value_offset[i + 1]]``: those who
        move at a set above the node (a value is read only to value an
        action of its own player's, or to value the parent for the same
        player). A player who never moves above a node (a passive actor, or
        a mover whose sets all lie below it) needs no value there, and the
        pass skips it: the values it does compute, and so the profile, are
        the same bits.
    stale_nodes : the nodes a pass reads before it computes them, where the
        backward order had to break a cycle of information sets (empty
        otherwise); their values are set to 0 when a draw starts, so that
        a draw's first pass reads zeros, not the last draw's values, and
        its result does not depend on the draws solved before it.
    """

    fwd_node: IntArray
    fwd_parent: IntArray
    fwd_source: IntArray
    unit_kind: IntArray
    unit_ref: IntArray
    child_offset: IntArray
    child_index: IntArray
    edge_chance: IntArray
    action_offset: IntArray
    set_player: IntArray
    set_node_offset: IntArray
    set_nodes: IntArray
    value_offset: IntArray
    value_players: IntArray
    stale_nodes: IntArray


#: One thread's working arrays for a draw (:func:`new_scratch`): node values
#: and reach, the logits ``x``, profiles ``p`` and ``q``, responses' logits
#: ``y``, Anderson's ``f``, ``f_prev``, ``x_prev``, ``d_f``, ``d_g``,
#: ``gram``, ``coef``, ``rhs``, a set's action values ``v``, the pass counter.
Scratch = tuple[
    FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray,
    FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray,
    FloatArray, IntArray,
]  # fmt: skip

#: Draws per block of the parallel loop (one block's scratch is allocated once).
BLOCK = 32

#: Unit kinds of the backward order.
CHANCE_UNIT = 0
SET_UNIT = 1

#: Status codes of a draw.
CONVERGED = 0
CONTINUED = 1
NOT_CONVERGED = 2

#: Anderson: restart when the residual norm grows by more than this factor...
_GROWTH = 4.0
#: ... or when a least-squares coefficient exceeds this.
_COEFFICIENT_LIMIT = 1e8
#: Relative Tikhonov regularisation of the normal equations.
_RIDGE = 1e-13
#: The retries by continuation: steps (times ``steps``) and damping of each.
_STEP_FACTOR = (1, 4, 4, 4, 8)
_BETA = (1.0, 1.0, 0.5, 0.125, 0.03125)
_ATTEMPTS = len(_BETA)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def softmax_all(  # pragma: no cover - compiled
    x: FloatArray, p: FloatArray, action_offset: IntArray
) -> None:
    """``p = softmax(x)`` within every information set."""
    for s in range(action_offset.shape[0] - 1):
        a0 = action_offset[s]
        a1 = action_offset[s + 1]
        top = x[a0]
        for a in range(a0 + 1, a1):
            top = max(top, x[a])
        total = 0.0
        for a in range(a0, a1):
            e = vexp(x[a] - top)
            p[a] = e
            total += e
        for a in range(a0, a1):
            p[a] /= total


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _forward(  # pragma: no cover - compiled
    reach: FloatArray,
    p: FloatArray,
    chance_row: FloatArray,
    tree: TreeArrays,
) -> None:
    """Reach probabilities of the nodes that beliefs need (prefix order):
    ``fwd_source`` is the flat action of the edge into the node, or ``-(c +
    1)`` for chance column ``c``."""
    fwd_node = tree.fwd_node
    fwd_parent = tree.fwd_parent
    fwd_source = tree.fwd_source
    reach[0] = 1.0
    for k in range(fwd_node.shape[0]):
        source = fwd_source[k]
        weight = p[source] if source >= 0 else chance_row[-source - 1]
        reach[fwd_node[k]] = reach[fwd_parent[k]] * weight


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _sweep(  # pragma: no cover - compiled
    respond: bool,
    lam: float,
    p: FloatArray,
    q: FloatArray,
    y: FloatArray,
    v: FloatArray,
    value: FloatArray,
    reach: FloatArray,
    chance_row: FloatArray,
    tree: TreeArrays,
) -> float:
    """One backward pass; returns ``max |q - p|``.

    Every set's logit response ``q = softmax(lam v)`` to its action values
    ``v`` (beliefs from ``reach``, a set no node of which is reached weighs
    its nodes equally) goes to ``q`` and its logits ``lam v`` to ``y``. Node
    values (``value[node, player]``, terminals filled by the caller) are
    computed under ``q`` when ``respond`` (the Gauss-Seidel sweep) and under
    ``p`` otherwise (the Jacobi pass: ``q`` is then the response to ``p``
    itself and the return value its fixed-point residual).
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
    row = np.empty(value.shape[1])
    gap = 0.0
    for u in range(unit_kind.shape[0]):
        ref = unit_ref[u]
        if unit_kind[u] == CHANCE_UNIT:
            # each child's row read once, every player's sum in ``row`` (the
            # same additions in the same order as one player at a time)
            i0 = value_offset[ref]
            i1 = value_offset[ref + 1]
            for i in range(i0, i1):
                row[i - i0] = 0.0
            for e in range(child_offset[ref], child_offset[ref + 1]):
                w = chance_row[edge_chance[e]]
                child = child_index[e]
                for i in range(i0, i1):
                    row[i - i0] += w * value[child, value_players[i]]
            for i in range(i0, i1):
                value[ref, value_players[i]] = row[i - i0]
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
            # beliefs are the nodes' reach over the set's, computed as ratios
            # to the largest reach: a set reached with a subnormal probability
            # (at a high lambda) would otherwise divide by a number whose
            # inverse overflows, and 0 * inf poisons the profile with NaN
            largest = 0.0
            for j in range(n0, n1):
                largest = max(largest, reach[set_nodes[j]])
            reached = largest > 0.0
            total = 0.0
            for j in range(n0, n1):
                total += reach[set_nodes[j]] / largest if reached else 1.0
            scale = 1.0 / total
            for a in range(k):
                acc = 0.0
                for j in range(n0, n1):
                    node = set_nodes[j]
                    w = reach[node] / largest if reached else 1.0
                    acc += w * value[child_index[child_offset[node] + a], mover]
                v[a] = acc * scale
        top = lam * v[0]
        for a in range(1, k):
            top = max(top, lam * v[a])
        norm = 0.0
        for a in range(k):
            z = lam * v[a]
            y[a0 + a] = z
            weight = vexp(z - top)
            q[a0 + a] = weight
            norm += weight
        inverse = 1.0 / norm
        for a in range(k):
            q[a0 + a] *= inverse
            step = abs(q[a0 + a] - p[a0 + a])
            if not step <= gap:  # a NaN is never within tolerance
                gap = step
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
    return gap


@numba.njit(cache=True, boundscheck=False, nogil=True)
def solve_small(  # pragma: no cover - compiled
    matrix: FloatArray, rhs: FloatArray, n: int, out: FloatArray
) -> bool:
    """``out[:n] = matrix[:n, :n]^-1 rhs[:n]`` by Gaussian elimination with
    partial pivoting (Golub and Van Loan 2013, 3.4) on a copy; False if
    singular."""
    a = np.empty((n, n + 1))
    for i in range(n):
        for j in range(n):
            a[i, j] = matrix[i, j]
        a[i, n] = rhs[i]
    for c in range(n):
        pivot = c
        for i in range(c + 1, n):
            if abs(a[i, c]) > abs(a[pivot, c]):
                pivot = i
        if a[pivot, c] == 0.0:
            return False
        if pivot != c:
            for j in range(c, n + 1):
                a[c, j], a[pivot, j] = a[pivot, j], a[c, j]
        for i in range(c + 1, n):
            factor = a[i, c] / a[c, c]
            for j in range(c, n + 1):
                a[i, j] -= factor * a[c, j]
    for i in range(n - 1, -1, -1):
        acc = a[i, n]
        for j in range(i + 1, n):
            acc -= a[i, j] * out[j]
        out[i] = acc / a[i, i]
    return True


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _row_dots(  # pragma: no cover - compiled
    rows: FloatArray, vector: FloatArray, count: int, out: FloatArray
) -> None:
    """``out[j] = sum_a rows[j, a] * vector[a]`` for ``j < count``, each sum
    from 0.0 in the order of ``a`` (the bits of one dot product at a time),
    five rows per pass over ``vector``.

    Why: a dot product summed in order is a chain of dependent additions,
    each waiting for the last (four cycles on this machine), so Anderson's
    ten dot products per sweep took as long as the sweep itself in the
    lanes; five independent sums in one loop overlap their chains (the
    lanes' Anderson step 5.3 -> 1.6 us per draw and sweep on the flagship,
    410 logits, memory 5).
    """
    n = vector.shape[0]
    last = count - 1
    for j in range(0, count, 5):
        r0 = rows[j]
        r1 = rows[min(j + 1, last)]  # a repeated row where fewer than five are left
        r2 = rows[min(j + 2, last)]
        r3 = rows[min(j + 3, last)]
        r4 = rows[min(j + 4, last)]
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        s4 = 0.0
        for a in range(n):
            va = vector[a]
            s0 += r0[a] * va
            s1 += r1[a] * va
            s2 += r2[a] * va
            s3 += r3[a] * va
            s4 += r4[a] * va
        out[j] = s0
        if j + 1 < count:
            out[j + 1] = s1
        if j + 2 < count:
            out[j + 2] = s2
        if j + 3 < count:
            out[j + 3] = s3
        if j + 4 < count:
            out[j + 4] = s4


@numba.njit(cache=True, boundscheck=False, nogil=True)
def anderson_step(  # pragma: no cover - compiled
    it: int,
    memory: int,
    beta: float,
    x: FloatArray,
    y: FloatArray,
    f: FloatArray,
    f_prev: FloatArray,
    x_prev: FloatArray,
    d_f: FloatArray,
    d_g: FloatArray,
    gram: FloatArray,
    coef: FloatArray,
    rhs: FloatArray,
    count: int,
    head: int,
    previous: float,
) -> tuple[int, int, float]:
    """One Anderson update (type II, Walker and Ni 2011) of the logits ``x``
    toward the sweep's ``y = G(x)``, steps damped by ``beta``: the history of
    ``count`` past differences (ring position ``head``, last residual norm
    ``previous``) is extended, restarted when the residual grows by more than
    :data:`_GROWTH` or the coefficients blow up; returns the new ``(count,
    head, previous)``. Shared by this module's iteration and the logit
    limit's (:mod:`realpolitik.solve._limit_kernels`)."""
    n = x.shape[0]
    norm = 0.0
    for a in range(n):
        f[a] = y[a] - x[a]
        norm += f[a] * f[a]
    norm = math.sqrt(norm)
    if memory == 0 or norm > _GROWTH * previous:
        count = 0
        head = 0
    elif it > 0 and previous < np.inf:
        for a in range(n):
            d_f[head, a] = f[a] - f_prev[a]
            d_g[head, a] = x[a] - x_prev[a] + beta * d_f[head, a]
        if count < memory:
            count += 1
        _row_dots(d_f, d_f[head], count, rhs)
        for j in range(count):
            gram[head, j] = rhs[j]
            gram[j, head] = rhs[j]
        head = (head + 1) % memory
    previous = norm
    for a in range(n):
        f_prev[a] = f[a]
        x_prev[a] = x[a]
    solved = False
    if count > 0:
        scale = 0.0
        for j in range(count):
            scale = max(scale, gram[j, j])
        _row_dots(d_f, f, count, rhs)
        ridged = gram.copy()
        for j in range(count):
            ridged[j, j] += _RIDGE * scale + 1e-300
        solved = solve_small(ridged, rhs, count, coef)
        if solved:
            for j in range(count):
                if not abs(coef[j]) <= _COEFFICIENT_LIMIT:
                    solved = False
        if not solved:
            count = 0
            head = 0
    for a in range(n):
        x[a] += beta * f[a]
    if solved:
        for j in range(count):
            c = coef[j]
            for a in range(n):
                x[a] -= c * d_g[j, a]
    return count, head, previous


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _iterate(  # pragma: no cover - compiled
    lam: float,
    tol: float,
    max_iter: int,
    memory: int,
    beta: float,
    scratch: Scratch,
    chance_row: FloatArray,
    tree: TreeArrays,
) -> float:
    """Anderson-accelerated sweeps at one lambda from the logits ``x``,
    steps damped by ``beta`` (1: none).

    Returns the Jacobi residual of the profile left in ``q`` (``inf`` when
    the sweeps did not get within ``tol``), with ``x`` its logits; ``passes[0]``
    counts the tree passes (``x``, ``q``, ``passes`` and the rest in
    ``scratch``, from :func:`new_scratch`).
    """
    (value, reach, x, p, q, y, f, f_prev, x_prev, d_f, d_g, gram, coef, rhs, v,
     passes) = scratch  # fmt: skip
    action_offset = tree.action_offset
    n = x.shape[0]
    count = 0
    head = 0
    previous = np.inf
    for it in range(max_iter):
        softmax_all(x, p, action_offset)
        _forward(reach, p, chance_row, tree)
        gap = _sweep(
            True, lam, p, q, y, v, value, reach, chance_row, tree,
        )  # fmt: skip
        passes[0] += 1
        if not math.isfinite(gap):
            return np.inf
        if gap <= tol:
            # the profile q: its own residual (the Jacobi pass; q's logits are y)
            for a in range(n):
                x[a] = y[a]
                p[a] = q[a]
            _forward(reach, p, chance_row, tree)
            residual = _sweep(
                False, lam, p, q, y, v, value, reach, chance_row, tree,
            )  # fmt: skip
            passes[0] += 1
            if residual <= tol:
                for a in range(n):
                    q[a] = p[a]
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


class Settings(NamedTuple):
    """What every draw's iteration shares: fixed-point tolerance, sweeps per
    lambda, Anderson memory and continuation steps (see
    :mod:`realpolitik.solve.belief_iteration`)."""

    tol: float
    max_iter: int
    memory: int
    steps: int


@numba.njit(cache=True, boundscheck=False, nogil=True)
def widest_set(action_offset: IntArray) -> int:  # pragma: no cover - compiled
    """The most actions of an information set (at least 1)."""
    widest = 1
    for s in range(action_offset.shape[0] - 1):
        widest = max(widest, action_offset[s + 1] - action_offset[s])
    return widest


@numba.njit(cache=True, boundscheck=False, nogil=True)
def new_scratch(  # pragma: no cover - compiled
    n_nodes: int, n_players: int, action_offset: IntArray, memory: int
) -> Scratch:
    """One thread's working arrays for :func:`solve_draw`: node values and
    reach, the logits and profiles, Anderson's history, a set's action
    values and the pass counter."""
    n = action_offset[action_offset.shape[0] - 1]
    widest = widest_set(action_offset)
    m = max(memory, 1)
    return (
        np.zeros((n_nodes, n_players)), np.zeros(n_nodes), np.empty(n), np.empty(n),
        np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty((m, n)),
        np.empty((m, n)), np.zeros((m, m)), np.empty(m), np.empty(m), np.empty(widest),
        np.zeros(1, dtype=np.int64),
    )  # fmt: skip


@numba.njit(cache=True, boundscheck=False, nogil=True)
def solve_draw(  # pragma: no cover - compiled
    d: int,
    payoffs: FloatArray,
    chance: FloatArray,
    lam: FloatArray,
    settings: Settings,
    terminal_node: IntArray,
    tree: TreeArrays,
    scratch: Scratch,
    out_profile: FloatArray,
    out_residual: FloatArray,
    out_status: IntArray,
    out_passes: IntArray,
) -> None:
    """The agent QRE of draw ``d``: ``payoffs`` ``(D, terminals,
    players)``, ``chance`` ``(D or 1, chance edges)``, ``lam`` ``(D,)``;
    writes its profile ``out_profile[d]``, residual, status and number of
    tree passes (``scratch`` from :func:`new_scratch`; Anderson's arrays in
    it are :func:`_iterate`'s alone)."""
    value, reach, x, p, q, y, _, _, _, _, _, _, _, _, v, passes = scratch
    tol, max_iter, memory, steps = settings
    action_offset = tree.action_offset
    n = x.shape[0]
    n_players = payoffs.shape[2]
    for t in range(terminal_node.shape[0]):
        for r in range(n_players):
            value[terminal_node[t], r] = payoffs[d, t, r]
    for node in tree.stale_nodes:
        for r in range(n_players):
            value[node, r] = 0.0
    chance_row = chance[d] if chance.shape[0] > 1 else chance[0]
    target = lam[d]
    passes[0] = 0
    status = CONVERGED
    for a in range(n):
        x[a] = 0.0
    residual = _iterate(target, tol, max_iter, memory, 1.0, scratch, chance_row, tree)
    attempt = 0
    while not residual <= tol and attempt < _ATTEMPTS and target > 0.0:
        status = CONTINUED
        k_steps = steps * _STEP_FACTOR[attempt]
        beta = _BETA[attempt]
        attempt += 1
        for a in range(n):
            x[a] = 0.0
        reached = 0.0
        for k in range(1, k_steps + 1):
            lam_k = target * k / k_steps
            if reached > 0.0:
                for a in range(n):
                    x[a] *= lam_k / reached
            residual = _iterate(lam_k, tol, max_iter, memory, beta, scratch, chance_row, tree)
            if not residual <= tol:
                break
            reached = lam_k
    if residual <= tol:
        for a in range(n):
            out_profile[d, a] = q[a]
    else:
        status = NOT_CONVERGED
        # the last iterate and its own residual (the Jacobi pass)
        softmax_all(x, p, action_offset)
        _forward(reach, p, chance_row, tree)
        residual = _sweep(
            False, target, p, q, y, v, value, reach, chance_row, tree,
        )  # fmt: skip
        passes[0] += 1
        for a in range(n):
            out_profile[d, a] = p[a]
    out_residual[d] = residual
    out_status[d] = status
    out_passes[d] = passes[0]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def solve_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    payoffs: FloatArray,
    chance: FloatArray,
    lam: FloatArray,
    settings: Settings,
    terminal_node: IntArray,
    tree: TreeArrays,
    n_nodes: int,
    out_profile: FloatArray,
    out_residual: FloatArray,
    out_status: IntArray,
    out_passes: IntArray,
) -> None:
    """:func:`solve_draw` for draws ``[first_block * BLOCK, last_block *
    BLOCK)``, one after another."""
    scratch = new_scratch(n_nodes, payoffs.shape[2], tree.action_offset, settings.memory)
    for d in range(first_block * BLOCK, min(payoffs.shape[0], last_block * BLOCK)):
        solve_draw(
            d, payoffs, chance, lam, settings, terminal_node, tree, scratch,
            out_profile, out_residual, out_status, out_passes,
        )  # fmt: skip


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
