"""The belief iteration of :mod:`realpolitik.solve._belief_kernels` on
:data:`LANES` draws at once, draws innermost: the same arithmetic for every
draw, so the same bits, in a fraction of the time.

Why: one draw's pass over the tree is mostly bookkeeping, reading the index
arrays (a node's parent, its children, a set's nodes) and jumping through
them, with a few floating-point operations per node. With the state of
:data:`LANES` draws stored side by side (``value[row, lane]``, a row per
node and player whose value a pass needs, terminals with the same payoffs
sharing one: :func:`value_rows`), each index is read once for all of
them and the arithmetic runs over contiguous lanes, which the compiler
turns into vector instructions (each
sum goes straight into its row of lanes through 1-D views: with an
accumulator array in between, LLVM cannot rule out that the two overlap
and keeps the loop scalar; a set's action weights are chosen per lane,
``q`` or ``p``, once, not in the innermost loop). A lane
whose draw has converged takes the next draw of the block at once, so lanes
do not wait for the slowest draw of a group.

Each lane runs the very steps of :func:`~realpolitik.solve._belief_kernels._iterate`
at the target lambda: Gauss-Seidel sweeps accelerated by Anderson mixing
(each lane's own history, :func:`~realpolitik.solve._belief_kernels.anderson_step`
on the lane's column), and once a sweep moves no probability by more than
``tol``, a Jacobi pass for the residual. A lane is either in a sweep or in
its residual pass; one tree pass serves both kinds (``respond`` per lane).
The rare draw that does not converge at the target directly (NaN, or
``max_iter`` sweeps) is handed to the one-draw path
(:func:`~realpolitik.solve._belief_kernels.solve_draw`), which starts it
again and continues in lambda: its result, like every other draw's, is the
one-draw path's bit for bit (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.solve._belief_kernels import (
    BLOCK,
    CHANCE_UNIT,
    CONVERGED,
    Settings,
    TreeArrays,
    anderson_step,
    new_scratch,
    solve_blocks,
    solve_draw,
    widest_set,
)
from realpolitik.solve._threads import run_blocks
from realpolitik.solve._vector_exp import vexp

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws iterated side by side: eight AVX-512 vectors of doubles. Measured
#: on the two benchmark trees (one thread, 4096 draws, microseconds per
#: draw; (a) 5959 nodes, (b) 3103): 8 lanes (a) 114, (b) 201 in the first
#: version; with a value row per node and player, 16: 69, 136; 32: 54, 122;
#: 64: 77, 141 (a lane's values outgrew the core's cache); with the shared
#: value rows of :func:`value_rows` (b's values 0.8 MB at 32 lanes, not
#: 3.2), 32: 53, 91; 48: 51, 89; 64: 53, 85; 96: 60, 93; 128: 62, 93.
#: One draw at a time: 206, 312.
LANES = 64

#: A lane's phase.
_EMPTY = 0
_SWEEP = 1
_CHECK = 2


@numba.njit(cache=True, boundscheck=False, nogil=True, error_model="numpy")
def _softmax_lanes(  # pragma: no cover - compiled
    x: FloatArray, p: FloatArray, phase: IntArray, action_offset: IntArray
) -> None:
    """``p = softmax(x)`` within every information set, in the lanes that
    start a sweep (the others' ``p`` is their profile under check)."""
    lanes = x.shape[1]
    top = np.empty(lanes)
    total = np.empty(lanes)
    sweep = np.empty(lanes, dtype=np.bool_)
    for lane in range(lanes):
        sweep[lane] = phase[lane] == _SWEEP
    for s in range(action_offset.shape[0] - 1):
        a0 = action_offset[s]
        a1 = action_offset[s + 1]
        first = x[a0]
        for lane in range(lanes):
            top[lane] = first[lane]
            total[lane] = 0.0
        for a in range(a0 + 1, a1):
            xa = x[a]
            for lane in range(lanes):
                top[lane] = max(top[lane], xa[lane])
        for a in range(a0, a1):
            xa = x[a]
            pa = p[a]
            for lane in range(lanes):
                if sweep[lane]:
                    e = vexp(xa[lane] - top[lane])
                    pa[lane] = e
                    total[lane] += e
        for a in range(a0, a1):
            pa = p[a]
            for lane in range(lanes):
                if sweep[lane]:
                    pa[lane] /= total[lane]


@numba.njit(cache=True, boundscheck=False, nogil=True, error_model="numpy")
def _forward_lanes(  # pragma: no cover - compiled
    reach: FloatArray, p: FloatArray, chance: FloatArray, tree: TreeArrays
) -> None:
    """Reach probabilities of the nodes that beliefs need, every lane
    (:func:`~realpolitik.solve._belief_kernels._forward`)."""
    fwd_node = tree.fwd_node
    fwd_parent = tree.fwd_parent
    fwd_source = tree.fwd_source
    lanes = reach.shape[1]
    root = reach[0]
    for lane in range(lanes):
        root[lane] = 1.0
    for k in range(fwd_node.shape[0]):
        source = fwd_source[k]
        out = reach[fwd_node[k]]
        parent = reach[fwd_parent[k]]
        w = p[source] if source >= 0 else chance[-source - 1]
        for lane in range(lanes):
            out[lane] = parent[lane] * w[lane]


@numba.njit(cache=True, boundscheck=False, nogil=True, error_model="numpy")
def _sweep_lanes(  # pragma: no cover - compiled
    phase: IntArray,
    lam: FloatArray,
    p: FloatArray,
    q: FloatArray,
    y: FloatArray,
    v: FloatArray,
    belief: FloatArray,
    value: FloatArray,
    node_row: IntArray,
    reach: FloatArray,
    chance: FloatArray,
    tree: TreeArrays,
    gap: FloatArray,
) -> None:
    """One backward pass in every lane (:func:`~realpolitik.solve._belief_kernels._sweep`,
    the same operations in the same order per lane): node values under the
    response ``q`` in lanes that sweep, under ``p`` in lanes that check;
    ``gap[lane]`` is ``max |q - p|``; ``v`` and ``belief`` are scratch for
    a set's action values and its nodes' weights. A node's value for a
    player is row ``node_row[node, player]`` of ``value`` (see
    :func:`value_rows`)."""
    lanes = value.shape[1]
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
    largest = np.empty(lanes)
    scale = np.empty(lanes)
    top = np.empty(lanes)
    norm = np.empty(lanes)
    weights = np.empty(v.shape)
    respond = np.empty(lanes, dtype=np.bool_)
    for lane in range(lanes):
        gap[lane] = 0.0
        respond[lane] = phase[lane] != _CHECK
    # Sums go straight into their row of lanes (1-D views, no accumulator
    # array in between), so that the compiler vectorises the lane loops. A
    # sum starts as ``0.0 + w s`` of its first term (the bits of adding to
    # a zeroed row, one loop over the lanes fewer: each loop's start-up
    # costs about as much as its arithmetic at 64 lanes).
    for u in range(unit_kind.shape[0]):
        ref = unit_ref[u]
        if unit_kind[u] == CHANCE_UNIT:
            for i in range(value_offset[ref], value_offset[ref + 1]):
                r = value_players[i]
                out = value[node_row[ref, r]]
                e0 = child_offset[ref]
                w = chance[edge_chance[e0]]
                source = value[node_row[child_index[e0], r]]
                if child_offset[ref + 1] - e0 == 2:  # two outcomes: one loop
                    w1 = chance[edge_chance[e0 + 1]]
                    source1 = value[node_row[child_index[e0 + 1], r]]
                    for lane in range(lanes):
                        out[lane] = (0.0 + w[lane] * source[lane]) + w1[lane] * source1[lane]
                    continue
                for lane in range(lanes):
                    out[lane] = 0.0 + w[lane] * source[lane]
                for e in range(e0 + 1, child_offset[ref + 1]):
                    w = chance[edge_chance[e]]
                    source = value[node_row[child_index[e], r]]
                    for lane in range(lanes):
                        out[lane] += w[lane] * source[lane]
            continue
        a0 = action_offset[ref]
        k = action_offset[ref + 1] - a0
        mover = set_player[ref]
        n0 = set_node_offset[ref]
        n1 = set_node_offset[ref + 1]
        if n1 - n0 == 1:
            first = child_offset[set_nodes[n0]]
            for a in range(k):
                source = value[node_row[child_index[first + a], mover]]
                va = v[a]
                for lane in range(lanes):
                    va[lane] = source[lane]
        else:
            for lane in range(lanes):
                largest[lane] = 0.0
            for j in range(n0, n1):
                node_reach = reach[set_nodes[j]]
                for lane in range(lanes):
                    largest[lane] = max(largest[lane], node_reach[lane])
            for lane in range(lanes):
                scale[lane] = 0.0  # the total, inverted below
            # each node's reach over the largest, once (not once per action)
            for j in range(n0, n1):
                node_reach = reach[set_nodes[j]]
                bj = belief[j - n0]
                for lane in range(lanes):
                    w = node_reach[lane] / largest[lane] if largest[lane] > 0.0 else 1.0
                    bj[lane] = w
                    scale[lane] += w
            for lane in range(lanes):
                scale[lane] = 1.0 / scale[lane]
            for a in range(k):
                va = v[a]
                source = value[node_row[child_index[child_offset[set_nodes[n0]] + a], mover]]
                bj = belief[0]
                for lane in range(lanes):
                    va[lane] = 0.0 + bj[lane] * source[lane]
                for j in range(n0 + 1, n1):
                    source = value[node_row[child_index[child_offset[set_nodes[j]] + a], mover]]
                    bj = belief[j - n0]
                    for lane in range(lanes):
                        va[lane] += bj[lane] * source[lane]
                for lane in range(lanes):
                    va[lane] *= scale[lane]
        for lane in range(lanes):
            top[lane] = lam[lane] * v[0, lane]
        for a in range(1, k):
            va = v[a]
            for lane in range(lanes):
                top[lane] = max(top[lane], lam[lane] * va[lane])
        for lane in range(lanes):
            norm[lane] = 0.0
        for a in range(k):
            va = v[a]
            ya = y[a0 + a]
            qa = q[a0 + a]
            for lane in range(lanes):
                z = lam[lane] * va[lane]
                ya[lane] = z
                weight = vexp(z - top[lane])
                qa[lane] = weight
                norm[lane] += weight
        for lane in range(lanes):
            norm[lane] = 1.0 / norm[lane]
        for a in range(k):
            qa = q[a0 + a]
            pa = p[a0 + a]
            wa = weights[a]
            for lane in range(lanes):
                qa[lane] *= norm[lane]
                step = abs(qa[lane] - pa[lane])
                if not step <= gap[lane]:  # a NaN is never within tolerance
                    gap[lane] = step
                wa[lane] = qa[lane] if respond[lane] else pa[lane]
        for j in range(n0, n1):
            node = set_nodes[j]
            base = child_offset[node]
            for i in range(value_offset[node], value_offset[node + 1]):
                r = value_players[i]
                out = value[node_row[node, r]]
                source = value[node_row[child_index[base], r]]
                wa = weights[0]
                if k == 3:  # three actions: one loop
                    s1 = value[node_row[child_index[base + 1], r]]
                    s2 = value[node_row[child_index[base + 2], r]]
                    w1 = weights[1]
                    w2 = weights[2]
                    for lane in range(lanes):
                        out[lane] = ((0.0 + wa[lane] * source[lane]) + w1[lane] * s1[lane]) + w2[
                            lane
                        ] * s2[lane]
                    continue
                if k == 2:
                    s1 = value[node_row[child_index[base + 1], r]]
                    w1 = weights[1]
                    for lane in range(lanes):
                        out[lane] = (0.0 + wa[lane] * source[lane]) + w1[lane] * s1[lane]
                    continue
                for lane in range(lanes):
                    out[lane] = 0.0 + wa[lane] * source[lane]
                for a in range(1, k):
                    source = value[node_row[child_index[base + a], r]]
                    wa = weights[a]
                    for lane in range(lanes):
                        out[lane] += wa[lane] * source[lane]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _load_payoffs(  # pragma: no cover - compiled
    d: int,
    lane: int,
    payoffs: FloatArray,
    payoff_bits: IntArray,
    terminal_node: IntArray,
    node_row: IntArray,
    terminal_rep: IntArray,
    value: FloatArray,
) -> bool:
    """Draw ``d``'s terminal payoffs into ``lane`` of their rows: each
    class representative's payoff is written, every other member's is
    checked to have the same bits (False, and nothing to rely on in the
    lane, if one does not)."""
    for t in range(terminal_node.shape[0]):
        node = terminal_node[t]
        for r in range(payoffs.shape[2]):
            rep = terminal_rep[t, r]
            if rep == t:
                value[node_row[node, r], lane] = payoffs[d, t, r]
            elif rep >= 0 and payoff_bits[d, t, r] != payoff_bits[d, rep, r]:
                return False
    return True


@numba.njit(cache=True, boundscheck=False, nogil=True, error_model="numpy")
def _solve_lane_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    payoffs: FloatArray,
    chance: FloatArray,
    lam: FloatArray,
    settings: Settings,
    terminal_node: IntArray,
    tree: TreeArrays,
    n_nodes: int,
    payoff_bits: IntArray,
    node_row: IntArray,
    terminal_rep: IntArray,
    n_rows: int,
    out_profile: FloatArray,
    out_residual: FloatArray,
    out_status: IntArray,
    out_passes: IntArray,
) -> None:
    """The agent QRE of draws ``[first_block * BLOCK, last_block * BLOCK)``
    through :data:`LANES` lanes (arguments as
    :func:`~realpolitik.solve._belief_kernels.solve_blocks`, and the value
    rows of :func:`value_rows`, ``payoff_bits`` the payoffs' bits). A draw
    whose payoffs break the rows' classes (a terminal's payoff differs from
    its class representative's) goes to the one-draw path."""
    tol, max_iter, memory, _ = settings
    action_offset = tree.action_offset
    n = action_offset[action_offset.shape[0] - 1]
    n_players = payoffs.shape[2]
    n_chance = chance.shape[1]
    widest = widest_set(action_offset)
    m = max(memory, 1)
    value = np.zeros((n_rows, LANES))
    reach = np.zeros((n_nodes, LANES))
    lane_chance = np.zeros((n_chance, LANES))
    x = np.zeros((n, LANES))
    p = np.zeros((n, LANES))
    q = np.zeros((n, LANES))
    y = np.zeros((n, LANES))
    v = np.zeros((widest, LANES))
    belief = np.zeros((np.diff(tree.set_node_offset).max() if n > 0 else 1, LANES))
    # Anderson's history lane by lane, each lane's contiguous
    f = np.empty(n)
    x_lane = np.empty(n)
    y_lane = np.empty(n)
    f_prev = np.empty((LANES, n))
    x_prev = np.empty((LANES, n))
    d_f = np.empty((LANES, m, n))
    d_g = np.empty((LANES, m, n))
    gram = np.zeros((LANES, m, m))
    coef = np.empty(m)
    rhs = np.empty(m)
    gap = np.empty(LANES)
    lane_lam = np.zeros(LANES)
    phase = np.zeros(LANES, dtype=np.int64)
    draw = np.full(LANES, -1, dtype=np.int64)
    it = np.zeros(LANES, dtype=np.int64)
    count = np.zeros(LANES, dtype=np.int64)
    head = np.zeros(LANES, dtype=np.int64)
    previous = np.zeros(LANES)
    passes = np.zeros(LANES, dtype=np.int64)
    one_draw = new_scratch(n_nodes, n_players, action_offset, memory)
    end = min(payoffs.shape[0], last_block * BLOCK)
    following = first_block * BLOCK
    active = 0
    while True:
        # every empty lane takes the next draw whose payoffs fit the rows
        for lane in range(LANES):
            if phase[lane] != _EMPTY:
                continue
            d = -1
            while following < end:
                d = following
                following += 1
                if _load_payoffs(d, lane, payoffs, payoff_bits, terminal_node, node_row,
                                 terminal_rep, value):  # fmt: skip
                    break
                solve_draw(
                    d, payoffs, chance, lam, settings, terminal_node, tree, one_draw,
                    out_profile, out_residual, out_status, out_passes,
                )  # fmt: skip
                d = -1
            if d < 0:
                continue
            active += 1
            draw[lane] = d
            phase[lane] = _SWEEP
            lane_lam[lane] = lam[d]
            it[lane] = 0
            count[lane] = 0
            head[lane] = 0
            previous[lane] = np.inf
            passes[lane] = 0
            for a in range(n):
                x[a, lane] = 0.0
            for node in tree.stale_nodes:
                for r in range(n_players):
                    if node_row[node, r] >= 0:
                        value[node_row[node, r], lane] = 0.0
            row = d if chance.shape[0] > 1 else 0
            for c in range(n_chance):
                lane_chance[c, lane] = chance[row, c]
        if active == 0:
            break
        _softmax_lanes(x, p, phase, action_offset)
        _forward_lanes(reach, p, lane_chance, tree)
        _sweep_lanes(
            phase, lane_lam, p, q, y, v, belief, value, node_row, reach, lane_chance, tree, gap
        )
        for lane in range(LANES):
            if phase[lane] == _EMPTY:
                continue
            passes[lane] += 1
            d = draw[lane]
            failed = False
            if phase[lane] == _CHECK:
                if gap[lane] <= tol:  # converged: the profile checked is p
                    for a in range(n):
                        out_profile[d, a] = p[a, lane]
                    out_residual[d] = gap[lane]
                    out_status[d] = CONVERGED
                    out_passes[d] = passes[lane]
                    phase[lane] = _EMPTY
                    active -= 1
                    continue
                count[lane] = 0
                head[lane] = 0
                previous[lane] = np.inf
                phase[lane] = _SWEEP
                it[lane] += 1
                failed = it[lane] >= max_iter
            elif not math.isfinite(gap[lane]):
                failed = True
            elif gap[lane] <= tol:  # the response q: its own residual next
                for a in range(n):
                    x[a, lane] = y[a, lane]
                    p[a, lane] = q[a, lane]
                phase[lane] = _CHECK
            else:
                for a in range(n):
                    x_lane[a] = x[a, lane]
                    y_lane[a] = y[a, lane]
                count[lane], head[lane], previous[lane] = anderson_step(
                    it[lane], memory, 1.0, x_lane, y_lane, f, f_prev[lane], x_prev[lane],
                    d_f[lane], d_g[lane], gram[lane], coef, rhs, count[lane], head[lane],
                    previous[lane],
                )  # fmt: skip
                for a in range(n):
                    x[a, lane] = x_lane[a]
                it[lane] += 1
                failed = it[lane] >= max_iter
            if failed:
                # the one-draw path starts again and continues in lambda
                solve_draw(
                    d, payoffs, chance, lam, settings, terminal_node, tree, one_draw,
                    out_profile, out_residual, out_status, out_passes,
                )  # fmt: skip
                phase[lane] = _EMPTY
                active -= 1
                lane_lam[lane] = 0.0
                for a in range(n):
                    x[a, lane] = 0.0


