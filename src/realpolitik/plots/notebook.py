"""A result's notebook representation: a title, a few lines and its tables,
as HTML (Jupyter calls ``_repr_html_``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

#: Rows shown per table in a notebook (the full tables are attributes).
MAX_ROWS = 30


def result_html(
    title: str,
    lines: Sequence[str] = (),
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    max_rows: int = MAX_ROWS,
) -> str:
    """``<h4>title</h4>``, the lines as paragraphs, then each table with its
    caption (at most ``max_rows`` rows, saying how many more there are)."""
    parts = [f"<h4>{escape(title)}</h4>"]
    parts += [f"<p>{escape(line)}</p>" for line in lines]
    for caption, frame in (tables or {}).items():
        shown = frame.head(max_rows)
        more = len(frame) - len(shown)
        parts.append(f"<p><b>{escape(caption)}</b></p>")
        parts.append(shown.to_html(index=False, float_format=lambda x: f"{x:.4g}"))
        if more > 0:
            parts.append(f"<p>... {more} more rows</p>")
    return "<div class='realpolitik-result'>" + "\n".join(parts) + "</div>"
