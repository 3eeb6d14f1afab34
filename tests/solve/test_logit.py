"""Logit QRE and its limit: against pygambit 16.7 (the reference results and
live calls on random games), and the defining fixed point on random games."""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peers import require
from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame, max_regret, payoff_range
from realpolitik.solve.homotopy import TraceOptions, TraceStatus
from realpolitik.solve.logit import LimitStatus, fixed_point_residual, logit_limit, logit_qre
from reference_nfg import BIFURCATING, NFG_GAMES, flat_profile, payoff_table, reference_game


def split(flat: np.ndarray, game: dict[str, Any]) -> tuple[np.ndarray, ...]:
    sizes = np.cumsum([len(game["strategies"][p]) for p in game["players"]])[:-1]
    return tuple(part[None] for part in np.split(flat, sizes))


@pytest.mark.parametrize("game_id", NFG_GAMES)
def test_qre_equals_gambit_at_each_stored_lambda(
    games_reference: dict[str, Any], game_id: str
) -> None:
    game = reference_game(games_reference, game_id)
    table = payoff_table(game)
    entries = game["results"]["qre"]
    lams = [e["lambda"] for e in entries]  # the lambda Gambit reached, not the requested one
    q = logit_qre(table, lams)
    assert (q.fixed_point_residual <= 1e-10).all()
    for k, entry in enumerate(entries):
        ours = np.concatenate([p[0, k] for p in q.probs])
        theirs = flat_profile(entry, game)
        if q.status[0, k] == TraceStatus.REACHED:
            assert np.abs(ours - theirs).max() <= 1e-6, (game_id, entry["lambda"])
            assert q.max_regret[0, k] == pytest.approx(entry["max_regret"], abs=1e-6)
        else:
            # Past a bifurcation: only in the degenerate games, and Gambit's
            # point is then a QRE too (on the branch its perturbation chose).
            assert q.status[0, k] == TraceStatus.REACHED_AFTER_BIFURCATION
            assert game_id in BIFURCATING
            lam = np.array([entry["lambda"]])
            assert fixed_point_residual(table, split(theirs, game), lam)[0] <= 1e-6


def test_bos_keeps_the_symmetric_branch(games_reference: dict[str, Any]) -> None:
    game = reference_game(games_reference, "bos")
    q = logit_qre(payoff_table(game), [0.5, 0.9, 2.0, 10.0])
    row, col = q.probs
    # Swapping the players and the strategy labels maps the game to itself, so
    # on the symmetric branch P(Top) = P(Right) at every lambda.
    assert np.allclose(row[0, :, 0], col[0, :, 1], atol=1e-12)
    assert q.status[0].tolist() == [0, 1, 1, 1]  # bifurcation between 0.5 and 0.9
    # lambda = 10 is near the mixed equilibrium (3/5, 2/5), (2/5, 3/5)
    assert abs(row[0, -1, 0] - 0.6) < 0.02


def test_deg1_stays_at_the_centroid(games_reference: dict[str, Any]) -> None:
    # In deg1 every strategy earns 2 against the centroid, for both players,
    # so the centroid solves the logit equations at every lambda.
    q = logit_qre(payoff_table(reference_game(games_reference, "deg1")), [2.0, 5.0, 10.0])
    assert np.allclose(q.probs[0][0], 1 / 3, atol=1e-12)
    assert q.status[0].tolist() == [0, 1, 1]  # bifurcation at lambda = 3


