"""What a tree solver returns, per draw: the behaviour strategy at every
information set, the probability of reaching every node, and every node's
value per player (and per payoff term).

Why one type for every concept (SPE, agent QRE): analysis (forecasts,
explanations, pathways) reads solutions, never solvers, so it must not care
which concept produced them. Every value decomposes exactly into the game's
named terms because terms are carried through solving, not recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from realpolitik.games.tree import GameTree, NodeKind, TreeGame
from realpolitik.solve.profile_values import profile_values, term_values
from realpolitik.solve.reach import edge_probabilities_t, reach_from_behaviour_t
from realpolitik.solve.regret import max_regret

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class TreeSolution:
    """A solved tree, for every draw.

    Solvers store their arrays with the draws axis *last* (``value_t``,
    ``choice_t``, ``mixed_t``): a backward pass gathers whole rows of draws
    per node, which is contiguous in that layout. The public properties below
    present the usual draws-first shapes and are computed on first use, so a
    caller who only needs the root values never pays for per-node reach
    probabilities.

    Attributes
    ----------
    game : the solved game.
    concept : "spe" or "qre".
    node_values_t : ``(nodes, players, draws)`` continuation values, or
        ``(nodes, players, terms, draws)`` when the game has payoff terms; or
        None (the QRE solvers), and then :attr:`value_t` computes them from
        the behaviour on first use (a forecast never asks for them).
    choice_t : ``(infosets, draws)`` index of the action taken at information
        sets where the choice is pure (SPE decisions), -1 elsewhere; or None.
    mixed_t : ``(n_actions, draws)`` action probabilities where the choice is
        mixed (every information set under QRE; stage games under SPE); rows
        of pure sets are ignored; or None.
    lam : ``(draws,)`` logit precision reached (QRE), or None.
    tie_t : ``(infosets, draws)`` whether the best actions were tied (SPE).
    residual : ``(draws,)`` max absolute fixed-point residual (QRE), or None.

    Properties (draws first)
    ------------------------
    behaviour ``(draws, n_actions)``, node_reach ``(draws, nodes)``,
    node_value ``(draws, nodes, players)``, node_value_terms ``(draws, nodes,
    players, terms)``, terminal_reach ``(draws, terminals)``, expected_payoff
    ``(draws, players)``, tie and tie_on_path ``(draws,)``.
    """

    game: TreeGame
    concept: str
    node_values_t: FloatArray | None = None
    choice_t: NDArray[np.int16] | None = None
    mixed_t: FloatArray | None = None
    lam: FloatArray | None = None
    tie_t: BoolArray | None = None
    residual: FloatArray | None = None

    @cached_property
    def value_t(self) -> FloatArray:
        """``(nodes, players[, terms], draws)`` continuation values: the
        solver's, or those of the behaviour (:mod:`realpolitik.solve.profile_values`)."""
        if self.node_values_t is not None:
            return self.node_values_t
        return profile_values(self.game, self.behaviour)

    @cached_property
    def behaviour_t(self) -> FloatArray:
        """``(n_actions, draws)`` probability of each action at its information
        set, in the tree's flat (Gambit) order (draws last)."""
        tree = self.tree
        if self.mixed_t is not None:
            out = np.array(self.mixed_t, dtype=np.float64, copy=True)
        else:
            out = np.zeros((tree.n_actions, self.n_draws))
        if self.choice_t is not None:
            for infoset in range(tree.n_infosets):
                choice = self.choice_t[infoset]
                pure = choice >= 0
                if not pure.any():
                    continue
                lo, hi = tree.action_offset[infoset], tree.action_offset[infoset + 1]
                for k in range(hi - lo):
                    out[lo + k] = np.where(pure, choice == k, out[lo + k])
        return out

    @property
    def behaviour(self) -> FloatArray:
        """``(draws, n_actions)``: :attr:`behaviour_t` draws first."""
        return self.behaviour_t.T

    @cached_property
    def edge_probability_t(self) -> FloatArray:
        """``(edges, draws)`` probability of every edge (behaviour or chance)."""
        return edge_probabilities_t(self.game, self.behaviour_t)

    @cached_property
    def node_reach_t(self) -> FloatArray:
        """``(nodes, draws)`` probability of reaching each node (from the
        behaviour directly: the same bits as from :attr:`edge_probability_t`)."""
        return reach_from_behaviour_t(self.game, self.behaviour_t)

    @property
    def node_reach(self) -> FloatArray:
        """``(draws, nodes)`` probability of reaching each node."""
        return self.node_reach_t.T

    @property
    def node_value(self) -> FloatArray:
        """``(draws, nodes, players)`` expected payoff of each player
        conditional on reaching the node; at the root, the game's value."""
        if self.game.has_terms:
            return np.moveaxis(self.value_t.sum(axis=2), -1, 0)
        return np.moveaxis(self.value_t, -1, 0)

    @property
    def node_value_terms(self) -> FloatArray | None:
        """``(draws, nodes, players, terms)``: ``node_value`` split into terms."""
        return np.moveaxis(self.value_t, -1, 0) if self.game.has_terms else None

    def term_values(self, player: NDArray[np.int64], term: NDArray[np.int64]) -> FloatArray:
        """``(draws, nodes, rows)``: chosen rows of :attr:`node_value_terms`,
        row ``j`` term ``term[j]`` to player ``player[j]`` (an explanation
        reads each term's value to its own actor only). The same bits;
        where the values are not computed yet, only these rows are backed
        up (:func:`realpolitik.solve.profile_values.term_values`)."""
        if self.node_values_t is None and "value_t" not in self.__dict__:
            return np.moveaxis(term_values(self.game, self.behaviour, player, term), -1, 0)
        if not self.game.has_terms:
            raise ValueError("term_values needs a game with payoff terms")
        return np.moveaxis(self.value_t[:, player, term, :], -1, 0)

    @property
    def tie(self) -> BoolArray | None:
        """``(draws,)`` a tie between best actions at some decision node (SPE)."""
        if self.tie_t is None:
            return None
        return np.asarray(self.tie_t.any(axis=0), dtype=bool)

    @cached_property
    def tie_on_path(self) -> BoolArray | None:
        """``(draws,)`` a tie at a decision node reached with positive probability."""
        if self.tie_t is None:
            return None
        tree = self.tree
        decision = np.flatnonzero(tree.node_kind == NodeKind.DECISION)
        reached = self.node_reach[:, decision] > 0  # (draws, decision nodes)
        tied = self.tie_t[tree.node_infoset[decision]].T  # (draws, decision nodes)
        return np.asarray((reached & tied).any(axis=1), dtype=bool)

    @property
    def tree(self) -> GameTree:
        return self.game.tree

    @property
    def n_draws(self) -> int:
        return self.game.n_draws

    @cached_property
    def terminal_reach(self) -> FloatArray:
        """``(draws, terminals)`` probability of ending at each terminal."""
        return self.node_reach_t[self.tree.terminal_node].T

    @property
    def expected_payoff(self) -> FloatArray:
        """``(draws, players)`` expected payoff of the whole game."""
        root = self.value_t[0]
        result: FloatArray = (root.sum(axis=1) if self.game.has_terms else root).T
        return result

    @property
    def expected_terms(self) -> FloatArray | None:
        """``(draws, players, terms)`` expected payoff split into terms."""
        if not self.game.has_terms:
            return None
        result: FloatArray = np.moveaxis(self.value_t[0], -1, 0)
        return result

    def action_probability(self, draw: int, node: int) -> FloatArray:
        """Probabilities of the actions at ``node`` (decision or chance)."""
        tree = self.tree
        kind = tree.node_kind[node]
        if kind == NodeKind.DECISION:
            iset = int(tree.node_infoset[node])
            lo, hi = tree.action_offset[iset], tree.action_offset[iset + 1]
            return self.behaviour[draw, lo:hi]
        if kind == NodeKind.CHANCE:
            lo, hi = tree.child_offset[node], tree.child_offset[node + 1]
            return self.edge_probability_t[lo:hi, draw]
        return np.zeros(0)

    def max_regret(self) -> FloatArray:
        """``(draws,)`` pygambit's behaviour-profile max regret (see
        :func:`realpolitik.solve.regret.max_regret`)."""
        return max_regret(self.game, self.behaviour)

    def action_probability_all(self, node: int) -> FloatArray:
        """``(draws, actions)`` behaviour at a decision node."""
        tree = self.tree
        iset = int(tree.node_infoset[node])
        lo, hi = tree.action_offset[iset], tree.action_offset[iset + 1]
        return self.behaviour[:, lo:hi]

    def take(self, draw: int) -> dict[str, Any]:
        """Gambit-style behaviour profile of one draw:
        ``probs[player]["<player>:<infoset>"][action]``."""
        return behaviour_profile(self.tree, self.behaviour[draw])


def behaviour_profile(tree: GameTree, behaviour_row: FloatArray) -> dict[str, Any]:
    """``{player: {"<player>:<infoset>": {action: probability}}}`` for one draw,
    in the convention of ``reference/games/reference.json``."""
    out: dict[str, dict[str, dict[str, float]]] = {p: {} for p in tree.players}
    for iset in range(tree.n_infosets):
        player = tree.players[int(tree.infoset_player[iset])]
        lo = int(tree.action_offset[iset])
        out[player][tree.infoset_key(iset)] = {
            label: float(behaviour_row[lo + k])
            for k, label in enumerate(tree.infoset_actions[iset])
        }
    return out
