"""Pure Nash equilibria: against pygambit 16.7's ``enumpure`` on the reference
games, and against a deviation-by-deviation check on random games."""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.solve.pure_nash import pure_nash_mask, pure_nash_profiles

NFG_GAMES = ["pd", "bos", "coord3", "deg1", "8x8", "loopback", "mm2x2x2", "3x3x3", "4p2x2x2x2"]


def reference_game(games_reference: dict[str, Any], game_id: str) -> dict[str, Any]:
    return next(g for g in games_reference["games"] if g["id"] == game_id)


def payoff_table(game: dict[str, Any]) -> np.ndarray:
    """``(1, P, n_1, ..., n_P)`` from ``payoff_arrays_float`` (C order, per the
    reference's ``nfg_payoff_order`` convention)."""
    shape = game["payoff_array_shape"]
    arrays = [np.array(game["payoff_arrays_float"][p]).reshape(shape) for p in game["players"]]
    return np.stack(arrays)[None]


def profile_index(entry: dict[str, Any], game: dict[str, Any]) -> tuple[int, ...]:
    """The pure profile of a reference equilibrium as strategy indices."""
    out = []
    for player in game["players"]:
        probs = entry["probs"][player]
        labels = game["strategies"][player]
        out.append(labels.index(max(probs, key=probs.get)))
    return tuple(out)


def test_reference_list_covers_every_normal_form_game(games_reference: dict[str, Any]) -> None:
    ids = {g["id"] for g in games_reference["games"] if g["format"] == "nfg"}
    assert ids == set(NFG_GAMES)


@pytest.mark.parametrize("game_id", NFG_GAMES)
def test_pure_equilibria_equal_gambit_enumpure(
    games_reference: dict[str, Any], game_id: str
) -> None:
    game = reference_game(games_reference, game_id)
    draw, profiles = pure_nash_profiles(pure_nash_mask(payoff_table(game)))
    assert set(draw.tolist()) <= {0}
    expected = {profile_index(e, game) for e in game["results"]["enumpure"]}
    assert {tuple(p) for p in profiles.tolist()} == expected


def brute_force_regret(table: np.ndarray) -> np.ndarray:
    """``(n_1, ..., n_P)`` max gain from a unilateral deviation at every pure
    profile, by enumerating deviations one at a time (independent of the
    vectorised reductions under test)."""
    shape = table.shape[1:]
    out = np.zeros(shape)
    for profile in product(*(range(n) for n in shape)):
        best = 0.0
        for i, n_i in enumerate(shape):
            for t in range(n_i):
                deviation = list(profile)
                deviation[i] = t
                best = max(best, table[(i, *deviation)] - table[(i, *profile)])
        out[profile] = best
    return out


games = st.tuples(
    st.integers(1, 3),
    st.lists(st.integers(1, 3), min_size=2, max_size=3),
    st.integers(0, 2**32 - 1),
)


@settings(max_examples=40, deadline=None)
@given(games)
def test_found_profiles_are_exactly_those_without_profitable_deviation(
    spec: tuple[int, list[int], int],
) -> None:
    draws, shape, seed = spec
    rng = np.random.default_rng(seed)
    # Small integers make ties (weak best responses) common.
    table = rng.integers(-2, 3, size=(draws, len(shape), *shape)).astype(float)
    mask = pure_nash_mask(table)
    for d in range(draws):
        regret = brute_force_regret(table[d])
        assert (mask[d] == (regret <= 0.0)).all()
        assert (regret[~mask[d]] > 0).all()


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_batch_equals_one_draw_at_a_time(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(7, 3, 2, 3, 2))
    together = pure_nash_mask(table)
    alone = np.concatenate([pure_nash_mask(table[d : d + 1]) for d in range(7)])
    assert (together == alone).all()
    assert (pure_nash_mask(table, chunk_size=2) == together).all()


def test_rounding_ties_count_as_best_responses() -> None:
    # Both strategies pay 0.3, but one computed as 0.1 + 0.2 (= 0.30000000000000004):
    # a tie up to rounding, so both profiles are equilibria.
    row = np.array([[0.1 + 0.2, 0.0], [0.3, 0.0]])
    table = np.stack([row, np.zeros((2, 2))])[None]
    assert pure_nash_mask(table)[0, :, 0].tolist() == [True, True]
    assert pure_nash_mask(table, tol=0.0)[0, :, 0].tolist() == [True, False]


def test_integer_and_game_inputs_agree() -> None:
    a = np.array([[3, 0], [0, 2]])
    b = np.array([[2, 0], [0, 3]])
    from_ints = pure_nash_mask(np.stack([a, b])[None])
    from_game = pure_nash_mask(NormalFormGame.from_arrays(a, b))
    assert (from_ints == from_game).all()
    draw, profile = pure_nash_profiles(from_ints)
    assert draw.tolist() == [0, 0] and profile.tolist() == [[0, 0], [1, 1]]


def test_bad_input_is_input_error() -> None:
    table = np.zeros((3, 2, 2, 2))
    table[1, 0, 1, 1] = np.inf
    with pytest.raises(InputError, match="draw 1"):
        pure_nash_mask(table)
    with pytest.raises(InputError, match="expected"):
        pure_nash_mask(np.zeros((2, 2, 2)))
