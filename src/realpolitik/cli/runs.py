"""Stored ensemble runs: ``realpolitik run`` (start or resume one) and
``realpolitik runs list|show|export|delete``.

A run is a forecast over parameter draws recorded chunk by chunk in a DuckDB
results store (:mod:`realpolitik.store`); ``run --resume`` completes one that
was interrupted (Ctrl-C) or killed, with the same result as if it had never
stopped, and prints what ``realpolitik forecast`` prints.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from realpolitik.cli.output import Table
from realpolitik.cli.progress import draws_bar
from realpolitik.cli.scenario import (
    ChunkOpt,
    ClusterOpt,
    ConceptOpt,
    ExecutorOpt,
    Format,
    FormatOpt,
    Keep,
    KeepOpt,
    LambdaOpt,
    Method,
    MethodOpt,
    SeedOpt,
    SetOpt,
    TopOpt,
    WorkersOpt,
    ensemble_options,
    out,
    parse_set,
    say,
    show_forecast,
)
from realpolitik.errors import InputError
from realpolitik.strict_json import dumps_strict

DEFAULT_STORE = Path("realpolitik.duckdb")


class ListFormat(StrEnum):
    table = "table"
    json = "json"


StoreArg = Annotated[
    Path,
    typer.Option("--store", help="The DuckDB results store.", show_default=True),
]
RunIdArg = Annotated[int, typer.Argument(help="The run's id (see `realpolitik runs list`).")]
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", help="table or json.")]


def run(
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="A scenario to run (a built-in name or a .yaml path); omit with --resume."
        ),
    ] = None,
    resume: Annotated[
        int | None, typer.Option("--resume", help="Complete this stored run instead.")
    ] = None,
    store: StoreArg = DEFAULT_STORE,
    draws: Annotated[
        int, typer.Option("--draws", help="Parameter draws of a new run.", min=1)
    ] = 10_000,
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    seed: SeedOpt = None,
    method: MethodOpt = Method.mc,
    fmt: FormatOpt = Format.table,
    top: TopOpt = 5,
    chunk: ChunkOpt = None,
    executor: ExecutorOpt = None,
    workers: WorkersOpt = None,
    cluster: ClusterOpt = None,
    set_values: SetOpt = None,
    keep: KeepOpt = Keep.all,
) -> None:
    """Run a scenario over draws into a results store, or --resume a stored run."""
    from realpolitik.analysis.forecast import forecast as run_forecast
    from realpolitik.analysis.forecast_runs import resume as resume_run
    from realpolitik.store import RunInterrupted, Store

    ensemble = ensemble_options(chunk, executor, workers, cluster)
    if (scenario is None) == (resume is None):
        raise InputError("give a SCENARIO to start a run, or --resume RUN_ID to complete one")
    if resume is not None and set_values:
        raise InputError(
            "--set applies to a new run; a resumed run keeps the values it was started with"
        )
    try:
        if resume is not None:
            with Store.open(store, create=False) as opened:
                record = opened.run(resume)
                say(
                    f"run {record.id} in {opened.path}: {record.draws_done} of {record.draws} "
                    f"draws done ({record.status})"
                )
                with draws_bar(record.draws, "solving") as advance:
                    result = resume_run(opened, resume, progress=advance, **ensemble)
        else:
            from realpolitik.scenario.load import resolve

            sc = resolve(str(scenario))
            with draws_bar(draws, "solving") as advance:
                result = run_forecast(
                    sc,
                    concept=concept,
                    lam=lam,
                    draws=draws,
                    seed=seed,
                    method=method.value,
                    progress=advance,
                    store=store,
                    on_run=lambda run_id, st: say(f"run {run_id} in {st.path}"),
                    values=parse_set(set_values),
                    keep=keep.value,
                    **ensemble,
                )
    except RunInterrupted as stop:
        say(f"interrupted: {stop.message}")
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        say("interrupted before any draw was stored")
        raise typer.Exit(130) from None
    show_forecast(result, fmt, top)


runs_app = typer.Typer(
    name="runs",
    help="List, show, export or delete the runs in a results store.",
    no_args_is_help=True,
)


def _print_json(data: Any) -> None:
    sys.stdout.write(dumps_strict(data) + "\n")


@runs_app.command("list")
def runs_list(store: StoreArg = DEFAULT_STORE, fmt: ListFormatOpt = ListFormat.table) -> None:
    """Every run in the store, oldest first."""
    from realpolitik.store import Store

    with Store.open(store, create=False, read_only=True) as opened:
        records = opened.runs()
    if fmt == ListFormat.json:
        _print_json([r.to_json() for r in records])
        return
    table = Table(title=f"Runs in {store}", title_justify="left")
    for column, justify in (
        ("id", "right"),
        ("scenario", "left"),
        ("status", "left"),
        ("draws", "right"),
        ("method", "left"),
        ("seed", "right"),
        ("started (UTC)", "left"),
    ):
        table.add_column(column, justify=justify)
    for r in records:
        done = f"{r.draws_done:,}" if r.draws_done == r.draws else f"{r.draws_done:,}/{r.draws:,}"
        table.add_row(
            str(r.id),
            r.scenario,
            r.status,
            done,
            str(r.settings.get("method", "")),
            str(r.seed),
            r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    if not records:
        say(f"no runs in {store} yet")
        return
    out.print(table)


@runs_app.command("show")
def runs_show(
    run_id: RunIdArg, store: StoreArg = DEFAULT_STORE, fmt: ListFormatOpt = ListFormat.table
) -> None:
    """One run: scenario, settings, progress, versions."""
    from realpolitik.store import Store

    with Store.open(store, create=False, read_only=True) as opened:
        record = opened.run(run_id)
    if fmt == ListFormat.json:
        _print_json(record.to_json())
        return
    s = record.settings
    lam = "" if s.get("lambda") is None else f", lambda={s['lambda']:g}"
    table = Table(show_header=False, title=f"Run {record.id}", title_justify="left")
    table.add_column("field")
    table.add_column("value", overflow="fold")
    rows = [
        ("scenario", f"{record.scenario}: {record.title}"),
        ("scenario file", f"{record.scenario_file} (sha256 {record.scenario_hash[:12]}...)"),
        ("status", record.status + (f" ({record.message})" if record.message else "")),
        ("draws", f"{record.draws_done:,} of {record.draws:,}"),
        ("solution", f"{str(s.get('concept', '')).upper()}{lam}"),
        ("sampling", f"{s.get('method')} (seed {record.seed}, {s['sampler']['scheme']})"),
        ("chunk", f"{s.get('chunk')} draws, on {s.get('executor')}"),
        ("started (UTC)", record.created_at.isoformat(sep=" ", timespec="seconds")),
        ("updated (UTC)", record.updated_at.isoformat(sep=" ", timespec="seconds")),
        ("versions", ", ".join(f"{k} {v}" for k, v in record.versions.items())),
        (
            "tables",
            f"draws_{record.id} ({len(record.parameters)} parameters), "
            f"outcomes_{record.id} ({len(record.actions)} actions, {len(record.metrics)} metrics)",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    if record.resumable:
        say(f"resume with: realpolitik run --resume {record.id} --store {store}")


@runs_app.command("export")
def runs_export(
    run_id: RunIdArg,
    parquet: Annotated[
        Path, typer.Option("--parquet", help="Folder to write the run's Parquet files into.")
    ],
    store: StoreArg = DEFAULT_STORE,
) -> None:
    """Write a run's draws and outcomes as Parquet (and its record as JSON).

    A run stored with ``--keep outcomes`` or ``summary`` has no draws table:
    its draws are regenerated from the recorded sampler and written too.
    """
    from realpolitik.analysis.forecast_runs import stored_draws
    from realpolitik.cli.output import check_output_dir, write_tables
    from realpolitik.store import Store

    check_output_dir(parquet, "--parquet")
    with Store.open(store, create=False, read_only=True) as opened:
        written = opened.export_parquet(run_id, parquet)
        record = opened.run(run_id)
        if record.keep != "all":
            draws = stored_draws(opened, run_id)
            files = write_tables(parquet, {f"run-{record.id}-draws": draws})
            written += [f for f in files if f.suffix == ".parquet"]
            for f in files:
                if f.suffix == ".csv":
                    f.unlink()
    for path in written:
        say(f"wrote {path}")


@runs_app.command("check")
def runs_check(store: StoreArg = DEFAULT_STORE) -> None:
    """Read every block of the store and check each run; exit 2 if anything is damaged."""
    from realpolitik.store import check_store

    problems = check_store(store)
    for run_id, problem in problems:
        where = "store" if run_id is None else f"run {run_id}"
        print(f"error: {where}: {problem}", file=sys.stderr)
    if problems:
        say(
            f"{store} is damaged; runs not listed above are intact (export them with "
            "`realpolitik runs export`), or restore the file from a backup copy"
        )
        raise typer.Exit(2)
    say(f"{store}: every run is intact")


@runs_app.command("delete")
def runs_delete(run_id: RunIdArg, store: StoreArg = DEFAULT_STORE) -> None:
    """Delete a run, its draws and its outcomes."""
    from realpolitik.store import Store

    with Store.open(store, create=False) as opened:
        opened.delete(run_id)
    say(f"deleted run {run_id} from {store}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.add_typer(runs_app, name="runs")
