"""Crisis-scenario commands: scenarios, validate, forecast, explain, pathways,
export-gambit."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from realpolitik.concepts import CONCEPTS
from realpolitik.errors import InputError

out = Console(highlight=False, soft_wrap=False, width=120)
err = Console(stderr=True, highlight=False)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Method(StrEnum):
    mc = "mc"
    lhs = "lhs"
    sobol = "sobol"


ScenarioArg = Annotated[
    str,
    typer.Argument(help="A built-in scenario name (see `realpolitik scenarios`) or a .yaml path."),
]
ConceptOpt = Annotated[
    str | None,
    typer.Option(
        "--concept",
        help="; ".join(f"{c.name}: {c.title}" for c in CONCEPTS.values() if c.forecasts)
        + ". Default: the scenario's.",
    ),
]
LambdaOpt = Annotated[
    float | None,
    typer.Option(
        "--lambda", help="Logit precision for qre, on the payoff scale. Default: the scenario's."
    ),
]
DrawsOpt = Annotated[
    int, typer.Option("--draws", help="Parameter draws (0: central values only).", min=0)
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Sampling seed (recorded; drawn if omitted).")
]
MethodOpt = Annotated[Method, typer.Option("--method", help="Sampling: mc, lhs or sobol.")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table, json or csv.")]


class RateColumn(ProgressColumn):
    """Draws per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} draws/s")


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar with rate and time left on stderr (silent for 0 draws)."""
    if total <= 1:
        yield lambda k: None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


def say(message: str) -> None:
    """One unwrapped line on stderr (run ids, how to resume)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def scenarios() -> None:
    """List the built-in scenarios."""
    from realpolitik.scenario.load import builtin_names, resolve

    table = Table(title="Built-in scenarios", title_justify="left")
    table.add_column("name")
    table.add_column("title")
    table.add_column("as of")
    table.add_column("actors")
    for name in builtin_names():
        sc = resolve(name)
        table.add_row(name, sc.title, sc.as_of, ", ".join(sc.actor_ids))
    out.print(table)


#: Parameter draws on which `validate` evaluates every expression (Latin
#: hypercube, seed 0), besides the central values.
VALIDATE_DRAWS = 256


