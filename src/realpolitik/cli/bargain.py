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

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from realpolitik.bargaining.data import SalienceScale, detect_format, read_problem
from realpolitik.bargaining.eum import DEFAULT_VARIANT, VARIANTS, run_eum
from realpolitik.bargaining.types import BargainingProblem, BargainingRun
from realpolitik.cli.scenario import SetOpt, parse_set
from realpolitik.errors import InputError
from realpolitik.strict_json import dumps_strict

__all__ = ["register", "run_to_json"]

_FORMATS = ("table", "json")
_MODELS = ("eum", "smp")


def _check_choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise InputError(f"{value!r} is not one of {', '.join(allowed)}", field=option)
    return value


def run_to_json(run: BargainingRun) -> dict[str, Any]:
    """The ``bargain run`` JSON document for a run (see the module docstring)."""
    return run.to_json()


def _fmt(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.6g}"


def _print_run(run: BargainingRun, console: Console) -> None:
    problem = run.problem
    n_turns = run.positions.shape[0]
    shown = list(range(n_turns)) if n_turns <= 12 else [*range(6), *range(n_turns - 6, n_turns)]
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
                table.add_row(f"[bold]{key}[/bold]", *(_fmt(float(series[t, d])) for t in shown))
        console.print(table)
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


def _smp_config(variant: str | None, base: Any) -> Any:
    """An SMPConfig from ``ktab-default`` or ``ktab:field=value,...`` (on ``base``)."""
    smp = _smp_module()
    if variant is None:
        return base
    name, _, overrides = variant.partition(":")
    if name.strip() not in ("ktab", "ktab-default"):
        raise InputError(
            f"unknown SMP variant {variant!r}; write ktab-default or ktab:field=value,...",
            field="variant",
        )
    known = {f.name: f for f in dataclasses.fields(smp.SMPConfig)}
    changes: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in overrides.split(","))):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or key not in known:
            raise InputError(
                f"bad SMP variant override {item!r}; fields: {', '.join(known)}", field="variant"
            )
        default = getattr(smp.SMPConfig(), key)
        try:
            changes[key] = type(default)(value) if isinstance(default, int | float) else value
        except ValueError:
            raise InputError(f"{key}={value!r} is not a number", field="variant") from None
    return dataclasses.replace(base, **changes)


def _smp_module() -> Any:
    try:
        return importlib.import_module("realpolitik.bargaining.smp")
    except ModuleNotFoundError as err:  # pragma: no cover - only before the SMP lands
        if err.name != "realpolitik.bargaining.smp":
            raise
        raise InputError(
            "the SMP model is not available in this installation", field="model"
        ) from None


def _smp_run(
    path: Path, problem: BargainingProblem, variant: str | None, rounds: int | None
) -> BargainingRun:
    """KTAB's SMP; an XML scenario's own options, seed and accommodation are kept."""
    smp = _smp_module()
    options: dict[str, Any] = {}
    config = smp.SMPConfig()
    if detect_format(path) == "ktab-xml":
        from realpolitik.bargaining.ktab_io import read_ktab_xml

        problem, config, seed, accommodation = read_ktab_xml(path)
        options = {"seed": seed, "accommodation": accommodation}
    options["config"] = _smp_config(variant, config)
    if rounds is not None:
        options["max_turns"] = rounds
    run_smp: Callable[..., BargainingRun] = smp.run_smp
    return run_smp(problem, **options)


def _scenario_or_none(file: Path) -> Any:
    """The scenario named by FILE (a .yaml path or a built-in name), or None."""
    from realpolitik.scenario.load import builtin_names, resolve

    if file.suffix.lower() in (".yaml", ".yml") or (
        not file.exists() and str(file) in builtin_names()
    ):
        return resolve(str(file))
    return None


