"""``realpolitik examples``: the example inputs that ship with the package,
each with the commands to run on it (see :mod:`realpolitik.examples`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from realpolitik.cli.output import Format, Table, emit_json, out
from realpolitik.examples import EXAMPLES, copy_examples, example_path


def examples_command(
    copy: Annotated[
        Path | None,
        typer.Option("--copy", help="Copy the example files into this directory."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, markdown or json.")] = (
        Format.table
    ),
) -> None:
    """List the example inputs that ship, with the commands to run on each."""
    if copy is not None:
        files = copy_examples(copy)
        out.print(f"copied {len(files)} example files into {copy}")
        return
    rows = [
        {
            "file": e.file,
            "path": str(example_path(e.file)),
            "what": e.title,
            "commands": [c.format(path=example_path(e.file)) for c in e.commands],
            "source": e.source,
            "licence": e.licence,
        }
        for e in EXAMPLES
    ]
    if fmt == Format.json:
        emit_json(rows)
        return
    out.use(fmt)
    t = Table(
        title="Example inputs (realpolitik examples --copy DIR copies them)", title_justify="left"
    )
    for column in ("file", "what", "commands", "source"):
        t.add_column(column)
    for row in rows:
        t.add_row(
            str(row["file"]), str(row["what"]), "\n".join(row["commands"]), str(row["source"])
        )
    out.print(t)


def register(app: typer.Typer) -> None:
    app.command("examples")(examples_command)
