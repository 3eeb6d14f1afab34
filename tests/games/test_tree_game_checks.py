"""A :class:`~realpolitik.games.tree.TreeGame` refuses payoffs that are not
finite, naming the first, and accepts finite payoffs however large (their sum,
checked first, may overflow); the compiler's chance probabilities are written
to the right columns (strided runs) and checked once."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.compiler._chance_kernel import fill_chance
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.games.tree import TreeGame, check_chance_probs
from realpolitik.scenario.load import resolve


def _game() -> TreeGame:
    compiled = compile_scenario(resolve("china-russia-2022"))
    return compiled.game(compiled.parameter_values(), terms=False)


def test_finite_payoffs_whose_sum_overflows_are_accepted() -> None:
    game = _game()
    huge = np.full_like(game.payoffs, 1e308)
    with np.errstate(over="ignore"):
        assert not np.isfinite(huge.sum())
    TreeGame(game.tree, huge, chance_probs=game.chance_probs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_the_first_payoff_that_is_not_finite_is_named(bad: float) -> None:
    game = _game()
    payoffs = np.repeat(game.payoffs, 3, axis=0)
    payoffs[2, 5, 1] = bad
    payoffs[2, 9, 0] = bad
    with pytest.raises(InputError, match=r"payoff of .* is .* at draw 2, terminal 5 "):
        TreeGame(game.tree, payoffs, chance_probs=game.chance_probs)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_with_totals_the_first_term_that_is_not_finite_is_named(bad: float) -> None:
    """A game with its terms apart and their totals (what an explanation
    solves) checks the totals first; a term that is not finite makes its
    total so, and the term is the one named."""
    compiled = compile_scenario(resolve("china-russia-2022"))
    params = {k: np.repeat(v, 3, axis=0) for k, v in compiled.parameter_values().items()}
    totals, terms = compiled.payoffs_and_terms(params)
    terms[1, 7, 2, 4] = bad
    totals[1, 7, 2] += bad
    with pytest.raises(InputError, match=rf"payoff of china is {bad!r} at draw 1, terminal 7 "):
        TreeGame(compiled.tree, terms, compiled.scenario.term_ids, totals=totals)
    # finite terms whose total overflowed: the total is named
    terms[1, 7, 2, 4] = 1.0
    totals[1, 7, 2] = np.inf
    with pytest.raises(InputError, match=r"payoff of china is inf at draw 1, terminal 7 "):
        TreeGame(compiled.tree, terms, compiled.scenario.term_ids, totals=totals)


def test_chance_columns_are_the_edges_of_each_node() -> None:
    compiled = compile_scenario(resolve("china-russia-2022"))
    params = {k: np.repeat(v, 4, axis=0) for k, v in compiled.parameter_values().items()}
    probs = compiled.chance_probabilities(params)
    check_chance_probs(compiled.tree, probs)
    tree = compiled.tree
    column = {int(e): k for k, e in enumerate(tree.chance_edge)}
    # every chance edge is written once: its column is its own edge's
    written = np.zeros(len(tree.chance_edge), dtype=int)
    for (_, nodes, _), columns in zip(
        compiled._chance_groups, compiled._chance_columns, strict=True
    ):
        for k, row in enumerate(columns):
            assert list(row) == [column[int(tree.child_offset[n]) + k] for n in nodes]
            written[row] += 1
    assert (written == 1).all()


@pytest.mark.parametrize("tol", [1e-9])
def test_fill_chance_is_numpys_clip_sum_and_range_check(tol: float) -> None:
    """Written values are ``np.clip``'s (``-0.0`` kept, ``-1e-12`` to 0,
    ``1 + 1e-12`` to 1); a value out of range or a total off 1 fails."""
    values = np.array([[[-0.0, -1e-12, 0.25, 1.0 + 1e-12]], [[1.0, 1.0 + 1e-12, 0.75, -1e-12]]])
    inverse = np.array([[0, 1, 2, 3], [0, 1, 2, 3]])
    columns = np.array([[0, 2, 4, 6], [1, 3, 5, 7]])
    out = np.full((3, 8), np.nan)
    assert fill_chance(values, inverse, columns, tol, out)
    expected = np.clip(values[:, 0, :].T.reshape(-1), 0.0, 1.0)
    for row in out:
        assert row.tobytes() == expected.tobytes()
    assert not fill_chance(
        values + np.array([[[0, 0, 2e-9, 0]], [[0, 0, 0, 0]]]), inverse, columns, tol, out
    )
    assert not fill_chance(
        values - np.array([[[0, 0, 0, 0]], [[0, 0, 0, 2e-9]]]), inverse, columns, tol, out
    )
