"""The Gambit example games in normal form stored in reference/games/reference.json
(pygambit 16.7.0's equilibria and QRE), as arrays: shared by the tests of the
logit QRE path followers (tests/solve/test_logit.py, test_logit_kernels.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

NFG_GAMES = ["pd", "bos", "coord3", "deg1", "8x8", "loopback", "mm2x2x2", "3x3x3", "4p2x2x2x2"]
# Games whose principal branch meets a simple bifurcation (symmetric or tied
# payoffs); beyond it we go straight through and Gambit's perturbation may
# take another branch (see realpolitik.solve.logit's docstring).
BIFURCATING = {"bos", "deg1", "mm2x2x2"}


def reference_game(games_reference: dict[str, Any], game_id: str) -> dict[str, Any]:
    return next(g for g in games_reference["games"] if g["id"] == game_id)


def payoff_table(game: dict[str, Any]) -> np.ndarray:
    shape = game["payoff_array_shape"]
    arrays = [np.array(game["payoff_arrays_float"][p]).reshape(shape) for p in game["players"]]
    return np.stack(arrays)[None]


def flat_profile(entry: dict[str, Any], game: dict[str, Any]) -> np.ndarray:
    return np.array([entry["probs"][p][s] for p in game["players"] for s in game["strategies"][p]])
