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
from realpolitik.games.recall import last_own_move, recall_violations
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
    set's first node (the same for all its nodes under perfect recall)."""
    node = int(tree.infoset_nodes[infoset][0])
    player = tree.infoset_player[infoset]
    out = []
    for parent, action in tree.path(node):
        if tree.node_kind[parent] == NodeKind.DECISION and tree.node_player[parent] == player:
            out.append((int(tree.node_infoset[parent]), action))
    return tuple(out)


def _conditions(tree: GameTree, own: tuple[int, ...]) -> dict[int, tuple[tuple[int, int], ...]]:
    """Per information set, the own (infoset, action) pairs that must all be
    chosen for the player's strategy to reach it.

    Under perfect recall the last own move alone decides (it is chosen only
    if its own set was reached), so the test is one comparison and the
    enumeration stays linear in its output; otherwise every pair of the
    first node's own history is tested, as Gambit's reduction does.
    """
    if not recall_violations(tree):
        last_set, last_act = last_own_move(tree)
        out: dict[int, tuple[tuple[int, int], ...]] = {}
        for s in own:
            first = int(tree.infoset_nodes[s][0])
            j = int(last_set[first])
            out[s] = () if j < 0 else ((j, int(last_act[first])),)
        return out
    return {s: _own_history(tree, s) for s in own}


def _enumerate_choices(tree: GameTree, own: tuple[int, ...]) -> NDArray[np.int64]:
    """Every reduced strategy of one player, lexicographically (first
    information set slowest), ``UNREACHED`` where own choices exclude a set.

    Iterative, column by column: the strategies built so far form a prefix
    tree (each level keeps only its new column and its parents), the
    reachability of the next set is read from boolean flags "this prefix
    chose action a at set s" carried down the levels while a later set needs
    them, and the rows are assembled once at the end. Cost O(strategies x
    sets) plus the flags carried, with no recursion.
    """
    needs = _conditions(tree, own)
    position = {s: k for k, s in enumerate(own)}
    last_use: dict[tuple[int, int], int] = {}
    for s in own:
        for pair in needs[s]:
            last_use[pair] = max(last_use.get(pair, -1), position[s])
    wanted: dict[int, list[int]] = {}
    expire: dict[int, list[tuple[int, int]]] = {}
    for pair, last in last_use.items():
        wanted.setdefault(pair[0], []).append(pair[1])
        expire.setdefault(last, []).append(pair)

    flags: dict[tuple[int, int], NDArray[np.bool_]] = {}
    parents: list[NDArray[np.int64]] = []
    values: list[NDArray[np.int64]] = []
    n_rows = 1
    for k, s in enumerate(own):
        reach = np.ones(n_rows, dtype=bool)
        for pair in needs[s]:
            reach &= flags[pair]
        n_act = len(tree.infoset_actions[s])
        counts = np.where(reach, n_act, 1)
        parent = np.repeat(np.arange(n_rows, dtype=np.int64), counts)
        starts = np.cumsum(counts) - counts
        value = np.arange(parent.size, dtype=np.int64) - starts[parent]
        value[~reach[parent]] = UNREACHED
        for pair in expire.get(k, []):
            del flags[pair]
        for pair in flags:
            flags[pair] = flags[pair][parent]
        for a in wanted.get(s, []):
            flags[(s, a)] = value == a
        parents.append(parent)
        values.append(value)
        n_rows = parent.size
    rows = np.empty((n_rows, len(own)), dtype=np.int64)
    index = np.arange(n_rows, dtype=np.int64)
    for k in range(len(own) - 1, -1, -1):
        rows[:, k] = values[k][index]
        index = parents[k][index]
    return rows


def _labels(choices: NDArray[np.int64]) -> tuple[str, ...]:
    """Gambit's labels: one character per information set (``*`` where
    unreached), built as one byte matrix when every action number is a digit."""
    if choices.size and int(choices.max()) < 9:
        codes = np.where(choices == UNREACHED, ord("*"), ord("1") + choices).astype(np.uint8)
        width = choices.shape[1]
        return tuple(codes.view(f"S{width}").ravel().astype(f"U{width}").tolist())
    return tuple(
        "".join("*" if a == UNREACHED else str(a + 1) for a in row) for row in choices.tolist()
    )


def reduced_strategies(tree: GameTree) -> ReducedStrategies:
    """Enumerate every player's reduced pure strategies (module docstring)."""
    infosets: list[tuple[int, ...]] = []
    choices: list[NDArray[np.int64]] = []
    labels: list[tuple[str, ...]] = []
    for player in range(tree.n_players):
        own = tuple(int(s) for s in np.flatnonzero(tree.infoset_player == player))
        infosets.append(own)
        if not own:
            choices.append(np.zeros((1, 0), dtype=np.int64))
            labels.append(("1",))
            continue
        array = _enumerate_choices(tree, own)
        choices.append(array)
        labels.append(_labels(array))
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
