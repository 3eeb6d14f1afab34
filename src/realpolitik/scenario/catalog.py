"""The built-in scenarios listed by kind, name, title, date and actors,
without loading them; and the template a new scenario starts from.

Why this module exists: ``realpolitik scenarios`` should answer at once.
Loading a scenario validates it and builds its distributions (SciPy); listing
needs only a few header fields, read here with PyYAML from the library files
(they are validated by the tests, so their headers are trusted). Two kinds are
listed: game-tree scenarios (``game``, this package's library) and alignment
scenarios (``alignment``: a crisis put to every UN member,
:mod:`realpolitik.alignment.scenario`), whose library is read as files of the
``realpolitik`` package so that listing it does not import the alignment model.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from realpolitik.errors import InputError
from realpolitik.scenario.yaml_source import load_yaml

LIBRARY_PACKAGE = "realpolitik.scenario.library"
#: Where the built-in alignment scenarios live, inside the ``realpolitik`` package.
ALIGNMENT_LIBRARY = ("alignment", "library")


class ScenarioSummary(NamedTuple):
    """A built-in scenario's header.

    ``kind`` is ``game`` (a game tree: ``realpolitik forecast``) or
    ``alignment`` (every UN member's vote: ``realpolitik align``); an
    alignment scenario has no actor list (its players are the members of the
    covariate table's ``vintage``).
    """

    name: str
    title: str
    as_of: str
    actors: tuple[str, ...]
    kind: str = "game"
    vintage: int | None = None


def _library_headers(folder: Traversable) -> list[tuple[str, dict[str, Any]]]:
    """``(name, parsed file)`` of every ``.yaml`` in ``folder``, by name."""
    return [
        (entry.name[: -len(".yaml")], yaml.safe_load(entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda p: p.name)
        if entry.name.endswith(".yaml")
    ]


def builtin_summaries(kinds: tuple[str, ...] = ("game", "alignment")) -> list[ScenarioSummary]:
    """Kind, name, title, ``as_of`` and actor ids of each built-in scenario of
    the ``kinds`` asked for: game-tree scenarios first, then alignment
    scenarios, each by name."""
    rows: list[ScenarioSummary] = []
    if "game" in kinds:
        for name, data in _library_headers(resources.files(LIBRARY_PACKAGE)):
            rows.append(
                ScenarioSummary(
                    name=name,
                    title=str(data.get("title", "")),
                    as_of=str(data.get("as_of", "")),
                    actors=tuple(str(a) for a in data.get("actors") or {}),
                )
            )
    if "alignment" in kinds:
        folder = resources.files("realpolitik").joinpath(*ALIGNMENT_LIBRARY)
        for name, data in _library_headers(folder):  # the same files as alignment_names()
            rows.append(
                ScenarioSummary(
                    name=name,
                    title=str(data.get("title", "")),
                    as_of=str(data.get("as_of", "")),
                    actors=(),
                    kind="alignment",
                    vintage=int(data["vintage"]),
                )
            )
    return rows


def alignment_names() -> list[str]:
    """Names of the built-in alignment scenarios (without importing the model)."""
    folder = resources.files("realpolitik").joinpath(*ALIGNMENT_LIBRARY)
    return sorted(e.name[: -len(".yaml")] for e in folder.iterdir() if e.name.endswith(".yaml"))


def scenario_kind(name_or_path: str | Path) -> str:
    """``alignment`` for a built-in alignment scenario or a file with
    ``kind: alignment`` at its top; ``game`` otherwise (the game-tree loader
    then reports what is wrong with it). A file is read bounded and safely
    (:func:`~realpolitik.scenario.yaml_source.load_yaml`)."""
    text = str(name_or_path)
    if text in alignment_names():
        return "alignment"
    path = Path(text)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        data, _ = load_yaml(path)
        if isinstance(data, dict) and data.get("kind") == "alignment":
            return "alignment"
    return "game"


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
