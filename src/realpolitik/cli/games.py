"""``realpolitik solve``: equilibria of a Gambit ``.efg`` or ``.nfg`` file,
printed as tables or as JSON profiles (see :mod:`realpolitik.solve.equilibria`)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from realpolitik.concepts import CONCEPTS
from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.solve.equilibria import solve_game

out = Console(highlight=False, width=120)


class GameFormat(StrEnum):
    table = "table"
    json = "json"


def solve_command(
    file: Annotated[Path, typer.Argument(help="A Gambit .efg or .nfg file.")],
    concept: Annotated[
        str,
        typer.Option(
            "--concept",
            help="; ".join(f"{c.name}: {c.title}" for c in CONCEPTS.values()) + ".",
        ),
    ] = "pure-nash",
    lam: Annotated[float, typer.Option("--lambda", help="Logit precision for qre.", min=0.0)] = 1.0,
    fmt: Annotated[GameFormat, typer.Option("--format", help="table or json.")] = GameFormat.table,
) -> None:
    """Solve a Gambit game file: pure or mixed Nash equilibria, SPE, or logit QRE."""
    from realpolitik.games.gambit_io import read_game

    if not file.exists():
        raise InputError(f"no such file: {file}")
    game = read_game(file)
    profiles = solve_game(game, concept, lam)
    if fmt == GameFormat.json:
        sys.stdout.write(json.dumps(profiles, indent=2) + "\n")
        return
    title = game.title if isinstance(game, NormalFormGame) else game.tree.title
    out.print(f"[bold]{title or file.name}[/bold]: {len(profiles)} profile(s), {concept}")
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