#: Draws whose payoffs propose the rows' classes (spread over the call).
CLASS_SAMPLE = 16


def value_rows(
    payoffs: FloatArray,
    terminal_node: IntArray,
    inner_row: IntArray,
    terminal_valued: NDArray[np.bool_],
) -> tuple[IntArray, IntArray, int]:
    """The lanes' value rows: ``node_row (nodes, players)``, ``terminal_rep
    (terminals, players)`` and the number of rows.

    Why: a pass's cost is mostly moving node values through the cache, and
    most of a compiled scenario's terminal payoffs repeat: a player's payoff
    is a sum of a few terms, so many terminals carry the very same numbers
    in every draw (the flagship's 2048 terminals hold 16, 48 and 120
    distinct payoff columns for its three movers, and its fourth actor never
    moves). Terminals whose payoff for a player has the same bits in
    :data:`CLASS_SAMPLE` draws spread over the call share one row for that
    player (``terminal_rep`` is the class's first terminal, the one whose
    payoff fills the row; -1 where no mover needs the player's value); the
    rows of decision and chance nodes follow, numbered as the sweep writes
    them (``inner_row``,
    :attr:`~realpolitik.solve.belief_iteration.BeliefPlan.inner_row`). The
    flagship's values then take 3296 rows instead of 12412 (1.7 MB for 64
    draws, not 6.4), and with less to move a pass over 64 lanes is quicker
    than over 32 (see :data:`LANES`).
    Shared rows hold identical numbers, so every pass does the same
    arithmetic on the same values: the same bits. A draw in which a member
    of a class differs from its representative (possible where the sample
    missed a difference) is solved by the one-draw path instead
    (:func:`_load_payoffs`).
    """
    n_terminals = terminal_node.shape[0]
    n_players = inner_row.shape[1]
    terminal_rep = np.full((n_terminals, n_players), -1, dtype=np.int64)
    node_row = inner_row.copy()
    n_draws = payoffs.shape[0]
    spread = np.linspace(0, max(n_draws - 1, 0), min(n_draws, CLASS_SAMPLE))
    sample = np.unique(spread.astype(np.int64))
    bits = payoffs[sample].view(np.int64)
    rows = 0
    for r in range(n_players):
        wanted = np.flatnonzero(terminal_valued[:, r])
        if wanted.size == 0:
            continue
        first, klass = _same_columns(np.ascontiguousarray(bits[:, wanted, r].T))
        order = np.argsort(first, kind="stable")  # rows in the order of the terminals
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        terminal_rep[wanted, r] = wanted[first[klass]]
        node_row[terminal_node[wanted], r] = rows + rank[klass]
        rows += len(first)
    inner = inner_row >= 0
    node_row[inner] += rows
    return node_row, terminal_rep, rows + int(inner.sum())


