"""A logit precision per draw (a drawn lambda) in the QRE solvers: the
backward pass (solve/backward_induction.py and its kernels), the agent QRE
of general trees (solve/agent_qre.py) and stage games, through the registry
(solve/dispatch.py, concepts.py).

Checked against the logistic formula by hand, against solving each draw
alone at its own scalar precision (for the general tree and the stage game,
by another route: the path followed to lambda_d on the payoffs as given,
instead of to 1 on scaled payoffs), and, for a constant row, against the
scalar precision bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.concepts import LAMBDA
from realpolitik.errors import InputError
from realpolitik.games.tree import TreeBuilder, TreeGame
from realpolitik.solve.agent_qre import agent_qre
from realpolitik.solve.backward_induction import solve_tree
from realpolitik.solve.dispatch import solve
from realpolitik.solve.qre import solve_qre
from tree_strategies import random_games


def _sigma(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def test_one_decision_is_the_logistic_of_each_draws_lambda() -> None:
    b = TreeBuilder(["A"])
    go, stay = b.decision(b.root, "A", ["go", "stay"])
    b.terminal(go, [0.0])
    b.terminal(stay, [0.0])
    tree, _ = b.build()
    gains = np.array([1.0, 0.5, -2.0, 3.0])
    payoffs = np.zeros((4, 2, 1))
    payoffs[:, 0, 0] = gains
    lam = np.array([0.0, 1.0, 2.5, 4.0])
    sol = solve(TreeGame(tree, payoffs), "qre", lam)
    # p(go) = exp(lam g) / (exp(lam g) + 1)
    np.testing.assert_allclose(sol.behaviour[:, 0], _sigma(lam * gains), rtol=0, atol=1e-15)
    assert sol.lam is not None and sol.lam.tolist() == lam.tolist()


@settings(max_examples=30, deadline=None)
@given(random_games(chance=True, stages=False, draws=5), st.floats(0, 8))
def test_a_constant_row_is_the_scalar_bit_for_bit(game: TreeGame, lam: float) -> None:
    scalar = solve_tree(game, "qre", lam)
    row = solve_tree(game, "qre", np.full(game.n_draws, lam))
    assert np.array_equal(scalar.behaviour, row.behaviour)
    assert np.array_equal(scalar.value_t, row.value_t)


@settings(max_examples=30, deadline=None)
@given(random_games(chance=True, stages=False, draws=4), st.integers(0, 2**31 - 1))
def test_each_draw_as_if_solved_alone(game: TreeGame, seed: int) -> None:
    lam = np.random.default_rng(seed).uniform(0, 6, size=game.n_draws)
    together = solve_tree(game, "qre", lam)
    for d in range(game.n_draws):
        alone = solve_tree(game.take(np.array([d])), "qre", float(lam[d]))
        assert np.array_equal(together.behaviour[d], alone.behaviour[0])


def _general_tree() -> tuple[TreeBuilder, list[int]]:
    # P2 cannot tell A from (C then D): its set spans two depths
    b = TreeBuilder(["P1", "P2"])
    a, c = b.decision(b.root, "P1", ["A", "C"])
    x1, y1 = b.decision(a, "P2", ["x", "y"], infoset="s")
    d, e = b.decision(c, "P1", ["D", "E"])
    x2, y2 = b.decision(d, "P2", ["x", "y"], infoset="s")
    return b, [x1, y1, e, x2, y2]


def test_general_tree_per_draw_equals_each_draw_at_its_own_lambda() -> None:
    b, leaves = _general_tree()
    for leaf in leaves:
        b.terminal(leaf, [0, 0])
    tree, _ = b.build()
    rng = np.random.default_rng(3)
    payoffs = rng.normal(size=(5, tree.n_terminals, 2))
    game = TreeGame(tree, payoffs)
    lam = np.array([0.3, 1.0, 2.0, 3.5, 0.0])
    together = solve_qre(game, lam)
    for d in range(5):
        alone = agent_qre(game.take(np.array([d])), float(lam[d]))
        np.testing.assert_allclose(together.behaviour[d], alone.behaviour[0], atol=1e-8)
        np.testing.assert_allclose(together.node_value[d], alone.node_value[0], atol=1e-8)
    assert together.lam is not None
    np.testing.assert_allclose(together.lam, lam, atol=1e-9)


def test_stage_game_per_draw_equals_each_draw_at_its_own_lambda() -> None:
    # matching pennies then a coordination stage, as one simultaneous stage each
    b = TreeBuilder(["P1", "P2"])
    h, t = b.decision(b.root, "P1", ["H", "T"])
    hh, ht = b.decision(h, "P2", ["h", "t"], infoset="stage")
    th, tt = b.decision(t, "P2", ["h", "t"], infoset="stage")
    for leaf in (hh, ht, th, tt):
        b.terminal(leaf, [0, 0])
    tree, _ = b.build()
    rng = np.random.default_rng(5)
    payoffs = rng.normal(size=(4, 4, 2)) * 2
    game = TreeGame(tree, payoffs)
    lam = np.array([0.5, 1.5, 3.0, 0.0])
    together = solve_tree(game, "qre", lam)
    for d in range(4):
        alone = solve_tree(game.take(np.array([d])), "qre", float(lam[d]))
        np.testing.assert_allclose(together.behaviour[d], alone.behaviour[0], atol=1e-8)


def test_the_registry_checks_per_draw_values() -> None:
    assert LAMBDA.per_draw
    assert LAMBDA.check_draws([0.0, 2.0]).tolist() == [0.0, 2.0]
    with pytest.raises(InputError, match=r"lambda must be a number >= 0, got -1.0 at draw 1"):
        LAMBDA.check_draws([1.0, -1.0])
    with pytest.raises(InputError, match="one value per draw"):
        LAMBDA.check_draws([[1.0]])
