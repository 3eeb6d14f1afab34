"""The normal-form game type: validation, constructors and payoff kernels.

Expected payoffs are hand calculations written in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame, cross_derivatives, max_regret

# Prisoner's Dilemma as in Gambit's pd.nfg: (C, C) = 9, D against C = 10,
# C against D = 0, (D, D) = 1.
PD_ROW = np.array([[9.0, 0.0], [10.0, 1.0]])


def pd_game() -> NormalFormGame:
    return NormalFormGame.from_arrays(
        PD_ROW, PD_ROW.T, players=("Row", "Col"), strategies=(("C", "D"), ("C", "D"))
    )


def test_from_arrays_shapes_and_defaults() -> None:
    game = NormalFormGame.from_arrays(PD_ROW, PD_ROW.T)
    assert game.players == ("Player 1", "Player 2")
    assert game.strategies == (("1", "2"), ("1", "2"))
    assert game.payoffs.shape == (1, 2, 2, 2)
    assert (game.n_draws, game.n_players, game.shape) == (1, 2, (2, 2))
    assert not game.payoffs.flags.writeable


def test_profile_payoffs_by_hand() -> None:
    game = pd_game()
    # Row mixes (1/2, 1/2), Col plays C: Row gets 9/2 + 10/2 = 9.5,
    # Col gets 9/2 + 0/2 = 4.5.
    pay = game.profile_payoffs((np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])))
    assert pay.tolist() == [[9.5, 4.5]]
    # Regret of that profile: Row's best reply to C is D (10 vs 9.5): 0.5;
    # Col's best reply to the mix is D (1/2*10 + 1/2*1 = 5.5 vs 4.5): 1.0.
    assert game.max_regret((np.array([0.5, 0.5]), np.array([1.0, 0.0]))).tolist() == [1.0]


def test_three_player_kernels_by_hand() -> None:
    # Player 1 gets 1 only at profile (2, 1, 2) (0-based (1, 0, 1)).
    pay = np.zeros((1, 3, 2, 2, 2))
    pay[0, 0, 1, 0, 1] = 1.0
    p = (np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]]), np.array([[0.2, 0.8]]))
    # d u_1(s) / d p_2(t) = payoff of (s, t) against player 3's mix:
    # only (s, t) = (2, 1) pays: 0.8 * 1.
    d = cross_derivatives(pay, p, 0, 1)
    assert d[0].tolist() == [[0.0, 0.0], [0.8, 0.0]]
    # Regret of player 1: strategy 2 earns 0.25 * 0.8 = 0.2, the mix earns 0.1.
    assert max_regret(pay, p)[0] == pytest.approx(0.1, abs=1e-15)


def test_draw_and_from_payoffs() -> None:
    stacked = np.stack([np.stack([PD_ROW, PD_ROW.T]), np.stack([PD_ROW + 1, PD_ROW.T])])
    game = NormalFormGame.from_payoffs(stacked)
    assert game.n_draws == 2
    assert game.draw(1).payoffs[0, 0].tolist() == (PD_ROW + 1).tolist()
    assert game.draw(-1).payoffs.shape == (1, 2, 2, 2)
    with pytest.raises(InputError, match="out of range"):
        game.draw(2)


def test_nan_payoff_names_draw_profile_and_player() -> None:
    stacked = np.zeros((3, 2, 2, 3))
    stacked[2, 1, 1, 0] = np.nan
    with pytest.raises(InputError) as err:
        NormalFormGame.from_payoffs(
            stacked, players=("West", "China"), strategies=(("Low", "High"), ("A", "N", "C"))
        )
    message = str(err.value)
    assert "draw 2" in message and "(High, A)" in message and "'China'" in message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"players": ("A",), "strategies": (("x",), ("y",))}, "strategy labels for 2"),
        ({"players": ("A", "A"), "strategies": (("x",), ("y",))}, "repeat"),
        ({"players": ("A", "B"), "strategies": (("x", "x"), ("y",))}, "repeat"),
        ({"players": ("A", "B"), "strategies": (("x",), ())}, "no strategy"),
    ],
)
def test_bad_labels_are_input_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InputError, match=match):
        NormalFormGame(payoffs=np.zeros((1, 2, 1, 1)), **kwargs)  # type: ignore[arg-type]


def test_shape_mismatch_is_input_error() -> None:
    with pytest.raises(InputError, match="expected"):
        NormalFormGame(("A", "B"), (("x", "y"), ("z",)), np.zeros((1, 2, 2, 2)))
    with pytest.raises(InputError, match="same strategy profiles"):
        NormalFormGame.from_arrays(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(InputError, match="one mixed strategy per player"):
        pd_game().profile_payoffs((np.array([1.0, 0.0]),))
