"""Sums of lists of rows (reach of nodes or edges, per draw), compiled.

Why compiled: the private-information outcomes (beliefs, type-conditional
probabilities, :func:`realpolitik.run.outcomes.extra_outcomes`) sum, for each
of thousands of lists, some of the ``(n, D)`` rows of reach probabilities.
In NumPy that is a gather of every listed row (a temporary as large as all
the lists together times the draws) and a ``reduceat``; on a tree of a few
thousand nodes it cost more than solving the game. Here each list's rows are
added into its output row in list order, one block of draws at a time, with
no temporary: the same additions in the same order as ``reduceat`` (which
adds a segment's rows one after the other), so the same bits, and blocks of
draws spread over the cores (:mod:`realpolitik.solve._threads`).
:func:`reach_sums` computes the reach itself, a tile of draws at a time, and
sums it while the tile is in the cache (the per-draw outcomes of a forecast).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.games.tree import TreeGame
from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws (columns) per block of the parallel loop.
BLOCK = 512
#: Draws (columns) summed at a time within a block.
TILE = 128


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _sum_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    rows: FloatArray,
    index: IntArray,
    offsets: IntArray,
    same: IntArray,
    out: FloatArray,
) -> None:
    """``out[k, cols] = sum of rows[index[offsets[k]:offsets[k + 1]], cols]``,
    rows added in list order, for the columns of blocks ``[first, last)``,
    :data:`TILE` columns at a time (so that the rows read stay in the cache:
    twice as fast as whole blocks on ``compound_types_rounds``); a copy of
    row ``same[k]`` (an earlier list, the same) where it is not -1."""
    n_cols = rows.shape[1]
    for lo in range(first_block * BLOCK, min(n_cols, last_block * BLOCK), TILE):
        hi = min(n_cols, lo + TILE)
        for k in range(offsets.shape[0] - 1):
            target = out[k, lo:hi]
            if same[k] >= 0:
                target[:] = out[same[k], lo:hi]
                continue
            j0 = offsets[k]
            j1 = offsets[k + 1]
            if j1 == j0:
                continue
            target[:] = rows[index[j0], lo:hi]
            for j in range(j0 + 1, j1):
                source = rows[index[j], lo:hi]
                for c in range(hi - lo):
                    target[c] += source[c]


def segment_index(lists: tuple[IntArray, ...]) -> tuple[IntArray, IntArray, IntArray]:
    """``(index, offsets, same)``: the lists one after the other and where
    each starts (``offsets`` has one more entry), for :func:`indexed_sums`;
    a list equal to an earlier one is left empty and ``same`` names the
    earlier one (-1 else), so that its sum is copied, not added again (the
    private-information outcomes repeat an information set's members for
    every belief about it: a third of the rows of ``compound_types_rounds``)."""
    first: dict[bytes, int] = {}
    same = np.full(len(lists), -1, dtype=np.int64)
    kept: list[IntArray] = []
    for k, members in enumerate(lists):
        array = np.asarray(members, dtype=np.int64)
        key = array.tobytes()
        if len(array) and key in first:
            same[k] = first[key]
            kept.append(array[:0])
        else:
            first.setdefault(key, k)
            kept.append(array)
    sizes = np.array([len(x) for x in kept], dtype=np.int64)
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)
    index = np.concatenate(kept) if int(offsets[-1]) else np.zeros(0, dtype=np.int64)
    return index, offsets, same


def indexed_sums(
    rows: FloatArray,
    index: IntArray,
    offsets: IntArray,
    same: IntArray,
    threads: int | None = None,
) -> FloatArray:
    """:func:`segment_sums` of the lists of :func:`segment_index` (built once
    by a caller that sums the same lists for every block of draws)."""
    source = np.ascontiguousarray(rows, dtype=np.float64)
    out = np.zeros((len(offsets) - 1, source.shape[1]))
    run_blocks(_sum_blocks, source.shape[1], BLOCK, (source, index, offsets, same, out), threads)
    return out


def segment_sums(
    rows: FloatArray, lists: tuple[IntArray, ...], threads: int | None = None
) -> FloatArray:
    """``(len(lists), D)``: for each index list the sum of its rows of
    ``rows`` ``(n, D)``, added in list order (0 for an empty list)."""
    index, offsets, same = segment_index(lists)
    return indexed_sums(rows, index, offsets, same, threads)


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _reach_sum_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    n_nodes: int,
    edges: IntArray,
    parents: IntArray,
    children: IntArray,
    edge_action: IntArray,
    chance_column: IntArray,
    behaviour: FloatArray,
    chance: FloatArray,
    index: IntArray,
    offsets: IntArray,
    same: IntArray,
    terminal_node: IntArray,
    sums: FloatArray,
    paths: FloatArray,
) -> None:
    """For the draws of blocks ``[first, last)``, :data:`TILE` at a time:
    the reach of every node into a buffer of the tile (the products of
    :func:`realpolitik.solve.reach.reach_from_behaviour_t`, in its order),
    then :func:`_sum_blocks` of the buffer's rows into ``sums`` and the
    terminals' rows into ``paths``."""
    n_draws = behaviour.shape[1]
    one = chance.shape[0] == 1
    reach = np.empty((n_nodes, TILE))
    for lo in range(first_block * BLOCK, min(n_draws, last_block * BLOCK), TILE):
        hi = min(n_draws, lo + TILE)
        width = hi - lo
        for c in range(width):
            reach[0, c] = 1.0
        for k in range(edges.shape[0]):
            e = edges[k]
            parent = reach[parents[k]]
            child = reach[children[k]]
            a = edge_action[e]
            if a >= 0:
                row = behaviour[a]
                for c in range(width):
                    child[c] = parent[c] * row[lo + c]
            elif one:
                value = chance[0, chance_column[e]]
                for c in range(width):
                    child[c] = parent[c] * value
            else:
                column = chance_column[e]
                for c in range(width):
                    child[c] = parent[c] * chance[lo + c, column]
        for k in range(offsets.shape[0] - 1):
            target = sums[k, lo:hi]
            if same[k] >= 0:
                target[:] = sums[same[k], lo:hi]
                continue
            j0 = offsets[k]
            j1 = offsets[k + 1]
            if j1 == j0:
                continue
            target[:] = reach[index[j0], :width]
            for j in range(j0 + 1, j1):
                source = reach[index[j]]
                for c in range(width):
                    target[c] += source[c]
        for t in range(terminal_node.shape[0]):
            paths[t, lo:hi] = reach[terminal_node[t], :width]


