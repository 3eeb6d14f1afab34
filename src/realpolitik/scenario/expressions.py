"""The small, safe expression language of scenario files.

Payoff terms, chance probabilities, conditions on earlier actions and outcome
metrics are written in scenario files as short formulas::

    -trade_exposure * sanctions_severity * (china in [covert_assist, overt_support])
    clip(detection_base + 0.2 * (west == harsh_sanctions), 0, 1)

Why a language of our own: a scenario file is data a user may receive from
someone else, so its formulas must never reach Python's ``eval``; and a
formula is evaluated on a million parameter draws at once, so it must compile
to whole-array NumPy operations rather than run once per draw. This module
therefore has a hand-written tokenizer and a precedence-climbing parser
(Pratt 1973; the operator table is Python's, see the Python Language Reference,
section 6.17 "Operator precedence") producing an immutable syntax tree, a
checker that resolves every name against an :class:`ExpressionContext` with
did-you-mean suggestions, and a compiler that turns the tree into a tree of
closures, each applying one NumPy ufunc to whole arrays.

The grammar, the types, the numerical rules and the limits are in
``docs/expressions.md``. In short:

- numbers, parameters, ``+ - * / **``, comparisons, ``and or not``,
  ``true false``, the functions ``min max clip where abs exp log`` and
  ``moved(actor)``;
- action tests ``china == covert_assist``, ``china != covert_assist``,
  ``china in [covert_assist, overt_support]`` and ``not in``; an actor that did
  not move on a path (action index -1) equals no action;
- two types, number and boolean; booleans count as 0/1 in arithmetic, numbers
  are never silently used as conditions;
- IEEE semantics: division by zero, ``log`` of a non-positive number and
  overflow give ``inf``/``nan`` (``evaluate(check_finite=True)`` reports them).

References
----------
Pratt, V. R. (1973). Top down operator precedence. *Proceedings of the 1st
ACM SIGACT-SIGPLAN Symposium on Principles of Programming Languages*, 41-51.

Examples
--------
>>> import numpy as np
>>> context = ExpressionContext(
...     parameters=frozenset({"exposure", "severity"}),
...     actors={"china": ("join", "neutral", "covert_assist")},
... )
>>> e = parse_expression("-exposure * severity * (china == covert_assist)", context)
>>> e.kind, sorted(e.parameters), sorted(e.actions_tested)
('number', ['exposure', 'severity'], [('china', 'covert_assist')])
>>> draws = {"exposure": np.array([[1.0], [2.0]]), "severity": np.array([[0.5], [0.5]])}
>>> e.evaluate(draws, {"china": np.array([[0, 2, -1]])})
array([[-0. , -0.5, -0. ],
       [-0. , -1. , -0. ]])
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError, Problem
from realpolitik.limits import require_bytes

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Boolean",
    "Call",
    "Chain",
    "Compare",
    "Expression",
    "ExpressionContext",
    "ExpressionError",
    "Kind",
    "Membership",
    "Name",
    "Node",
    "NonFiniteError",
    "Not",
    "Number",
    "Power",
    "Unary",
    "free_names",
    "parse_expression",
    "parse_tree",
]

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
_ARITY: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "clip": (3, 3),
    "where": (3, 3),
    "moved": (1, 1),
}

# Binding power of binary operators, loosest first (Python's order).
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _UNARY, _POW = 1, 2, 3, 4, 5, 6, 7, 8
_PRECEDENCE: dict[str, int] = {
    "or": _OR,
    "and": _AND,
    "==": _CMP,
    "!=": _CMP,
    "<": _CMP,
    "<=": _CMP,
    ">": _CMP,
    ">=": _CMP,
    "in": _CMP,
    "not in": _CMP,
    "+": _ADD,
    "-": _ADD,
    "*": _MUL,
    "/": _MUL,
    "**": _POW,
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
# Every node knows its span in the text: ``start`` (0-based, inclusive) and
# ``end`` (exclusive). ``column`` is ``start + 1``, as error messages show it.


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal."""

    value: float
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` or ``false``."""

    value: bool
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier: a parameter, an actor, an action (inside a test) or an
    extra name of the context."""

    name: str
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Unary:
    """Prefix ``-x`` or ``+x``."""

    op: str
    operand: Node
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Not:
    """``not x``."""

    operand: Node
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Chain:
    """A run of left-associative operators of one precedence level:
    ``first op1 x1 op2 x2 ...`` evaluated left to right. The levels are
    ``+ -``, ``* /``, ``and`` and ``or``."""

    first: Node
    rest: tuple[tuple[str, Node], ...]
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Power:
    """``base ** exponent`` (right-associative)."""

    base: Node
    exponent: Node
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Compare:
    """``left op right`` with ``op`` one of ``== != < <= > >=``; an action test
    when ``left`` names an actor."""

    op: str
    left: Node
    right: Node
    start: int
    end: int
    op_start: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Membership:
    """``actor in [a, b, ...]`` or ``actor not in [...]``."""

    actor: Node
    actions: tuple[Name, ...]
    negated: bool
    start: int
    end: int
    op_start: int

    @property
    def column(self) -> int:
        return self.start + 1


@dataclass(frozen=True, slots=True)
class Call:
    """``function(arg, ...)``."""

    function: str
    args: tuple[Node, ...]
    start: int
    end: int

    @property
    def column(self) -> int:
        return self.start + 1


Node: TypeAlias = (
    Number | Boolean | Name | Unary | Not | Chain | Power | Compare | Membership | Call
)


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["number", "name", "keyword", "op", "end"]
    text: str
    start: int
    value: float = 0.0


_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: A name; subjects of compound moves and private types are dotted
#: (``china.sanctions``, ``china.type``): each part an identifier.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", re.ASCII)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)
_SUBJECT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z", re.ASCII)
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


def _short(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut to ``limit`` characters for an error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _show_char(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"`{ch}`"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
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
            tokens.append(_Token("keyword" if word in KEYWORDS else "name", word, i))
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
                    f"malformed number `{_short(text[i:stop])}`; numbers look like 3, 0.25 "
                    "or 1.5e-3, and a number times a name is written `2 * x`",
                    column=i + 1,
                )
            value = float(match.group())
            if not math.isfinite(value):
                raise ExpressionError(
                    f"number `{_short(match.group())}` is too large; "
                    "numbers must be below about 1.8e308",
                    column=i + 1,
                )
            tokens.append(_Token("number", match.group(), i, value))
            i = end
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(_Token("op", op, i))
                i += len(op)
                break
        else:
            hint = _HINTS.get(ch)
            raise ExpressionError(hint or f"unexpected character {_show_char(ch)}", column=i + 1)
    tokens.append(_Token("end", "", n))
    return tokens


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------
def _too_deep(start: int) -> ExpressionError:
    return ExpressionError(
        f"expression nests more than {MAX_DEPTH} levels deep (each operator, function call "
        "and pair of parentheses adds one); split it into smaller terms or metrics",
        column=start + 1,
    )


class _Parser:
    """Precedence climbing over the token list.

    Each parsing function returns ``(node, depth)`` where ``depth`` is the
    nesting depth of the node counted bottom-up (parentheses included). A
    separate top-down ``level`` bounds the recursion before any node is built,
    so that ``((((...`` fails with the depth error, never ``RecursionError``:
    every increment of ``level`` is a parenthesis or a tree edge on the way
    down, so ``level`` never exceeds the final depth.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.count = 0

    # -- helpers -------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def previous(self) -> _Token | None:
        return self.tokens[self.pos - 1] if self.pos > 0 else None

    def made(self, node: Node, depth: int) -> tuple[Node, int]:
        self.count += 1
        if self.count > MAX_NODES:
            raise ExpressionError(
                f"expression has more than {MAX_NODES} parts (numbers, names, operators); "
                "split it into smaller terms or metrics",
                column=node.column,
            )
        if depth > MAX_DEPTH:
            raise _too_deep(node.start)
        return node, depth

    def binary_op(self) -> tuple[str | None, int]:
        tok = self.peek()
        if tok.kind == "op" and tok.text in _PRECEDENCE:
            return tok.text, 1
        if tok.kind == "keyword":
            if tok.text in ("and", "or", "in"):
                return tok.text, 1
            nxt = self.peek(1)
            if tok.text == "not" and nxt.kind == "keyword" and nxt.text == "in":
                return "not in", 2
        return None, 0

    def unclosed(self, opener: _Token, closer: str) -> ExpressionError:
        return ExpressionError(
            f"`{opener.text}` at column {opener.start + 1} is never closed; add `{closer}`",
            column=opener.start + 1,
        )

    # -- grammar -------------------------------------------------------------
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError(
                "expression is empty; write a number, a parameter or a condition", column=1
            )
        node, _ = self.expression(0, 1)
        tok = self.peek()
        if tok.kind != "end":
            if tok.text in (")", "]"):
                opener = "(" if tok.text == ")" else "["
                message = f"unmatched `{_short(tok.text)}`; remove it or add `{opener}` before it"
            elif tok.text == ",":
                message = "unexpected `,` outside a function call or a list of actions"
            else:
                prev = self.previous()
                after = f" after `{_short(prev.text)}`" if prev is not None else ""
                message = f"unexpected `{_short(tok.text)}`{after}; is an operator missing?"
            raise ExpressionError(message, column=tok.start + 1)
        return node

    def expression(self, min_prec: int, level: int) -> tuple[Node, int]:
        tok = self.peek()
        if level > MAX_DEPTH:
            raise _too_deep(tok.start)
        left: Node
        if tok.kind == "keyword" and tok.text == "not":
            if min_prec > _NOT:
                prev = self.previous()
                after = f"`{_short(prev.text)}`" if prev is not None else "an operator"
                raise ExpressionError(
                    f"`not` cannot follow {after} directly; put it in parentheses: `(not ...)`",
                    column=tok.start + 1,
                )
            self.pos += 1
            operand, depth = self.expression(_NOT, level + 1)
            left, depth = self.made(Not(operand, tok.start, operand.end), depth + 1)
        elif tok.kind == "op" and tok.text in ("-", "+"):
            self.pos += 1
            operand, depth = self.expression(_UNARY, level + 1)
            left, depth = self.made(Unary(tok.text, operand, tok.start, operand.end), depth + 1)
        else:
            left, depth = self.primary(level)

        compared = False
        while True:
            op, width = self.binary_op()
            if op is None:
                break
            prec = _PRECEDENCE[op]
            if prec < min_prec:
                break
            op_tok = self.peek()
            if prec == _CMP:
                if compared:
                    raise ExpressionError(
                        "comparisons cannot be chained; write `a < b and b < c` "
                        "or put one comparison in parentheses",
                        column=op_tok.start + 1,
                    )
                self.pos += width
                if op in ("in", "not in"):
                    left, depth = self.membership(left, depth, op, op_tok, level + 1)
                else:
                    right, rdepth = self.expression(_CMP + 1, level + 1)
                    node = Compare(op, left, right, left.start, right.end, op_tok.start)
                    left, depth = self.made(node, max(depth, rdepth) + 1)
                compared = True
            elif op == "**":
                self.pos += 1
                right, rdepth = self.expression(_UNARY, level + 1)
                left, depth = self.made(
                    Power(left, right, left.start, right.end), max(depth, rdepth) + 1
                )
                compared = False
            else:
                rest: list[tuple[str, Node]] = []
                deepest = depth
                current: str | None = op
                while current is not None and _PRECEDENCE[current] == prec:
                    self.pos += 1
                    right, rdepth = self.expression(prec + 1, level + 1)
                    rest.append((current, right))
                    deepest = max(deepest, rdepth)
                    current, _ = self.binary_op()
                chain = Chain(left, tuple(rest), left.start, rest[-1][1].end)
                left, depth = self.made(chain, deepest + 1)
                compared = False
        return left, depth

    def membership(
        self, left: Node, depth: int, op: str, op_tok: _Token, level: int
    ) -> tuple[Node, int]:
        opener = self.peek()
        if not (opener.kind == "op" and opener.text == "["):
            raise ExpressionError(
                f"`{op}` needs a list of actions after it, as in "
                f"`china {op} [covert_assist, overt_support]`",
                column=opener.start + 1,
            )
        if level > MAX_DEPTH:
            raise _too_deep(opener.start)
        self.pos += 1
        items: list[Name] = []
        while True:
            tok = self.peek()
            if tok.kind == "end":
                raise self.unclosed(opener, "]")
            if not items and tok.kind == "op" and tok.text == "]":
                raise ExpressionError(
                    f"the list after `{op}` is empty; name at least one action",
                    column=opener.start + 1,
                )
            if tok.kind != "name":
                raise ExpressionError(
                    f"expected an action name in the list after `{op}`, found `{_short(tok.text)}`",
                    column=tok.start + 1,
                )
            self.pos += 1
            item, _ = self.made(Name(tok.text, tok.start, tok.start + len(tok.text)), 1)
            assert isinstance(item, Name)
            items.append(item)
            tok = self.peek()
            if tok.kind == "op" and tok.text == ",":
                self.pos += 1
                continue
            if tok.kind == "op" and tok.text == "]":
                self.pos += 1
                break
            if tok.kind == "end":
                raise self.unclosed(opener, "]")
            raise ExpressionError(
                f"expected `,` or `]` in the list after `{op}`, found `{_short(tok.text)}`",
                column=tok.start + 1,
            )
        close = self.tokens[self.pos - 1]
        node = Membership(
            left, tuple(items), op == "not in", left.start, close.start + 1, op_tok.start
        )
        result = self.made(node, max(depth, 1) + 1)
        follow, _ = self.binary_op()
        if follow is not None and _PRECEDENCE[follow] > _CMP:
            raise ExpressionError(
                f"put the action test in parentheses before `{follow}`: "
                f"`(... {op} [...]) {follow} ...`",
                column=self.peek().start + 1,
            )
        return result

    def primary(self, level: int) -> tuple[Node, int]:
        tok = self.peek()
        if tok.kind == "number":
            self.pos += 1
            return self.made(Number(tok.value, tok.start, tok.start + len(tok.text)), 1)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.pos += 1
            return self.made(Boolean(tok.text == "true", tok.start, tok.start + len(tok.text)), 1)
        if tok.kind == "name":
            self.pos += 1
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text == "(":
                return self.call(tok, level)
            return self.made(Name(tok.text, tok.start, tok.start + len(tok.text)), 1)
        if tok.kind == "op" and tok.text == "(":
            self.pos += 1
            inner, depth = self.expression(0, level + 1)
            close = self.peek()
            if not (close.kind == "op" and close.text == ")"):
                if close.kind == "end":
                    raise self.unclosed(tok, ")")
                raise ExpressionError(
                    f"expected `)` to close the `(` at column {tok.start + 1}, "
                    f"found `{close.text}`; is an operator missing?",
                    column=close.start + 1,
                )
            self.pos += 1
            if depth + 1 > MAX_DEPTH:
                raise _too_deep(tok.start)
            return inner, depth + 1
        if tok.kind == "op" and tok.text == "[":
            raise ExpressionError(
                "a list `[...]` can only follow `in` or `not in`, as in "
                "`china in [covert_assist, overt_support]`",
                column=tok.start + 1,
            )
        prev = self.previous()
        if tok.kind == "end":
            after = f"`{_short(prev.text)}`" if prev is not None else "the start"
            raise ExpressionError(
                f"expression ends after {after}; a number, a name or `(` should follow",
                column=tok.start + 1,
            )
        where = f"after `{_short(prev.text)}`" if prev is not None else "at the start"
        raise ExpressionError(
            f"expected a number, a name or `(` {where}, found `{_short(tok.text)}`",
            column=tok.start + 1,
        )

    def call(self, name: _Token, level: int) -> tuple[Node, int]:
        opener = self.peek()
        self.pos += 1
        args: list[Node] = []
        deepest = 0
        close = self.peek()
        if close.kind == "op" and close.text == ")":
            self.pos += 1
        else:
            while True:
                arg, depth = self.expression(0, level + 1)
                args.append(arg)
                deepest = max(deepest, depth)
                tok = self.peek()
                if tok.kind == "op" and tok.text == ",":
                    self.pos += 1
                    continue
                if tok.kind == "op" and tok.text == ")":
                    close = tok
                    self.pos += 1
                    break
                if tok.kind == "end":
                    raise self.unclosed(opener, ")")
                raise ExpressionError(
                    f"expected `,` or `)` in the call of `{name.text}`, found `{_short(tok.text)}`",
                    column=tok.start + 1,
                )
        node = Call(name.text, tuple(args), name.start, close.start + 1)
        return self.made(node, deepest + 1)


def parse_tree(text: str) -> Node:
    """Parse ``text`` into a syntax tree without resolving any name.

    Parameters
    ----------
    text : the expression.

    Returns
    -------
    Node
        The root of an immutable tree of :class:`Number`, :class:`Boolean`,
        :class:`Name`, :class:`Unary`, :class:`Not`, :class:`Chain`,
        :class:`Power`, :class:`Compare`, :class:`Membership`, :class:`Call`.

    Raises
    ------
    ExpressionError
        For a syntax error or when a limit (:data:`MAX_LENGTH`,
        :data:`MAX_DEPTH`, :data:`MAX_NODES`) is exceeded.

    Examples
    --------
    >>> parse_tree("-2 ** 2")
    Unary(op='-', operand=Power(base=Number(value=2.0, start=1, end=2), \
exponent=Number(value=2.0, start=6, end=7), start=1, end=7), start=0, end=7)
    """
    if not isinstance(text, str):
        raise ExpressionError(
            f"an expression must be text, not {type(text).__name__}; quote it in the file"
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long, above the limit of {MAX_LENGTH}; "
            "split it into smaller terms or metrics",
            column=MAX_LENGTH + 1,
        )
    return _Parser(text).parse()


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary | Not):
        return (node.operand,)
    if isinstance(node, Chain):
        return (node.first, *(operand for _, operand in node.rest))
    if isinstance(node, Power):
        return (node.base, node.exponent)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Membership):
        return (node.actor, *node.actions)
    if isinstance(node, Call):
        return node.args
    return ()


def free_names(text: str) -> dict[str, tuple[int, ...]]:
    """Names an expression refers to, with the columns where each occurs.

    Purely syntactic (no context needed), for a loader's dependency order
    between metrics and its "unused parameter" warnings. Function names and
    the actions listed after ``in`` are left out. Without a context the parser
    cannot tell whether ``y`` in ``x == y`` is an action or a value, so both
    sides of ``==`` and ``!=`` are reported; a parsed :class:`Expression`
    gives the resolved names in ``columns``.

    Parameters
    ----------
    text : the expression.

    Returns
    -------
    dict
        name -> 1-based columns, names in order of first occurrence.

    Raises
    ------
    ExpressionError
        For a syntax error.

    Examples
    --------
    >>> free_names("clip(base + 0.2 * (west == harsh), 0, base)")
    {'base': (6, 39), 'west': (20,), 'harsh': (28,)}
    """
    found: dict[str, list[int]] = {}
    stack: list[Node] = [parse_tree(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.setdefault(node.name, []).append(node.column)
        elif isinstance(node, Membership):
            stack.append(node.actor)
        else:
            stack.extend(_children(node))
    order = sorted(found, key=lambda name: min(found[name]))
    return {name: tuple(sorted(found[name])) for name in order}


# ---------------------------------------------------------------------------
# Context
# ---------------------------------------------------------------------------
def _listing(names: Iterable[str], limit: int = 8, *, keep_order: bool = False) -> str:
    ordered = list(names) if keep_order else sorted(names)
    if not ordered:
        return "(none)"
    shown = ", ".join(ordered[:limit])
    return shown + (f", ... ({len(ordered)} in all)" if len(ordered) > limit else "")


def _suggest(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean `x`?"`` for the closest candidate: same name in another
    case, else the best difflib match, else the only candidate it begins."""
    ordered = sorted(candidates)
    folded = [c for c in ordered if c.lower() == name.lower()]
    close = folded or difflib.get_close_matches(name, ordered, n=1, cutoff=0.6)
    if not close and len(name) >= 3:
        starts = [c for c in ordered if c.startswith(name)]
        close = starts if len(starts) == 1 else []
    return f"; did you mean `{close[0]}`?" if close else ""


@dataclass(frozen=True)
class ExpressionContext:
    """The names an expression may use.

    Parameters
    ----------
    parameters : names of the scenario's uncertain parameters (numbers).
    actors : each actor's action ids, in the order of the action indices that
        :meth:`Expression.evaluate` receives. Chance nodes may be listed as
        actors too (their outcomes as actions).
    numbers : other numeric names the caller allows (metrics, terms computed
        earlier); their values are passed with the parameters.
    conditions : other boolean names the caller allows; their values (boolean
        arrays) are passed with the parameters.

    Raises
    ------
    ExpressionError
        If a name is not an identifier, is a keyword or a function name, or is
        used for two things (action ids may repeat across actors, and may
        coincide with parameter names: they are only looked up inside tests).
    """

    parameters: frozenset[str] = frozenset()
    actors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: frozenset[str] = frozenset()
    conditions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        groups: dict[str, frozenset[str]] = {}
        for what in ("parameters", "numbers", "conditions"):
            raw: object = getattr(self, what)
            if isinstance(raw, str):
                raise ExpressionError(f"{what} must be a collection of names, not a string")
            names = frozenset(str(name) for name in cast(Iterable[object], raw))
            object.__setattr__(self, what, names)
            groups[what] = names
        actors: dict[str, tuple[str, ...]] = {}
        for actor, actions in dict(self.actors).items():
            if isinstance(cast(object, actions), str):
                raise ExpressionError(f"the actions of `{actor}` must be a list of names")
            actors[str(actor)] = tuple(str(action) for action in actions)
        object.__setattr__(self, "actors", actors)
        groups["actors"] = frozenset(actors)

        singular = {
            "parameters": "parameter",
            "numbers": "name",
            "conditions": "condition",
            "actors": "actor",
        }
        seen: dict[str, str] = {}
        for what, names in groups.items():
            for name in sorted(names):
                pattern = _SUBJECT if what == "actors" else _IDENTIFIER
                if not pattern.match(name):
                    raise ExpressionError(
                        f"{singular[what]} name `{name}` cannot be used in expressions; "
                        "use letters, digits and `_`, starting with a letter or `_`"
                    )
                if name in KEYWORDS or name in FUNCTIONS:
                    raise ExpressionError(
                        f"{singular[what]} name `{name}` is reserved in expressions "
                        "(a keyword or a function); rename it"
                    )
                if name in seen:
                    article = "an" if singular[what][0] in "aeiou" else "a"
                    raise ExpressionError(
                        f"`{name}` is both {seen[name]} and {article} {singular[what]}; rename one"
                    )
                seen[name] = ("an " if singular[what][0] in "aeiou" else "a ") + singular[what]
        for actor, actions in actors.items():
            listed: set[str] = set()
            for action in actions:
                if not _IDENTIFIER.match(action) or action in KEYWORDS:
                    raise ExpressionError(
                        f"action `{action}` of {actor} cannot be used in expressions; use "
                        "letters, digits and `_`, starting with a letter or `_`, and no keyword"
                    )
                if action in listed:
                    raise ExpressionError(f"action `{action}` is listed twice for {actor}")
                listed.add(action)

    def __hash__(self) -> int:
        return hash(
            (self.parameters, tuple(sorted(self.actors.items())), self.numbers, self.conditions)
        )

    def actions_of(self, actor: str) -> tuple[str, ...]:
        """The action ids of ``actor``, in index order."""
        return self.actors[actor]

    @cached_property
    def _owners(self) -> dict[str, tuple[str, ...]]:
        owners: dict[str, list[str]] = {}
        for actor in sorted(self.actors):
            for action in self.actors[actor]:
                owners.setdefault(action, []).append(actor)
        return {action: tuple(who) for action, who in owners.items()}

    @cached_property
    def _values(self) -> frozenset[str]:
        return self.parameters | self.numbers | self.conditions


# ---------------------------------------------------------------------------
# Compiler: syntax tree -> tree of closures over NumPy ufuncs
# ---------------------------------------------------------------------------
Values: TypeAlias = Mapping[str, NDArray[Any]]
Run: TypeAlias = Callable[[Values, Values], Any]
_EMPTY: dict[str, NDArray[Any]] = {}


@dataclass(frozen=True)
class _Code:
    """A compiled subtree: its type, its kernel, its value if constant, and
    whether the kernel returns a new array the caller may overwrite."""

    kind: Kind
    run: Run
    const: NDArray[Any] | None = None
    fresh: bool = True


def _constant(value: ArrayLike, kind: Kind) -> _Code:
    dtype = np.float64 if kind == "number" else np.bool_
    const: NDArray[Any] = np.asarray(value, dtype=dtype)

    def run(p: Values, a: Values) -> Any:
        return const

    return _Code(kind, run, const, fresh=False)


def _built(kind: Kind, run: Run, children: Sequence[_Code]) -> _Code:
    """A node's code; folded to a constant when every child is constant."""
    if all(child.const is not None for child in children):
        with np.errstate(all="ignore"):
            return _constant(run(_EMPTY, _EMPTY), kind)
    return _Code(kind, run)


#: Arrays smaller than this are not written in place (allocation is cheap).
_IN_PLACE_MIN = 4096
_FLOAT = np.dtype(np.float64)
_BOOL = np.dtype(np.bool_)


def _holds(target: Any, other: Any, dtype: np.dtype[Any]) -> bool:
    """Whether ``target op other`` can be written into ``target``: an array of
    the result's dtype whose shape is already the broadcast shape. Small
    arrays are not worth the check."""
    if type(target) is not np.ndarray or target.size < _IN_PLACE_MIN or target.dtype != dtype:
        return False
    shape = np.shape(other)
    if len(shape) > target.ndim:
        return False
    tail = target.shape[target.ndim - len(shape) :]
    return all(s == 1 or s == t for s, t in zip(shape, tail, strict=True))


def _chain_run(first: _Code, rest: Sequence[tuple[np.ufunc, _Code]], kind: Kind) -> Run:
    """``first op1 x1 op2 x2 ...`` left to right, one ufunc call per operator.

    A result is written into an operand that is our own temporary (``fresh``)
    and already has the result's shape and dtype, so that a long sum of
    products over ``(draws, terminals)`` allocates one or two full-size arrays
    instead of one per operator.
    """
    dtype = _FLOAT if kind == "number" else _BOOL
    head, head_fresh = first.run, first.fresh
    steps = tuple((ufunc, code.run, code.fresh) for ufunc, code in rest)

    def run(p: Values, a: Values) -> Any:
        acc = head(p, a)
        fresh = head_fresh
        for ufunc, operand, operand_fresh in steps:
            value = operand(p, a)
            if fresh and _holds(acc, value, dtype):
                acc = ufunc(acc, value, out=acc)
            elif operand_fresh and _holds(value, acc, dtype):
                acc = ufunc(acc, value, out=value)
            else:
                acc = ufunc(acc, value)
            fresh = True
        return acc

    return run


def _unary_run(ufunc: np.ufunc, operand: _Code) -> Run:
    inner = operand.run
    if operand.fresh:

        def run_in_place(p: Values, a: Values) -> Any:
            value = inner(p, a)
            if type(value) is np.ndarray:
                return ufunc(value, out=value)
            return ufunc(value)

        return run_in_place

    def run(p: Values, a: Values) -> Any:
        return ufunc(inner(p, a))

    return run


_ARITHMETIC: dict[str, np.ufunc] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "and": np.logical_and,
    "or": np.logical_or,
}
_COMPARISONS: dict[str, np.ufunc] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


class _Compiler:
    """Checks a syntax tree against a context and compiles it, one node at a
    time, into a :class:`_Code`; records the names and actions it meets."""

    def __init__(self, text: str, context: ExpressionContext) -> None:
        self.text = text
        self.context = context
        self.columns: dict[str, list[int]] = {}
        self.tested: set[tuple[str, str]] = set()

    def snippet(self, node: Node) -> str:
        return _short(self.text[node.start : node.end])

    def use(self, node: Name) -> None:
        self.columns.setdefault(node.name, []).append(node.column)

    def as_number(self, code: _Code) -> _Code:
        if code.kind == "number":
            return code
        if code.const is not None:
            return _constant(code.const, "number")
        inner = code.run

        def run(p: Values, a: Values) -> Any:
            return np.asarray(inner(p, a), dtype=np.float64)

        return _Code("number", run)

    def as_condition(self, node: Node, code: _Code, needed_by: str) -> _Code:
        if code.kind == "boolean":
            return code
        shown = self.snippet(node)
        raise ExpressionError(
            f"{needed_by} needs a condition (true or false), but `{shown}` is a number; "
            f"compare it, e.g. `{shown} > 0`",
            column=node.column,
        )

    def number(self, node: Node) -> _Code:
        return self.as_number(self.compile(node))

    # -- dispatch ------------------------------------------------------------
    def compile(self, node: Node) -> _Code:
        if isinstance(node, Number):
            return _constant(node.value, "number")
        if isinstance(node, Boolean):
            return _constant(node.value, "boolean")
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Not):
            return self.negation(node)
        if isinstance(node, Chain):
            return self.chain(node)
        if isinstance(node, Power):
            return self.power(node)
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Membership):
            return self.membership(node)
        return self.call(node)

    # -- names -----------------------------------------------------------------
    def name(self, node: Name) -> _Code:
        name, ctx = node.name, self.context
        if name in ctx._values:
            self.use(node)
            kind: Kind = "boolean" if name in ctx.conditions else "number"

            def run(p: Values, a: Values) -> Any:
                return p[name]

            return _Code(kind, run, fresh=False)
        if name in ctx.actors:
            raise self.actor_as_value(node)
        if name in FUNCTIONS:
            raise ExpressionError(
                f"`{name}` is a function; call it as `{FUNCTIONS[name]}`", column=node.column
            )
        owners = ctx._owners.get(name)
        if owners:
            if len(owners) == 1:
                hint = f"test it with `{owners[0]} == {name}`"
                whose = f"an action of {owners[0]}"
            else:
                hint = f"test it against an actor, e.g. `{owners[0]} == {name}`"
                whose = f"an action (of {', '.join(owners)})"
            raise ExpressionError(f"`{name}` is {whose}, not a value; {hint}", column=node.column)
        raise self.unknown(node)

    def unknown(self, node: Name) -> ExpressionError:
        ctx = self.context
        known = ctx._values | frozenset(ctx.actors)
        suggestion = _suggest(node.name, known | frozenset(FUNCTIONS))
        if suggestion:
            return ExpressionError(
                f"unknown name `{_short(node.name)}`{suggestion}", column=node.column
            )
        if "." in node.name:
            dotted = sorted(a for a in ctx.actors if "." in a)
            known_subjects = f"; here: {_listing(dotted)}" if dotted else ""
            return ExpressionError(
                f"unknown name `{_short(node.name)}`: a dotted name is a subject, a compound "
                f"move's dimension (`china.sanctions`) or an actor's type (`china.type`)"
                f"{known_subjects}",
                column=node.column,
            )
        return ExpressionError(
            f"unknown name `{_short(node.name)}`: not a parameter, actor or function here "
            f"(parameters: {_listing(ctx.parameters)})",
            column=node.column,
        )

    def actor_as_value(self, node: Name) -> ExpressionError:
        actions = self.context.actors[node.name]
        actor = node.name
        if actions:
            example = f"`{actor} == {actions[0]}`"
            if len(actions) > 1:
                example += f" or `{actor} in [{actions[0]}, {actions[1]}]`"
        else:
            example = f"`moved({actor})`"
        return ExpressionError(
            f"`{actor}` is an actor, not a value; test its action, e.g. {example}",
            column=node.column,
        )

    def actor(self, node: Node, where: str) -> str:
        """The actor named by ``node``, with an error saying what else it is."""
        ctx = self.context
        if isinstance(node, Name) and node.name in ctx.actors:
            self.use(node)
            return node.name
        if isinstance(node, Name):
            name = node.name
            if name in ctx.parameters:
                what = "a parameter"
            elif name in ctx.numbers or name in ctx.conditions:
                what = "a value, not an actor"
            else:
                suggestion = _suggest(name, ctx.actors)
                raise ExpressionError(
                    f"{where} needs an actor, but `{_short(name)}` is not one{suggestion}"
                    + ("" if suggestion else f" (actors: {_listing(ctx.actors)})"),
                    column=node.column,
                )
            raise ExpressionError(
                f"{where} needs an actor, but `{name}` is {what} (actors: {_listing(ctx.actors)})",
                column=node.column,
            )
        raise ExpressionError(
            f"{where} needs an actor's name, not `{self.snippet(node)}` "
            f"(actors: {_listing(ctx.actors)})",
            column=node.column,
        )

    def action(self, actor: str, node: Node, op: str) -> int:
        actions = self.context.actors[actor]
        if not isinstance(node, Name):
            raise ExpressionError(
                f"`{actor} {op} ...` needs one of {actor}'s actions on the right "
                f"({_listing(actions, keep_order=True)}), not `{self.snippet(node)}`",
                column=node.column,
            )
        if node.name not in actions:
            suggestion = _suggest(node.name, actions)
            raise ExpressionError(
                f"`{_short(node.name)}` is not an action of {actor}{suggestion}"
                + ("" if suggestion else f" (its actions: {_listing(actions, keep_order=True)})"),
                column=node.column,
            )
        self.tested.add((actor, node.name))
        return actions.index(node.name)

    # -- operators -------------------------------------------------------------
    def unary(self, node: Unary) -> _Code:
        operand = self.number(node.operand)
        if node.op == "+":
            return operand
        return _built("number", _unary_run(np.negative, operand), [operand])

    def negation(self, node: Not) -> _Code:
        operand = self.as_condition(node.operand, self.compile(node.operand), "`not`")
        return _built("boolean", _unary_run(np.logical_not, operand), [operand])

    def chain(self, node: Chain) -> _Code:
        logical = node.rest[0][0] in ("and", "or")
        operands = [node.first, *(operand for _, operand in node.rest)]
        codes: list[_Code] = []
        for operand in operands:
            code = self.compile(operand)
            if logical:
                codes.append(self.as_condition(operand, code, f"`{node.rest[0][0]}`"))
            else:
                codes.append(self.as_number(code))
        rest = [(_ARITHMETIC[op], code) for (op, _), code in zip(node.rest, codes[1:], strict=True)]
        kind: Kind = "boolean" if logical else "number"
        return _built(kind, _chain_run(codes[0], rest, kind), codes)

    def power(self, node: Power) -> _Code:
        base, exponent = self.number(node.base), self.number(node.exponent)
        return _built(
            "number", _chain_run(base, [(np.power, exponent)], "number"), [base, exponent]
        )

    def compare(self, node: Compare) -> _Code:
        ctx = self.context
        left, right, op = node.left, node.right, node.op
        if isinstance(left, Name) and left.name in ctx.actors:
            actor = self.actor(left, f"`{op}`")
            if op not in ("==", "!="):
                raise ExpressionError(
                    f"an actor's action can only be tested with `==`, `!=`, `in` or `not in`, "
                    f"not `{op}`",
                    column=node.op_start + 1,
                )
            index = self.action(actor, right, op)
            ufunc = np.equal if op == "==" else np.not_equal

            def test(p: Values, a: Values) -> Any:
                return ufunc(a[actor], index)

            return _Code("boolean", test)
        if isinstance(right, Name) and right.name in ctx.actors:
            if op in ("==", "!=") and isinstance(left, Name):
                hint = f"write the actor first: `{right.name} {op} {left.name}`"
            else:
                hint = "write the actor first, as in `china == covert_assist`"
            raise ExpressionError(
                f"`{right.name}` is an actor; an action test has the actor on the left of "
                f"`{op}`; {hint}",
                column=right.column,
            )
        lhs, rhs = self.compile(left), self.compile(right)
        ufunc_cmp = _COMPARISONS[op]
        lrun, rrun = lhs.run, rhs.run

        def run(p: Values, a: Values) -> Any:
            return ufunc_cmp(lrun(p, a), rrun(p, a))

        return _built("boolean", run, [lhs, rhs])

    def membership(self, node: Membership) -> _Code:
        op = "not in" if node.negated else "in"
        actor = self.actor(node.actor, f"`{op}`")
        indices: list[int] = []
        for item in node.actions:
            index = self.action(actor, item, op)
            if index in indices:
                raise ExpressionError(
                    f"`{_short(item.name)}` appears twice in the list; remove one",
                    column=item.column,
                )
            indices.append(index)
        if len(indices) == 1:
            ufunc = np.not_equal if node.negated else np.equal
            only = indices[0]

            def single(p: Values, a: Values) -> Any:
                return ufunc(a[actor], only)

            return _Code("boolean", single)
        # A lookup table indexed by action + 1, so that -1 (did not move) reads slot 0.
        table = np.zeros(len(self.context.actors[actor]) + 1, dtype=np.bool_)
        table[np.asarray(indices) + 1] = True
        if node.negated:
            table = ~table
        table.setflags(write=False)

        def lookup(p: Values, a: Values) -> Any:
            return table[a[actor] + 1]

        return _Code("boolean", lookup)

    # -- functions -------------------------------------------------------------
    def call(self, node: Call) -> _Code:
        name, args = node.function, node.args
        if name not in FUNCTIONS:
            ctx = self.context
            if name in ctx._values or name in ctx.actors:
                raise ExpressionError(
                    f"`{name}` is not a function; write `{name} * (...)` to multiply "
                    f"(functions: {_listing(FUNCTIONS)})",
                    column=node.column,
                )
            suggestion = _suggest(name, FUNCTIONS)
            raise ExpressionError(
                f"unknown function `{_short(name)}`{suggestion}"
                + ("" if suggestion else f" (functions: {_listing(FUNCTIONS)})"),
                column=node.column,
            )
        fewest, most = _ARITY[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            if most is None:
                count = f"{fewest} or more arguments"
            elif fewest == 1:
                count = "1 argument"
            else:
                count = f"{fewest} arguments"
            raise ExpressionError(
                f"`{name}` takes {count}, `{FUNCTIONS[name]}`, but got {len(args)}",
                column=node.column,
            )
        if name == "moved":
            actor = self.actor(args[0], "`moved`")

            def moved(p: Values, a: Values) -> Any:
                return np.greater_equal(a[actor], 0)

            return _Code("boolean", moved)
        if name == "where":
            return self.where(node)
        codes = [self.number(arg) for arg in args]
        if name in ("abs", "exp", "log"):
            ufunc = {"abs": np.absolute, "exp": np.exp, "log": np.log}[name]
            return _built("number", _unary_run(ufunc, codes[0]), codes)
        if name == "clip":
            low, high = codes[1].const, codes[2].const
            if low is not None and high is not None and low > high:
                raise ExpressionError(
                    f"the bounds of `clip` are reversed ({float(low):g} > {float(high):g}); "
                    "write `clip(x, lo, hi)` with lo <= hi",
                    column=node.column,
                )
            # clip(x, lo, hi) = min(max(x, lo), hi)
            steps = [(np.maximum, codes[1]), (np.minimum, codes[2])]
            return _built("number", _chain_run(codes[0], steps, "number"), codes)
        # min / max: elementwise, left to right, NaN-propagating.
        pick: np.ufunc = np.minimum if name == "min" else np.maximum
        return _built(
            "number", _chain_run(codes[0], [(pick, code) for code in codes[1:]], "number"), codes
        )

    def where(self, node: Call) -> _Code:
        cond_node, yes_node, no_node = node.args
        cond = self.as_condition(
            cond_node, self.compile(cond_node), "the first argument of `where`"
        )
        yes, no = self.compile(yes_node), self.compile(no_node)
        kind: Kind = "boolean"
        if yes.kind != "boolean" or no.kind != "boolean":
            kind = "number"
            yes, no = self.as_number(yes), self.as_number(no)
        c, y, n = cond.run, yes.run, no.run

        def run(p: Values, a: Values) -> Any:
            return np.where(c(p, a), y(p, a), n(p, a))

        return _built(kind, run, [cond, yes, no])


# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Expression:
    """A checked expression, compiled to a NumPy kernel.

    Build one with :func:`parse_expression`. Two expressions are equal when
    their text, context and kind are.

    Attributes
    ----------
    text : the source text.
    kind : ``"number"`` or ``"boolean"``.
    tree : the syntax tree.
    context : the context names were resolved against.
    parameters : parameters used.
    names : extra names of the context used (its ``numbers`` and ``conditions``).
    actors : actors whose actions are tested.
    actions_tested : ``(actor, action)`` pairs named in tests.
    columns : every name used (parameters, extra names, actors) -> its columns.
    """

    text: str
    kind: Kind
    tree: Node
    context: ExpressionContext
    parameters: frozenset[str]
    names: frozenset[str]
    actors: frozenset[str]
    actions_tested: frozenset[tuple[str, str]]
    columns: Mapping[str, tuple[int, ...]]
    _code: _Code = field(repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return (self.text, self.kind, self.context) == (other.text, other.kind, other.context)

    def __hash__(self) -> int:
        return hash((self.text, self.kind, self.context))

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the text: closures do not pickle, the text does.
        return (_rebuild, (self.text, self.context, self.kind))

    @property
    def constant(self) -> float | bool | None:
        """The value if the expression uses no parameter or action, else None."""
        const = self._code.const
        if const is None:
            return None
        return bool(const) if self.kind == "boolean" else float(const)

    def evaluate(
        self,
        parameters: Mapping[str, ArrayLike],
        actions: Mapping[str, ArrayLike] | None = None,
        *,
        check_finite: bool = False,
    ) -> NDArray[Any]:
        """Evaluate on whole arrays of draws and paths at once.

        Parameters
        ----------
        parameters : name -> values for every parameter (and extra name) the
            expression uses; any shapes that broadcast together, typically
            ``(draws, 1)``. Values of condition names must be boolean arrays.
            Other entries are ignored.
        actions : actor -> integer array of indices into that actor's actions
            (``-1``: the actor did not move on this path), typically shaped
            ``(1, terminals)``; needed for every actor the expression tests.
        check_finite : raise :class:`NonFiniteError` if any value of a numeric
            result is ``nan`` or infinite (values of booleans are always
            finite; a ``nan`` inside a comparison makes it false).

        Returns
        -------
        numpy.ndarray
            A new array (never a view of an input) with the broadcast shape of
            the inputs the expression uses (0-d for a constant): float64 for a
            number, bool for a boolean.

        Raises
        ------
        ExpressionError
            If a value is missing, not numeric, of shapes that do not
            broadcast, or an action index is out of range.
        NonFiniteError
            With ``check_finite=True``, see above.
        """
        values: dict[str, NDArray[Any]] = {}
        for name in sorted(self.parameters | self.names):
            if name not in parameters:
                raise ExpressionError(
                    f"`{_short(self.text, 60)}` needs a value for `{name}`, which was not given"
                )
            values[name] = self._value(name, parameters[name])
        moves: dict[str, NDArray[Any]] = {}
        for actor in sorted(self.actors):
            if actions is None or actor not in actions:
                raise ExpressionError(
                    f"`{_short(self.text, 60)}` tests the action of `{actor}`, "
                    "whose actions were not given"
                )
            moves[actor] = self._moves(actor, actions[actor])
        inputs = list(values.values()) + list(moves.values())
        try:
            shape = np.broadcast_shapes(*(array.shape for array in inputs))
        except ValueError:
            shapes = ", ".join(
                f"{name} {array.shape}" for name, array in (*values.items(), *moves.items())
            )
            raise ExpressionError(
                f"the values given to `{_short(self.text, 60)}` have shapes that do not "
                f"broadcast: {shapes}"
            ) from None
        itemsize = 8 if self.kind == "number" else 1
        require_bytes(
            f"the value of `{_short(self.text, 60)}`", shape, itemsize, "evaluate fewer draws"
        )
        with np.errstate(all="ignore"):
            raw = self._code.run(values, moves)
        result = np.asarray(raw, dtype=np.float64 if self.kind == "number" else np.bool_)
        if not self._code.fresh:
            result = result.copy()  # the kernel returned an input or a constant
        if result.shape != shape:
            result = np.array(np.broadcast_to(result, shape))
        if check_finite and self.kind == "number":
            self._check_finite(result)
        return result

    # -- helpers ---------------------------------------------------------------
    def _value(self, name: str, raw: ArrayLike) -> NDArray[Any]:
        if name in self.context.conditions:
            array = np.asarray(raw)
            if array.dtype != np.bool_:
                raise ExpressionError(
                    f"the value of condition `{name}` must be a boolean array, not {array.dtype}"
                )
            return array
        try:
            return np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise ExpressionError(
                f"the value of `{name}` must be numeric; got {type(raw).__name__}"
            ) from None

    def _moves(self, actor: str, raw: ArrayLike) -> NDArray[Any]:
        array = np.asarray(raw)
        if not np.issubdtype(array.dtype, np.integer):
            raise ExpressionError(
                f"the actions of `{actor}` must be integer action indices, not {array.dtype}"
            )
        count = len(self.context.actors[actor])
        if array.size and (int(array.min()) < -1 or int(array.max()) >= count):
            raise ExpressionError(
                f"the action indices of `{actor}` must lie between -1 (did not move) "
                f"and {count - 1}; got {int(array.min())} to {int(array.max())}"
            )
        return array

    def _check_finite(self, result: NDArray[Any]) -> None:
        finite = np.isfinite(result)
        if finite.all():
            return
        count = int(finite.size - np.count_nonzero(finite))
        flat = int(np.argmin(finite))
        index = tuple(int(i) for i in np.unravel_index(flat, result.shape))
        value = result.reshape(-1)[flat]
        raise NonFiniteError(
            f"`{_short(self.text, 60)}` is {value} for {count} of {result.size} values "
            f"(first at index {index}); check the parameter ranges, or guard the "
            "formula with `clip`, `max` or `where`",
            index=index,
            count=count,
        )


def parse_expression(
    text: str, context: ExpressionContext, *, expect: Kind | None = None
) -> Expression:
    """Parse, check and compile an expression.

    Parameters
    ----------
    text : the expression, e.g. ``"clip(base + 0.2 * (west == harsh), 0, 1)"``.
    context : the names it may use.
    expect : ``"number"`` converts a boolean result to 0/1 (a payoff may be a
        bare condition); ``"boolean"`` requires a condition; None keeps the
        expression's own kind.

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        With the column of the problem: syntax, limits, unknown names (with a
        did-you-mean), an action used outside a test, an action the actor does
        not have, a wrong number of function arguments, a number used as a
        condition.

    Examples
    --------
    >>> ctx = ExpressionContext(frozenset({"base"}), {"west": ("soft", "harsh")})
    >>> parse_expression("clip(base + 0.2 * (west == harsh), 0, 1)", ctx).kind
    'number'
    >>> parse_expression("west == hrash", ctx)
    Traceback (most recent call last):
    ...
    realpolitik.scenario.expressions.ExpressionError: `hrash` is not an action of west; \
did you mean `harsh`? (column 9)
    """
    tree = parse_tree(text)
    compiler = _Compiler(text, context)
    code = compiler.compile(tree)
    if expect == "number":
        code = compiler.as_number(code)
    elif expect == "boolean":
        code = compiler.as_condition(tree, code, "this field")
    columns = {name: tuple(cols) for name, cols in compiler.columns.items()}
    used = frozenset(columns)
    return Expression(
        text=text,
        kind=code.kind,
        tree=tree,
        context=context,
        parameters=used & context.parameters,
        names=used & (context.numbers | context.conditions),
        actors=used & frozenset(context.actors),
        actions_tested=frozenset(compiler.tested),
        columns=columns,
        _code=code,
    )


def _rebuild(text: str, context: ExpressionContext, kind: Kind) -> Expression:
    return parse_expression(text, context, expect=kind)
