"""``realpolitik solve``: equilibria of a Gambit ``.efg`` or ``.nfg`` file,
printed as tables or as JSON profiles (see :mod:`realpolitik.solve.equilibria`).

Tables name information sets by the moves that lead to them and reduced
strategies by the actions they take (:mod:`realpolitik.games.labels`); JSON
keeps Gambit's keys (``west:3``, ``2**112**11``) and adds the names. Values
below 1e-12 in absolute value print as 0. ``--lambda`` defaults to the
``lambda=`` recorded in the file's comment by ``realpolitik export-gambit``,
so that ``solve --concept qre`` on an exported scenario agrees with
``forecast``; a QRE whose path passed a bifurcation says so.
"""

from __future__ import annotations

import math
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from realpolitik.cli.output import (
    Table,
    check_output_dir,
    emit_json,
    out,
    styled,
    write_tables,
)
from realpolitik.concepts import CONCEPTS, LAMBDA
from realpolitik.errors import InputError
from realpolitik.games.gambit_io import comment_lambda
from realpolitik.games.labels import infoset_names, strategy_name
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import TreeGame
from realpolitik.limits import MAX_MAGNITUDE
from realpolitik.solve.equilibria import profiles_frame, solve_game

#: Below this, a probability or payoff prints as 0 (solvers leave 1e-33).
ZERO = 1e-12


class GameFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


def number(value: float, digits: int = 4) -> str:
    """A value for a table: 0 for round-off, else ``digits`` significant."""
    return "0" if abs(value) < ZERO else f"{value:.{digits}g}"


def _named(game: NormalFormGame | TreeGame, profiles: list[dict[str, Any]]) -> None:
    """Add readable names to each profile (in place): ``infoset_names`` for
    behaviour profiles, ``strategy_names`` for reduced strategies of a tree."""
    if not isinstance(game, TreeGame):
        return
    tree = game.tree
    names = infoset_names(tree)
    for profile in profiles:
        if profile["kind"] == "behavior":
            profile["infoset_names"] = {
                key: names[key] for player in profile["probs"].values() for key in player
            }
        else:
            profile["strategy_names"] = {
                player: {label: strategy_name(tree, i, label) for label in profile["probs"][player]}
                for i, player in enumerate(tree.players)
            }


def solve_command(
    file: Annotated[Path, typer.Argument(help="A Gambit .efg or .nfg file.")],
    concept: Annotated[
        str,
        typer.Option(
            "--concept",
            help="; ".join(f"{c.name}: {c.title}" for c in CONCEPTS.values()) + ".",
        ),
    ] = "pure-nash",
    lam: Annotated[
        float | None,
        typer.Option(
            "--lambda",
            help="Logit precision for qre. Default: the file comment's lambda= "
            f"(realpolitik export-gambit writes it), else {LAMBDA.default:g}.",
            min=0.0,
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="Show only the first N profiles (0: all).", min=0)
    ] = 0,
    fmt: Annotated[
        GameFormat, typer.Option("--format", help="table, markdown or json.")
    ] = GameFormat.table,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write the profiles as CSV and Parquet into this directory."
        ),
    ] = None,
) -> None:
    """Solve a Gambit game file: pure or mixed Nash equilibria, SPE, or logit QRE."""
    from realpolitik.games.gambit_io import read_game

    check_output_dir(out_dir, "--out")
    if not file.exists():
        raise InputError(f"no such file: {file}")
    if lam is not None and (not math.isfinite(lam) or lam > MAX_MAGNITUDE):
        raise InputError(f"--lambda {lam:g} is beyond {MAX_MAGNITUDE:.0e}", field="--lambda")
    game = read_game(file)
    comment = game.comment if isinstance(game, NormalFormGame) else game.tree.comment
    recorded = comment_lambda(comment)
    precision = lam if lam is not None else recorded if recorded is not None else LAMBDA.default
    found = solve_game(game, concept, precision)
    if concept == "qre":
        mark_incomplete(found, precision)
    total = len(found)
    profiles = found[:top] if top else found
    _named(game, profiles)
    if out_dir is not None:
        frame = profiles_frame(profiles)
        files = write_tables(out_dir, {"profiles": frame})
        sys.stderr.write(f"tables: {len(files)} files in {out_dir}\n")
    if fmt == GameFormat.json:
        emit_json(profiles)
        return
    out.use(fmt)
    title = game.title if isinstance(game, NormalFormGame) else game.tree.title
    shown = f"{len(profiles)} of {total}" if len(profiles) < total else f"{total}"
    out.print(styled((title or file.name, "bold"), f": {shown} profile(s), {concept}"))
    if any("lambda" in p for p in profiles) and lam is None and recorded is not None:
        out.print(f"lambda {recorded:g} from the file's comment (--lambda to change it)")
    for k, profile in enumerate(profiles):
        _profile_table(k, profile)
    if len(profiles) < total:
        out.print(f"... {total - len(profiles)} more profiles (--top 0 shows all)")


def _profile_table(k: int, profile: dict[str, Any]) -> None:
    title = f"#{k + 1}  max regret {number(profile['max_regret'], 3)}"
    if "lambda" in profile:
        title += f"  lambda {profile['lambda']:.6g}"
    table = Table(title=title, title_justify="left")
    table.add_column("player")
    table.add_column("where" if profile["kind"] == "behavior" else "strategy")
    table.add_column("probabilities")
    table.add_column("payoff", justify="right")
    for player, probs in profile["probs"].items():
        pay = number(profile["payoffs"][player], 6)
        if profile["kind"] == "strategy":
            names = profile.get("strategy_names", {}).get(player, {})
            for s, v in probs.items():
                if abs(v) >= ZERO:
                    table.add_row(player, names.get(s, s), number(v), pay)
                    pay = ""
            continue
        for key, acts in probs.items():
            shown = ", ".join(f"{a}: {number(v)}" for a, v in acts.items())
            table.add_row(player, profile.get("infoset_names", {}).get(key, key), shown, pay)
            pay = ""
    out.print(table)
    if profile.get("passed_bifurcation"):
        out.print(
            "note: the logit path from lambda = 0 passed a bifurcation before this lambda; "
            "this is one of several QRE branches there (see docs/game-engine.md)"
        )


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
