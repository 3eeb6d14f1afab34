"""Per-draw outcomes (:mod:`realpolitik.run.outcomes`): path probabilities are
products along the path, and each action's probability is the sum over its
nodes of reach x choice probability, computed here edge by edge.
"""

from __future__ import annotations

import numpy as np

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.analysis import forecast_runs as runs
from realpolitik.games.tree import NodeKind
from realpolitik.run._segment_kernels import indexed_sums, reach_sums
from realpolitik.run.outcomes import action_and_path_probability
from realpolitik.run.settings import Settings
from realpolitik.solve.dispatch import solve
from realpolitik.solve.reach import (
    edge_probabilities_t,
    reach_from_behaviour_t,
    reach_probabilities_t,
)

FLAGSHIP = LEGACY_FLAGSHIP


def test_path_and_action_probabilities_are_path_products(flagship: rp.Scenario) -> None:
    """Each path's probability is the product of the choice and chance
    probabilities along it (computed here draw by draw, root to leaf, the
    same products in the same order, so exactly equal); each action's
    probability is the sum over its nodes of reach x choice probability."""

    settings = Settings.resolve(flagship, draws=300, seed=6)
    state = runs.ForecastTask.of(flagship, settings).state()
    params = state.compiled.parameter_values(state.sampler.draws(0, 300))
    game = state.compiled.game(params, terms=False)
    solution = solve(game, settings.concept, settings.lam)
    action, path = action_and_path_probability(state.layout, solution)
    tree = game.tree
    chance = np.broadcast_to(game.edge_chance_probs(), (300, len(tree.chance_edge)))
    column = {int(e): k for k, e in enumerate(tree.chance_edge)}
    behaviour = solution.behaviour
    expected_path = np.empty_like(path)
    expected_action = np.zeros_like(action)
    for t in range(tree.n_terminals):
        reach = np.ones(300)
        for node, a in tree.path(int(tree.terminal_node[t])):
            edge = int(tree.child_offset[node]) + a
            if tree.node_kind[node] == NodeKind.CHANCE:
                p = chance[:, column[edge]]
            else:
                p = behaviour[:, tree.edge_action[edge]]
            reach = reach * p
        expected_path[:, t] = reach
    for node in np.flatnonzero(tree.node_kind == NodeKind.DECISION):
        node_reach = np.ones(300)
        for parent, a in tree.path(int(node)):
            edge = int(tree.child_offset[parent]) + a
            if tree.node_kind[parent] == NodeKind.CHANCE:
                node_reach = node_reach * chance[:, column[edge]]
            else:
                node_reach = node_reach * behaviour[:, tree.edge_action[edge]]
        for a in range(len(tree.children(int(node)))):
            edge = int(tree.child_offset[node]) + a
            col = state.layout.edge_column[edge]
            expected_action[:, col] += node_reach * behaviour[:, tree.edge_action[edge]]
    assert np.array_equal(path, expected_path)
    np.testing.assert_allclose(action, expected_action, rtol=0, atol=1e-15)


def test_reach_from_behaviour_is_reach_from_edge_probabilities() -> None:
    """The reach pass that reads each edge's probability from the behaviour
    and chance columns gives the bits of the pass over the edge
    probabilities (the same products), on a tree with drawn chance
    probabilities (types and a signal)."""
    scenario = rp.load("china-russia-2022")
    settings = Settings.resolve(scenario, draws=40, seed=3)
    state = runs.ForecastTask.of(scenario, settings).state()
    params = state.compiled.parameter_values(state.sampler.draws(0, 40))
    game = state.compiled.game(params, terms=False)
    behaviour = np.random.default_rng(1).random((game.tree.n_actions, 40))
    expected = reach_probabilities_t(game.tree, edge_probabilities_t(game, behaviour))
    assert reach_from_behaviour_t(game, behaviour).tobytes() == expected.tobytes()


def test_reach_sums_tile_by_tile_are_the_sums_of_the_reach() -> None:
    """The fused pass (reach of a tile of draws in a buffer, then its list
    sums and terminal rows) gives the bits of summing the whole reach array
    (``indexed_sums``) and of its terminal rows, for any split of the draws."""
    scenario = rp.load("china-russia-2022")
    draws = 2 * 512 + 77  # two blocks and a short one, tiles not filled
    settings = Settings.resolve(scenario, draws=draws, seed=8)
    state = runs.ForecastTask.of(scenario, settings).state()
    params = state.compiled.parameter_values(state.sampler.draws(0, draws))
    game = state.compiled.game(params, terms=False)
    behaviour = np.random.default_rng(2).random((game.tree.n_actions, draws))
    index, offsets, same = state.layout.reach_lists
    reach = reach_from_behaviour_t(game, behaviour)
    expected = indexed_sums(reach, index, offsets, same)
    for threads in (1, 2):
        sums, paths = reach_sums(game, behaviour, index, offsets, same, threads=threads)
        assert sums.tobytes() == expected.tobytes()
        assert paths.tobytes() == reach[game.tree.terminal_node].tobytes()
