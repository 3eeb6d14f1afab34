"""A :class:`~realpolitik.games.tree.TreeGame` refuses payoffs that are not
finite, naming the first, and accepts finite payoffs however large (their sum,
checked first, may overflow); the compiler's chance probabilities are written
to the right columns (strided runs) and checked once."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.compiler.scenario_tree import _even_runs, compile_scenario
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


def test_chance_columns_are_the_edges_of_each_node() -> None:
    compiled = compile_scenario(resolve("china-russia-2022"))
    params = {k: np.repeat(v, 4, axis=0) for k, v in compiled.parameter_values().items()}
    probs = compiled.chance_probabilities(params)
    check_chance_probs(compiled.tree, probs)
    tree = compiled.tree
    column = {int(e): k for k, e in enumerate(tree.chance_edge)}
    # every chance edge is written once: its column equals the probability
    # evaluated at its own node
    written = np.zeros(len(tree.chance_edge), dtype=int)
    for (_, nodes, _), per_outcome in zip(
        compiled._chance_groups, compiled._chance_columns, strict=True
    ):
        for k, runs in enumerate(per_outcome):
            for lo, hi, columns in runs:
                expected = [column[int(tree.child_offset[n]) + k] for n in nodes[lo:hi]]
                assert list(range(columns.start, columns.stop, columns.step)) == expected
                written[expected] += 1
    assert (written == 1).all()


@pytest.mark.parametrize(
    "columns",
    [[], [4], [4, 6, 8, 10, 14, 18, 19], [3, 2, 1], [5, 5, 6], list(range(0, 40, 3))],
)
def test_even_runs_cover_the_columns_in_order(columns: list[int]) -> None:
    runs = _even_runs(columns)
    rebuilt: list[int] = []
    for lo, hi, where in runs:
        assert where.step > 0
        assert list(range(where.start, where.stop, where.step)) == columns[lo:hi]
        rebuilt += columns[lo:hi]
    assert rebuilt == columns
