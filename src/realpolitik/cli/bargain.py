"""``realpolitik bargain``: run a bargaining model on a file, or score the models
on real outcomes.

Why this module exists: the command line over :mod:`realpolitik.bargaining`.
``run`` reads a BDM CSV, a KTAB CSV/XML scenario or one issue of a DEU III-style
file, runs the expected-utility model (EUM) or KTAB's spatial model (SMP) and
prints positions per turn, who moved and why, the forecast, and the weighted
mean and weighted median baselines; ``evaluate`` scores every model and both
baselines on a DEU III-style file. A user's mistake raises
:class:`~realpolitik.errors.InputError`, printed by
:mod:`realpolitik.cli.main` as one line with exit code 2.

JSON shapes
-----------
``run``: ``{"model", "turns": [{"turn", "positions": {actor: [value per
dimension]}, "moves": [...]}], "forecast": [...], "baselines":
{"weighted_mean": [...], "weighted_median": [...]}}``, positions on the
input's scale. ``evaluate``: ``{"n_issues": n, "scores": {name: {"mae",
"median_ae", "share_within_10"}}}`` with names ``eum``, ``smp``,
``weighted_mean``, ``weighted_median``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from realpolitik.bargaining.bargain import bargain, is_scenario
from realpolitik.bargaining.data import SalienceScale, detect_format
from realpolitik.bargaining.eum import DEFAULT_VARIANT
from realpolitik.bargaining.evaluate import evaluate_file
from realpolitik.bargaining.models import BARGAINING_MODELS, ModelOptions, bargaining_model
from realpolitik.bargaining.scenario_issues import IssueEnsemble
from realpolitik.bargaining.types import BargainingRun
from realpolitik.cli.output import Table, check_output_dir, check_output_file, out, styled
from realpolitik.cli.scenario import OutOpt, SetOpt, parse_set, wrote_tables
from realpolitik.errors import InputError
from realpolitik.plots.bargaining_plots import save_trajectory_plot
from realpolitik.strict_json import dumps_strict

__all__ = ["register", "run_to_json"]

_FORMATS = ("table", "markdown", "json")
MODEL_NAMES = " or ".join(BARGAINING_MODELS)


def _check_choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise InputError(f"{value!r} is not one of {', '.join(allowed)}", field=option)
    return value


def run_to_json(run: BargainingRun) -> dict[str, Any]:
    """The ``bargain run`` JSON document for a run (see the module docstring)."""
    return run.to_json()


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.6g}"


def run_tables(run: BargainingRun) -> dict[str, pd.DataFrame]:
    """Every table of a run, for ``--out``: positions (long), forecast, moves."""
    problem = run.problem
    positions = pd.DataFrame(
        [
            {"turn": t, "actor": actor, "dimension": dim, "position": float(run.positions[t, a, d])}
            for t in range(run.positions.shape[0])
            for a, actor in enumerate(problem.actors)
            for d, dim in enumerate(problem.dimensions)
        ]
    )
    forecast = pd.DataFrame(
        [
            {"forecaster": name, "dimension": dim, "value": float(values[d])}
            for name, values in [(f"{run.model} forecast", run.forecast), *run.baselines.items()]
            for d, dim in enumerate(problem.dimensions)
        ]
    )
    moves = pd.DataFrame(
        [
            {
                "turn": m.turn,
                "actor": m.actor,
                "move": m.kind,
                "with": m.counterpart or "",
                "from": list(m.old),
                "to": list(m.new),
                "detail": m.detail,
            }
            for m in run.moves
        ],
        columns=["turn", "actor", "move", "with", "from", "to", "detail"],
    )
    return {"positions": positions, "forecast": forecast, "moves": moves}


def _print_run(run: BargainingRun, console: Any) -> None:
    problem = run.problem
    n_turns = run.positions.shape[0]
    # on a terminal, long runs show their first and last 6 turns; to a file
    # or pipe every turn is printed (--out writes them all as a table)
    elide = sys.stdout.isatty() and not out.markdown and n_turns > 12
    shown = [*range(6), *range(n_turns - 6, n_turns)] if elide else list(range(n_turns))
    for d, dim in enumerate(problem.dimensions):
        table = Table(title=f"{run.model} ({run.variant}): positions on {dim}", show_lines=False)
        table.add_column("actor")
        for t in shown:
            table.add_column(f"t{t}", justify="right")
        for a, actor in enumerate(problem.actors):
            table.add_row(actor, *(_fmt(float(run.positions[t, a, d])) for t in shown))
        for key in ("median", "mean"):
            series = run.extra.get(key)
            if series is not None and series.shape[0] == n_turns:
                table.add_row(styled((key, "bold")), *(_fmt(float(series[t, d])) for t in shown))
        console.print(table)
        if elide:
            console.print(f"  turns 6 to {n_turns - 7} not shown on a terminal (pipe or --out)")
    summary = Table(title="forecast and baselines (weights capability x salience)")
    summary.add_column("")
    for dim in problem.dimensions:
        summary.add_column(dim, justify="right")
    summary.add_row(f"{run.model} forecast", *(_fmt(float(v)) for v in run.forecast))
    for name, value in run.baselines.items():
        summary.add_row(name.replace("_", " "), *(_fmt(float(v)) for v in value))
    console.print(summary)
    if run.moves:
        moves = Table(title="why actors moved")
        for column in ("turn", "actor", "move", "with", "from", "to", "detail"):
            moves.add_column(column)
        for move in run.moves:
            moves.add_row(
                str(move.turn),
                move.actor,
                move.kind,
                move.counterpart or "",
                ", ".join(_fmt(v) for v in move.old),
                ", ".join(_fmt(v) for v in move.new),
                move.detail,
            )
        console.print(moves)
    else:
        console.print("no actor moved")


def run_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="BDM CSV, KTAB CSV/XML or DEU III-style file, or a scenario with an issues: "
            "section (a .yaml path or a built-in name)."
        ),
    ],
    model: Annotated[str, typer.Option(help=f"{MODEL_NAMES}.")] = "eum",
    variant: Annotated[
        str | None,
        typer.Option(
            help="; ".join(f"{m.name.upper()}: {m.variants}" for m in BARGAINING_MODELS.values())
        ),
    ] = None,
    rounds: Annotated[
        int | None,
        typer.Option(
            help="Maximum rounds ("
            + ", ".join(
                f"{m.name.upper()} default {m.default_rounds}" for m in BARGAINING_MODELS.values()
            )
            + ")."
        ),
    ] = None,
    tol: Annotated[
        float | None, typer.Option(help="EUM: stop once no actor moves more than this.")
    ] = None,
    issue: Annotated[
        str | None,
        typer.Option(help="DEU III files: the issue (isnr); scenarios: the issue id."),
    ] = None,
    draws: Annotated[
        int,
        typer.Option(
            help="Scenarios: forecast over this many parameter draws (0: central).", min=0
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Scenarios: the sampling seed for --draws.")] = 0,
    salience_scale: Annotated[
        str, typer.Option(help="BDM files: salience scale auto, 1 or 100.")
    ] = "auto",
    plot: Annotated[
        Path | None, typer.Option(help="Write a position-trajectory plot (.png or .svg).")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, markdown or json.")
    ] = "table",
    set_values: SetOpt = None,
    out_dir: OutOpt = None,
) -> None:
    """Run a bargaining model on FILE and print positions per turn, moves and forecast."""
    _check_choice(output_format, _FORMATS, "format")
    check_output_file(plot, "--plot", (".png", ".svg"))
    check_output_dir(out_dir, "--out")
    out.use(output_format)
    scale = _check_choice(salience_scale, ("auto", "1", "100"), "salience-scale")
    salience: SalienceScale = "auto" if scale == "auto" else ("1" if scale == "1" else "100")
    result = bargain(
        str(file) if is_scenario(str(file)) else file,
        model=model,
        variant=variant,
        rounds=rounds,
        tol=tol,
        issue=issue,
        draws=draws,
        seed=seed,
        values=parse_set(set_values),
        salience_scale=salience,
    )
    if isinstance(result, IssueEnsemble):
        _print_ensemble(result, output_format)
        return
    if plot is not None:
        save_trajectory_plot(result, plot)
    wrote_tables(out_dir, run_tables(result))
    if output_format == "json":
        typer.echo(dumps_strict(run_to_json(result), indent=1))
    else:
        _print_run(result, out)


def _print_ensemble(ensemble: IssueEnsemble, output_format: str) -> None:
    """``bargain run SCENARIO --draws N``: the forecast and baselines over draws."""
    summary = ensemble.summary()
    if output_format == "json":
        typer.echo(dumps_strict(summary, indent=1))
        return
    table = Table(
        title=f"{ensemble.scenario.title}: {summary['issue']} ({ensemble.model}, "
        f"{ensemble.n_draws} draws, seed {ensemble.seed})",
        title_justify="left",
    )
    for column in ("", "mean", "5%", "median", "95%"):
        table.add_column(column, justify="right" if column else "left")
    rows = [("forecast", summary["forecast"]), *summary["baselines"].items()]
    for name, stats in rows:
        table.add_row(name, *(f"{stats[k]:.3g}" for k in ("mean", "p05", "p50", "p95")))
    out.print(table)


def evaluate_command(
    file: Annotated[Path, typer.Argument(help="DEU III-style tab-separated file.")],
    output_format: Annotated[
        str, typer.Option("--format", help="table, markdown or json.")
    ] = "table",
    models: Annotated[str, typer.Option(help="Comma-separated models to score.")] = ",".join(
        BARGAINING_MODELS
    ),
    variant: Annotated[str, typer.Option(help="EUM variant.")] = DEFAULT_VARIANT,
    rounds: Annotated[int, typer.Option(help="EUM rounds.")] = 10,
) -> None:
    """Score the models and the weighted mean and median baselines on real outcomes."""

    _check_choice(output_format, _FORMATS, "format")
    out.use(output_format)
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    for name in chosen:
        bargaining_model(name)
    if rounds < 0:
        raise InputError(f"--rounds must be >= 0, got {rounds}", field="rounds")
    if detect_format(file) != "deu3":
        raise InputError(
            "evaluate needs a DEU III-style tab-separated file with an 'out' column",
            file=str(file),
            line=1,
        )
    result = evaluate_file(
        file, models=chosen, options={"eum": ModelOptions(variant=variant, rounds=rounds)}
    )
    if output_format == "json":
        typer.echo(dumps_strict(result.to_json(), indent=1))
        return
    table = Table(title=f"absolute error on {result.n_issues} issues (0-100 scale)")
    for column in ("forecaster", "MAE", "median AE", "within 10"):
        table.add_column(column, justify="left" if column == "forecaster" else "right")
    for name, s in result.scores.items():
        table.add_row(name, f"{s.mae:.2f}", f"{s.median_ae:.2f}", f"{s.share_within_10:.1%}")
    out.print(table)
    if result.skipped:
        out.print(f"{len(result.skipped)} issue(s) skipped (no outcome or fewer than 3 actors)")


def register(app: typer.Typer) -> None:
    """Add the ``bargain`` sub-app (``run``, ``evaluate``) to ``app``."""
    bargain = typer.Typer(
        name="bargain",
        help="Bargaining forecasts: expected-utility model (EUM) and KTAB's SMP.",
        no_args_is_help=True,
    )
    bargain.command("run")(run_command)
    bargain.command("evaluate")(evaluate_command)
    app.add_typer(bargain, name="bargain")
