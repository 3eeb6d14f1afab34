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

from typing import Any

import numpy as np
import pandas as pd

from realpolitik.concepts import CONCEPTS
from realpolitik.concepts import concept as find_concept
from realpolitik.errors import GameClassError, listing
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.reduced_form import reduced_normal_form
from realpolitik.games.tree import TreeGame
from realpolitik.solve.dispatch import concept_arguments, normal_form_solver, tree_solver
from realpolitik.solve.profiles import StrategyProfile
from realpolitik.solve.regret import max_regret, node_values
from realpolitik.solve.tree_solution import behaviour_profile


def strategy_profiles(game: NormalFormGame, found: list[StrategyProfile]) -> list[dict[str, Any]]:
    """Solved profiles of a one-draw game as reference-style dicts."""
    result = []
    for profile in found:
        arrays = [np.asarray(p, dtype=np.float64)[None, :] for p in profile.probs]
        payoffs = game.draw(0).profile_payoffs(arrays)[0]
        regret = float(game.draw(0).max_regret(arrays)[0])
        entry: dict[str, Any] = {
            "kind": "strategy",
            "probs": {
                player: {
                    s: float(v) for s, v in zip(game.strategies[i], profile.probs[i], strict=True)
                }
                for i, player in enumerate(game.players)
            },
            "payoffs": {player: float(payoffs[i]) for i, player in enumerate(game.players)},
            "max_regret": regret,
        }
        entry.update(profile.extra)
        result.append(entry)
    return result


def behaviour_profiles(
    game: TreeGame, behaviour: np.ndarray, extra: dict[str, Any]
) -> dict[str, Any]:
    """A one-draw behaviour profile as a reference-style dict."""
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


def solve_game(
    game: NormalFormGame | TreeGame, concept: str = "pure-nash", lam: float = 1.0
) -> list[dict[str, Any]]:
    """Equilibria of a one-draw game (a normal form or a tree) as profiles.

    Any concept of :data:`realpolitik.concepts.CONCEPTS`: a tree is solved by
    the concept's tree solver, or, for concepts of strategic form alone
    (``pure-nash``, ``mixed-nash``), on its reduced strategic form as
    Gambit's ``enumpure`` and ``enummixed`` do; a normal-form game by the
    concept's normal-form solver. ``lam`` is the logit precision of the
    concepts that have one.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[3.0, 0.0], [0.0, 2.0]]); b = np.array([[2.0, 0.0], [0.0, 3.0]])
    >>> bos = NormalFormGame.from_arrays(a, b, players=("Row", "Col"))
    >>> [p["probs"]["Row"] for p in solve_game(bos, "pure-nash")]
    [{'1': 1.0, '2': 0.0}, {'1': 0.0, '2': 1.0}]
    """
    found = find_concept(str(concept))
    arguments = concept_arguments(found, lam)
    if isinstance(game, NormalFormGame):
        if found.normal_form_solver is None:
            usable = [c.name for c in CONCEPTS.values() if c.normal_form_solver is not None]
            raise GameClassError(f"{found.name} needs a game tree (.efg); use {listing(usable)}")
        return strategy_profiles(game, normal_form_solver(found)(game, **arguments))
    if found.tree_solver is None:
        return solve_game(reduced_normal_form(game), found.name, lam)
    solution = tree_solver(found)(game, **arguments)
    extra: dict[str, Any] = {}
    if solution.tie is not None:
        extra["tie"] = bool(solution.tie[0])
    if solution.lam is not None:
        extra["lambda"] = float(solution.lam[0])
    if solution.residual is not None:
        extra["fixed_point_residual"] = float(solution.residual[0])
    return [behaviour_profiles(game, solution.behaviour[0], extra)]


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
