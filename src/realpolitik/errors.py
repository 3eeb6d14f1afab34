"""Errors a user can cause, each rendered by the command line as one line.

Why a module of its own: every layer (file readers, scenario validation, solvers
refusing a game outside their class, the results store) raises these, and the
CLI turns any of them into ``file:line: field: message`` on stderr with exit
code 2 and no traceback. Anything else escaping is a bug in realpolitik.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


class RealpolitikError(Exception):
    """Base class for every error a user's input or request can cause."""

    def one_line(self) -> str:
        """The message as the CLI prints it: a single line."""
        return " ".join(str(self).split())


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, and what to do about it."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class InputError(RealpolitikError):
    """A file or argument is malformed. Carries one or more located problems.

    Validation collects every problem in one pass; the CLI prints each on its
    own line (the first line alone when a single message is wanted).
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        found: list[Problem] = list(problems or [])
        if message is not None:
            found.insert(
                0,
                Problem(message, None if file is None else str(file), line, field),
            )
        if not found:
            raise ValueError("InputError needs a message or problems")
        self.problems: tuple[Problem, ...] = tuple(found)
        super().__init__(str(found[0]))

    def lines(self) -> list[str]:
        """Every problem, one line each."""
        return [" ".join(str(p).split()) for p in self.problems]


class GameClassError(RealpolitikError):
    """A game is outside what a solver handles (say, SPE of a game with
    information sets that are not simultaneous stages)."""


@dataclass
class ResourceError(RealpolitikError):
    """A request would need more memory or time than allowed; refused before
    anything is allocated."""

    what: str
    needed_bytes: int
    limit_bytes: int
    hint: str = field(default="")

    def __str__(self) -> str:
        gib = 1024.0**3
        msg = (
            f"{self.what} would need {self.needed_bytes / gib:.2f} GiB, "
            f"above the limit of {self.limit_bytes / gib:.2f} GiB"
        )
        return f"{msg}; {self.hint}" if self.hint else msg


class NumericError(RealpolitikError):
    """A result left the float64 range (infinity or NaN): refused rather than
    written as a non-standard JSON token or a silent ``null``. The message
    names the quantity and says what to rescale."""


class StoreError(RealpolitikError):
    """A results store cannot be opened or written: damaged, unreadable, in a
    folder without write permission, or on a full disk. The message names the
    file and says how to check or restore it."""


def listing(names: Sequence[str], *, quote: bool = False) -> str:
    """``a, b or c`` (``'a', 'b' or 'c'`` with ``quote``)."""
    shown = [f"'{n}'" if quote else n for n in names]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
