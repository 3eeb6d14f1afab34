"""The expression language's syntax: its limits, keywords and functions, its
errors, the immutable syntax tree every expression parses to, and the
tokenizer (the language itself is described in the package docstring and
``docs/expressions.md``).
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from realpolitik.errors import InputError, Problem

Kind: TypeAlias = Literal["number", "boolean"]

#: Longest expression text accepted, in characters.
MAX_LENGTH = 4000
#: Deepest nesting accepted: each operator, function call, prefix operator and
#: pair of parentheses on the way from the whole expression to a number or a
#: name adds one level; a lone number or name has depth 1.
MAX_DEPTH = 64
#: Most syntax-tree nodes (numbers, names, operators, calls, tests) accepted.
MAX_NODES = 1000

#: Reserved words of the language.
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})

#: The functions, each with its signature as shown in error messages.
FUNCTIONS: Mapping[str, str] = {
    "abs": "abs(x)",
    "exp": "exp(x)",
    "log": "log(x)",
    "min": "min(a, b, ...)",
    "max": "max(a, b, ...)",
    "clip": "clip(x, lo, hi)",
    "where": "where(condition, a, b)",
    "moved": "moved(actor)",
}

# (fewest, most) arguments; None = no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "clip": (3, 3),
    "where": (3, 3),
    "moved": (1, 1),
}


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
class ExpressionError(InputError):
    """An expression is malformed, refers to an unknown name, or misuses a type.

    ``reason`` is the one-line message without location; ``column`` (1-based
    character offset into the expression text, newlines counting as one
    character) says where, when known. The message is ``reason (column c)``.
    A scenario loader adds the file, line and field with :meth:`located`.
    """

    def __init__(
        self,
        reason: str,
        *,
        column: int | None = None,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = reason
        self.column = column
        message = reason if column is None else f"{reason} (column {column})"
        super().__init__(message, file=file, line=line, field=field)

    def located(
        self, *, file: str | Path | None = None, line: int | None = None, field: str | None = None
    ) -> ExpressionError:
        """The same error placed in a file: ``file:line: field: reason (column c)``."""
        found = copy.copy(self)
        problem = Problem(
            self.problems[0].message, None if file is None else str(file), line, field
        )
        found.problems = (problem,)
        found.args = (str(problem),)
        return found


class NonFiniteError(ExpressionError):
    """An evaluation with ``check_finite=True`` produced ``nan`` or ``inf``.

    ``index`` is the position of the first non-finite value in the result
    (a tuple, one entry per axis; the caller turns it into a draw number) and
    ``count`` how many values are not finite.
    """

    def __init__(self, reason: str, *, index: tuple[int, ...], count: int) -> None:
        super().__init__(reason)
        self.index = index
        self.count = count


# ---------------------------------------------------------------------------
# Syntax tree
# ---------------------------------------------------------------------------


class Spanned:
    """What every node has: its span in the text, ``start`` (0-based,
    inclusive) and ``end`` (exclusive), fields of each node's dataclass; and
    ``column``, ``start + 1``, as error messages show it."""

    __slots__ = ()
    start: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Number(Spanned):
    """A numeric literal."""

    value: float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Boolean(Spanned):
    """``true`` or ``false``."""

    value: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name(Spanned):
    """An identifier: a parameter, an actor, an action (inside a test) or an
    extra name of the context."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Unary(Spanned):
    """Prefix ``-x`` or ``+x``."""

    op: str
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not(Spanned):
    """``not x``."""

    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Chain(Spanned):
    """A run of left-associative operators of one precedence level:
    ``first op1 x1 op2 x2 ...`` evaluated left to right. The levels are
    ``+ -``, ``* /``, ``and`` and ``or``."""

    first: Node
    rest: tuple[tuple[str, Node], ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Power(Spanned):
    """``base ** exponent`` (right-associative)."""

    base: Node
    exponent: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Compare(Spanned):
    """``left op right`` with ``op`` one of ``== != < <= > >=``; an action test
    when ``left`` names an actor."""

    op: str
    left: Node
    right: Node
    start: int
    end: int
    op_start: int


@dataclass(frozen=True, slots=True)
class Membership(Spanned):
    """``actor in [a, b, ...]`` or ``actor not in [...]``."""

    actor: Node
    actions: tuple[Name, ...]
    negated: bool
    start: int
    end: int
    op_start: int


@dataclass(frozen=True, slots=True)
class Call(Spanned):
    """``function(arg, ...)``."""

    function: str
    args: tuple[Node, ...]
    start: int
    end: int


Node: TypeAlias = (
    Number | Boolean | Name | Unary | Not | Chain | Power | Compare | Membership | Call
)


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Token:
    kind: Literal["number", "name", "keyword", "op", "end"]
    text: str
    start: int
    value: float = 0.0


_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: A name; subjects of compound moves and private types are dotted
#: (``china.sanctions``, ``china.type``): each part an identifier.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_DIGITS = frozenset("0123456789")
_SPACE = frozenset(" \t\r\n")
_OPERATORS = ("**", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
_HINTS = {
    "=": "`=` is not an operator; write `==` to compare",
    "!": "`!` is not an operator; write `not` to negate, or `!=` to compare",
    "&": "`&` is not an operator; write `and`",
    "|": "`|` is not an operator; write `or`",
    "^": "`^` is not an operator; write `**` for powers",
    "%": "`%` (remainder) is not supported; write the formula with + - * / **",
    "'": "quotes are not needed: action names are written bare, as in `china == covert_assist`",
    '"': "quotes are not needed: action names are written bare, as in `china == covert_assist`",
    ".": "unexpected `.`; only subjects contain dots (`china.type`, `china.sanctions`), "
    "and numbers are written like 0.5",
    "{": "`{` is not allowed; use `(` to group and `[` for a list of actions",
    "}": "`}` is not allowed; use `)` to close a group and `]` to close a list",
}


def brief(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut to ``limit`` characters for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _show_char(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"`{ch}`"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        if ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            match = _NAME.match(text, i)
            assert match is not None
            word = match.group()
            tokens.append(Token("keyword" if word in KEYWORDS else "name", word, i))
            i = match.end()
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            match = _NUMBER.match(text, i)
            assert match is not None
            end = match.end()
            if end < n and text[end] in _WORD_CHARS:
                stop = end
                while stop < n and text[stop] in _WORD_CHARS:
                    stop += 1
                raise ExpressionError(
                    f"malformed number `{brief(text[i:stop])}`; numbers look like 3, 0.25 "
                    "or 1.5e-3, and a number times a name is written `2 * x`",
                    column=i + 1,
                )
            value = float(match.group())
            if not math.isfinite(value):
                raise ExpressionError(
                    f"number `{brief(match.group())}` is too large; "
                    "numbers must be below about 1.8e308",
                    column=i + 1,
                )
            tokens.append(Token("number", match.group(), i, value))
            i = end
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token("op", op, i))
                i += len(op)
                break
        else:
            hint = _HINTS.get(ch)
            raise ExpressionError(hint or f"unexpected character {_show_char(ch)}", column=i + 1)
    tokens.append(Token("end", "", n))
    return tokens
