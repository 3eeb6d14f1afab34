"""Compiling a scenario into a game tree
(:mod:`realpolitik.compiler.scenario_tree`): chance probabilities evaluated
on draws follow the parameters and the actions before them (GAMBLE, by hand).
"""

from __future__ import annotations

import numpy as np
import pytest

from hand_scenarios import GAMBLE
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
