"""Readable names for information sets and reduced strategies.

Why this module exists: Gambit's conventions name an information set by its
player and number (``west:3``) and a reduced pure strategy by one digit per
information set (``2**112**11``: the action taken there, ``*`` where an
earlier choice of the same player rules it out). Both are exact and
interchangeable with Gambit, but a reader cannot tell what ``west:3`` is. Here
an information set is named by the moves that lead to it (``west after
full_invasion > targeted > covert_assist``), and a strategy by the action it
takes at each information set it reaches.
"""

from __future__ import annotations

import numpy as np

from realpolitik.games.tree import GameTree

__all__ = ["infoset_names", "strategy_name"]


def _history(tree: GameTree, node: int) -> str:
    steps = [tree.action_labels(parent)[k] for parent, k in tree.path(node)]
    return "after " + " > ".join(steps) if steps else "at the start"


def infoset_names(tree: GameTree) -> dict[str, str]:
    """``{"west:3": "west after full_invasion > targeted > covert_assist"}``.

    The name is the history of the information set's first node; an
    information set of several nodes (imperfect information) says how many
    other histories it holds; a label given in the file is kept in brackets.
    """
    names: dict[str, str] = {}
    for iset in range(tree.n_infosets):
        members = np.flatnonzero(tree.node_infoset == iset)
        player = tree.players[int(tree.infoset_player[iset])]
        name = f"{player} {_history(tree, int(members[0]))}"
        if len(members) > 1:
            name += f" (or {len(members) - 1} other histor{'y' if len(members) == 2 else 'ies'})"
        label = tree.infoset_label[iset]
        if label and label != player:
            name += f" [{label}]"
        names[tree.infoset_key(iset)] = name
    return names


def strategy_name(tree: GameTree, player: int, label: str) -> str:
    """A reduced strategy's digits as actions: ``"targeted at the start..."``.

    ``label`` is Gambit's reduced-strategy label (one character per
    information set of the player, in order; ``*`` where it is not reached).
    Returns ``"action (where); action (where); ..."`` over the reached
    information sets, or the label itself if it does not match the tree.
    """
    own = [int(s) for s in np.flatnonzero(tree.infoset_player == player)]
    if not own:
        return "(no move)"
    if len(label) != len(own):
        return label
    names = infoset_names(tree)
    parts: list[str] = []
    for iset, char in zip(own, label, strict=True):
        if char == "*":
            continue
        if not char.isdigit() or not 1 <= int(char) <= len(tree.infoset_actions[iset]):
            return label
        where = names[tree.infoset_key(iset)].split(" ", 1)[1]
        parts.append(f"{tree.infoset_actions[iset][int(char) - 1]} ({where})")
    return "; ".join(parts)
