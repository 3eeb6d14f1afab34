"""Reach probabilities of behaviour profiles in trees: the probability of
every edge and of reaching every node, for all draws at once.

Why a module of its own: solutions (:mod:`realpolitik.solve.tree_solution`),
regrets (:mod:`realpolitik.solve.regret`) and the agent QRE's payoff terms all
need them, and none of those should import another for it.

Why the reach pass is compiled: in NumPy each depth is a gather of the
parents' rows, a gather of the edges' rows and a product, three temporaries
per depth; on the rebuilt flagship (3103 nodes) that cost about a tenth of a
millisecond per draw, a tenth of a whole forecast. The compiled pass reads
each parent row and edge row once per block of draws, with the same products
in the same order, so the same bits.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.games.tree import GameTree, TreeGame
from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws per block of the compiled reach pass.
BLOCK = 512


def edge_probabilities_t(game: TreeGame, behaviour_t: FloatArray) -> FloatArray:
    """``(edges, draws)`` probability of every edge: behaviour ``(n_actions,
    draws)`` for decision edges, chance probabilities for chance edges
    (compiled: one row copy per edge, no temporaries)."""
    tree = game.tree
    draws = behaviour_t.shape[1]
    probs = np.empty((tree.n_edges, draws))
    chance = np.ascontiguousarray(game.edge_chance_probs(), dtype=np.float64)
    run_blocks(
        _edge_blocks,
        draws,
        BLOCK,
        (
            np.asarray(tree.edge_action, dtype=np.int64),
            tree.edge_chance_column,
            np.ascontiguousarray(behaviour_t, dtype=np.float64),
            chance,
            probs,
        ),
    )
    return probs


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _edge_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    edge_action: IntArray,
    chance_column: IntArray,
    behaviour: FloatArray,
    chance: FloatArray,
    out: FloatArray,
) -> None:
    """Row ``e`` of ``out``: the behaviour row of the edge's action, or its
    chance column (``chance`` is ``(draws or 1, chance edges)``), over the
    draws of blocks ``[first, last)``."""
    lo = first_block * BLOCK
    hi = min(out.shape[1], last_block * BLOCK)
    one = chance.shape[0] == 1
    for e in range(out.shape[0]):
        a = edge_action[e]
        if a >= 0:
            for c in range(lo, hi):
                out[e, c] = behaviour[a, c]
        else:
            k = chance_column[e]
            if one:
                value = chance[0, k]
                for c in range(lo, hi):
                    out[e, c] = value
            else:
                for c in range(lo, hi):
                    out[e, c] = chance[c, k]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _reach_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    edges: IntArray,
    parents: IntArray,
    children: IntArray,
    edge_probability: FloatArray,
    reach: FloatArray,
) -> None:
    """``reach[children[k]] = reach[parents[k]] * edge_probability[edges[k]]``
    for ``k`` in order (parents before children), over the draws of blocks
    ``[first, last)``."""
    lo = first_block * BLOCK
    hi = min(reach.shape[1], last_block * BLOCK)
    for c in range(lo, hi):
        reach[0, c] = 1.0
    for k in range(edges.shape[0]):
        e = edges[k]
        p = parents[k]
        child = children[k]
        for c in range(lo, hi):
            reach[child, c] = reach[p, c] * edge_probability[e, c]


def reach_probabilities_t(tree: GameTree, edge_probability_t: FloatArray) -> FloatArray:
    """``(nodes, draws)`` probability of reaching each node: edges taken
    depth by depth (every parent before its children), whole rows of draws
    at a time (draws last, so rows are contiguous), compiled."""
    draws = edge_probability_t.shape[1]
    reach = np.empty((tree.n_nodes, draws))
    edges, parents, children = tree.reach_order
    source = np.ascontiguousarray(edge_probability_t, dtype=np.float64)
    run_blocks(_reach_blocks, draws, BLOCK, (edges, parents, children, source, reach))
    return reach


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _reach_behaviour_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    edges: IntArray,
    parents: IntArray,
    children: IntArray,
    edge_action: IntArray,
    chance_column: IntArray,
    behaviour: FloatArray,
    chance: FloatArray,
    reach: FloatArray,
) -> None:
    """:func:`_reach_blocks` reading each edge's probability where
    :func:`_edge_blocks` would have copied it from: the behaviour row of its
    action, or its chance column."""
    lo = first_block * BLOCK
    hi = min(reach.shape[1], last_block * BLOCK)
    one = chance.shape[0] == 1
    for c in range(lo, hi):
        reach[0, c] = 1.0
    for k in range(edges.shape[0]):
        e = edges[k]
        p = parents[k]
        child = children[k]
        a = edge_action[e]
        if a >= 0:
            for c in range(lo, hi):
                reach[child, c] = reach[p, c] * behaviour[a, c]
        elif one:
            value = chance[0, chance_column[e]]
            for c in range(lo, hi):
                reach[child, c] = reach[p, c] * value
        else:
            column = chance_column[e]
            for c in range(lo, hi):
                reach[child, c] = reach[p, c] * chance[c, column]


def reach_from_behaviour_t(game: TreeGame, behaviour_t: FloatArray) -> FloatArray:
    """``(nodes, draws)`` probability of reaching each node under behaviour
    ``(n_actions, draws)``: :func:`reach_probabilities_t` of
    :func:`edge_probabilities_t`, the same products (so the same bits),
    without the ``(edges, draws)`` array of edge probabilities (a pass
    over 49 MB per 1024 draws of a tree of 5958 edges)."""
    tree = game.tree
    draws = behaviour_t.shape[1]
    reach = np.empty((tree.n_nodes, draws))
    edges, parents, children = tree.reach_order
    run_blocks(
        _reach_behaviour_blocks,
        draws,
        BLOCK,
        (
            edges,
            parents,
            children,
            np.asarray(tree.edge_action, dtype=np.int64),
            tree.edge_chance_column,
            np.ascontiguousarray(behaviour_t, dtype=np.float64),
            np.ascontiguousarray(game.edge_chance_probs(), dtype=np.float64),
            reach,
        ),
    )
    return reach


def edge_probabilities(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws, edges)``: :func:`edge_probabilities_t` draws first."""
    return edge_probabilities_t(game, np.asarray(behaviour).T).T


def reach_probabilities(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws, nodes)`` probability of reaching each node under ``behaviour``
    ``(draws, n_actions)``."""
    return reach_probabilities_t(game.tree, edge_probabilities(game, behaviour).T).T


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