def run_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="BDM CSV, KTAB CSV/XML or DEU III-style file, or a scenario with an issues: "
            "section (a .yaml path or a built-in name)."
        ),
    ],
    model: Annotated[str, typer.Option(help="eum or smp.")] = "eum",
    variant: Annotated[
        str | None,
        typer.Option(
            help=f"EUM: {', '.join(VARIANTS)} (default {DEFAULT_VARIANT}); SMP: "
            "ktab-default; overrides as name:field=value,..."
        ),
    ] = None,
    rounds: Annotated[
        int | None, typer.Option(help="Maximum rounds (EUM default 10; SMP its own).")
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
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    set_values: SetOpt = None,
) -> None:
    """Run a bargaining model on FILE and print positions per turn, moves and forecast."""
    _check_choice(model, _MODELS, "model")
    _check_choice(output_format, _FORMATS, "format")
    scale = _check_choice(salience_scale, ("auto", "1", "100"), "salience-scale")
    if rounds is not None and rounds < 0:
        raise InputError(f"--rounds must be >= 0, got {rounds}", field="rounds")
    if tol is not None and tol < 0:
        raise InputError(f"--tol must be >= 0, got {tol}", field="tol")
    salience: SalienceScale = "auto" if scale == "auto" else ("1" if scale == "1" else "100")
    scenario = _scenario_or_none(file)
    values = parse_set(set_values)
    if scenario is not None:
        _run_scenario_issue(
            scenario, issue, model, variant, rounds, draws, seed, plot, output_format, values
        )
        return
    if draws:
        raise InputError("--draws applies to scenarios with an issues: section", field="draws")
    if values:
        raise InputError("--set applies to scenarios with an issues: section", field="set")
    problem = read_problem(file, issue=issue, salience_scale=salience)
    if model == "eum":
        run = run_eum(
            problem,
            variant=variant or DEFAULT_VARIANT,
            rounds=10 if rounds is None else rounds,
            tol=tol,
        )
    else:
        if tol is not None:
            raise InputError("--tol applies to the EUM only", field="tol")
        run = _smp_run(file, problem, variant, rounds)
    if plot is not None:
        from realpolitik.bargaining.plots import save_trajectory_plot

        save_trajectory_plot(run, plot)
    if output_format == "json":
        typer.echo(dumps_strict(run_to_json(run), indent=1))
    else:
        _print_run(run, Console())


def _run_scenario_issue(
    scenario: Any,
    issue: str | None,
    model: str,
    variant: str | None,
    rounds: int | None,
    draws: int,
    seed: int,
    plot: Path | None,
    output_format: str,
    values: dict[str, float],
) -> None:
    """``bargain run SCENARIO --issue ID [--draws N] [--set NAME=VALUE]``."""
    from realpolitik.bargaining.scenario_issues import run_issue, run_issue_draws

    if draws:
        ensemble = run_issue_draws(
            scenario,
            issue,
            draws=draws,
            seed=seed,
            model=model,
            variant=variant,
            rounds=rounds,
            values=values,
        )
        summary = ensemble.summary()
        if output_format == "json":
            typer.echo(dumps_strict(summary, indent=1))
            return
        table = Table(
            title=f"{scenario.title}: {summary['issue']} ({model}, {draws} draws, seed {seed})",
            title_justify="left",
        )
        for column in ("", "mean", "5%", "median", "95%"):
            table.add_column(column, justify="right" if column else "left")
        rows = [("forecast", summary["forecast"]), *summary["baselines"].items()]
        for name, stats in rows:
            table.add_row(name, *(f"{stats[k]:.3g}" for k in ("mean", "p05", "p50", "p95")))
        Console().print(table)
        return
    run = run_issue(scenario, issue, model=model, variant=variant, rounds=rounds, values=values)
    if plot is not None:
        from realpolitik.bargaining.plots import save_trajectory_plot

        save_trajectory_plot(run, plot)
    if output_format == "json":
        typer.echo(dumps_strict(run_to_json(run), indent=1))
    else:
        _print_run(run, Console())


def evaluate_command(
    file: Annotated[Path, typer.Argument(help="DEU III-style tab-separated file.")],
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    models: Annotated[str, typer.Option(help="Comma-separated models to score.")] = "eum,smp",
    variant: Annotated[str, typer.Option(help="EUM variant.")] = DEFAULT_VARIANT,
    rounds: Annotated[int, typer.Option(help="EUM rounds.")] = 10,
) -> None:
    """Score the models and the weighted mean and median baselines on real outcomes."""
    from realpolitik.bargaining.evaluate import evaluate_file

    _check_choice(output_format, _FORMATS, "format")
    chosen = tuple(m.strip() for m in models.split(",") if m.strip())
    for name in chosen:
        _check_choice(name, _MODELS, "models")
    if rounds < 0:
        raise InputError(f"--rounds must be >= 0, got {rounds}", field="rounds")
    if detect_format(file) != "deu3":
        raise InputError(
            "evaluate needs a DEU III-style tab-separated file with an 'out' column",
            file=str(file),
            line=1,
        )
    result = evaluate_file(file, models=chosen, eum_variant=variant, eum_rounds=rounds)
    if output_format == "json":
        typer.echo(dumps_strict(result.to_json(), indent=1))
        return
    table = Table(title=f"absolute error on {result.n_issues} issues (0-100 scale)")
    for column in ("forecaster", "MAE", "median AE", "within 10"):
        table.add_column(column, justify="left" if column == "forecaster" else "right")
    for name, s in result.scores.items():
        table.add_row(name, f"{s.mae:.2f}", f"{s.median_ae:.2f}", f"{s.share_within_10:.1%}")
    console = Console()
    console.print(table)
    if result.skipped:
        console.print(f"{len(result.skipped)} issue(s) skipped (no outcome or fewer than 3 actors)")


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
