"""How the command line prints: tables that never lose data, JSON, Markdown,
and every table of a command written out as CSV and Parquet.

Why this module exists: rich draws tables to fit a terminal, cutting cells
with an ellipsis and dropping columns that do not fit; printed to a file or a
pipe it assumes 80 columns. A table sent anywhere must keep every value, so:

- on a terminal, tables fit its width (and ``COLUMNS``) and cells fold onto
  more lines instead of being cut;
- to a file or pipe, tables are as wide as their content, or ``COLUMNS``
  wide when it is set (cells folded, never cut);
- ``--format markdown`` prints every table as a Markdown table;
- ``--out DIR`` writes every table of a command as ``NAME.csv`` and
  ``NAME.parquet`` (DuckDB writes Parquet from a DataFrame, no pyarrow);
- what is printed is printed as it is: rich reads neither markup
  (``[bold]``) nor emoji codes (``:package:``) in any string, since titles,
  labels and ids come from users' files (a title with ``[/]`` raised
  rich's ``MarkupError``; the flagship's ``west:package:targeted`` came out
  as ``west📦targeted``). Our own emphasis goes through :func:`styled`.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from realpolitik.errors import InputError
from realpolitik.strict_json import dumps_strict

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Format",
    "Output",
    "Table",
    "check_output_dir",
    "check_output_file",
    "emit_json",
    "err",
    "out",
    "styled",
    "write_tables",
]

#: Width of tables sent to a file or pipe when ``COLUMNS`` is not set: wide
#: enough for any table's natural width (rich never pads to it).
UNLIMITED = 1_000_000


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Table(RichTable):
    """A rich table whose cells fold onto more lines instead of being cut."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        kwargs.setdefault("min_width", 1)
        super().add_column(*args, **kwargs)


def stdout_width() -> int | None:
    """The width for stdout: the terminal's (rich finds it), else ``COLUMNS``,
    else unlimited."""
    if sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return UNLIMITED


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of text from parts, each plain or ``(text, style)``, e.g.
    ``styled((title, "bold"), "  (as of ...)")``: the text is never read as
    markup, so users' titles and labels print as written."""
    return Text.assemble(*parts)


def _cell(value: Any) -> str:
    text = value.plain if isinstance(value, Text) else str(value)
    return text.replace("|", "\\|").replace("\n", "<br>")


def markdown_table(table: RichTable) -> str:
    """A rich table as a Markdown table (title as a paragraph above it)."""
    lines: list[str] = []
    title = table.title
    if title:
        lines += [_cell(title), ""]
    headers = [_cell(c.header) for c in table.columns]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append(
        "|" + "|".join("---:" if c.justify == "right" else "---" for c in table.columns) + "|"
    )
    cells = [list(c.cells) for c in table.columns]
    for row in zip(*cells, strict=True):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    return "\n".join(lines)


class Output:
    """stdout for tables and lines of text, in the current format.

    Commands call :meth:`use` with their ``--format`` so that text and tables
    come out as Markdown when asked; otherwise rich renders them at
    :func:`stdout_width`.
    """

    def __init__(self) -> None:
        self.markdown = False

    def use(self, fmt: Format | str) -> None:
        self.markdown = str(fmt) == Format.markdown

    @property
    def console(self) -> Console:
        return Console(
            file=sys.stdout,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=False,
            width=stdout_width(),
        )

    def print(self, item: Any = "") -> None:
        if self.markdown:
            text = markdown_table(item) if isinstance(item, RichTable) else str(item)
            sys.stdout.write(text + "\n\n")
            return
        self.console.print(item)


out = Output()
err = Console(stderr=True, highlight=False, markup=False, emoji=False)


def _json_default(value: Any) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number if math.isfinite(number) else None


def emit_json(data: Any) -> None:
    """Strict JSON (no NaN or Infinity) on stdout."""
    sys.stdout.write(dumps_strict(data, indent=2, default=_json_default) + "\n")


def _writable_ancestor(path: Path) -> Path:
    probe = path.resolve()
    while not probe.exists():
        probe = probe.parent
    return probe


#: Names that look like files, refused where a directory is expected.
FILE_SUFFIXES = frozenset(
    {".html", ".htm", ".png", ".svg", ".pdf", ".csv", ".json", ".parquet", ".txt", ".duckdb"}
)


def check_output_dir(path: Path | None, option: str) -> None:
    """Refuse an output directory that cannot be made, before any computation."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        raise InputError(f"{option} {path} is a file; give a directory")
    if not path.exists() and path.suffix.lower() in FILE_SUFFIXES:
        raise InputError(f"{option} {path} looks like a file name; {option} takes a directory")
    base = _writable_ancestor(path)
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: {base} is not a writable directory")


def check_output_file(path: Path | None, option: str, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse an output file that cannot be written, before any computation."""
    if path is None:
        return
    if path.is_dir():
        raise InputError(f"{option} {path} is a directory; give a file name")
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"{option} {path} should end in {' or '.join(suffixes)}")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise InputError(f"{option} {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"{option} {path}: not writable")


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of lists, tuples or dicts as JSON text (CSV and Parquet hold scalars)."""
    flat = frame.reset_index(drop=True).copy()
    for column in flat.columns:
        if (
            flat[column].dtype == object
            and flat[column].map(lambda v: isinstance(v, list | tuple | dict)).any()
        ):
            flat[column] = flat[column].map(
                lambda v: (
                    json.dumps(v, default=_json_default)
                    if isinstance(v, list | tuple | dict)
                    else v
                )
            )
    flat.columns = [str(c) for c in flat.columns]
    return flat


def write_tables(directory: Path, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write each table as ``NAME.csv`` and ``NAME.parquet`` in ``directory``.

    Parquet is written by DuckDB from the DataFrame. Each file is written
    beside its final name and renamed, so none is left half written.
    """
    import duckdb  # the store's engine; imported here, only when --out is used

    written: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            flat = _flat(frame)
            csv_path = directory / f"{name}.csv"
            tmp = directory / f".{name}.csv.tmp"
            flat.to_csv(tmp, index=False)
            tmp.replace(csv_path)
            parquet_path = directory / f"{name}.parquet"
            tmp = directory / f".{name}.parquet.tmp"
            with duckdb.connect() as con:
                con.register("frame", flat)
                quoted = tmp.as_posix().replace("'", "''")
                con.execute(f"COPY frame TO '{quoted}' (FORMAT parquet)")
            tmp.replace(parquet_path)
            written += [csv_path, parquet_path]
    except OSError as error:
        raise InputError(f"cannot write tables to {directory}: {error.strerror}") from None
    return written
