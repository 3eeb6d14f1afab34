"""Reading Gambit's text formats, shared by ``.efg`` and ``.nfg``: the limits
on labels, texts and numbers, the tokens and the lexer (exact numbers as
``fractions.Fraction``, quoted labels), loading a file within the size
limits, Gambit 17's unique labels, and the header both formats begin with.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple, NoReturn

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.limits import (
    MAX_GAME_PLAYERS,
    MAX_INPUT_BYTES,
    require_bytes,
)

FloatArray = NDArray[np.float64]


#: Longest label (player, strategy, action, information set, node, outcome).
MAX_LABEL_CHARS = 4096
#: Longest title or comment.
MAX_TEXT_CHARS = 1 << 20
#: Longest number token, and the largest exponent of a decimal.
MAX_NUMBER_CHARS = 400
MAX_EXPONENT = 1000
#: Peak memory of reading, per character of input: about 31 bytes measured
#: (tracemalloc) on trees of 8 thousand to 65 thousand nodes (the tree
#: builder's node records, the exact outcomes and the final arrays), doubled
#: for the text itself and allocator overhead. Used to refuse a file too large
#: for memory before reading it.
READ_BYTES_PER_CHAR = 64


# ---------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------

_SPACE = re.compile(r"\s*", re.ASCII)
_TOKEN = re.compile(
    r"""
    (?P<string>"[^"\\]*(?:\\.[^"\\]*)*")
  | (?P<punct>[{},])
  | (?P<number>[+-]?(?:[0-9]+/[0-9]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))
    (?=[\s{},"]|\Z)
  | (?P<word>[^\s{},"]+)
    """,
    re.ASCII | re.DOTALL | re.VERBOSE,
)
_ESCAPE = re.compile(r'\\(["\\])')
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)

EOF = "eof"


class Token(NamedTuple):
    kind: str  # "string" | "punct" | "number" | "word" | "eof"
    text: str  # decoded text of strings; raw text otherwise
    pos: int  # offset in the input, for the line number


def brief(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split()) if text.strip() else text
    flat = "".join(ch if ch.isprintable() else "?" for ch in flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe(token: Token) -> str:
    if token.kind == EOF:
        return "the end of the file"
    if token.kind == "string":
        return f'the label "{brief(token.text)}"'
    if token.kind == "number":
        return f"the number {brief(token.text)}"
    return f"'{brief(token.text)}'"


class Lexer:
    """Tokens of a Gambit file, one at a time, with one token of lookahead."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self._peeked: Token | None = None

    def line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def fail(self, message: str, token: Token) -> NoReturn:
        raise InputError(" ".join(message.split()), file=self.source, line=self.line(token.pos))

    def _scan(self) -> Token:
        text = self.text
        pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
        if pos >= len(text):  # placed where the last token ends, for its line
            return Token(EOF, "", self.pos)
        match = _TOKEN.match(text, pos)
        if match is None:  # only an unterminated string can fail every pattern
            raise InputError(
                "unterminated label: the quoted string starting here has no closing '\"'",
                file=self.source,
                line=self.line(pos),
            )
        self.pos = match.end()
        kind = match.lastgroup or "word"
        raw = match.group()
        if kind == "string":
            body = raw[1:-1]
            return Token(kind, _ESCAPE.sub(r"\1", body) if "\\" in body else body, pos)
        return Token(kind, raw, pos)

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def next(self) -> Token:
        token = self.peek()
        self._peeked = None
        return token

    # -- typed reads ---------------------------------------------------------

    def punct(self, char: str, what: str) -> Token:
        token = self.next()
        if token.kind != "punct" or token.text != char:
            self.fail(f"expected '{char}' {what}, found {describe(token)}", token)
        return token

    def label(self, what: str, limit: int = MAX_LABEL_CHARS) -> str:
        token = self.next()
        if token.kind != "string":
            self.fail(f"expected {what} (a quoted string), found {describe(token)}", token)
        if len(token.text) > limit:
            self.fail(
                f"{what} is {len(token.text)} characters long; at most {limit} are allowed",
                token,
            )
        return token.text

    def list_label(self, what: str, closes: str = "") -> Token:
        """The next label of a ``{ "a" "b" ... }`` list (players, actions,
        strategies), or the list's closing ``}`` (a ``punct`` token: loop
        while the kind is ``string``); ``what`` names one label ("a player
        name"), ``closes`` the list in the message ("to close the player
        list")."""
        token = self.next()
        if token.kind == "punct" and token.text == "}":
            return token
        if token.kind != "string":
            close = f"'}}' {closes}" if closes else "'}'"
            self.fail(
                f"expected {what} (a quoted string) or {close}, found {describe(token)}", token
            )
        if len(token.text) > MAX_LABEL_CHARS:
            self.fail(f"{what} is longer than {MAX_LABEL_CHARS} characters", token)
        return token

    def integer(self, what: str) -> tuple[int, Token]:
        token = self.next()
        if token.kind != "number" or not _INTEGER.fullmatch(token.text) or len(token.text) > 18:
            self.fail(f"expected {what} (a whole number), found {describe(token)}", token)
        return int(token.text), token

    def number(self, what: str) -> tuple[Fraction, Token]:
        token = self.next()
        if token.kind != "number":
            self.fail(f"expected {what} (a number), found {describe(token)}", token)
        return self.exact(token, what), token

    def exact(self, token: Token, what: str) -> Fraction:
        self.check_number(token, what)
        return Fraction(token.text)

    def check_number(self, token: Token, what: str) -> None:
        """Refuse number tokens whose exact value would be costly or undefined."""
        text = token.text
        if len(text) > MAX_NUMBER_CHARS:
            self.fail(
                f"{what} {brief(text)} has {len(text)} characters; "
                f"at most {MAX_NUMBER_CHARS} are allowed",
                token,
            )
        if "/" in text:
            if int(text.split("/")[1]) == 0:
                self.fail(f"{what} {text} divides by zero", token)
        elif "e" in text or "E" in text:
            exponent = int(re.split("[eE]", text)[1])
            if abs(exponent) > MAX_EXPONENT:
                self.fail(
                    f"{what} {text} is not a finite 64-bit float (exponent beyond {MAX_EXPONENT})",
                    token,
                )

    def real(self, token: Token, what: str) -> float:
        """A number token as float64 (correctly rounded), refusing values
        beyond the float range."""
        if "/" in token.text:
            return self.finite(self.exact(token, what), token, what)
        self.check_number(token, what)
        value = float(token.text)  # the decimal's exact value, rounded once
        if not math.isfinite(value):
            self.fail(f"{what} {brief(token.text)} is too large for a 64-bit float", token)
        return value

    def finite(self, value: Fraction, token: Token, what: str) -> float:
        try:
            out = float(value)
        except OverflowError:
            out = math.inf
        if not math.isfinite(out):
            self.fail(f"{what} {brief(token.text)} is too large for a 64-bit float", token)
        return out

    def end(self, what: str) -> None:
        token = self.next()
        if token.kind != EOF:
            self.fail(f"expected the end of the file {what}, found {describe(token)}", token)


# ---------------------------------------------------------------------------
# Loading text
# ---------------------------------------------------------------------------


def load_text(source: str | Path, text: str | None) -> tuple[str, str]:
    name = str(source)
    if text is not None:
        _check_size(name, len(text))
        return name, text.removeprefix("\ufeff")
    path = Path(source)
    try:
        size = path.stat().st_size
        _check_size(name, size)
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror or error}", file=name) from None
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")  # Gambit itself reads bytes; keep every one
    return name, decoded


def _check_size(name: str, chars: int) -> None:
    if chars > MAX_INPUT_BYTES:
        raise InputError(
            f"the file has {chars} characters; at most {MAX_INPUT_BYTES} are read", file=name
        )
    require_bytes(
        f"reading {name} ({chars} characters)",
        (chars, READ_BYTES_PER_CHAR),
        itemsize=1,
        hint="the file is too large to read into memory; split the game or raise "
        "REALPOLITIK_MAX_BYTES",
    )


def unique_labels(labels: Sequence[str], keep_empty: bool = False) -> list[str]:
    """Labels made distinct and non-empty the way Gambit 17 normalises them:
    an empty label becomes ``_1``, ``_2``, ... (unless ``keep_empty``); a
    repeated ``x`` becomes ``x_1``, ``x_2``, ...; a label seen once is kept."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    used = set(labels)
    visited: dict[str, int] = {}
    out: list[str] = []
    for label in labels:
        if (counts[label] == 1 and label != "") or (keep_empty and label == ""):
            out.append(label)
            continue
        while True:
            visited[label] = visited.get(label, 0) + 1
            candidate = f"{label}_{visited[label]}"
            if candidate not in used:
                break
        used.add(candidate)
        out.append(candidate)
    return out


def read_header(lex: Lexer, kind: str, version: str) -> tuple[str, list[str]]:
    """``EFG 2 R "title" { players }`` (or ``NFG 1 R ...``): title and players."""
    other = {"EFG": "NFG", "NFG": "EFG"}[kind]
    token = lex.next()
    if token.kind != "word" or token.text != kind:
        hint = ""
        if token.kind == "word" and token.text == other:
            hint = f"; this is an .{other.lower()} file, read it with read_{other.lower()}"
        lex.fail(
            f"expected '{kind}' at the start of an .{kind.lower()} file, "
            f"found {describe(token)}{hint}",
            token,
        )
    token = lex.next()
    if token.kind != "number" or token.text != version:
        lex.fail(
            f"expected the format version {version} after '{kind}', found {describe(token)}",
            token,
        )
    token = lex.next()
    if token.kind != "word" or token.text not in ("R", "D"):
        lex.fail(
            f"expected the number type 'R' or 'D' after '{kind} {version}', "
            f"found {describe(token)}",
            token,
        )
    title = lex.label("the game title", MAX_TEXT_CHARS)
    lex.punct("{", "to open the player list")
    players: list[str] = []
    while (token := lex.list_label("a player name", "to close the player list")).kind == "string":
        players.append(token.text)
        if len(players) > MAX_GAME_PLAYERS:
            lex.fail(
                f"more than {MAX_GAME_PLAYERS} players; realpolitik solves games of at most "
                f"{MAX_GAME_PLAYERS} players (one array axis each)",
                token,
            )
    if not players:
        lex.fail("expected at least one player name in the player list, found '}'", token)
    return title, unique_labels(players)


def read_comment(lex: Lexer) -> str:
    if lex.peek().kind == "string":
        return lex.label("the comment", MAX_TEXT_CHARS)
    return ""
