"""The built-in scenarios listed by name, title, date and actors, without
loading them.

Why this module exists: ``realpolitik scenarios`` should answer at once.
Loading a scenario validates it and builds its distributions (SciPy); listing
needs only a few header fields, read here with PyYAML from the library files
(they are validated by the tests, so their headers are trusted).
"""

from __future__ import annotations

from importlib import resources
from typing import Any, NamedTuple

import yaml

LIBRARY_PACKAGE = "realpolitik.scenario.library"


class ScenarioSummary(NamedTuple):
    """A built-in scenario's header."""

    name: str
    title: str
    as_of: str
    actors: tuple[str, ...]


def builtin_summaries() -> list[ScenarioSummary]:
    """Name, title, ``as_of`` and actor ids of each built-in scenario, by name."""
    folder = resources.files(LIBRARY_PACKAGE)
    rows: list[ScenarioSummary] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data: Any = yaml.safe_load(entry.read_text(encoding="utf-8"))
        actors = data.get("actors") or {}
        rows.append(
            ScenarioSummary(
                name=entry.name[: -len(".yaml")],
                title=str(data.get("title", "")),
                as_of=str(data.get("as_of", "")),
                actors=tuple(str(a) for a in actors),
            )
        )
    return rows