def test_mm2x2x2_stop_mode_reproduces_gambit(games_reference: dict[str, Any]) -> None:
    game = reference_game(games_reference, "mm2x2x2")
    table = payoff_table(game)
    stuck = game["results"]["qre"][-1]  # requested 10, Gambit stopped at 0.5968
    q = logit_qre(table, [1.0, 10.0], options=TraceOptions(bifurcation="stop"))
    assert (q.status[0] == TraceStatus.STOPPED_AT_BIFURCATION).all()
    assert q.lam[0] == pytest.approx([stuck["lambda"]] * 2, abs=1e-3)
    ours = np.concatenate([p[0, 1] for p in q.probs])
    assert np.abs(ours - flat_profile(stuck, game)).max() <= 1e-3
    # Going straight through instead: player 3's probability of strategy 1
    # keeps rising with lambda, players 1 and 2 stay at 1/2.
    q = logit_qre(table, [1.0, 10.0])
    assert (q.status[0] == TraceStatus.REACHED_AFTER_BIFURCATION).all()
    assert np.allclose(q.probs[0][0], 0.5) and np.allclose(q.probs[1][0], 0.5)
    assert q.probs[2][0, 1, 0] > q.probs[2][0, 0, 0] > 0.6


def in_known(profile: np.ndarray, game: dict[str, Any], tol: float) -> bool:
    known = [flat_profile(e, game) for e in game["known_equilibria"]["strategy"]]
    return min(np.abs(profile - k).max() for k in known) <= tol


@pytest.mark.parametrize("game_id", NFG_GAMES)
def test_limit_is_a_known_equilibrium_with_zero_regret(
    games_reference: dict[str, Any], game_id: str
) -> None:
    game = reference_game(games_reference, game_id)
    table = payoff_table(game)
    eq = logit_limit(table)
    ours = np.concatenate([p[0] for p in eq.probs])
    assert in_known(ours, game, 1e-6)
    assert eq.max_regret[0] <= 1e-10 * payoff_range(table)[0] + 1e-13
    assert eq.max_regret[0] == pytest.approx(max_regret(table, eq.probs)[0], abs=1e-15)
    if game_id in BIFURCATING - {"deg1"}:
        assert eq.status[0] == LimitStatus.NASH_AFTER_BIFURCATION
    else:
        assert eq.status[0] == LimitStatus.NASH
        # the same equilibrium Gambit's logit_solve approaches
        gambit = flat_profile(game["results"]["logit_limit"][0], game)
        assert np.abs(ours - gambit).max() <= 1e-6


def test_mm2x2x2_limit_is_a_nash_equilibrium_where_gambit_stops_short(
    games_reference: dict[str, Any],
) -> None:
    game = reference_game(games_reference, "mm2x2x2")
    eq = logit_limit(payoff_table(game))
    expected = [[0.5, 0.5], [0.5, 0.5], [1.0, 0.0]]
    for ours, exact in zip(eq.probs, expected, strict=True):
        assert np.allclose(ours[0], exact, atol=1e-14)
    assert eq.max_regret[0] <= 1e-13
    assert game["results"]["logit_limit"][0]["max_regret"] > 0.2  # Gambit's point


def test_game_object_and_array_give_the_same_answer(games_reference: dict[str, Any]) -> None:
    game = reference_game(games_reference, "3x3x3")
    table = payoff_table(game)
    nfg = NormalFormGame.from_payoffs(table)
    assert np.array_equal(logit_qre(nfg, 1.0).probs[0], logit_qre(table, 1.0).probs[0])
    assert np.array_equal(logit_limit(nfg).probs[2], logit_limit(table).probs[2])


def random_games(seed: int, draws: int, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 10.0, size=(draws, len(shape), *shape))


def logit_response(table: np.ndarray, probs: list[np.ndarray], lam: float) -> list[np.ndarray]:
    """Logit best responses to ``probs``, by explicit sums over pure profiles."""
    shape = table.shape[1:]
    values = [np.zeros(n) for n in shape]
    for profile in product(*(range(n) for n in shape)):
        for i in range(len(shape)):
            weight = np.prod([probs[k][profile[k]] for k in range(len(shape)) if k != i])
            values[i][profile[i]] += weight * table[(i, *profile)]
    out = []
    for v in values:
        e = np.exp(lam * v - (lam * v).max())
        out.append(e / e.sum())
    return out


shapes = st.sampled_from([(2, 2), (3, 2), (3, 3), (2, 2, 2), (3, 2, 2), (2, 2, 2, 2)])


