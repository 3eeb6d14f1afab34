"""The built-in scenarios listed by name, title, date and actors, without
loading them; and the template a new scenario starts from.

Why this module exists: ``realpolitik scenarios`` should answer at once.
Loading a scenario validates it and builds its distributions (SciPy); listing
needs only a few header fields, read here with PyYAML from the library files
(they are validated by the tests, so their headers are trusted).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from realpolitik.errors import InputError

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


def write_template(name: str, directory: str | Path = ".") -> Path:
    """Write the commented scenario template as ``directory/NAME.yaml`` (and
    the format's JSON Schema beside it, for editors); return its path.

    Raises
    ------
    InputError
        For a name that is not a scenario id, a missing directory, or a file
        that exists already (it is never overwritten).
    """
    if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", name):
        raise InputError(f"scenario name {name!r}: use letters, digits, - _ and . only")
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError(f"--dir {folder}: no such directory")
    target = folder / f"{name}.yaml"
    if target.exists():
        raise InputError(f"{target} exists; give another name or remove it")
    package = resources.files("realpolitik.scenario")
    text = package.joinpath("template.yaml").read_text(encoding="utf-8")
    schema = package.joinpath("scenario.schema.json").read_text(encoding="utf-8")
    try:
        target.write_text(text.replace("{name}", name), encoding="utf-8")
        schema_path = folder / "scenario.schema.json"
        if not schema_path.exists():
            schema_path.write_text(schema, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {target}: {error.strerror}") from None
    return target
