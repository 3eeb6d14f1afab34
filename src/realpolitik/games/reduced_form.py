"""The reduced strategic (normal) form of a tree, as Gambit builds it.

A pure strategy picks an action at each of the player's information sets;
the *reduced* form merges strategies that differ only at information sets
the player's own earlier choices already rule out. Gambit (and so
``reference.json``) labels a reduced strategy by one character per
information set, in the player's information-set order: the 1-based action
number, or ``*`` where the set cannot be reached given the player's own
earlier choices (e.g. "1*", "21", "22" in the four-move centipede).
Strategies are listed in lexicographic order of those choices, the first
information set varying slowest.

Why we need it: Nash equilibria of trees (``enumpure``, ``enummixed``) are
equilibria of this normal form; solving it with the normal-form solvers is
how Gambit and we compare.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import GameTree, NodeKind, TreeGame
from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]

#: Action index meaning "unreachable given the player's own choices".
UNREACHED = -1


@dataclass(frozen=True)
class ReducedStrategies:
    """Each player's reduced pure strategies.

    ``choices[i]`` is ``(n_strategies_i, n_infosets_i)`` action indices
    (``UNREACHED`` for ``*``); ``infosets[i]`` the global information-set ids
    of player ``i`` in order; ``labels[i]`` Gambit's labels.
    """

    infosets: tuple[tuple[int, ...], ...]
    choices: tuple[NDArray[np.int64], ...]
    labels: tuple[tuple[str, ...], ...]


def _own_history(tree: GameTree, infoset: int) -> tuple[tuple[int, int], ...]:
    """The player's own (infoset, action) pairs on the path to an information
    set (the same for all its nodes under perfect recall)."""
    node = int(tree.infoset_nodes[infoset][0])
    player = tree.infoset_player[infoset]
    out = []
    for parent, action in tree.path(node):
        if tree.node_kind[parent] == NodeKind.DECISION and tree.node_player[parent] == player:
            out.append((int(tree.node_infoset[parent]), action))
    return tuple(out)


def _enumerate_choices(
    tree: GameTree,
    own: tuple[int, ...],
    position: dict[int, int],
    history: dict[int, tuple[tuple[int, int], ...]],
) -> list[list[int]]:
    """Every reduced strategy of one player, lexicographically (first
    information set slowest), ``UNREACHED`` where own choices exclude a set."""
    rows: list[list[int]] = []

    def extend(k: int, chosen: list[int]) -> None:
        if k == len(own):
            rows.append(list(chosen))
            return
        infoset = own[k]
        if not all(chosen[position[s]] == a for s, a in history[infoset]):
            extend(k + 1, [*chosen, UNREACHED])
            return
        for a in range(len(tree.infoset_actions[infoset])):
            extend(k + 1, [*chosen, a])

    extend(0, [])
    return rows


def reduced_strategies(tree: GameTree) -> ReducedStrategies:
    """Enumerate every player's reduced pure strategies (module docstring)."""
    infosets: list[tuple[int, ...]] = []
    choices: list[NDArray[np.int64]] = []
    labels: list[tuple[str, ...]] = []
    for player in range(tree.n_players):
        own = tuple(int(s) for s in np.flatnonzero(tree.infoset_player == player))
        position = {s: k for k, s in enumerate(own)}
        history = {s: _own_history(tree, s) for s in own}
        rows = _enumerate_choices(tree, own, position, history)
        array = np.asarray(rows, dtype=np.int64).reshape(len(rows), len(own))
        infosets.append(own)
        choices.append(array)
        labels.append(
            tuple("".join("*" if a == UNREACHED else str(a + 1) for a in row) for row in rows)
            if own
            else ("1",)
        )
        if not own:
            choices[-1] = np.zeros((1, 0), dtype=np.int64)
    return ReducedStrategies(tuple(infosets), tuple(choices), tuple(labels))


def strategy_behaviour(tree: GameTree, strategies: ReducedStrategies) -> list[FloatArray]:
    """Per player, ``(n_strategies_i, n_actions)`` behaviour vectors with the
    player's own actions set by each strategy (others' entries zero)."""
    out = []
    for player, rows in enumerate(strategies.choices):
        b = np.zeros((rows.shape[0], tree.n_actions))
        for k, infoset in enumerate(strategies.infosets[player]):
            lo = tree.action_offset[infoset]
            chosen = np.where(rows[:, k] == UNREACHED, 0, rows[:, k])
            b[np.arange(rows.shape[0]), lo + chosen] = 1.0
        out.append(b)
    return out


def reduced_normal_form(game: TreeGame) -> NormalFormGame:
    """The reduced strategic form of a tree game, for every draw.

    Payoffs of a profile are expected payoffs over chance. Cost:
    O(profiles x nodes x draws); the profile count is checked against the
    memory budget first.
    """
    tree = game.tree
    strategies = reduced_strategies(tree)
    shape = tuple(len(c) for c in strategies.choices)
    n_profiles = int(np.prod(shape))
    require_bytes(
        "reduced strategic form",
        (game.n_draws, n_profiles, tree.n_nodes),
        8,
        "the tree has too many pure strategies; use the agent QRE or SPE instead",
    )
    per_player = strategy_behaviour(tree, strategies)
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    behaviour = np.zeros((n_profiles, tree.n_actions))
    for player, grid in enumerate(grids):
        behaviour += per_player[player][grid.ravel()]
    payoffs = np.empty((game.n_draws, tree.n_players, n_profiles))
    totals = game.total_payoffs
    for d in range(game.n_draws):  # a reduced form has few draws; profiles are vectorised
        reach = _profile_reach(game.take(slice(d, d + 1)), behaviour)
        payoffs[d] = (reach[:, tree.terminal_node] @ totals[d]).T
    return NormalFormGame(
        players=tree.players,
        strategies=strategies.labels,
        payoffs=payoffs.reshape(game.n_draws, tree.n_players, *shape),
        title=tree.title,
    )


def _profile_reach(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """Reach probabilities of many pure profiles (rows of ``behaviour``) in a
    one-draw game."""
    tree = game.tree
    n = behaviour.shape[0]
    chance = np.broadcast_to(game.edge_chance_probs()[:1], (n, len(tree.chance_edge)))
    edge = np.empty((n, tree.n_edges))
    decision = tree.edge_action >= 0
    edge[:, decision] = behaviour[:, tree.edge_action[decision]]
    edge[:, tree.chance_edge] = chance
    reach = np.empty((n, tree.n_nodes))
    reach[:, 0] = 1.0
    for edges, children in tree.depth_schedule:
        reach[:, children] = reach[:, tree.edge_parent[edges]] * edge[:, edges]
    return reach
