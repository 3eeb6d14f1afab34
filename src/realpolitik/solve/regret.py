"""Regret of behaviour profiles in trees: how much a player could gain by
deviating, the check that a profile is an equilibrium.

Two measures, both on the raw payoff scale:

- :func:`max_regret` is pygambit 16.7's ``MixedBehaviorProfile.max_regret()``:
  the largest gain any *player* could make by switching to a best response
  (over whole behaviour strategies), ``max_i [BR_i - u_i]``. Zero exactly at a
  Nash equilibrium.
- :func:`agent_regret` is the gain from changing the action at one
  information set alone, holding everything else, conditional on reaching it
  (beliefs by Bayes' rule; uniform where unreached). Zero at every information
  set for a subgame-perfect (sequential) profile, including off the path.

Best responses are computed by backward induction over the deviating player's
information sets, which is exact under perfect recall: every node of an
information set is reached by the same own actions, so the choice there only
matters through the nodes of that set (Kuhn 1953).
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from realpolitik.games.tree import GameTree, NodeKind, TreeGame
from realpolitik.solve.profile_values import profile_values
from realpolitik.solve.reach import edge_probabilities

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@lru_cache(maxsize=64)
def _unit_order(tree: GameTree, player: int) -> tuple[tuple[str, int], ...]:
    """Units (``("node", n)`` or ``("infoset", I)`` for the player's own sets)
    in an order where each unit's children are done before it."""
    own = (tree.node_kind == NodeKind.DECISION) & (tree.node_player == player)
    unit_of: list[tuple[str, int]] = []
    for n in range(tree.n_nodes):
        unit_of.append(("infoset", int(tree.node_infoset[n])) if own[n] else ("node", n))
    members: dict[tuple[str, int], list[int]] = {}
    for n, unit in enumerate(unit_of):
        members.setdefault(unit, []).append(n)
    waiting: dict[tuple[str, int], int] = {}
    parents_of: dict[tuple[str, int], set[tuple[str, int]]] = {u: set() for u in members}
    for unit, nodes in members.items():
        below = {unit_of[int(c)] for n in nodes for c in tree.children(n)}
        waiting[unit] = len(below)
        for child_unit in below:
            parents_of[child_unit].add(unit)
    ready = deque(u for u, w in waiting.items() if w == 0)
    order: list[tuple[str, int]] = []
    while ready:
        unit = ready.popleft()
        order.append(unit)
        for parent in parents_of[unit]:
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    if len(order) != len(members):
        raise ValueError("information sets are not ordered: the tree lacks perfect recall")
    return tuple(order)


def _reach_without(tree: GameTree, edge_prob: FloatArray, player: int | None) -> FloatArray:
    """Reach probabilities with ``player``'s own actions counted as 1."""
    probs = edge_prob.copy()
    if player is not None:
        own = np.flatnonzero(
            (tree.node_kind[tree.edge_parent] == NodeKind.DECISION)
            & (tree.node_player[tree.edge_parent] == player)
        )
        probs[:, own] = 1.0
    reach = np.empty((edge_prob.shape[0], tree.n_nodes))
    reach[:, 0] = 1.0
    for edges, children in tree.depth_schedule:
        reach[:, children] = reach[:, tree.edge_parent[edges]] * probs[:, edges]
    return reach


def node_values(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws, nodes, players)`` continuation value of every node under a
    profile (total payoffs; :mod:`realpolitik.solve.profile_values`)."""
    values: FloatArray = np.moveaxis(profile_values(game, behaviour, total=True), -1, 0)
    return values


def best_response_values(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws, players)`` each player's payoff from a best response to the others."""
    tree = game.tree
    pay = game.total_payoffs
    edge_prob = edge_probabilities(game, behaviour)
    out = np.empty((behaviour.shape[0], tree.n_players))
    for player in range(tree.n_players):
        reach = _reach_without(tree, edge_prob, player)
        w = np.zeros((behaviour.shape[0], tree.n_nodes))
        w[:, tree.terminal_node] = pay[:, :, player]
        for kind, index in _unit_order(tree, player):
            if kind == "node":
                node = index
                if tree.node_kind[node] == NodeKind.TERMINAL:
                    continue
                lo, hi = tree.child_offset[node], tree.child_offset[node + 1]
                kids = tree.child_index[lo:hi]
                w[:, node] = np.einsum("da,da->d", edge_prob[:, lo:hi], w[:, kids])
                continue
            nodes = tree.infoset_nodes[index]
            kids = np.stack([tree.children(int(n)) for n in nodes])  # (m, a)
            weights = reach[:, nodes]  # (D, m)
            action_value = np.einsum("dm,dma->da", weights, w[:, kids])
            best = np.argmax(action_value, axis=1)
            w[:, nodes] = np.take_along_axis(w[:, kids], best[:, None, None], axis=2)[:, :, 0]
        out[:, player] = w[:, 0]
    return out


def max_regret(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws,)`` pygambit's ``MixedBehaviorProfile.max_regret()``."""
    current = node_values(game, behaviour)[:, 0, :]
    regret: FloatArray = np.max(best_response_values(game, behaviour) - current, axis=1)
    return np.maximum(regret, 0.0)


def _relative_reach(tree: GameTree, edge_prob: FloatArray, nodes: IntArray) -> FloatArray:
    """``(draws, m)`` probability of reaching each node from the deepest common
    ancestor of ``nodes``: Bayes beliefs that stay defined off the path."""
    paths = [tree.path(int(n)) for n in nodes]
    common = 0
    while all(len(p) > common for p in paths) and len({p[common] for p in paths}) == 1:
        common += 1
    out = np.ones((edge_prob.shape[0], len(nodes)))
    for k, path in enumerate(paths):
        for parent, action in path[common:]:
            out[:, k] *= edge_prob[:, tree.child_offset[parent] + action]
    return out


def infoset_action_values(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws, n_actions)`` value of each action to its mover, conditional on
    reaching its information set. Beliefs follow Bayes' rule from the deepest
    common ancestor of the set's nodes (for a simultaneous stage, its root), so
    they are defined off the path of play too; uniform if even that is zero."""
    tree = game.tree
    values = node_values(game, behaviour)
    edge_prob = edge_probabilities(game, behaviour)
    out = np.zeros((behaviour.shape[0], tree.n_actions))
    for infoset in range(tree.n_infosets):
        nodes = tree.infoset_nodes[infoset]
        player = int(tree.infoset_player[infoset])
        kids = np.stack([tree.children(int(n)) for n in nodes])  # (m, a)
        weight = _relative_reach(tree, edge_prob, nodes)
        total = weight.sum(axis=1, keepdims=True)
        belief = np.where(total > 0, weight / np.where(total > 0, total, 1.0), 1.0 / len(nodes))
        lo = tree.action_offset[infoset]
        out[:, lo : lo + kids.shape[1]] = np.einsum("dm,dma->da", belief, values[:, kids, player])
    return out


def agent_regret(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(draws, n_infosets)`` gain from the best single-set deviation,
    conditional on reaching the set."""
    tree = game.tree
    action_value = infoset_action_values(game, behaviour)
    out = np.zeros((behaviour.shape[0], tree.n_infosets))
    for infoset in range(tree.n_infosets):
        lo, hi = tree.action_offset[infoset], tree.action_offset[infoset + 1]
        v = action_value[:, lo:hi]
        out[:, infoset] = v.max(axis=1) - np.einsum("da,da->d", behaviour[:, lo:hi], v)
    return np.maximum(out, 0.0)