#: Odd 64-bit multipliers of :func:`_same_columns`'s hash (fixed, so that
#: the classes do not depend on a seed).
_HASH_MULTIPLIERS = np.random.default_rng(20261206).integers(
    1, 2**62, size=CLASS_SAMPLE, dtype=np.int64
).astype(np.uint64) * np.uint64(2) + np.uint64(1)


def _same_columns(columns: IntArray) -> tuple[IntArray, IntArray]:
    """The classes of identical rows of ``columns`` ``(n, s)`` (payoff bits
    of ``n`` terminals in ``s`` draws): each class's first row and each
    row's class, as :func:`numpy.unique` with ``axis=0`` gives them (its
    classes in the order of their sorted rows). A hash of each row (a
    multiply-add of its bits, wrapping) is sorted instead of the rows
    themselves, about ten times quicker on the flagship (2048 rows); the
    classes are then checked row by row, and a collision (rows that differ
    but hash alike) falls back to sorting the rows."""
    with np.errstate(over="ignore"):
        mixed = columns.view(np.uint64) * _HASH_MULTIPLIERS[: columns.shape[1]]
    key = mixed.sum(axis=1, dtype=np.uint64)
    key ^= key >> np.uint64(29)
    _, first, klass = np.unique(key, return_index=True, return_inverse=True)
    klass = klass.reshape(-1)
    if not np.array_equal(columns, columns[first[klass]]):
        _, first, klass = np.unique(columns, axis=0, return_index=True, return_inverse=True)
        klass = klass.reshape(-1)
    return first, klass


