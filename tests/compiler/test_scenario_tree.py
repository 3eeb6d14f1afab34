"""Compiling a scenario into a game tree
(:mod:`realpolitik.compiler.scenario_tree`): chance probabilities evaluated
on draws follow the parameters and the actions before them (GAMBLE, by hand).
"""

from __future__ import annotations

import numpy as np
import pytest

from hand_scenarios import ENTRY, GAMBLE
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.tree import NodeKind
from realpolitik.scenario.load import load
from realpolitik.solve.dispatch import solve
from realpolitik.solve.reach import edge_probabilities


def test_gamble_chance_probabilities_follow_parameters_and_actions() -> None:
    compiled = compile_scenario(load(text=GAMBLE))
    names = compiled.scenario.parameter_ids
    # two draws: the defaults, and p_base = 0.1 (win 0.5 after hard, 0.1 after soft)
    rows = np.array([[0.3, 0.4, 10, 3, 12], [0.1, 0.4, 10, 3, 12]], dtype=float)
    assert names == ("p_base", "bonus", "prize", "cost", "resist_cost")
    game = compiled.game(compiled.parameter_values(rows))
    edges = edge_probabilities(game, solve(game, "spe").behaviour)  # (draws, edges)
    tree = compiled.tree
    # the chance node after `hard` comes first in the tree's prefix order
    after_hard, after_soft = (int(n) for n in np.flatnonzero(tree.node_kind == NodeKind.CHANCE))

    def outcomes(draw: int, node: int) -> list[float]:
        return list(edges[draw, tree.child_offset[node] : tree.child_offset[node + 1]])

    assert outcomes(0, after_hard) == pytest.approx([0.7, 0.3])
    assert outcomes(0, after_soft) == pytest.approx([0.3, 0.7])
    assert outcomes(1, after_hard) == pytest.approx([0.5, 0.5])
    assert outcomes(1, after_soft) == pytest.approx([0.1, 0.9])


def test_a_scenario_compiled_again_is_the_same_compilation() -> None:
    scenario = load(text=GAMBLE)
    compiled = compile_scenario(scenario)
    assert compile_scenario(scenario) is compiled
    # another scenario object, even of the same text, is compiled on its own
    other = compile_scenario(load(text=GAMBLE))
    assert other is not compiled and other.scenario is not scenario
    assert other.tree.n_nodes == compiled.tree.n_nodes
    # the process keeps a few: after many others, the first is compiled anew
    for _ in range(8):
        compile_scenario(load(text=GAMBLE))
    again = compile_scenario(scenario)
    assert again is not compiled and again.scenario is scenario


SHARED_NAMES = ENTRY.replace(
    """payoffs:
  ent:
    market: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
  inc:
    monopoly: "4 * (ent == stay_out)"
    share: "2 * (inc == accommodate)"
    war: "-fight_cost * (inc == fight)"
""",
    """payoffs:
  ent:
    market: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
    war: "-3 * (inc == fight)"
  inc:
    monopoly: "4 * (ent == stay_out)"
    war: "-fight_cost * (inc == fight)"
    market: "2 * (inc == accommodate)"
""",
)


def test_payoff_terms_put_each_actors_term_under_its_name() -> None:
    """Two actors share the names ``market`` and ``war`` (listed in another
    order by each): the terms axis is (market, war, monopoly), and every
    value is the hand value of that actor's own term, 0 where it has none."""
    compiled = compile_scenario(load(text=SHARED_NAMES))
    assert compiled.scenario.term_ids == ("market", "war", "monopoly")
    central = compiled.parameter_values(np.array([[2.0, 1.0]]))
    terms = compiled.payoff_terms(central)[0]  # (terminals: fight, accommodate, stay out)
    entrant = [[-1, -3, 0], [2, 0, 0], [0, 0, 0]]
    incumbent = [[0, -1, 0], [2, 0, 0], [0, 0, 4]]
    assert terms[:, 0, :].tolist() == entrant
    assert terms[:, 1, :].tolist() == incumbent
    np.testing.assert_allclose(terms.sum(axis=-1), compiled.payoffs(central)[0], atol=0)
