"""The canonical strategic models of the R package ``games``, as trees.

Why a module of its own: the three games, their utility numbering (``u11``,
``u13``, ...), the ways an outcome may be coded and the identification rules
are the definitions everything else refers to. They follow ``games`` 1.1.2
(Kenkel and Signorino 2014, and the help pages of ``egame12``, ``egame122``
and ``egame123``); the trees are drawn below, terminals numbered left to
right (the order of the outcome's levels)::

    egame12 (Signorino 2003)          egame122                  egame123
         1                              1                           1
        / \\                          /   \\                        / \\
      u11  2                        2      2                     u11  2
          / \\                      / \\    / \\                       / \\
        u13  u14                u11 u12 u13 u14                  u13   3
        0    u24                0   u22 0   u24                  u23  / \\
                                                                     u15 u16
                                                                     u25 u26
                                                                     0   u36

A utility not drawn (player 2's at its first outcome, player 3's at the
third outcome of ``egame123``) is fixed at 0: only differences of a player's
utilities across the outcomes its choice can reach are identified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.estimation.tree import ChoiceNode, SequentialTree, Terminal

__all__ = ["CANONICAL_GAMES", "EGAME12", "EGAME122", "EGAME123", "CanonicalGame"]

IntArray = NDArray[np.int64]
DummyDecoder = Callable[[list[NDArray[np.float64]], list[str]], tuple[IntArray, list[str]]]


@dataclass(frozen=True)
class CanonicalGame:
    """One of the ``games`` models.

    Attributes
    ----------
    name : ``egame12``, ``egame122`` or ``egame123``.
    tree : the game tree; slot ``k`` is the ``k``-th utility equation.
    utility_labels : ``games``' names of the slots (``u11``, ``u13``, ...).
    dummy_counts : how many binary action columns may code the outcome.
    decode_dummies : (columns, names) -> (terminal index per case, level names).
    identification_groups : slot groups of one player; a regressor in every
        equation of a group is not identified (Lewis and Schultz 2003).
    """

    name: str
    tree: SequentialTree
    utility_labels: tuple[str, ...]
    dummy_counts: tuple[int, ...]
    decode_dummies: DummyDecoder
    identification_groups: tuple[tuple[int, ...], ...]

    @property
    def n_outcomes(self) -> int:
        return self.tree.n_terminals

    @property
    def n_players(self) -> int:
        return self.tree.n_players

    def equation_prefixes(self, levels: list[str]) -> list[str]:
        """``u<player>(<outcome>)`` for every slot, as ``games`` names them."""
        return [f"u{player + 1}({levels[terminal]})" for player, terminal in self.tree.slots]


def _decode12(cols: list[NDArray[np.float64]], names: list[str]) -> tuple[IntArray, list[str]]:
    a, b = cols
    y = np.where(a == 0, 0, np.where(b == 0, 1, 2)).astype(np.int64)
    n1, n2 = names
    return y, [f"~{n1}", f"{n1},~{n2}", f"{n1},{n2}"]


def _decode122(cols: list[NDArray[np.float64]], names: list[str]) -> tuple[IntArray, list[str]]:
    if len(cols) == 3:
        first, left, right = cols
        second = np.where(first == 1, right, left)
        levels = [f"~{names[1]}", names[1], f"~{names[2]}", names[2]]
    else:
        first, second = cols
        n1, n2 = names
        levels = [f"~{n1},~{n2}", f"~{n1},{n2}", f"{n1},~{n2}", f"{n1},{n2}"]
    y = (2 * first + second).astype(np.int64)
    return y, levels


def _decode123(cols: list[NDArray[np.float64]], names: list[str]) -> tuple[IntArray, list[str]]:
    a, b, c = cols
    y = np.where(a == 0, 0, np.where(b == 0, 1, np.where(c == 0, 2, 3))).astype(np.int64)
    n1, n2, n3 = names
    return y, [f"~{n1}", f"{n1},~{n2}", f"{n1},{n2},~{n3}", f"{n1},{n2},{n3}"]


EGAME12 = CanonicalGame(
    name="egame12",
    tree=SequentialTree(
        n_players=2,
        n_terminals=3,
        nodes=(
            ChoiceNode(0, (Terminal(0), 1)),
            ChoiceNode(1, (Terminal(1), Terminal(2))),
        ),
        slots=((0, 0), (0, 1), (0, 2), (1, 2)),
    ),
    utility_labels=("u11", "u13", "u14", "u24"),
    dummy_counts=(2,),
    decode_dummies=_decode12,
    identification_groups=((0, 1, 2),),
)

EGAME122 = CanonicalGame(
    name="egame122",
    tree=SequentialTree(
        n_players=2,
        n_terminals=4,
        nodes=(
            ChoiceNode(0, (1, 2)),
            ChoiceNode(1, (Terminal(0), Terminal(1))),
            ChoiceNode(1, (Terminal(2), Terminal(3))),
        ),
        slots=((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 3)),
    ),
    utility_labels=("u11", "u12", "u13", "u14", "u22", "u24"),
    dummy_counts=(2, 3),
    decode_dummies=_decode122,
    identification_groups=((0, 1, 2, 3),),
)

EGAME123 = CanonicalGame(
    name="egame123",
    tree=SequentialTree(
        n_players=3,
        n_terminals=4,
        nodes=(
            ChoiceNode(0, (Terminal(0), 1)),
            ChoiceNode(1, (Terminal(1), 2)),
            ChoiceNode(2, (Terminal(2), Terminal(3))),
        ),
        slots=((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 3)),
    ),
    utility_labels=("u11", "u13", "u15", "u16", "u23", "u25", "u26", "u36"),
    dummy_counts=(3,),
    decode_dummies=_decode123,
    identification_groups=((0, 1, 2, 3), (4, 5, 6)),
)

#: The models by name.
CANONICAL_GAMES: dict[str, CanonicalGame] = {g.name: g for g in (EGAME12, EGAME122, EGAME123)}
