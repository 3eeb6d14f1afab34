"""Crisis-scenario commands: scenarios, validate, forecast, explain, pathways,
export-gambit."""

from __future__ import annotations

import math
import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from realpolitik.cli.output import (
    Format,
    Table,
    check_output_dir,
    check_output_file,
    emit_json,
    err,
    out,
    styled,
    write_tables,
)
from realpolitik.cli.progress import draws_bar, working
from realpolitik.concepts import CONCEPTS, uses_lambda
from realpolitik.errors import InputError

__all__ = ["Format", "FormatOpt", "OutOpt", "err", "out", "register"]


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
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        help="table (full width to a file or pipe, COLUMNS wide when set), markdown, json or csv.",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Also write every table of the command into this directory as CSV and Parquet.",
    ),
]


def say(message: str) -> None:
    """One unwrapped line on stderr (run ids, how to resume)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _print_json(data: Any) -> None:
    emit_json(data)


def wrote_tables(directory: Path | None, tables: dict[str, Any]) -> None:
    """``--out DIR``: every table of the command as CSV and Parquet."""
    if directory is None:
        return
    files = write_tables(directory, tables)
    say(f"tables: {len(files)} files in {directory} ({', '.join(tables)})")


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def scenarios(fmt: FormatOpt = Format.table) -> None:
    """List the built-in scenarios: game trees (forecast) and alignment (align)."""
    from realpolitik.scenario.catalog import builtin_summaries

    rows = builtin_summaries()
    if fmt == Format.json:
        emit_json([r._asdict() for r in rows])
        return
    out.use(fmt)
    table = Table(title="Built-in scenarios", title_justify="left")
    table.add_column("kind", no_wrap=True)
    table.add_column("name", no_wrap=True)  # a name is what the user types next
    table.add_column("title")
    table.add_column("as of")
    table.add_column("actors")
    for row in rows:
        actors = (
            f"all UN members ({row.vintage} covariates)"
            if row.kind == "alignment"
            else ", ".join(row.actors)
        )
        table.add_row(row.kind, row.name, row.title, row.as_of, actors)
    out.print(table)


def new(
    name: Annotated[str, typer.Argument(help="The scenario's id; the file is NAME.yaml.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to write NAME.yaml (and the schema).")
    ] = Path("."),
) -> None:
    """Write a commented scenario template, NAME.yaml, that validates as it is."""
    from realpolitik.scenario.catalog import write_template

    target = write_template(name, directory)
    out.print(f"wrote {target}; next: realpolitik validate {target}")


#: Parameter draws on which `validate` evaluates every expression (Latin
#: hypercube, seed 0), besides the central values.
VALIDATE_DRAWS = 256


def validate(scenario: ScenarioArg) -> None:
    """Check a scenario file; print every problem as file:line: field: message.

    An alignment scenario (``kind: alignment``) is read by its own loader with
    the same checker, then checked against its covariate table (every member
    with every covariate, the fitted vote coded for every member and dated no
    later than as_of). For a game-tree scenario, besides the file's structure
    and names, every expression is evaluated at the central values and on 256
    parameter draws (Latin hypercube, seed 0): a chance probability outside
    [0, 1] or a value that is not finite there is reported with the parameter
    values that cause it.
    """
    from realpolitik.scenario.catalog import scenario_kind

    if scenario_kind(scenario) == "alignment":
        from realpolitik.alignment.validate import check_alignment_scenario

        out.use(Format.table)
        out.print(check_alignment_scenario(scenario).summary())
        return
    from realpolitik.compiler.scenario_tree import compile_scenario
    from realpolitik.run.links import linked_sampler
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    for warning in sc.warnings:  # post-dated or undated sources: the file still loads
        typer.echo(" ".join(f"warning: {warning}".split()), err=True)
    compiled = compile_scenario(sc)
    compiled.check(compiled.parameter_values(), first_draw=None)
    out.use(Format.table)
    if sc.parameters:
        draws = linked_sampler(sc, VALIDATE_DRAWS, method="lhs", seed=0).draws(0, VALIDATE_DRAWS)
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


class Keep(StrEnum):
    summary = "summary"
    outcomes = "outcomes"
    all = "all"


KeepOpt = Annotated[
    Keep,
    typer.Option(
        "--keep",
        help="With --store: what to store per draw: all (parameters and outcomes), outcomes "
        "(parameters are regenerated from the seed) or summary (chunk sums only; reading the "
        "run re-evaluates it). The forecast read back is the same.",
    ),
]
ChunkOpt = Annotated[
    int | None,
    typer.Option("--chunk", help="Draws per task (memory per task; results do not change).", min=1),
]
ExecutorOpt = Annotated[
    ExecutorName | None,
    typer.Option(
        "--executor",
        help="local (this process, default), threads, processes, or dask (a local cluster "
        "of worker processes, started and shut down here; with --cluster, that scheduler).",
    ),
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
    out_dir: OutOpt = None,
    keep: KeepOpt = Keep.all,
) -> None:
    """Forecast who does what, the most likely pathways, metrics and the reasons."""
    from realpolitik.analysis.forecast import forecast as run_forecast
    from realpolitik.scenario.load import resolve
    from realpolitik.store import RunInterrupted

    check_output_dir(plot, "--plot")
    check_output_dir(out_dir, "--out")
    check_output_file(store, "--store")
    sc = resolve(scenario)
    ensemble = ensemble_options(chunk, executor, workers, cluster)
    if store is not None:
        ensemble["store"] = store
        ensemble["keep"] = keep.value
        ensemble["on_run"] = lambda run_id, st: say(f"run {run_id} in {st.path}")
    try:
        with draws_bar(draws, "solving") as advance:
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
    show_forecast(result, fmt, top, out_dir)
    if plot is not None:
        _write_plots(result, plot)


def _write_plots(result: Any, directory: Path) -> None:
    from realpolitik.plots.forecast_plots import write_forecast_plots

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
            label = "best response" + (
                " (logit limit)" if noise.best_response_concept == "logit-limit" else ""
            )
            row[label] = _pct(best) if best == best else "-"
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


def forecast_tables(result: Any, why: Any | None) -> dict[str, Any]:
    """Every table of a forecast, for ``--out``: actions, pathways, metrics, reasons."""
    tables = {
        "actions": result.actions,
        "pathways": result.pathways.assign(
            steps=[" > ".join(f"{a}:{b}" for a, b in s) for s in result.pathways["steps"]]
        ),
        "metrics": result.metrics,
    }
    if why is not None:
        tables["reasons"] = why.table()
    return tables


def _why(result: Any) -> Any:
    from realpolitik.analysis.explain import explain as run_explain

    s = result.settings
    return run_explain(
        result.scenario,
        concept=s.concept,
        lam=s.lam,
        draws=min(s.draws, 2000),
        seed=s.seed,
        method=s.method,
        values=dict(s.values),
    )


def show_forecast(result: Any, fmt: Format, top: int, out_dir: Path | None = None) -> None:
    """Print a forecast as ``realpolitik forecast`` does (also used by ``run``)."""
    sc = result.scenario
    if fmt in (Format.json, Format.csv):
        wrote_tables(out_dir, forecast_tables(result, _why(result) if out_dir else None))
        if fmt == Format.json:
            _print_json(result.to_json())
        else:
            sys.stdout.write(result.actions.to_csv(index=False))
        return
    out.use(fmt)
    s = result.settings
    how = f"{s.concept.upper()}" + (f", lambda={s.lam:g}" if s.lam is not None else "")
    if s.concept == "mixture":
        how = "mixture of " + " + ".join(f"{w:g} {c.upper()}" for c, w in sc.solve.mixture)
    if s.lam is None and sc.solve.lam_varies and uses_lambda(s.concept, sc.solve.mixture):
        # over draws lambda is drawn like a parameter; without, it sits at its central value
        how += ", lambda drawn" if s.draws else f", lambda={sc.parameters['lambda'].central:g}"
    how += f", {s.draws} draws ({s.method}, seed {s.seed})" if s.draws else ", central values"
    if s.values:
        held = ", ".join(f"{name} = {value:g}" for name, value in s.values)
        how += f" except {held}" if not s.draws else f", holding {held}"
    out.print(styled((sc.title, "bold"), f"  (as of {sc.as_of}; {how})"))
    table = Table(
        title="Who does what (probability: marginal; given reached: conditional on reaching "
        "the move)",
        title_justify="left",
    )
    table.add_column("actor")
    table.add_column("move")
    table.add_column("action")
    table.add_column("probability", justify="right")
    if s.draws:
        table.add_column("90% interval", justify="right")
        table.add_column("most likely in", justify="right")
    table.add_column("move reached", justify="right")
    table.add_column("given reached", justify="right")
    # what each number rests on (analysis/judgement.py, analysis/noise.py)
    assumed = _assumption_cells(result)
    for column in next(iter(assumed.values()), {}):
        table.add_column(column, justify="right")
    for row in result.actions.itertuples():
        cells = [str(row.actor), str(row.move), str(row.action), _pct(float(row.probability))]
        if s.draws:
            cells += [
                f"{_pct(float(row.p05))}-{_pct(float(row.p95))}",
                _pct(float(row.most_likely_share)),
            ]
        reach = float(row.reach)
        cells += [_pct(reach), _pct(float(row.conditional)) if reach > 0 else "-"]
        cells += list(assumed.get(f"{row.actor}:{row.move}:{row.action}", {}).values())
        table.add_row(*cells)
    out.print(table)
    _dimension_table(result)
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
    with working("explaining"):
        why = _why(result)
    out.print(
        styled(
            ("Why", "bold"),
            " (the chosen action against each alternative, term by term; "
            "each probability is conditional on reaching the decision):",
        )
    )
    for decision in why.decisions[:6]:
        out.print("  - " + decision.sentence(sc.actors[decision.actor].name))
    if len(why.decisions) > 6:
        out.print(f"  ... {len(why.decisions) - 6} more decisions: realpolitik explain")
    wrote_tables(out_dir, forecast_tables(result, why))


def _dimension_table(result: Any) -> None:
    """Each dimension of a compound move as the marginal of its joint actions:
    the answer to "does China help Russia evade?" that 32 joint rows hide."""
    frame = result.dimensions
    if frame is None or not len(frame):
        return
    interval = bool(result.settings.draws) and "p05" in frame
    table = Table(
        title="Each dimension of a joint choice (marginal over the other dimensions)",
        title_justify="left",
    )
    for column in ("actor", "move", "dimension", "level"):
        table.add_column(column)
    table.add_column("probability", justify="right")
    if interval:
        table.add_column("90% interval", justify="right")
    judged = result.extra.get("judgement")
    shares: dict[str, float] = {}
    if judged is not None:
        rows = judged.table[judged.table["kind"] == "level"]
        shares = dict(zip(rows["name"], rows["share"].astype(float), strict=True))
    if shares:
        table.add_column("from judgement", justify="right")
    for row in frame.itertuples():
        cells = [str(row.actor), str(row.move), str(row.dimension), str(row.level)]
        cells.append(_pct(float(row.probability)))
        if interval:
            cells.append(f"{_pct(float(row.p05))}-{_pct(float(row.p95))}")
        if shares:
            share = shares.get(f"{row.actor}:{row.move}:{row.dimension}={row.level}", math.nan)
            cells.append(_pct(share) if share == share else "-")
        table.add_row(*cells)
    out.print(table)


def _pathway_table(result: Any, top: int, max_metrics: int | None = None) -> None:
    metric_ids = [m.id for m in result.scenario.metrics][:max_metrics]
    title = "Most likely pathways"
    if max_metrics is not None and len(result.scenario.metrics) > max_metrics:
        title += " (every path and metric: realpolitik pathways)"
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("path (actions in order)", min_width=30)
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
    out_dir: OutOpt = None,
) -> None:
    """Why: each decision on the equilibrium path against its alternatives, term by term."""
    from realpolitik.analysis.explain import explain as run_explain
    from realpolitik.scenario.load import resolve

    check_output_dir(plot, "--plot")
    check_output_dir(out_dir, "--out")
    sc = resolve(scenario)
    with working("explaining"):
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
        from realpolitik.plots.explain_plots import write_explanation_plot

        files = write_explanation_plot(result, plot)
        say(f"plots: {', '.join(str(f) for f in files)}")
    wrote_tables(out_dir, {"reasons": result.table()})
    if fmt == Format.json:
        _print_json(result.to_json())
        return
    if fmt == Format.csv:
        sys.stdout.write(result.table().to_csv(index=False))
        return
    out.use(fmt)
    out.print("(each probability is conditional on reaching the decision)")
    for decision in result.decisions:
        name = sc.actors[decision.actor].name
        after = " > ".join(f"{a}:{b}" for a, b in decision.history) or "the start"
        out.print(
            styled(
                "\n",
                (name, "bold"),
                " at ",
                (decision.move, "italic"),
                f" after {after} (reached with probability {decision.reach:.2f}) chooses ",
                (decision.chosen, "bold"),
                f" ({decision.probability:.0%} when reached)",
            )
        )
        terms = list(decision.value_terms)
        table = Table(show_edge=False)
        table.add_column(f"{decision.chosen} minus ... (probability when reached)")
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
    out_dir: OutOpt = None,
) -> None:
    """Every escalation pathway with its probability and metrics, most likely first."""
    from realpolitik.analysis.forecast import forecast as run_forecast
    from realpolitik.scenario.load import resolve

    check_output_dir(plot, "--plot")
    check_output_dir(out_dir, "--out")
    sc = resolve(scenario)
    with draws_bar(draws, "solving") as advance:
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
    wrote_tables(out_dir, {"pathways": forecast_tables(result, None)["pathways"]})
    if fmt == Format.json:
        _print_json(result.to_json()["pathways"])
        return
    if fmt == Format.csv:
        sys.stdout.write(result.pathways.drop(columns=["steps"]).to_csv(index=False))
        return
    out.use(fmt)
    _pathway_table(result, len(result.pathways))


def export_gambit(
    scenario: ScenarioArg,
    output: Annotated[Path, typer.Argument(help="The .efg file to write.")],
    lam: LambdaOpt = None,
) -> None:
    """Write the scenario's game at the central parameter values as a Gambit .efg file.

    The file's comment records the scenario's solution concept and lambda
    (or --lambda), which ``realpolitik solve`` reads back, so that ``solve
    --concept qre`` on the file agrees with ``forecast``.
    """
    from realpolitik.compiler.gambit_export import gambit_text
    from realpolitik.scenario.load import resolve

    check_output_file(output, "output file", (".efg",))
    sc = resolve(scenario)
    text, n_nodes, n_outcomes = gambit_text(sc, lam)
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
    err.print(f"wrote {output} ({n_nodes} nodes, {n_outcomes} outcomes)")


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
    from realpolitik.web.alignment_api import is_alignment

    check_output_file(output, "output file")
    if is_alignment(scenario):  # every UN member's vote: `realpolitik align --report`
        unused = {"--concept": concept, "--lambda": lam, "--set": set_values, "--target": target}
        for option, value in unused.items():
            if value:
                raise InputError("does not apply to an alignment scenario", field=option)
        _alignment_report(scenario, output, draws or ALIGN_DRAWS, seed or 0)
        return
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


#: Draws of an alignment scenario's report when --draws is not given (as
#: ``realpolitik align``).
ALIGN_DRAWS = 1000


def _alignment_report(scenario: str, output: Path, draws: int, seed: int) -> None:
    from realpolitik.alignment.forecast import align
    from realpolitik.alignment.scenario import load_alignment_scenario
    from realpolitik.report.alignment_report import build_alignment_report
    from realpolitik.report.html_report import write_report

    result = align(scenario, draws=draws, seed=seed)
    html = build_alignment_report(result, load_alignment_scenario(scenario))
    written = write_report(html, output)
    say(f"wrote {written} ({len(html) / 1024:.0f} KiB)")


def register(app: typer.Typer) -> None:
    app.command("scenarios")(scenarios)
    app.command("new")(new)
    app.command("report")(report)
    app.command("validate")(validate)
    app.command("forecast")(forecast)
    app.command("explain")(explain)
    app.command("pathways")(pathways)
    app.command("export-gambit")(export_gambit)
