"""``realpolitik backtest`` and ``realpolitik cases``: the case library's
leave-one-case-out backtests, and the cases they hold out.

Why this module exists: the command line over
:func:`realpolitik.analysis.backtest.backtest` (docs/backtests.md). Each fold
is a fit (the five folds about 6 s together, 14 s with ``--draws 4000``), so a
progress bar over the folds (cli/progress.py) runs on stderr (on a terminal
only). ``--format table`` prints rich tables, ``markdown`` the
tables of docs/backtests.md, ``json`` the strict document of
:meth:`realpolitik.analysis.backtest.BacktestResult.to_json`. An unknown case
is one line and exit code 2 (with the closest name), before any fit.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from realpolitik.cli.output import Table, check_output_dir, emit_json, out
from realpolitik.cli.progress import fold_bar


class BacktestFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


FormatOpt = Annotated[BacktestFormat, typer.Option("--format", help="table, json or markdown.")]


def _print_table(title: str, headers: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < 2 else "right")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def backtest_command(
    cases: Annotated[
        str | None,
        typer.Option(
            "--cases",
            help="Cases to draw on, comma-separated (default: all; see realpolitik cases).",
            show_default=False,
        ),
    ] = None,
    past_only: Annotated[
        bool,
        typer.Option("--past-only", help="Fit each fold on the earlier cases only (real time)."),
    ] = False,
    by_dimension: Annotated[
        bool, typer.Option("--by-dimension", help="Also the mean log score per dimension.")
    ] = False,
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            min=0,
            help="Score the mixture over this many draws of each fold's fitted coefficients "
            "(0: their point estimates).",
        ),
    ] = 0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.")] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="Also write backtest.png and backtest.svg into this directory."
        ),
    ] = None,
    list_cases: Annotated[
        bool, typer.Option("--list", help="List the cases (as realpolitik cases) and stop.")
    ] = False,
    fmt: FormatOpt = BacktestFormat.table,
) -> None:
    """Leave-one-case-out backtests of the case library: log and Brier scores
    of each held-out case's forecast beside a uniform guess and the base rate."""
    # the engine is imported here, not at the top: `backtest --help` stays fast
    from realpolitik.analysis.backtest import backtest, checked_cases

    if list_cases:
        cases_command(fmt)
        return
    chosen = None if cases is None else [c.strip() for c in cases.split(",") if c.strip()]
    checked = checked_cases(chosen, past_only)  # a mistake is reported before any fit
    check_output_dir(plot, "--plot")
    with fold_bar() as report:
        result = backtest(checked, past_only=past_only, progress=report, draws=draws, seed=seed)
    if plot is not None:
        # the figure's module imports matplotlib: only when a plot is asked for
        from realpolitik.plots.sensitivity_plots import save_figure

        files = save_figure(result.plot(), plot / "backtest")
        sys.stderr.write(f"plots: {', '.join(str(f) for f in files)}\n")
    if fmt == BacktestFormat.json:
        emit_json(result.to_json(by_dimension))
        return
    if fmt == BacktestFormat.markdown:
        print(result.markdown(by_dimension))
        return
    kind = "each fold fitted on the earlier cases" if past_only else "each case left out in turn"
    _print_table(
        f"Backtest of the case library ({kind}; forecast: {result.forecast_kind})",
        *result.summary_cells(),
    )
    if by_dimension:
        _print_table("Mean log score per choice, by dimension", *result.dimension_cells())


def cases_command(fmt: FormatOpt = BacktestFormat.table) -> None:
    """List the case library's cases: as_of, decisions and title."""
    from realpolitik.analysis.backtest import case_summaries

    frame = case_summaries()
    if fmt == BacktestFormat.json:
        emit_json(frame.to_dict(orient="records"))
        return
    out.use(fmt)
    table = Table(title="The case library (realpolitik backtest --cases a,b)")
    for column in frame.columns:
        numeric = column in ("decisions", "with_covariates")
        table.add_column(column.replace("_", " "), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest_command)
    app.command("cases")(cases_command)
