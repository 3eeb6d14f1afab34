"""Perfect recall of a game tree: does every player remember what they did?

A tree has perfect recall when, for every information set, all its nodes
share the same sequence of the mover's own (information set, action) pairs
on the path from the root (Kuhn 1953; Selten 1975). Without it, the agent
QRE's beliefs and the backward-induction order of information sets are
undefined (an absent-minded driver's information set even contains a node
and its own descendant), so those solvers refuse such trees with a message
saying what still works: the Nash equilibria of the reduced strategic form.

Why a module of its own: the check is a property of the tree used by three
solvers (SPE, agent QRE) and by the reduced strategic form, which takes a
faster path under perfect recall.

Method: one pass over the nodes in the tree's order (a parent before its
children), giving each node, per player, an interned id of its own-move
history; then each information set is checked for a single id. Cost
O(nodes x players) in Python operations, once per tree (not per draw).

References
----------
Kuhn, H. W. (1953). Extensive games and the problem of information.
Contributions to the Theory of Games II, 193-216.
"""

from __future__ import annotations

import contextlib
import weakref

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import GameClassError
from realpolitik.games.tree import GameTree, NodeKind

IntArray = NDArray[np.int64]

__all__ = ["last_own_move", "own_history_ids", "recall_violations", "require_perfect_recall"]


def own_history_ids(tree: GameTree) -> IntArray:
    """``ids[node, player]``: an id equal for two nodes exactly when the
    player's own (information set, action) sequences to them are equal."""
    ids = np.zeros((tree.n_nodes, tree.n_players), dtype=np.int64)
    interned: dict[tuple[int, int, int], int] = {}
    parent = tree.node_parent
    kind = tree.node_kind
    mover = tree.node_player
    infoset = tree.node_infoset
    parent_edge = tree.node_parent_edge
    offset = tree.child_offset
    for node in range(1, tree.n_nodes):
        up = int(parent[node])
        ids[node] = ids[up]
        if kind[up] == NodeKind.DECISION:
            player = int(mover[up])
            action = int(parent_edge[node] - offset[up])
            key = (int(ids[up, player]), int(infoset[up]), action)
            ids[node, player] = interned.setdefault(key, len(interned) + 1)
    return ids


#: Trees already checked (solvers run chunk after chunk on one tree).
_CHECKED: weakref.WeakKeyDictionary[GameTree, list[int]] = weakref.WeakKeyDictionary()


def recall_violations(tree: GameTree) -> list[int]:
    """Information sets whose nodes the mover reaches by different own
    histories (empty under perfect recall), in information-set order."""
    try:
        return list(_CHECKED[tree])
    except (KeyError, TypeError):
        pass
    bad = _violations(tree)
    with contextlib.suppress(TypeError):  # a tree type without weak references
        _CHECKED[tree] = bad
    return list(bad)


def _violations(tree: GameTree) -> list[int]:
    if tree.n_infosets == 0:
        return []
    if all(len(nodes) == 1 for nodes in tree.infoset_nodes):
        return []
    ids = own_history_ids(tree)
    bad = []
    for s, nodes in enumerate(tree.infoset_nodes):
        player = int(tree.infoset_player[s])
        if len(nodes) > 1 and np.unique(ids[nodes, player]).size > 1:
            bad.append(s)
    return bad


def last_own_move(tree: GameTree) -> tuple[IntArray, IntArray]:
    """For each node, the information set and action index of the mover's
    last own move above it (``-1, -1`` at none), for the player moving there
    (terminal and chance nodes: ``-1, -1``).

    Under perfect recall this pair is the same for all nodes of an
    information set, and the own-move histories form a forest.
    """
    last_set = np.full((tree.n_nodes, tree.n_players), -1, dtype=np.int64)
    last_act = np.full((tree.n_nodes, tree.n_players), -1, dtype=np.int64)
    parent = tree.node_parent
    for node in range(1, tree.n_nodes):
        up = int(parent[node])
        last_set[node] = last_set[up]
        last_act[node] = last_act[up]
        if tree.node_kind[up] == NodeKind.DECISION:
            player = int(tree.node_player[up])
            last_set[node, player] = int(tree.node_infoset[up])
            last_act[node, player] = int(tree.node_parent_edge[node] - tree.child_offset[up])
    movers = np.where(tree.node_kind == NodeKind.DECISION, tree.node_player, -1).astype(np.int64)
    rows = np.arange(tree.n_nodes)
    safe = np.maximum(movers, 0)
    out_set = np.where(movers >= 0, last_set[rows, safe], -1)
    out_act = np.where(movers >= 0, last_act[rows, safe], -1)
    return out_set, out_act


def require_perfect_recall(tree: GameTree, concept: str) -> None:
    """Refuse, with what to do instead, a tree without perfect recall.

    Raises
    ------
    GameClassError
        Naming up to three offending information sets; the message is shared
        by the SPE and the agent QRE so that neither recommends the other.
    """
    bad = recall_violations(tree)
    if bad:
        keys = ", ".join(tree.infoset_key(s) for s in bad[:3])
        raise GameClassError(
            f"{concept} needs perfect recall, but at information sets {keys} the mover "
            "forgets its own earlier moves (imperfect recall); neither spe nor qre is "
            "defined there. Use --concept pure-nash or mixed-nash (equilibria of the "
            "reduced strategic form)"
        )