def solve_draws(
    payoffs: FloatArray,
    chance: FloatArray,
    lam: FloatArray,
    settings: Settings,
    plan: tuple[IntArray, TreeArrays, IntArray, NDArray[np.bool_]],
    n_nodes: int,
    threads: int | None = None,
    lanes: bool = True,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Every draw's agent QRE on all cores, through the lanes (or, with
    ``lanes=False``, one draw at a time: the same bits, slower; kept as the
    reference the lanes are tested against); ``plan`` is the terminals'
    nodes, the tree's arrays, the inner nodes' value rows and the
    terminals' valued players
    (:attr:`~realpolitik.solve.belief_iteration.BeliefPlan.lane_arrays`).
    Returns profiles ``(D, actions)``, residuals, statuses and tree passes
    per draw (the node values of a profile, when someone needs them, come
    from :mod:`realpolitik.solve.profile_values`)."""
    n_draws = payoffs.shape[0]
    terminal_node, tree, inner_row, terminal_valued = plan
    n_actions = int(tree.action_offset[-1])
    profile = np.empty((n_draws, n_actions))
    residual = np.empty(n_draws)
    status = np.empty(n_draws, dtype=np.int64)
    passes = np.empty(n_draws, dtype=np.int64)
    outputs = (profile, residual, status, passes)
    if lanes:
        node_row, terminal_rep, n_rows = value_rows(
            payoffs, terminal_node, inner_row, terminal_valued
        )
        rows = (payoffs.view(np.int64), node_row, terminal_rep, n_rows)
        kernel: Callable[..., None] = _solve_lane_blocks
        arguments: tuple[object, ...] = (*rows, *outputs)
    else:
        kernel = solve_blocks
        arguments = outputs
    shared = (payoffs, chance, lam, settings, terminal_node, tree, n_nodes)
    run_blocks(kernel, n_draws, BLOCK, (*shared, *arguments), threads)
    return profile, residual, status, passes


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