@settings(max_examples=8, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1))
def test_qre_is_a_fixed_point_and_batch_equals_singles(shape: tuple[int, ...], seed: int) -> None:
    table = random_games(seed, 4, shape)
    lams = [0.3, 1.0, 3.0]
    q = logit_qre(table, lams, workers=1)
    assert (q.fixed_point_residual <= 1e-10).all()
    assert np.array_equal(q.lam, np.tile(lams, (4, 1)))
    # The defining equations, recomputed by summing over pure profiles.
    probs = [p[0, 1] for p in q.probs]
    for i, response in enumerate(logit_response(table[0], probs, lams[1])):
        assert np.abs(probs[i] - response).max() <= 1e-10
    for d in range(4):
        alone = logit_qre(table[d : d + 1], lams, workers=1)
        for ours, solo in zip(q.probs, alone.probs, strict=True):
            assert np.allclose(ours[d], solo[0], atol=1e-9)


@settings(max_examples=6, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1))
def test_regret_vanishes_along_the_branch_and_the_limit_is_nash(
    shape: tuple[int, ...], seed: int
) -> None:
    table = random_games(seed, 3, shape)
    scale = payoff_range(table)[:, None]
    q = logit_qre(table, [1.0, 30.0, 1000.0])
    regret = q.max_regret / scale
    # regret of a logit QRE falls like 1/lambda (mixed limits) or faster (pure)
    assert (regret[:, 2] <= 0.05).all()
    assert (regret[:, 2] <= regret[:, 0] + 1e-12).all()
    eq = logit_limit(table)
    assert (eq.status == LimitStatus.NASH).all()
    assert (eq.max_regret <= 1e-10 * scale[:, 0] + 1e-13).all()


def test_three_player_games_agree_with_pygambit() -> None:
    gbt = require("pygambit")
    table = random_games(20260711, 3, (3, 3, 3))
    lams = [0.5, 1.0, 2.0]
    q = logit_qre(table, lams)
    for d in range(3):
        game = gbt.Game.from_arrays(*[table[d, i] for i in range(3)])
        for k, point in enumerate(gbt.qre.logit_solve_lambda(game, lams)):
            assert point.lam == pytest.approx(lams[k], abs=1e-8)
            theirs = np.array([point.profile[s] for s in game.strategies])
            ours = np.concatenate([p[d, k] for p in q.probs])
            assert np.abs(ours - theirs).max() <= 1e-6


def test_bad_lambdas_are_input_errors() -> None:
    table = random_games(0, 1, (2, 2))
    with pytest.raises(InputError, match="ascending"):
        logit_qre(table, [2.0, 1.0])
    with pytest.raises(InputError, match="non-negative"):
        logit_qre(table, -1.0)
    with pytest.raises(InputError, match="finite"):
        logit_qre(table, [np.inf])
    with pytest.raises(InputError, match="tol"):
        logit_limit(table, tol=0.0)


@pytest.mark.parametrize("shape", [(1, 2), (1, 1), (3,), (2, 1, 3)])
def test_players_with_one_strategy_and_single_player_games(shape: tuple[int, ...]) -> None:
    table = random_games(7, 2, shape)
    q = logit_qre(table, [0.0, 2.0])
    assert (q.status == TraceStatus.REACHED).all()
    assert (q.fixed_point_residual <= 1e-12).all()
    # a player with one strategy plays it
    for n, probs in zip(shape, q.probs, strict=True):
        if n == 1:
            assert (probs == 1.0).all()
    eq = logit_limit(table)
    assert (eq.status == LimitStatus.NASH).all()
    assert (eq.max_regret <= 1e-12).all()


def test_constant_game_stops_at_the_centroid() -> None:
    # every profile is an equilibrium; the branch starts at one
    eq = logit_limit(np.full((1, 2, 2, 3), 4.0))
    assert np.allclose(eq.probs[1][0], 1 / 3) and eq.max_regret[0] == 0.0
    assert eq.lam[0] == 0.0
