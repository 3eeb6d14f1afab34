"""Compiled kernels of the backward pass over trees (numba).

Why compiled code here: a decision node's step is "compare the mover's value
of each child, pick one (or mix), copy or average the children's values", a
handful of operations per draw. In NumPy each is a separate pass over memory
with temporaries; fused in one loop the step reads each child value once.
Draws are processed in blocks; within a block each step runs over contiguous
slices of draws with loop-invariant row views, which the compiler vectorises.
The blocks are spread over the cores by Python threads
(:mod:`realpolitik.solve._threads`), not numba's ``prange``: the kernels are
then ordinary compiled functions, which compile in about 2 s instead of 10 s
on a new installation, so the first forecast a newcomer runs stays fast. Every draw is computed on
its own, so results do not depend on how draws are chunked or split across
threads.

Arrays are draws-last: ``total[node, player, draw]`` and ``value[node, row,
draw]`` (rows are players, or players x payoff terms). ``same`` says that
``value`` is ``total`` (no payoff terms).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.solve._threads import run_blocks

#: Draws per block: a block's slice of every node's values stays in cache.
BLOCK = 512


@numba.njit(cache=True, boundscheck=False, nogil=True, inline="always")
def _decide(  # pragma: no cover - compiled
    total: NDArray[np.float64],
    value: NDArray[np.float64],
    same: bool,
    kids: NDArray[np.int64],
    node: int,
    mover: int,
    lo: int,
    hi: int,
    spe: bool,
    lam: NDArray[np.float64],
    rtol: float,
    choice: NDArray[np.int16],
    tie: NDArray[np.bool_],
    mixed: NDArray[np.float64],
    slots: NDArray[np.int64],
    best: NDArray[np.float64],
    work: NDArray[np.float64],
    index: NDArray[np.int64],
    count: NDArray[np.int64],
) -> None:
    """One decision node, draws ``lo:hi``. SPE: the first child within
    ``rtol * (1 + |best|)`` of the best (``choice``/``tie`` rows of the
    node's information set); QRE: p ∝ exp(lam[d] * (u - best)) into the
    ``mixed`` rows ``slots``, with ``lam`` the per-draw precision ``(D,)``
    (a scalar precision is passed as a constant row). Scratch: ``best``,
    ``work``, ``index``, ``count`` of at least ``hi - lo``."""
    n = hi - lo
    arity = kids.shape[0]
    n_players = total.shape[1]
    n_rows = value.shape[1]
    if spe and arity == 2:  # the common binary case, fused into one pass
        r0 = total[kids[0], mover, lo:hi]
        r1 = total[kids[1], mover, lo:hi]
        for d in range(n):
            x0 = r0[d]
            x1 = r1[d]
            top = max(x0, x1)
            threshold = top - rtol * (1.0 + abs(top))
            near0 = x0 >= threshold
            index[d] = 0 if near0 else 1
            choice[lo + d] = index[d]
            tie[lo + d] = near0 and x1 >= threshold
        for p in range(n_players):
            dst = total[node, p, lo:hi]
            s0 = total[kids[0], p, lo:hi]
            s1 = total[kids[1], p, lo:hi]
            for d in range(n):
                dst[d] = s0[d] if index[d] == 0 else s1[d]
        if not same:
            for r in range(n_rows):
                dst = value[node, r, lo:hi]
                s0 = value[kids[0], r, lo:hi]
                s1 = value[kids[1], r, lo:hi]
                for d in range(n):
                    dst[d] = s0[d] if index[d] == 0 else s1[d]
        return
    first = total[kids[0], mover, lo:hi]
    for d in range(n):
        best[d] = first[d]
    for a in range(1, arity):
        row = total[kids[a], mover, lo:hi]
        for d in range(n):
            best[d] = max(best[d], row[d])
    if spe:
        for d in range(n):
            work[d] = best[d] - rtol * (1.0 + abs(best[d]))
            index[d] = arity
            count[d] = 0
        for a in range(arity - 1, -1, -1):
            row = total[kids[a], mover, lo:hi]
            for d in range(n):
                near = row[d] >= work[d]
                count[d] += near
                index[d] = a if near else index[d]
        for d in range(n):
            choice[lo + d] = index[d]
            tie[lo + d] = count[d] > 1
        for p in range(n_players):
            dst = total[node, p, lo:hi]
            for a in range(arity):
                src = total[kids[a], p, lo:hi]
                for d in range(n):
                    dst[d] = src[d] if index[d] == a else dst[d]
        if not same:
            for r in range(n_rows):
                dst = value[node, r, lo:hi]
                for a in range(arity):
                    src = value[kids[a], r, lo:hi]
                    for d in range(n):
                        dst[d] = src[d] if index[d] == a else dst[d]
        return
    for d in range(n):
        work[d] = 0.0
    lam_row = lam[lo:hi]
    for a in range(arity):
        row = total[kids[a], mover, lo:hi]
        out = mixed[slots[a], lo:hi]
        for d in range(n):
            e = np.exp(lam_row[d] * (row[d] - best[d]))
            out[d] = e
            work[d] += e
    for a in range(arity):
        out = mixed[slots[a], lo:hi]
        for d in range(n):
            out[d] /= work[d]
    _average(total, value, same, kids, node, lo, hi, mixed, slots, 0, False)


@numba.njit(cache=True, boundscheck=False, nogil=True, inline="always")
def _average(  # pragma: no cover - compiled
    total: NDArray[np.float64],
    value: NDArray[np.float64],
    same: bool,
    kids: NDArray[np.int64],
    node: int,
    lo: int,
    hi: int,
    weights: NDArray[np.float64],
    slots: NDArray[np.int64],
    column: int,
    constant: bool,
) -> None:
    """The node's values as the weighted average of its children's, weights
    ``weights[slots[a], lo:hi]`` (or the single ``column`` when ``constant``)."""
    n = hi - lo
    arity = kids.shape[0]
    for p in range(total.shape[1]):
        dst = total[node, p, lo:hi]
        for d in range(n):
            dst[d] = 0.0
        for a in range(arity):
            src = total[kids[a], p, lo:hi]
            if constant:
                w = weights[slots[a], column]
                for d in range(n):
                    dst[d] += w * src[d]
            else:
                wrow = weights[slots[a], lo:hi]
                for d in range(n):
                    dst[d] += wrow[d] * src[d]
    if same:
        return
    for r in range(value.shape[1]):
        dst = value[node, r, lo:hi]
        for d in range(n):
            dst[d] = 0.0
        for a in range(arity):
            src = value[kids[a], r, lo:hi]
            if constant:
                w = weights[slots[a], column]
                for d in range(n):
                    dst[d] += w * src[d]
            else:
                wrow = weights[slots[a], lo:hi]
                for d in range(n):
                    dst[d] += wrow[d] * src[d]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _backward_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    pay: NDArray[np.float64],
    terminal_node: NDArray[np.int64],
    unit_node: NDArray[np.int64],
    unit_kind: NDArray[np.int8],
    unit_mover: NDArray[np.int64],
    unit_infoset: NDArray[np.int64],
    child_offset: NDArray[np.int64],
    child_index: NDArray[np.int64],
    edge_slot: NDArray[np.int64],
    chance: NDArray[np.float64],
    spe: bool,
    lam: NDArray[np.float64],
    rtol: float,
    total: NDArray[np.float64],
    value: NDArray[np.float64],
    same: bool,
    choice: NDArray[np.int16],
    tie: NDArray[np.bool_],
    mixed: NDArray[np.float64],
) -> None:
    """The whole backward pass of a tree without simultaneous stages.

    ``pay`` is ``(terminals, rows, D)``; ``unit_node`` lists decision and
    chance nodes deepest first (``unit_kind`` 1 or 2); ``edge_slot[e]`` is a
    decision edge's flat action (row of ``mixed``) or a chance edge's column
    in ``chance`` ``(chance edges, 1 or D)``. SPE writes ``choice``/``tie``
    rows per information set; the QRE writes ``mixed``.
    """
    n_draws = pay.shape[2]
    n_players = total.shape[1]
    n_rows = value.shape[1]
    terms = n_rows // n_players
    constant_chance = chance.shape[1] == 1
    for b in range(first_block, last_block):
        lo = b * BLOCK
        hi = min(n_draws, lo + BLOCK)
        n = hi - lo
        best = np.empty(n)
        work = np.empty(n)
        index = np.empty(n, dtype=np.int64)
        count = np.empty(n, dtype=np.int64)
        for t in range(terminal_node.shape[0]):
            node = terminal_node[t]
            for r in range(n_rows):
                src = pay[t, r, lo:hi]
                dst = value[node, r, lo:hi]
                for d in range(n):
                    dst[d] = src[d]
            if not same:
                for p in range(n_players):
                    dst = total[node, p, lo:hi]
                    for d in range(n):
                        dst[d] = 0.0
                    for k in range(terms):
                        src = pay[t, p * terms + k, lo:hi]
                        for d in range(n):
                            dst[d] += src[d]
        for u in range(unit_node.shape[0]):
            node = unit_node[u]
            first = child_offset[node]
            last = child_offset[node + 1]
            kids = child_index[first:last]
            slots = edge_slot[first:last]
            if unit_kind[u] == 2:
                _average(total, value, same, kids, node, lo, hi, chance, slots, 0, constant_chance)
                continue
            infoset = unit_infoset[u]
            _decide(
                total,
                value,
                same,
                kids,
                node,
                unit_mover[u],
                lo,
                hi,
                spe,
                lam,
                rtol,
                choice[infoset],
                tie[infoset],
                mixed,
                slots,
                best,
                work,
                index,
                count,
            )


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _decision_group_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    total: NDArray[np.float64],
    value: NDArray[np.float64],
    same: bool,
    kids: NDArray[np.int64],
    nodes: NDArray[np.int64],
    infosets: NDArray[np.int64],
    mover: int,
    spe: bool,
    lam: NDArray[np.float64],
    rtol: float,
    slots: NDArray[np.int64],
    choice: NDArray[np.int16],
    tie: NDArray[np.bool_],
    mixed: NDArray[np.float64],
) -> None:
    """A group of decision nodes (one mover, same number of actions), for
    trees with simultaneous stages, whose stage groups are solved between
    calls. ``kids`` and ``slots`` are ``(g, a)``."""
    n_draws = total.shape[2]
    for b in range(first_block, last_block):
        lo = b * BLOCK
        hi = min(n_draws, lo + BLOCK)
        n = hi - lo
        best = np.empty(n)
        work = np.empty(n)
        index = np.empty(n, dtype=np.int64)
        count = np.empty(n, dtype=np.int64)
        for j in range(nodes.shape[0]):
            infoset = infosets[j]
            _decide(
                total,
                value,
                same,
                kids[j],
                nodes[j],
                mover,
                lo,
                hi,
                spe,
                lam,
                rtol,
                choice[infoset],
                tie[infoset],
                mixed,
                slots[j],
                best,
                work,
                index,
                count,
            )


def backward_all(
    pay: NDArray[np.float64],
    terminal_node: NDArray[np.int64],
    unit_node: NDArray[np.int64],
    unit_kind: NDArray[np.int8],
    unit_mover: NDArray[np.int64],
    unit_infoset: NDArray[np.int64],
    child_offset: NDArray[np.int64],
    child_index: NDArray[np.int64],
    edge_slot: NDArray[np.int64],
    chance: NDArray[np.float64],
    spe: bool,
    lam: NDArray[np.float64],
    rtol: float,
    total: NDArray[np.float64],
    value: NDArray[np.float64],
    same: bool,
    choice: NDArray[np.int16],
    tie: NDArray[np.bool_],
    mixed: NDArray[np.float64],
) -> None:
    """The whole backward pass of a tree without simultaneous stages, on all
    cores (arguments as :func:`_backward_blocks`)."""
    run_blocks(
        _backward_blocks,
        pay.shape[2],
        BLOCK,
        (
            pay, terminal_node, unit_node, unit_kind, unit_mover, unit_infoset,
            child_offset, child_index, edge_slot, chance, spe, lam, rtol, total,
            value, same, choice, tie, mixed,
        ),
    )  # fmt: skip


def decision_group(
    total: NDArray[np.float64],
    value: NDArray[np.float64],
    same: bool,
    kids: NDArray[np.int64],
    nodes: NDArray[np.int64],
    infosets: NDArray[np.int64],
    mover: int,
    spe: bool,
    lam: NDArray[np.float64],
    rtol: float,
    slots: NDArray[np.int64],
    choice: NDArray[np.int16],
    tie: NDArray[np.bool_],
    mixed: NDArray[np.float64],
) -> None:
    """A group of decision nodes on all cores (arguments as
    :func:`_decision_group_blocks`)."""
    run_blocks(
        _decision_group_blocks,
        total.shape[2],
        BLOCK,
        (
            total,
            value,
            same,
            kids,
            nodes,
            infosets,
            mover,
            spe,
            lam,
            rtol,
            slots,
            choice,
            tie,
            mixed,
        ),
    )


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
