"""Every node's value under a behaviour profile, per player (and per payoff
term), for all draws at once: the expected payoff of the play that continues
from the node, chance and every mover following the profile.

Why a module of its own: solutions (:mod:`realpolitik.solve.tree_solution`,
which computes them on first use), regrets (:mod:`realpolitik.solve.regret`)
and the QRE solvers all need the values of a profile they already have, and
none of them should import another for it. A forecast reads only reach
probabilities, so the QRE solvers leave the values to be computed here when
someone asks (an explanation, an expected payoff) rather than copying every
node's values out of the iteration for every draw.

Why compiled: the backward pass is one multiply-add per edge and payoff row;
in NumPy each depth of the tree is a gather, a product and a scatter with
temporaries over all draws. Here each draw's pass runs over flat edge arrays
(children before parents) with its rows in the cache; blocks of draws go to
the cores (:mod:`realpolitik.solve._threads`), and each value is summed edge
by edge in ascending order, so the bits do not depend on the blocks.
"""

from __future__ import annotations

import weakref

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache
from realpolitik.games.tree import GameTree, NodeKind, TreeGame
from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws per block of the parallel loop.
BLOCK = 32


class _Plan:
    """The arrays of the backward pass of one tree (built once, cached):
    terminals' nodes, inner nodes children first, and per edge its source,
    the flat action or ``-(c + 1)`` for chance column ``c``."""

    def __init__(self, tree: GameTree) -> None:
        as64 = np.int64
        source = tree.edge_action.astype(as64)
        chance_edges = tree.chance_edge.astype(as64)
        source[chance_edges] = -(np.arange(len(chance_edges), dtype=as64) + 1)
        self.arrays = (
            tree.terminal_node.astype(as64),
            np.flatnonzero(tree.node_kind != NodeKind.TERMINAL)[::-1].astype(as64),
            tree.child_offset.astype(as64),
            tree.child_index.astype(as64),
            source,
        )


_PLANS: weakref.WeakKeyDictionary[GameTree, _Plan] = weakref.WeakKeyDictionary()


def profile_values(
    game: TreeGame, profile: FloatArray, *, total: bool = False, threads: int | None = None
) -> FloatArray:
    """``(nodes, players[, terms], draws)`` node values of the profiles
    ``(draws, actions)`` (one row per draw, or one row for all draws).

    ``total`` backs up the total payoffs (no terms axis) even when the game
    has payoff terms. Values are linear in payoffs, so a node's value per
    term sums to its total value (up to rounding).
    """
    payoffs = game.total_payoffs if total else game.payoffs
    rows = np.ascontiguousarray(
        payoffs.reshape(game.n_draws, game.tree.n_terminals, -1), dtype=np.float64
    )
    values = _back_up(game, profile, rows, np.arange(rows.shape[2], dtype=np.int64), threads)
    shaped = values.reshape(game.n_draws, game.tree.n_nodes, *payoffs.shape[2:])
    result: FloatArray = np.moveaxis(shaped, 0, -1)
    return result


def term_values(
    game: TreeGame,
    profile: FloatArray,
    player: IntArray,
    term: IntArray,
    *,
    threads: int | None = None,
) -> FloatArray:
    """``(nodes, rows, draws)`` node values of chosen ``(player, term)``
    rows of the payoffs: row ``j`` is term ``term[j]`` to player
    ``player[j]``; the same bits as those rows of :func:`profile_values`.

    Why: an explanation reads each term's value to the actor whose term it
    is; backing up every player's row of every term did four times the work
    on the flagship (four players, each term one actor's).
    """
    if not game.has_terms:
        raise ValueError("term_values needs a game with payoff terms")
    n_terms = len(game.term_names)
    columns = np.asarray(player, dtype=np.int64) * n_terms + np.asarray(term, dtype=np.int64)
    rows = np.ascontiguousarray(
        game.payoffs.reshape(game.n_draws, game.tree.n_terminals, -1), dtype=np.float64
    )
    values = _back_up(game, profile, rows, columns, threads)
    result: FloatArray = np.moveaxis(values, 0, -1)
    return result


def _back_up(
    game: TreeGame,
    profile: FloatArray,
    rows: FloatArray,
    columns: IntArray,
    threads: int | None,
) -> FloatArray:
    """``(draws, nodes, len(columns))`` node values of the payoff rows
    ``rows[:, :, columns]`` (``rows`` ``(draws, terminals, rows)``)."""
    tree = game.tree
    plan = _PLANS.get(tree)
    if plan is None:
        plan = _PLANS[tree] = _Plan(tree)
    n_draws = game.n_draws
    behaviour = np.ascontiguousarray(
        np.broadcast_to(profile, (n_draws, tree.n_actions)), dtype=np.float64
    )
    chance = np.ascontiguousarray(game.edge_chance_probs(), dtype=np.float64)
    out = np.empty((n_draws, tree.n_nodes, len(columns)))
    run_blocks(
        _value_blocks,
        n_draws,
        BLOCK,
        (behaviour, rows, columns, chance, *plan.arrays, out),
        threads,
    )
    return out


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _value_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    profile: FloatArray,
    payoffs: FloatArray,
    columns: IntArray,
    chance: FloatArray,
    terminal_node: IntArray,
    inner_node: IntArray,
    child_offset: IntArray,
    child_index: IntArray,
    edge_source: IntArray,
    out: FloatArray,
) -> None:
    """Node values ``out[d, node, r]`` of draws ``[first_block * BLOCK,
    last_block * BLOCK)``: payoff rows ``payoffs[:, :, columns[r]]``
    (``payoffs`` ``(D, terminals, rows)``) backed up over ``inner_node``
    (decision and chance nodes, deepest first), each edge weighted by the
    profile's action or its chance probability."""
    n_draws = payoffs.shape[0]
    n_rows = columns.shape[0]
    for b in range(first_block, last_block):
        for d in range(b * BLOCK, min(n_draws, (b + 1) * BLOCK)):
            chance_row = chance[d] if chance.shape[0] > 1 else chance[0]
            row = out[d]
            for t in range(terminal_node.shape[0]):
                for r in range(n_rows):
                    row[terminal_node[t], r] = payoffs[d, t, columns[r]]
            for k in range(inner_node.shape[0]):
                node = inner_node[k]
                for r in range(n_rows):
                    row[node, r] = 0.0
                for e in range(child_offset[node], child_offset[node + 1]):
                    source = edge_source[e]
                    w = profile[d, source] if source >= 0 else chance_row[-source - 1]
                    child = child_index[e]
                    for r in range(n_rows):
                        row[node, r] += w * row[child, r]


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
