"""Backward induction (SPE) and the agent QRE of perfect-information trees.

Expected values are worked out by hand in the comments; the random-tree
properties check the defining conditions (no profitable deviation at any
node; the logit fixed point) rather than earlier output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from realpolitik.errors import GameClassError
from realpolitik.games.tree import TreeBuilder, TreeGame
from realpolitik.solve.backward_induction import solve_tree
from realpolitik.solve.regret import agent_regret, infoset_action_values, max_regret
from tree_strategies import random_games


def entry_game() -> TreeGame:
    b = TreeBuilder(["Entrant", "Incumbent"])
    out, enter = b.decision(b.root, "Entrant", ["Out", "In"])
    b.terminal(out, [0, 2])
    fight, accommodate = b.decision(enter, "Incumbent", ["Fight", "Accommodate"])
    b.terminal(fight, [-1, -1])
    b.terminal(accommodate, [1, 1])
    tree, payoffs = b.build()
    return TreeGame.single(tree, payoffs)


def test_entry_game_spe_enters_and_accommodates() -> None:
    # Incumbent: Accommodate (1) > Fight (-1); so entering gives the entrant 1 > 0.
    sol = solve_tree(entry_game())
    assert sol.behaviour[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert sol.expected_payoff[0].tolist() == [1.0, 1.0]
    # terminals in prefix order: Out, Fight, Accommodate
    assert sol.terminal_reach[0].tolist() == [0.0, 0.0, 1.0]
    assert not sol.tie[0]


def test_entry_game_qre_is_nested_logit() -> None:
    lam = 0.7
    sol = solve_tree(entry_game(), "qre", lam=lam)
    # Incumbent: P(Accommodate) = e^{0.7*1} / (e^{0.7*1} + e^{-0.7})
    p_acc = math.exp(0.7) / (math.exp(0.7) + math.exp(-0.7))
    # Entrant: value of In = p_acc*1 + (1-p_acc)*(-1); Out = 0
    v_in = p_acc - (1 - p_acc)
    p_in = math.exp(lam * v_in) / (math.exp(lam * v_in) + 1.0)
    assert sol.behaviour[0, 1] == pytest.approx(p_in, abs=1e-15)
    assert sol.behaviour[0, 3] == pytest.approx(p_acc, abs=1e-15)
    # expected payoff of the entrant: P(In) * v_in
    assert sol.expected_payoff[0, 0] == pytest.approx(p_in * v_in, abs=1e-15)


def chance_game(p_high: list[float]) -> TreeGame:
    """P1 gambles (chance: 10 with p, else 0) or takes 2.5 for sure."""
    b = TreeBuilder(["P1"])
    gamble, safe = b.decision(b.root, "P1", ["gamble", "safe"])
    high, low = b.chance(gamble, ["high", "low"], [0.3, 0.7])
    b.terminal(high, [10.0])
    b.terminal(low, [0.0])
    b.terminal(safe, [2.5])
    tree, payoffs = b.build()
    probs = np.array([[p, 1.0 - p] for p in p_high])
    pay = np.broadcast_to(payoffs, (len(p_high), *payoffs.shape)).copy()
    return TreeGame(tree, pay, chance_probs=probs)


def test_chance_probabilities_per_draw() -> None:
    # EV(gamble) = 10 p: p = 0.3 -> 3 > 2.5 gamble; p = 0.2 -> 2 < 2.5 safe;
    # p = 0.25 -> 2.5 = 2.5, a tie resolved to the first action (gamble).
    sol = solve_tree(chance_game([0.3, 0.2, 0.25]))
    assert sol.behaviour[:, 0].tolist() == [1.0, 0.0, 1.0]
    assert sol.expected_payoff[:, 0].tolist() == pytest.approx([3.0, 2.5, 2.5])
    assert sol.tie.tolist() == [False, False, True]
    assert sol.tie_on_path.tolist() == [False, False, True]
    # reach of the "high" terminal: P(gamble) * p
    assert sol.terminal_reach[:, 0].tolist() == pytest.approx([0.3, 0.0, 0.25])


def test_tie_off_path_is_flagged_but_not_on_path() -> None:
    # P1: Out (5) or In; after In, P2 is indifferent (0, 0) vs (0, 0):
    # a tie at P2's node, which is off the path because Out (5) > In (0).
    b = TreeBuilder(["P1", "P2"])
    out, inn = b.decision(b.root, "P1", ["Out", "In"])
    b.terminal(out, [5, 0])
    left, right = b.decision(inn, "P2", ["L", "R"])
    b.terminal(left, [0, 0])
    b.terminal(right, [0, 0])
    tree, payoffs = b.build()
    sol = solve_tree(TreeGame.single(tree, payoffs))
    assert sol.tie[0] and not sol.tie_on_path[0]
    assert sol.behaviour[0].tolist() == [1.0, 0.0, 1.0, 0.0]


def test_terms_decompose_every_value_exactly() -> None:
    # Entrant's payoff = gain - cost with terms (gain, cost):
    # Out: (0, 0); Fight: (2, -3); Accommodate: (2, -1). In is worth 1 > 0.
    b = TreeBuilder(["Entrant", "Incumbent"])
    out, enter = b.decision(b.root, "Entrant", ["Out", "In"])
    fight, accommodate = b.decision(enter, "Incumbent", ["Fight", "Accommodate"])
    tree, _ = b.build()
    terms = np.zeros((1, 3, 2, 2))
    terms[0, 0] = [[0, 0], [2, 0]]  # Out: incumbent keeps 2 as "gain"
    terms[0, 1] = [[2, -3], [0, -1]]  # Fight
    terms[0, 2] = [[2, -1], [1, 0]]  # Accommodate
    game = TreeGame(tree, terms, term_names=("gain", "cost"))
    sol = solve_tree(game)
    assert sol.node_value_terms is not None
    np.testing.assert_allclose(sol.node_value_terms.sum(axis=-1), sol.node_value, atol=0)
    # Entrant's root value splits as gain 2, cost -1
    assert sol.expected_terms[0, 0].tolist() == [2.0, -1.0]
    assert sol.behaviour[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    del out, fight, accommodate


def test_general_information_sets_are_refused_clearly() -> None:
    # P2 cannot tell P1's Out from In, but P1's choice is not a simultaneous
    # stage because Out ends... no: both children are P2 nodes -> a stage.
    # Make it general: P2's set spans nodes at different depths.
    b = TreeBuilder(["P1", "P2"])
    a, c = b.decision(b.root, "P1", ["A", "C"])
    x1, y1 = b.decision(a, "P2", ["x", "y"], infoset="s")
    d, e = b.decision(c, "P1", ["D", "E"])
    x2, y2 = b.decision(d, "P2", ["x", "y"], infoset="s")
    for node in (x1, y1, e, x2, y2):
        b.terminal(node, [0, 0])
    tree, payoffs = b.build()
    with pytest.raises(GameClassError, match="information sets P2:0"):
        solve_tree(TreeGame.single(tree, payoffs))


@settings(max_examples=40, deadline=None)
@given(random_games(chance=True, stages=False))
def test_spe_has_no_profitable_deviation_anywhere(game: TreeGame) -> None:
    sol = solve_tree(game)
    regret = agent_regret(game, sol.behaviour)
    assert np.all(regret <= 1e-9 * (1 + np.abs(game.payoffs).max()))
    assert np.all(max_regret(game, sol.behaviour) <= 1e-9 * (1 + np.abs(game.payoffs).max()))
    # behaviour is pure and sums to 1 at each information set
    tree = game.tree
    for s in range(tree.n_infosets):
        lo, hi = tree.action_offset[s], tree.action_offset[s + 1]
        np.testing.assert_allclose(sol.behaviour[:, lo:hi].sum(axis=1), 1.0)
    np.testing.assert_allclose(sol.terminal_reach.sum(axis=1), 1.0)
    # the expected payoff is the reach-weighted terminal payoff
    np.testing.assert_allclose(
        np.einsum("dt,dtp->dp", sol.terminal_reach, game.payoffs), sol.expected_payoff, atol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(random_games(chance=True, stages=False))
def test_qre_satisfies_logit_fixed_point(game: TreeGame) -> None:
    lam = 1.7
    sol = solve_tree(game, "qre", lam=lam)
    values = infoset_action_values(game, sol.behaviour)
    tree = game.tree
    for s in range(tree.n_infosets):
        lo, hi = tree.action_offset[s], tree.action_offset[s + 1]
        v = values[:, lo:hi]
        expected = np.exp(lam * (v - v.max(axis=1, keepdims=True)))
        expected /= expected.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(sol.behaviour[:, lo:hi], expected, atol=1e-12)


def smallest_gap(solution_values: np.ndarray, game: TreeGame) -> float:
    """Smallest difference between a mover's best and second-best action
    values over all decision nodes and draws (SPE continuation values)."""
    tree = game.tree
    gaps = [np.inf]
    for node in np.flatnonzero(tree.node_kind == 1):
        kids = tree.children(int(node))
        v = np.sort(solution_values[:, kids, tree.node_player[node]], axis=1)
        gaps.append(float((v[:, -1] - v[:, -2]).min()))
    return min(gaps)


@settings(max_examples=30, deadline=None)
@given(random_games(chance=True, stages=False))
def test_qre_approaches_spe_as_lambda_grows(game: TreeGame) -> None:
    spe = solve_tree(game)
    gap = smallest_gap(spe.node_value, game)
    assert gap > 0  # generic payoffs: no ties, so the SPE is unique
    # at lam * gap = 60 every suboptimal action has probability below e^-60;
    # deviations compound over at most a few levels, so 1e-9 is ample
    qre = solve_tree(game, "qre", lam=60.0 / gap)
    np.testing.assert_allclose(qre.behaviour, spe.behaviour, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(random_games(chance=True, stages=False, draws=4))
def test_solving_draws_together_equals_solving_each_alone(game: TreeGame) -> None:
    for concept, lam in (("spe", None), ("qre", 0.8)):
        together = solve_tree(game, concept, lam=lam)
        for d in range(game.n_draws):
            alone = solve_tree(game.take(slice(d, d + 1)), concept, lam=lam)
            np.testing.assert_array_equal(alone.behaviour[0], together.behaviour[d])
            np.testing.assert_array_equal(alone.node_value[0], together.node_value[d])
            np.testing.assert_array_equal(alone.node_reach[0], together.node_reach[d])
