"""``realpolitik compare``: a scenario's views side by side, what drives their
difference, and which actions would tell them apart.

The computation is :func:`realpolitik.analysis.compare.compare`; this module
parses options, shows a progress bar on stderr and prints a table, JSON or
Markdown on stdout.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from realpolitik.cli.output import emit_json, styled
from realpolitik.cli.progress import stages_bar
from realpolitik.cli.scenario import Method, ScenarioArg, out

if TYPE_CHECKING:
    from realpolitik.analysis.compare import Comparison


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


ViewsOpt = Annotated[
    str | None,
    typer.Option(
        "--views",
        help="Views to compare, comma-separated, the first the reference ('base' is the "
        "scenario as written). Default: base and every declared view.",
    ),
]
DrawsOpt = Annotated[
    int, typer.Option("--draws", help="Common parameter draws every view is solved on.", min=1)
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the common draws.")]
TopOpt = Annotated[int, typer.Option("--top", help="Rows per table (0: all).", min=0)]


def compare(
    scenario: ScenarioArg,
    views: ViewsOpt = None,
    draws: DrawsOpt = 1000,
    seed: SeedOpt = 0,
    method: Annotated[Method, typer.Option("--method", help="mc, lhs or sobol.")] = Method.mc,
    fmt: Annotated[
        CompareFormat, typer.Option("--format", help="table, json or markdown.")
    ] = CompareFormat.table,
    top: TopOpt = 8,
) -> None:
    """Lay a scenario's views side by side on the same draws; say which of each
    view's changes produce the difference (exact Shapley values over its
    changed elements, one at a time when there are more than six) and which
    actions would tell the views apart."""
    from realpolitik.analysis.compare import compare as run_compare

    chosen = [v.strip() for v in views.split(",") if v.strip()] if views else None
    with stages_bar() as report:
        result = run_compare(
            scenario,
            views=chosen,
            draws=draws,
            seed=seed,
            method=method.value,
            progress=lambda done, total: report("compare", done, total),
        )
    if fmt == CompareFormat.json:
        emit_json(result.to_json())
    elif fmt == CompareFormat.markdown:
        sys.stdout.write(result.to_markdown(top=top))
    else:
        _tables(result, top)


def _tables(result: Comparison, top: int) -> None:
    sc = result.scenario
    out.print(
        styled(
            (sc.title, "bold"),
            f"  ({len(result.views)} views on {result.draws} common draws, "
            f"seed {result.seed}, {result.method}; reference: {result.reference})",
        )
    )
    for v in result.views:
        out.print(f"  {v}: {result.descriptions.get(v, '')}")
    wide = result.side_by_side()
    table = Table(title="Forecasts side by side (mean over draws)")
    table.add_column("action or metric")
    for v in result.views:
        table.add_column(v, justify="right")
    for name, row in wide.iterrows():
        table.add_row(str(name), *(f"{float(row[v]):.3f}" for v in result.views))
    out.print(table)
    for v, d in result.decompositions.items():
        rows = result.tells_apart[v]
        shown = rows if top == 0 else rows.head(top)
        how = "exact Shapley values" if d.method == "shapley" else "one at a time"
        table = Table(title=f"{v} against {result.reference}: what drives the difference ({how})")
        table.add_column("action")
        table.add_column("difference", justify="right")
        for element in d.elements:
            table.add_column(element, justify="right")
        if d.interaction is not None:
            table.add_column("interaction", justify="right")
        for name in shown["name"]:
            cells = [f"{float(d.total[name]):+.3f}"]
            cells += [f"{d.contribution(e, str(name)):+.3f}" for e in d.elements]
            if d.interaction is not None:
                cells.append(f"{float(d.interaction[name]):+.3f}")
            table.add_row(str(name), *cells)
        out.print(table)
        table = Table(title=f"What would tell {v} from {result.reference}")
        for column in ("action", result.reference, v, "difference", "log ratio"):
            table.add_column(column, justify="left" if column == "action" else "right")
        for r in shown.to_dict("records"):
            table.add_row(
                str(r["name"]),
                f"{float(r['reference']):.3f}",
                f"{float(r['view']):.3f}",
                f"{float(r['difference']):+.3f}",
                f"{float(r['log_ratio']):+.2f}",
            )
        out.print(table)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
