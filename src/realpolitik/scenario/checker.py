"""Checking a parsed scenario file: a collector of located problems and the
small rules every section shares (mappings with allowed keys, text, ids).

Why a module of its own: each section of the file (moves, types, views,
provenance, ...) is read by its own function, and all of them report
problems the same way, as ``file:line: field: message``, collected in one
pass so that a user sees every mistake at once.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from realpolitik.errors import InputError, Problem
from realpolitik.scenario.expressions import FUNCTIONS, KEYWORDS, ExpressionError
from realpolitik.scenario.yaml_source import PathKey, SourceMap, field_name

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names the expression language keeps for itself (and ``chance``, the
#: mover of chance moves): no actor, parameter, move or derived name may use them.
RESERVED = frozenset(KEYWORDS) | frozenset(FUNCTIONS) | {"chance"}


def suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Checker:
    """Collects located problems while walking the parsed YAML."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[Problem] = []
        #: name -> why it cannot be used in expressions (replaces "unknown name")
        self.hints: dict[str, str] = {}

    def add(self, path: PathKey, message: str, *, key: bool = True) -> None:
        line = self.source.key_line(path) if key else self.source.line(path)
        self.problems.append(Problem(message, self.source.file, line, field_name(path) or None))

    def add_error(self, path: PathKey, error: InputError) -> None:
        line = self.source.key_line(path)
        for problem in error.problems:
            where = problem.field or field_name(path) or None
            if isinstance(error, ExpressionError):
                where = field_name(path) or None
            self.problems.append(Problem(problem.message, self.source.file, line, where))

    def mapping(
        self,
        value: Any,
        path: PathKey,
        *,
        allowed: tuple[str, ...] | None = None,
        required: tuple[str, ...] = (),
        what: str = "a mapping",
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, f"expected {what}, got {kind_of(value)}")
            return None
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    self.add(
                        (*path, key),
                        f"unknown key '{key}'{suggest(key, allowed)}; "
                        f"allowed: {', '.join(allowed)}",
                    )
        for key in required:
            if key not in value:
                self.add(path, f"missing '{key}'")
        return value

    def text(self, value: Any, path: PathKey, *, required: bool = False) -> str:
        if value is None:
            if required:
                self.add(path, "missing text")
            return ""
        if isinstance(value, bool):
            self.add(
                path,
                f"expected text, got {str(value).lower()}: YAML reads yes, no, on, off, true "
                "and false as booleans; put the text in quotes",
            )
            return ""
        if not isinstance(value, str | int | float):
            self.add(path, f"expected text, got {kind_of(value)}")
            return ""
        return str(value)

    def ident(self, name: Any, path: PathKey, what: str, *, reserved: Any = RESERVED) -> bool:
        if isinstance(name, bool):
            self.add(
                path,
                f"{what} id reads as {str(name).lower()}: YAML takes yes, no, on, off, true and "
                "false as booleans; rename it, or quote it if it is not a keyword",
            )
            return False
        if not isinstance(name, str) or not IDENT.match(name):
            self.add(
                path,
                f"{what} id {name!r} must start with a letter or '_' and contain only letters, "
                "digits and '_'",
            )
            return False
        if name in reserved:
            self.add(
                path,
                f"{what} id '{name}' is reserved in expressions (a keyword, a function or "
                "'chance'); rename it",
            )
            return False
        return True


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}" if len(value) < 40 else "text"
    return f"{type(value).__name__} {value!r}"
