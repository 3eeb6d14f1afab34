"""Extreme equilibria of two-player games: against pygambit 16.7's
``enummixed`` (exact rationals) on the reference games and nashpy's vertex
enumeration on random games; every result is checked to have zero regret."""

from __future__ import annotations

import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peers import require
from realpolitik.errors import InputError
from realpolitik.games.normal_form import max_regret
from realpolitik.solve.mixed_nash import ExtremeEquilibria, extreme_equilibria

TWO_PLAYER = ["pd", "bos", "coord3", "deg1", "8x8", "loopback"]


def reference_game(games_reference: dict[str, Any], game_id: str) -> dict[str, Any]:
    return next(g for g in games_reference["games"] if g["id"] == game_id)


def payoff_table(game: dict[str, Any]) -> np.ndarray:
    shape = game["payoff_array_shape"]
    arrays = [np.array(game["payoff_arrays_float"][p]).reshape(shape) for p in game["players"]]
    return np.stack(arrays)[None]


def as_rows(eq: ExtremeEquilibria, draw: int = 0) -> np.ndarray:
    sel = eq.draw == draw
    return np.concatenate([eq.row[sel], eq.col[sel]], axis=1)


def same_set(ours: np.ndarray, theirs: np.ndarray, tol: float) -> bool:
    if len(ours) != len(theirs):
        return False
    if len(ours) == 0:
        return True
    dist = np.abs(ours[:, None, :] - theirs[None, :, :]).max(axis=2)
    # a bijection within tol (equilibria are far apart relative to tol)
    return bool((dist.min(axis=1) < tol).all() and (dist.min(axis=0) < tol).all())


def test_two_player_list_covers_reference(games_reference: dict[str, Any]) -> None:
    ids = {g["id"] for g in games_reference["games"] if "enummixed" in g["results"]}
    ids = {i for i in ids if reference_game(games_reference, i)["format"] == "nfg"}
    assert ids == set(TWO_PLAYER)


@pytest.mark.parametrize("game_id", TWO_PLAYER)
def test_extreme_equilibria_equal_gambit_enummixed(
    games_reference: dict[str, Any], game_id: str
) -> None:
    game = reference_game(games_reference, game_id)
    table = payoff_table(game)
    eq = extreme_equilibria(table)
    expected = np.array(
        [
            [float(Fraction(v)) for player in game["players"] for v in e["exact"][player].values()]
            for e in game["results"]["enummixed"]
        ]
    )
    assert same_set(as_rows(eq), expected, 1e-9)
    regret = max_regret(np.repeat(table, len(eq.draw), axis=0), (eq.row, eq.col))
    assert (regret <= 1e-12).all()
    # payoffs reported with each equilibrium are x^T A y and x^T B y
    expected_pay = np.einsum("ki,ij,kj->k", eq.row, table[0, 0], eq.col)
    assert np.allclose(eq.payoffs[:, 0], expected_pay, atol=1e-12)


def test_constant_game_has_every_pure_profile_as_extreme_point() -> None:
    # Every profile is an equilibrium; the set is the product of simplices,
    # whose extreme points are the four pure profiles.
    eq = extreme_equilibria(np.zeros((1, 2, 2, 2)))
    rows = {tuple(r) for r in as_rows(eq).tolist()}
    assert rows == {(1, 0, 1, 0), (1, 0, 0, 1), (0, 1, 1, 0), (0, 1, 0, 1)}


def nashpy_vertices(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # nashpy returns entries like -5.55e-17 (PEERS.md); clip them to zero.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nashpy = require("nashpy")
        found = [np.concatenate(e) for e in nashpy.Game(a, b).vertex_enumeration()]
    return np.clip(np.array(found).reshape(len(found), -1), 0.0, None)


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([3, 4]), st.integers(0, 2**32 - 1))
def test_random_nondegenerate_games_agree_with_nashpy(size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(2, 2, size, size))  # continuous payoffs: non-degenerate a.s.
    eq = extreme_equilibria(table)
    regret = max_regret(table[eq.draw], (eq.row, eq.col))
    assert (regret <= 1e-10).all()
    counts = eq.counts()
    assert (counts % 2 == 1).all()  # non-degenerate games have an odd number
    for d in range(2):
        assert same_set(as_rows(eq, d), nashpy_vertices(table[d, 0], table[d, 1]), 1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_degenerate_integer_games_give_zero_regret_extreme_points(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 3, size=(5, 2, 3, 3)).astype(float)  # ties: often degenerate
    eq = extreme_equilibria(table)
    regret = max_regret(table[eq.draw], (eq.row, eq.col))
    assert (regret <= 1e-10).all()
    assert (eq.counts() >= 1).all()  # every finite game has an equilibrium
    # no duplicates within a draw
    for d in range(5):
        rows = as_rows(eq, d)
        dist = np.abs(rows[:, None] - rows[None]).max(axis=2) + np.eye(len(rows))
        assert (dist > 1e-9).all()
    # the batch gives what each draw gives alone
    for d in range(5):
        alone = extreme_equilibria(table[d : d + 1])
        assert same_set(as_rows(alone), as_rows(eq, d), 1e-12)


def test_more_than_two_players_is_input_error() -> None:
    with pytest.raises(InputError, match="two-player"):
        extreme_equilibria(np.zeros((1, 3, 2, 2, 2)))
