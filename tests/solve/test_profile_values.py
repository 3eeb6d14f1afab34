"""Node values of a profile per payoff term (realpolitik.solve.profile_values),
against values worked out by hand on the entry game, and the chosen rows of
:func:`term_values` against the same rows of the full backup."""

from __future__ import annotations

import numpy as np

from realpolitik.games.tree import TreeBuilder, TreeGame
from realpolitik.solve.backward_induction import solve_tree
from realpolitik.solve.profile_values import profile_values, term_values
from realpolitik.solve.tree_solution import TreeSolution


def _entry_game(n_draws: int = 1) -> TreeGame:
    """The entry game with terms (gain, cost): Out pays the entrant (0, 0)
    and the incumbent (2, 0); In then Fight pays (2, -3) and (0, -1); In
    then Accommodate (2, -1) and (1, 0)."""
    b = TreeBuilder(["Entrant", "Incumbent"])
    _, enter = b.decision(b.root, "Entrant", ["Out", "In"])
    b.decision(enter, "Incumbent", ["Fight", "Accommodate"])
    tree, _ = b.build()
    terms = np.zeros((n_draws, 3, 2, 2))
    terms[:, 0] = [[0, 0], [2, 0]]
    terms[:, 1] = [[2, -3], [0, -1]]
    terms[:, 2] = [[2, -1], [1, 0]]
    return TreeGame(tree, terms, term_names=("gain", "cost"))


def test_term_values_are_the_hand_computed_values() -> None:
    game = _entry_game(2)
    # draw 0: In with 0.6, Fight with 0.25; draw 1: In for sure, Accommodate for sure
    profile = np.array([[0.4, 0.6, 0.25, 0.75], [0.0, 1.0, 0.0, 1.0]])
    player = np.array([0, 1, 0])  # the entrant's cost, the incumbent's gain, the entrant's gain
    term = np.array([1, 0, 0])
    values = term_values(game, profile, player, term)  # (nodes, rows, draws)
    root = values[0]
    # entrant's cost: 0.6 * (0.25 * -3 + 0.75 * -1) = -0.9; incumbent's gain:
    # 0.4 * 2 + 0.6 * 0.75 * 1 = 1.25; entrant's gain: 0.6 * 2 = 1.2
    np.testing.assert_allclose(root[:, 0], [-0.9, 1.25, 1.2], atol=1e-15)
    np.testing.assert_allclose(root[:, 1], [-1.0, 1.0, 2.0], atol=0)
    enter = values[int(game.tree.children(0)[1])]  # the incumbent's: Fight 0.25, Accommodate 0.75
    np.testing.assert_allclose(enter[:, 0], [-1.5, 0.75, 2.0], atol=1e-15)


def test_term_values_are_the_same_bits_as_those_rows_of_every_value() -> None:
    rng = np.random.default_rng(4)
    game = TreeGame(_entry_game().tree, rng.normal(size=(70, 3, 2, 2)), term_names=("gain", "cost"))
    profile = rng.dirichlet([1.0, 1.0], size=(70, 2)).reshape(70, 4)
    every = profile_values(game, profile)  # (nodes, players, terms, draws)
    player, term = np.array([1, 0, 1, 0]), np.array([0, 1, 1, 0])
    chosen = term_values(game, profile, player, term, threads=2)
    np.testing.assert_array_equal(chosen, every[:, player, term, :])


def test_a_solution_gives_its_own_values_rows_or_backs_up_only_those() -> None:
    game = _entry_game()
    player, term = np.array([0, 0, 1]), np.array([0, 1, 0])
    solved = solve_tree(game)  # backward induction: the solver's own values
    assert solved.node_values_t is not None and solved.node_value_terms is not None
    np.testing.assert_array_equal(
        solved.term_values(player, term), solved.node_value_terms[:, :, player, term]
    )
    # the same profile without the solver's values: backed up, the same numbers
    from_profile = TreeSolution(game, "spe", mixed_t=solved.behaviour_t)
    rows = from_profile.term_values(player, term)
    np.testing.assert_array_equal(rows, solved.node_value_terms[:, :, player, term])
    # root: the entrant enters (gain 2, cost -1), the incumbent accommodates (gain 1)
    assert rows[0, 0].tolist() == [2.0, -1.0, 1.0]
