"""Equilibria of one game as labelled profiles: the Python API behind
``realpolitik solve``.

A profile is a plain dict in the convention of
``reference/games/reference.json``: ``{"kind": "strategy" | "behavior",
"probs", "payoffs", "max_regret"}`` plus ``"lambda"`` for the QRE;
strategy profiles as ``probs[player][strategy]``, behaviour profiles as
``probs[player]["<player>:<infoset, 0-based>"][action]``.
:func:`profiles_frame` turns a list of them into a tidy DataFrame.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.errors import GameClassError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import TreeGame


class GameConcept(StrEnum):
    """Solution concepts of ``realpolitik solve``."""

    pure_nash = "pure-nash"
    mixed_nash = "mixed-nash"
    spe = "spe"
    qre = "qre"


def strategy_profiles(
    game: NormalFormGame, probs: list[list[np.ndarray]], extra: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Profiles (one list of per-player arrays each) as reference-style dicts."""
    result = []
    for k, profile in enumerate(probs):
        arrays = [np.asarray(p, dtype=np.float64)[None, :] for p in profile]
        payoffs = game.draw(0).profile_payoffs(arrays)[0]
        regret = float(game.draw(0).max_regret(arrays)[0])
        entry: dict[str, Any] = {
            "kind": "strategy",
            "probs": {
                player: {s: float(v) for s, v in zip(game.strategies[i], profile[i], strict=True)}
                for i, player in enumerate(game.players)
            },
            "payoffs": {player: float(payoffs[i]) for i, player in enumerate(game.players)},
            "max_regret": regret,
        }
        if extra:
            entry.update(extra[k])
        result.append(entry)
    return result


def behaviour_profiles(
    game: TreeGame, behaviour: np.ndarray, extra: dict[str, Any]
) -> dict[str, Any]:
    from realpolitik.solve.regret import max_regret, node_values
    from realpolitik.solve.tree_solution import behaviour_profile

    tree = game.tree
    values = node_values(game, behaviour[None, :])[0, 0]
    entry: dict[str, Any] = {
        "kind": "behavior",
        "probs": behaviour_profile(tree, behaviour),
        "payoffs": {player: float(values[i]) for i, player in enumerate(tree.players)},
        "max_regret": float(max_regret(game, behaviour[None, :])[0]),
    }
    entry.update(extra)
    return entry


def solve_normal_form(
    game: NormalFormGame, concept: GameConcept, lam: float
) -> list[dict[str, Any]]:
    """Equilibria of a one-draw normal-form game as reference-style profiles."""
    from realpolitik.solve import logit
    from realpolitik.solve.pure_nash import pure_nash_mask, pure_nash_profiles

    if concept == GameConcept.spe:
        raise GameClassError("spe needs a game tree (.efg); use pure-nash, mixed-nash or qre")
    if concept == GameConcept.pure_nash:
        mask = pure_nash_mask(game.payoffs)
        _, indices = pure_nash_profiles(mask)
        profiles = []
        for idx in indices:
            profiles.append([np.eye(n)[int(i)] for n, i in zip(game.shape, idx, strict=True)])
        return strategy_profiles(game, profiles)
    if concept == GameConcept.mixed_nash:
        if game.n_players == 2:
            from realpolitik.solve.mixed_nash import extreme_equilibria

            eq = extreme_equilibria(game.payoffs)
            return strategy_profiles(game, [[x, y] for x, y in zip(eq.row, eq.col, strict=True)])
        limit = logit.logit_limit(game.payoffs)
        return strategy_profiles(
            game,
            [[p[0] for p in limit.probs]],
            [{"method": "logit-limit", "lambda_left": float(limit.lam[0])}],
        )
    qre = logit.logit_qre(game.payoffs, lam)
    return strategy_profiles(
        game,
        [[p[0] for p in qre.at(0)]],
        [
            {
                "lambda": float(qre.lam[0, 0]),
                "fixed_point_residual": float(qre.fixed_point_residual[0, 0]),
            }
        ],
    )


def solve_tree_game(game: TreeGame, concept: GameConcept, lam: float) -> list[dict[str, Any]]:
    """Equilibria of a one-draw tree as reference-style profiles."""
    if concept in (GameConcept.pure_nash, GameConcept.mixed_nash):
        from realpolitik.games.reduced_form import reduced_normal_form

        return solve_normal_form(reduced_normal_form(game), concept, lam)
    from realpolitik.solve.dispatch import solve

    if concept == GameConcept.spe:
        sol = solve(game, "spe")
        extra: dict[str, Any] = {"tie": bool(sol.tie[0]) if sol.tie is not None else False}
        return [behaviour_profiles(game, sol.behaviour[0], extra)]
    sol = solve(game, "qre", lam)
    assert sol.lam is not None
    extra = {"lambda": float(sol.lam[0])}
    if sol.residual is not None:
        extra["fixed_point_residual"] = float(sol.residual[0])
    return [behaviour_profiles(game, sol.behaviour[0], extra)]


def solve_game(
    game: NormalFormGame | TreeGame, concept: GameConcept | str = "pure-nash", lam: float = 1.0
) -> list[dict[str, Any]]:
    """Equilibria of a one-draw game (a normal form or a tree) as profiles.

    ``pure-nash``: all pure Nash equilibria (trees: of the reduced strategic
    form, as Gambit's ``enumpure``); ``mixed-nash``: all extreme equilibria of
    two-player games (``enummixed``), or the limit of the principal logit
    branch for more players; ``spe``: the subgame-perfect equilibrium of a
    tree; ``qre``: the logit QRE at ``lam`` (agent QRE for trees).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[3.0, 0.0], [0.0, 2.0]]); b = np.array([[2.0, 0.0], [0.0, 3.0]])
    >>> bos = NormalFormGame.from_arrays(a, b, players=("Row", "Col"))
    >>> [p["probs"]["Row"] for p in solve_game(bos, "pure-nash")]
    [{'1': 1.0, '2': 0.0}, {'1': 0.0, '2': 1.0}]
    """
    concept = GameConcept(concept)
    if isinstance(game, NormalFormGame):
        return solve_normal_form(game, concept, lam)
    return solve_tree_game(game, concept, lam)


def profiles_frame(profiles: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (profile, player, information set or "", strategy or
    action): probability, the player's payoff and the profile's max regret."""
    rows = []
    for k, profile in enumerate(profiles):
        for player, probs in profile["probs"].items():
            pay = profile["payoffs"][player]
            if profile["kind"] == "strategy":
                for label, value in probs.items():
                    rows.append((k, player, "", label, value, pay, profile["max_regret"]))
                continue
            for infoset, actions in probs.items():
                for label, value in actions.items():
                    rows.append((k, player, infoset, label, value, pay, profile["max_regret"]))
    return pd.DataFrame(
        rows,
        columns=["profile", "player", "infoset", "choice", "probability", "payoff", "max_regret"],
    )
