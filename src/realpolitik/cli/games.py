"""``realpolitik solve``: equilibria of a Gambit ``.efg`` or ``.nfg`` file,
printed as tables or as JSON profiles (see :mod:`realpolitik.solve.equilibria`)."""

from __future__ import annotations

import math
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.limits import MAX_MAGNITUDE
from realpolitik.solve.equilibria import GameConcept, solve_game
from realpolitik.strict_json import dumps_strict

out = Console(highlight=False, width=120)


class GameFormat(StrEnum):
    table = "table"
    json = "json"


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
    if not math.isfinite(lam) or lam > MAX_MAGNITUDE:
        raise InputError(f"--lambda {lam:g} is beyond {MAX_MAGNITUDE:.0e}", field="--lambda")
    game = read_game(file)
    profiles = solve_game(game, concept, lam)
    if concept == GameConcept.qre:
        mark_incomplete(profiles, lam)
    if fmt == GameFormat.json:
        sys.stdout.write(dumps_strict(profiles) + "\n")
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


def mark_incomplete(profiles: list[dict[str, Any]], lam: float) -> None:
    """Give each QRE profile a ``status``: ``complete``, or ``incomplete`` with
    a one-line warning where the logit branch ended before the requested
    lambda (the profile is then the last point reached, not the QRE asked for)."""
    for profile in profiles:
        reached = float(profile.get("lambda", lam))
        profile["lambda_requested"] = lam
        if reached < lam * (1.0 - 1e-9):
            profile["status"] = "incomplete"
            warnings.warn(
                f"the logit branch ended at lambda = {reached:.6g}, short of the requested "
                f"{lam:g}: the profile shown is the last point reached (status: incomplete)",
                UserWarning,
                stacklevel=2,
            )
        else:
            profile["status"] = "complete"


def register(app: typer.Typer) -> None:
    app.command("solve")(solve_command)