def reach_sums(
    game: TreeGame,
    behaviour_t: FloatArray,
    index: IntArray,
    offsets: IntArray,
    same: IntArray,
    threads: int | None = None,
) -> tuple[FloatArray, FloatArray]:
    """``(sums (lists, D), paths (terminals, D))``: :func:`indexed_sums` of
    the node reach under behaviour ``(n_actions, D)`` and the terminals'
    reach, the same bits, without the ``(nodes, D)`` reach array: each tile
    of draws is reached and summed in a buffer that stays in the cache (a
    fresh reach array of 49 MB per 1024 draws of ``compound_types_rounds``
    cost more in page faults and cache misses than its arithmetic)."""
    tree = game.tree
    n_draws = behaviour_t.shape[1]
    edges, parents, children = tree.reach_order
    sums = np.zeros((len(offsets) - 1, n_draws))
    paths = np.empty((tree.n_terminals, n_draws))
    run_blocks(
        _reach_sum_blocks,
        n_draws,
        BLOCK,
        (
            tree.n_nodes,
            edges,
            parents,
            children,
            np.asarray(tree.edge_action, dtype=np.int64),
            tree.edge_chance_column,
            np.ascontiguousarray(behaviour_t, dtype=np.float64),
            np.ascontiguousarray(game.edge_chance_probs(), dtype=np.float64),
            index,
            offsets,
            same,
            np.asarray(tree.terminal_node, dtype=np.int64),
            sums,
            paths,
        ),
        threads,
    )
    return sums, paths


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
