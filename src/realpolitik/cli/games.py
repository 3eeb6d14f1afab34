"""``realpolitik solve``: equilibria of a Gambit ``.efg`` or ``.nfg`` file.

The JSON output follows ``reference/games/reference.json``: a list of
profiles, each ``{"kind", "probs", "payoffs", "max_regret"}`` (plus
``"lambda"`` for the QRE); strategy profiles as
``probs[player][strategy]``, behaviour profiles as
``probs[player]["<player>:<infoset, 0-based>"][action]``.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from realpolitik.errors import GameClassError, InputError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import TreeGame

out = Console(highlight=False, width=120)


class GameConcept(StrEnum):
    pure_nash = "pure-nash"
    mixed_nash = "mixed-nash"
    spe = "spe"
    qre = "qre"


class GameFormat(StrEnum):
    table = "table"
    json = "json"


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


def solve_command(
    file: Annotated[Path, typer.Argument(help="A Gambit .efg or .nfg file.")],
    concept: Annotated[
        GameConcept, typer.Option("--concept", help="pure-nash, mixed-nash, spe or qre.")
    ] = GameConcept.pure_nash,
    lam: Annotated[float, typer.Option("--lambda", help="Logit precision for qre.", min=0.0)] = 1.0,
    fmt: Annotated[GameFormat, typer.Option("--format", help="table or json.")] = GameFormat.table,
) -> None:
    """Solve a Gambit game file: pure or mixed Nash equilibria, SPE, or logit QRE."""
    from realpolitik.games.gambit_io import read_game

    if not file.exists():
        raise InputError(f"no such file: {file}")
    game = read_game(file)
    if isinstance(game, NormalFormGame):
        profiles = solve_normal_form(game, concept, lam)
    else:
        profiles = solve_tree_game(game, concept, lam)
    if fmt == GameFormat.json:
        sys.stdout.write(json.dumps(profiles, indent=2) + "\n")
        return
    title = game.title if isinstance(game, NormalFormGame) else game.tree.title
    out.print(f"[bold]{title or file.name}[/bold]: {len(profiles)} profile(s), {concept.value}")
    for k, profile in enumerate(profiles):
        table = Table(
            title=f"#{k + 1}  max regret {profile['max_regret']:.3g}"
            + (f"  lambda {profile['lambda']:.6g}" if "lambda" in profile else ""),
            title_justify="left",
        )
        table.add_column("player")
        table.add_column("where")
        table.add_column("probabilities")
        table.add_column("payoff", justify="right")
        for player, probs in profile["probs"].items():
            pay = f"{profile['payoffs'][player]:.6g}"
            if profile["kind"] == "strategy":
                shown = ", ".join(f"{s}: {v:.4g}" for s, v in probs.items() if v > 1e-12)
                table.add_row(player, "", shown, pay)
                continue
            for key, acts in probs.items():
                shown = ", ".join(f"{a}: {v:.4g}" for a, v in acts.items())
                table.add_row(player, key, shown, pay)
                pay = ""
        out.print(table)


def register(app: typer.Typer) -> None:
    app.command("solve")(solve_command)