def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file; print every problem as file:line: field: message.

    Besides the file's structure and names, every expression is evaluated at
    the central values and on 256 parameter draws (Latin hypercube, seed 0):
    a chance probability outside [0, 1] or a value that is not finite there is
    reported with the parameter values that cause it.
    """
    from realpolitik.compiler.scenario_tree import compile_scenario
    from realpolitik.run.sampling import scenario_sampler
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    for warning in sc.warnings:  # post-dated or undated sources: the file still loads
        typer.echo(" ".join(f"warning: {warning}".split()), err=True)
    compiled = compile_scenario(sc)
    compiled.check(compiled.parameter_values(), first_draw=None)
    if sc.parameters:
        draws = scenario_sampler(sc, VALIDATE_DRAWS, method="lhs", seed=0).draws(0, VALIDATE_DRAWS)
        compiled.check(compiled.parameter_values(draws))
    out.print(
        f"ok: {sc.id}: {len(sc.actors)} actors, {len(sc.parameters)} parameters, "
        f"{len(sc.moves)} moves, {compiled.tree.n_terminals} paths, "
        f"{len(sc.term_ids)} payoff terms, {len(sc.metrics)} metrics"
    )


class ExecutorName(StrEnum):
    local = "local"
    threads = "threads"
    processes = "processes"
    dask = "dask"


TopOpt = Annotated[int, typer.Option("--top", help="Pathways to show in the table.")]
PlotOpt = Annotated[
    Path | None,
    typer.Option("--plot", help="Also write plots (PNG and SVG) into this directory."),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Record the run (draws and outcomes) in this DuckDB results store; "
        "see `realpolitik runs`.",
    ),
]
ChunkOpt = Annotated[
    int | None,
    typer.Option("--chunk", help="Draws per task (memory per task; results do not change).", min=1),
]
ExecutorOpt = Annotated[
    ExecutorName | None,
    typer.Option("--executor", help="local (this process, default), threads, processes, or dask."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", help="Threads or processes for --executor threads|processes.", min=1),
]
ClusterOpt = Annotated[
    str | None,
    typer.Option("--cluster", help="Run the draws on a Dask scheduler, e.g. tcp://host:8786."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="NAME=VALUE: hold a parameter at this value (repeatable): instead of its "
        "central value, and with --draws while the others vary.",
    ),
]


def ensemble_options(
    chunk: int | None, executor: Any, workers: int | None, cluster: str | None
) -> dict[str, Any]:
    """The ensemble keywords of :func:`realpolitik.forecast` from the options."""
    options: dict[str, Any] = {
        "executor": executor.value if executor else None,
        "workers": workers,
        "cluster": cluster,
    }
    if chunk is not None:
        options["chunk"] = chunk
    return options


def parse_set(items: list[str] | None) -> dict[str, float]:
    """``["a=0.5", "b=2"]`` -> ``{"a": 0.5, "b": 2.0}``; names and ranges are
    checked against the scenario by the forecast."""
    values: dict[str, float] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set {item!r}: write NAME=VALUE, e.g. --set p_detect_targeted=0.5")
        try:
            values[name.strip()] = float(text)
        except ValueError:
            raise InputError(f"--set {item!r}: {text.strip()!r} is not a number") from None
    return values


def forecast(
    scenario: ScenarioArg,
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    method: MethodOpt = Method.mc,
    fmt: FormatOpt = Format.table,
    top: TopOpt = 5,
    store: StoreOpt = None,
    chunk: ChunkOpt = None,
    executor: ExecutorOpt = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    plot: PlotOpt = None,
    set_values: SetOpt = None,
) -> None:
    """Forecast who does what, the most likely pathways, metrics and the reasons."""
    from realpolitik.analysis.forecast import forecast as run_forecast
    from realpolitik.scenario.load import resolve
    from realpolitik.store import RunInterrupted

    sc = resolve(scenario)
    ensemble = ensemble_options(chunk, executor, workers, cluster)
    if store is not None:
        ensemble["store"] = store
        ensemble["on_run"] = lambda run_id, st: say(f"run {run_id} in {st.path}")
    try:
        with progress_bar(draws, "solving") as advance:
            result = run_forecast(
                sc,
                concept=concept,
                lam=lam,
                draws=draws,
                seed=seed,
                method=method.value,
                progress=advance,
                values=parse_set(set_values),
                **ensemble,
            )
    except RunInterrupted as stop:
        say(f"interrupted: {stop.message}")
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        say("interrupted (nothing was stored; add --store PATH to keep a run and resume it)")
        raise typer.Exit(130) from None
    show_forecast(result, fmt, top)
    if plot is not None:
        _write_plots(result, plot)


def _write_plots(result: Any, directory: Path) -> None:
    from realpolitik.report.forecast_plots import write_forecast_plots

    files = write_forecast_plots(result, directory)
    say(f"plots: {', '.join(str(f) for f in files)}")


def _assumption_cells(result: Any) -> dict[str, dict[str, str]]:
    """Per action (``actor:move:action``): its probability under best
    responses, lambda's share of its variance, its share of swing from
    judgement (columns present only when computed)."""
    cells: dict[str, dict[str, str]] = {}
    noise = result.extra.get("noise")
    judged = result.extra.get("judgement")
    if noise is not None:
        for r in noise.table.to_dict("records"):
            row = cells.setdefault(str(r["name"]), {})
            best = float(r["best_response"])
            row["best response"] = _pct(best) if best == best else "-"
            if noise.lambda_drawn:  # an estimate: shown with its 95% half-width
                s1, conf = float(r["lambda_s1"]), float(r["lambda_s1_conf"])
                row["λ share"] = f"{100 * s1:.0f}±{100 * conf:.0f}%" if s1 == s1 else "-"
    if judged is not None:
        for r in judged.table.to_dict("records"):
            if r["kind"] == "action":
                share = float(r["share"])
                cells.setdefault(str(r["name"]), {})["from judgement"] = (
                    _pct(share) if share == share else "-"
                )
    return cells


def show_forecast(result: Any, fmt: Format, top: int) -> None:
    """Print a forecast as ``realpolitik forecast`` does (also used by ``run``)."""
    from realpolitik.analysis.explain import explain as run_explain

    sc = result.scenario
    if fmt == Format.json:
        _print_json(result.to_json())
        return
    if fmt == Format.csv:
        sys.stdout.write(result.actions.to_csv(index=False))
        return
    s = result.settings
    how = f"{s.concept.upper()}" + (f", lambda={s.lam:g}" if s.lam is not None else "")
    if s.concept == "mixture":
        how = "mixture of " + " + ".join(f"{w:g} {c.upper()}" for c, w in sc.solve.mixture)
    if s.lam is None and sc.solve.lam_varies and s.concept != "spe":
        how += ", lambda drawn"
    how += f", {s.draws} draws ({s.method}, seed {s.seed})" if s.draws else ", central values"
    if s.values:
        held = ", ".join(f"{name} = {value:g}" for name, value in s.values)
        how += f" except {held}" if not s.draws else f", holding {held}"
    out.print(f"[bold]{sc.title}[/bold]  (as of {sc.as_of}; {how})")
    table = Table(title="Who does what", title_justify="left")
    table.add_column("actor")
    table.add_column("action")
    table.add_column("probability", justify="right")
    if s.draws:
        table.add_column("90% interval", justify="right")
        table.add_column("most likely in", justify="right")
    # what each number rests on (analysis/judgement.py, analysis/noise.py)
    assumed = _assumption_cells(result)
    for column in next(iter(assumed.values()), {}):
        table.add_column(column, justify="right")
    for row in result.actions.itertuples():
        cells = [str(row.actor), str(row.action), _pct(float(row.probability))]
        if s.draws:
            cells += [
                f"{_pct(float(row.p05))}-{_pct(float(row.p95))}",
                _pct(float(row.most_likely_share)),
            ]
        cells += list(assumed.get(f"{row.actor}:{row.move}:{row.action}", {}).values())
        table.add_row(*cells)
    out.print(table)
    judged = result.extra.get("judgement")
    if judged is not None:
        alone = judged.resting_on_judgement()["name"].tolist()
        out.print(f"resting on judgement alone: {', '.join(alone) if alone else 'none'}")
    _pathway_table(result, top, max_metrics=2)
    if len(result.metrics):
        mt = Table(title="Expected metrics", title_justify="left")
        mt.add_column("metric")
        mt.add_column("expected", justify="right")
        if s.draws:
            mt.add_column("90% interval", justify="right")
        mt.add_column("unit")
        for row in result.metrics.itertuples():
            cells = [str(row.metric), f"{float(row.mean):.3g}"]
            if s.draws:
                cells.append(f"{float(row.p05):.3g} to {float(row.p95):.3g}")
            cells.append(str(row.unit))
            mt.add_row(*cells)
        out.print(mt)
    why = run_explain(
        sc,
        concept=s.concept,
        lam=s.lam,
        draws=min(s.draws, 2000),
        seed=s.seed,
        method=s.method,
    )
    out.print("[bold]Why[/bold] (the chosen action against each alternative, term by term):")
    for decision in why.decisions[:6]:
        out.print("  - " + decision.sentence(sc.actors[decision.actor].name))


def _pathway_table(result: Any, top: int, max_metrics: int | None = None) -> None:
    metric_ids = [m.id for m in result.scenario.metrics][:max_metrics]
    title = "Most likely pathways"
    if max_metrics is not None and len(result.scenario.metrics) > max_metrics:
        title += " (every path and metric: realpolitik pathways)"
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("path (actions in order)", overflow="fold", min_width=30)
    table.add_column("probability", justify="right")
    interval = bool(result.settings.draws) and "p05" in result.pathways
    if interval:
        table.add_column("90% interval", justify="right", no_wrap=True)
    for m in metric_ids:
        table.add_column(m, justify="right")
    for k, (_, row) in enumerate(result.pathways.head(top).iterrows()):
        cells = [
            str(k + 1),
            " > ".join(b for _, b in row["steps"]),
            _pct(float(row["probability"])),
        ]
        if interval:
            cells.append(f"{_pct(float(row['p05']))}-{_pct(float(row['p95']))}")
        cells += [f"{float(row[m]):.3g}" if row[m] == row[m] else "-" for m in metric_ids]
        table.add_row(*cells)
    out.print(table)


def explain(
    scenario: ScenarioArg,
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    method: MethodOpt = Method.mc,
    fmt: FormatOpt = Format.table,
    plot: PlotOpt = None,
    set_values: SetOpt = None,
) -> None:
    """Why: each decision on the equilibrium path against its alternatives, term by term."""
    from realpolitik.analysis.explain import explain as run_explain
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    result = run_explain(
        sc,
        concept=concept,
        lam=lam,
        draws=draws,
        seed=seed,
        method=method.value,
        values=parse_set(set_values),
    )
    if plot is not None:
        from realpolitik.report.explain_plots import write_explanation_plot

        files = write_explanation_plot(result, plot)
        say(f"plots: {', '.join(str(f) for f in files)}")
    if fmt == Format.json:
        _print_json(result.to_json())
        return
    if fmt == Format.csv:
        sys.stdout.write(result.table().to_csv(index=False))
        return
    for decision in result.decisions:
        name = sc.actors[decision.actor].name
        after = " > ".join(f"{a}:{b}" for a, b in decision.history) or "the start"
        out.print(
            f"\n[bold]{name}[/bold] at [italic]{decision.move}[/italic] after {after} "
            f"(reached with probability {decision.reach:.2f}) chooses "
            f"[bold]{decision.chosen}[/bold] ({decision.probability:.0%})"
        )
        terms = list(decision.value_terms)
        table = Table(show_edge=False)
        table.add_column(f"{decision.chosen} minus ...")
        for term in terms:
            table.add_column(term, justify="right")
        table.add_column("total", justify="right")
        for alt in decision.alternatives:
            table.add_row(
                f"{alt.action} ({alt.probability:.0%})",
                *[f"{alt.terms[t]:+.3g}" for t in terms],
                f"{alt.difference:+.3g}",
            )
        out.print(table)


def pathways(
    scenario: ScenarioArg,
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    method: MethodOpt = Method.mc,
    fmt: FormatOpt = Format.table,
    plot: PlotOpt = None,
) -> None:
    """Every escalation pathway with its probability and metrics, most likely first."""
    from realpolitik.analysis.forecast import forecast as run_forecast
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    with progress_bar(draws, "solving") as advance:
        result = run_forecast(
            sc,
            concept=concept,
            lam=lam,
            draws=draws,
            seed=seed,
            method=method.value,
            progress=advance,
        )
    if plot is not None:
        _write_plots(result, plot)
    if fmt == Format.json:
        _print_json(result.to_json()["pathways"])
        return
    if fmt == Format.csv:
        sys.stdout.write(result.pathways.drop(columns=["steps"]).to_csv(index=False))
        return
    _pathway_table(result, len(result.pathways))


def export_gambit(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Argument(help="The .efg file to write.")],
) -> None:
    """Write the scenario's game at the central parameter values as a Gambit .efg file."""
    from realpolitik.compiler.scenario_tree import compile_scenario
    from realpolitik.games.gambit_io import write_efg
    from realpolitik.scenario.load import resolve

    if output.suffix != ".efg":
        raise InputError(f"output file {output} should end in .efg")
    sc = resolve(scenario)
    compiled = compile_scenario(sc)
    game = compiled.game(compiled.parameter_values(), terms=False, first_draw=None)
    text = write_efg(game)
    # write a temporary file beside the output, then rename it: the output is
    # either the whole new file or left as it was, never half written
    tmp: Path | None = None
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".tmp", dir=output.parent or Path(".")
        )
        tmp = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        tmp.replace(output)
    except OSError as error:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {output}: {error.strerror}") from None
    err.print(
        f"wrote {output} ({compiled.tree.n_nodes} nodes, {compiled.tree.n_terminals} outcomes)"
    )


def report(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Argument(help="The HTML file to write.")],
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    set_values: SetOpt = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="Add a tornado of what moves this target, e.g. china:covert_assist.",
        ),
    ] = None,
) -> None:
    """Write the forecast, pathways, reasons, parameters and sources as one HTML file."""
    from realpolitik.report.html_report import build_report, write_report
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    html = build_report(
        sc,
        concept=concept,
        lam=lam,
        draws=draws,
        seed=seed,
        values=parse_set(set_values),
        target=target,
    )
    written = write_report(html, output)
    say(f"wrote {written} ({len(html) / 1024:.0f} KiB)")


def register(app: typer.Typer) -> None:
    app.command("scenarios")(scenarios)
    app.command("report")(report)
    app.command("validate")(validate)
    app.command("forecast")(forecast)
    app.command("explain")(explain)
    app.command("pathways")(pathways)
    app.command("export-gambit")(export_gambit)
