"""Read and write Gambit's ``.efg`` and ``.nfg`` text formats.

Why this module: Gambit's plain-text formats are how game theorists exchange
games (Gambit, OpenSpiel, GTE and Sage read them), and DESIGN.md sends games
outside the fast solver class to pygambit through them. Reading turns a file
into the array representations (:class:`~realpolitik.games.tree.TreeGame`,
:class:`~realpolitik.games.normal_form.NormalFormGame`); writing produces text
that pygambit 16.7.0 reads back to the same game.

The formats, as Gambit 16.7 writes and reads them (``src/games/file.cc`` of
gambitproject/gambit; this is an independent implementation):

``.efg``::

    EFG 2 R "title" { "Player 1" "Player 2" }
    "optional comment"
    p "node" 1 1 "infoset" { "L" "R" } 0
    c "node" 1 "infoset" { "H" 1/3 "T" 2/3 } 1 "outcome" { 1, -1 }
    t "node" 2 "outcome" { 3, 2 }
    t "" 0

Nodes come in depth-first prefix order: ``p`` (player number, information
set number), ``c`` (chance, information set number, actions with exact
probabilities summing to 1) or ``t`` (terminal). After the node data comes an
outcome number: 0 is no outcome; an outcome is defined (label and payoffs)
where it first appears and may be referenced by number alone afterwards. An
information set's label and action list are likewise given where it first
appears and may be omitted afterwards. Outcomes at non-terminal nodes are
incremental: a terminal's payoff is the sum of the outcomes on its path.

``.nfg`` in two versions, both listing strategy profiles with player 1's
strategy varying fastest: the *payoff* version (``{ 3 2 }`` strategy counts
or label lists, then every profile's payoffs, player by player) and the
*outcome* version (strategy labels, a list of outcomes ``{ "label" 3, 2 }``,
then one outcome number per profile, 0 for none).

Numbers are integers, decimals (with an optional exponent) or rationals such
as ``1/3``; they are read exactly (``fractions.Fraction``) and converted to
float64 once. Labels are quoted strings in which ``\\"`` is a quote and
``\\\\`` a backslash.

Reading folds non-terminal outcomes into the terminal payoffs the solvers
use, and keeps the file's own outcomes, chance information sets and exact
numbers in an :class:`EfgLayout` so that :func:`write_efg` writes the same
game back. Empty or repeated labels (players, actions of one information set,
strategies of one player) are made unique the way Gambit 17 does it
(``""`` -> ``"_1"``, a repeated ``"x"`` -> ``"x_1"``, ``"x_2"``), because the
arrays identify actions and strategies by label.

Every malformed input raises :class:`~realpolitik.errors.InputError` with the
file, the line and what was expected against what was found; a declared game
too large for memory is refused before anything is allocated
(:class:`~realpolitik.errors.ResourceError`).

References
----------
McKelvey, R. D., McLennan, A. M. and Turocy, T. L. (2016). Gambit: Software
Tools for Game Theory, version 16. https://www.gambit-project.org; the file
formats: https://gambitproject.readthedocs.io/en/stable/formats.html
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from math import prod
from pathlib import Path
from typing import NamedTuple, NoReturn

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import GameTree, NodeKind, TreeBuilder, TreeGame
from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]

__all__ = [
    "EfgGame",
    "EfgLayout",
    "read_efg",
    "read_game",
    "read_nfg",
    "write_efg",
    "write_nfg",
]

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
_GAMBIT_LABEL = re.compile(r"(?:[!-~]+(?: [!-~]+)*)?", re.ASCII)

EOF = "eof"


class _Token(NamedTuple):
    kind: str  # "string" | "punct" | "number" | "word" | "eof"
    text: str  # decoded text of strings; raw text otherwise
    pos: int  # offset in the input, for the line number


def _short(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split()) if text.strip() else text
    flat = "".join(ch if ch.isprintable() else "?" for ch in flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _describe(token: _Token) -> str:
    if token.kind == EOF:
        return "the end of the file"
    if token.kind == "string":
        return f'the label "{_short(token.text)}"'
    if token.kind == "number":
        return f"the number {_short(token.text)}"
    return f"'{_short(token.text)}'"


class _Lexer:
    """Tokens of a Gambit file, one at a time, with one token of lookahead."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self._peeked: _Token | None = None

    def line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def fail(self, message: str, token: _Token) -> NoReturn:
        raise InputError(" ".join(message.split()), file=self.source, line=self.line(token.pos))

    def _scan(self) -> _Token:
        text = self.text
        pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
        if pos >= len(text):  # placed where the last token ends, for its line
            return _Token(EOF, "", self.pos)
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
            return _Token(kind, _ESCAPE.sub(r"\1", body) if "\\" in body else body, pos)
        return _Token(kind, raw, pos)

    def peek(self) -> _Token:
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def next(self) -> _Token:
        token = self.peek()
        self._peeked = None
        return token

    # -- typed reads ---------------------------------------------------------

    def punct(self, char: str, what: str) -> _Token:
        token = self.next()
        if token.kind != "punct" or token.text != char:
            self.fail(f"expected '{char}' {what}, found {_describe(token)}", token)
        return token

    def label(self, what: str, limit: int = MAX_LABEL_CHARS) -> str:
        token = self.next()
        if token.kind != "string":
            self.fail(f"expected {what} (a quoted string), found {_describe(token)}", token)
        if len(token.text) > limit:
            self.fail(
                f"{what} is {len(token.text)} characters long; at most {limit} are allowed",
                token,
            )
        return token.text

    def integer(self, what: str) -> tuple[int, _Token]:
        token = self.next()
        if token.kind != "number" or not _INTEGER.fullmatch(token.text) or len(token.text) > 18:
            self.fail(f"expected {what} (a whole number), found {_describe(token)}", token)
        return int(token.text), token

    def number(self, what: str) -> tuple[Fraction, _Token]:
        token = self.next()
        if token.kind != "number":
            self.fail(f"expected {what} (a number), found {_describe(token)}", token)
        return self.exact(token, what), token

    def exact(self, token: _Token, what: str) -> Fraction:
        self.check_number(token, what)
        return Fraction(token.text)

    def check_number(self, token: _Token, what: str) -> None:
        """Refuse number tokens whose exact value would be costly or undefined."""
        text = token.text
        if len(text) > MAX_NUMBER_CHARS:
            self.fail(
                f"{what} {_short(text)} has {len(text)} characters; "
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

    def real(self, token: _Token, what: str) -> float:
        """A number token as float64 (correctly rounded), refusing values
        beyond the float range."""
        if "/" in token.text:
            return self.finite(self.exact(token, what), token, what)
        self.check_number(token, what)
        value = float(token.text)  # the decimal's exact value, rounded once
        if not math.isfinite(value):
            self.fail(f"{what} {_short(token.text)} is too large for a 64-bit float", token)
        return value

    def finite(self, value: Fraction, token: _Token, what: str) -> float:
        try:
            out = float(value)
        except OverflowError:
            out = math.inf
        if not math.isfinite(out):
            self.fail(f"{what} {_short(token.text)} is too large for a 64-bit float", token)
        return out

    def end(self, what: str) -> None:
        token = self.next()
        if token.kind != EOF:
            self.fail(f"expected the end of the file {what}, found {_describe(token)}", token)


# ---------------------------------------------------------------------------
# Loading text
# ---------------------------------------------------------------------------


def _load(source: str | Path, text: str | None) -> tuple[str, str]:
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
    require_bytes(
        f"reading {name} ({chars} characters)",
        (chars, READ_BYTES_PER_CHAR),
        itemsize=1,
        hint="the file is too large to read into memory; split the game or raise "
        "REALPOLITIK_MAX_BYTES",
    )


def _unique_labels(labels: Sequence[str], keep_empty: bool = False) -> list[str]:
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


def _header(lex: _Lexer, kind: str, version: str) -> tuple[str, list[str]]:
    """``EFG 2 R "title" { players }`` (or ``NFG 1 R ...``): title and players."""
    other = {"EFG": "NFG", "NFG": "EFG"}[kind]
    token = lex.next()
    if token.kind != "word" or token.text != kind:
        hint = ""
        if token.kind == "word" and token.text == other:
            hint = f"; this is an .{other.lower()} file, read it with read_{other.lower()}"
        lex.fail(
            f"expected '{kind}' at the start of an .{kind.lower()} file, "
            f"found {_describe(token)}{hint}",
            token,
        )
    token = lex.next()
    if token.kind != "number" or token.text != version:
        lex.fail(
            f"expected the format version {version} after '{kind}', found {_describe(token)}",
            token,
        )
    token = lex.next()
    if token.kind != "word" or token.text not in ("R", "D"):
        lex.fail(
            f"expected the number type 'R' or 'D' after '{kind} {version}', "
            f"found {_describe(token)}",
            token,
        )
    title = lex.label("the game title", MAX_TEXT_CHARS)
    lex.punct("{", "to open the player list")
    players: list[str] = []
    while True:
        token = lex.next()
        if token.kind == "punct" and token.text == "}":
            break
        if token.kind != "string":
            lex.fail(
                "expected a player name (a quoted string) or '}' to close the player list, "
                f"found {_describe(token)}",
                token,
            )
        if len(token.text) > MAX_LABEL_CHARS:
            lex.fail(f"a player name is longer than {MAX_LABEL_CHARS} characters", token)
        players.append(token.text)
    if not players:
        lex.fail("expected at least one player name in the player list, found '}'", token)
    return title, _unique_labels(players)


def _comment(lex: _Lexer) -> str:
    if lex.peek().kind == "string":
        return lex.label("the comment", MAX_TEXT_CHARS)
    return ""


# ---------------------------------------------------------------------------
# Extensive form
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EfgLayout:
    """What an ``.efg`` file says beyond the folded tree and payoffs.

    Kept by :func:`read_efg` so that :func:`write_efg` writes the file back
    with the same outcomes (including those at non-terminal nodes), the same
    chance information sets and the exact numbers of the file.

    Attributes
    ----------
    node_outcome : per node (prefix order), 0 for no outcome, else the
        1-based number of the outcome attached to it.
    outcome_labels, outcome_payoffs : per outcome, its label and exact payoffs
        (one per player).
    chance_infoset : per chance node (prefix order), its 1-based chance
        information set.
    chance_infoset_labels : per chance information set, its label.
    chance_probs : per chance edge (``tree.chance_edge`` order), the exact
        probability.
    """

    node_outcome: tuple[int, ...]
    outcome_labels: tuple[str, ...]
    outcome_payoffs: tuple[tuple[Fraction, ...], ...]
    chance_infoset: tuple[int, ...]
    chance_infoset_labels: tuple[str, ...]
    chance_probs: tuple[Fraction, ...]


@dataclass(frozen=True, eq=False)
class EfgGame(TreeGame):
    """A :class:`~realpolitik.games.tree.TreeGame` read from an ``.efg`` file,
    with the file's :class:`EfgLayout` (one draw)."""

    layout: EfgLayout | None = None


@dataclass
class _Infoset:
    label: str
    actions: tuple[str, ...]
    pos: int  # where it is defined (offset; the line is counted only for messages)
    probs: tuple[Fraction, ...] = ()
    index: int = 0  # chance information sets: 1-based number in the layout


@dataclass
class _Outcome:
    index: int  # 1-based, in order of definition
    label: str
    payoffs: tuple[Fraction, ...]
    pos: int


def read_efg(source: str | Path, *, text: str | None = None) -> EfgGame:
    """Read an extensive-form game from Gambit's ``.efg`` format.

    Parameters
    ----------
    source : the file to read, or only its name (for messages) when ``text``
        is given.
    text : the file's contents, if already in memory.

    Returns
    -------
    EfgGame
        One draw: the tree (nodes in the file's order, information sets
        numbered per player in order of first appearance, as Gambit numbers
        them), payoffs ``(1, terminals, players)`` with the outcomes along
        each path summed, the chance probabilities of the file, and the
        file's :class:`EfgLayout`.

    Raises
    ------
    InputError
        On any malformed input, with the file, the line, and what was
        expected and found.
    ResourceError
        If the file is too large to read within the memory budget.

    Examples
    --------
    >>> game = read_efg("entry.efg", text='''EFG 2 R "Entry" { "Entrant" "Incumbent" }
    ... p "" 1 1 "" { "Out" "In" } 0
    ... t "" 1 "" { 0, 2 }
    ... p "" 2 1 "" { "Fight" "Accommodate" } 0
    ... t "" 2 "" { -1, -1 }
    ... t "" 3 "" { 1, 1 }''')
    >>> game.tree.players, game.payoffs[0].tolist()
    (('Entrant', 'Incumbent'), [[0.0, 2.0], [-1.0, -1.0], [1.0, 1.0]])
    """
    name, content = _load(source, text)
    lex = _Lexer(content, name)
    title, players = _header(lex, "EFG", "2")
    comment = _comment(lex)
    n_players = len(players)
    builder = TreeBuilder(players, title=title, comment=comment)

    player_sets: list[dict[int, _Infoset]] = [{} for _ in players]
    player_order: list[list[int]] = [[] for _ in players]  # file numbers by first use
    chance_sets: dict[int, _Infoset] = {}
    outcomes: dict[int, _Outcome] = {}  # by the file's number
    ordered: list[_Outcome] = []  # by index (order of definition)
    node_outcome: list[int] = []
    chance_infoset: list[int] = []
    chance_probs: list[Fraction] = []
    terminal_pos: list[int] = []
    interior_outcomes = False

    # Nodes arrive in prefix order: a stack of builder node ids still to read.
    stack = [builder.root]
    while stack:
        node = stack.pop()
        token = lex.next()
        if token.kind == EOF:
            lex.fail(
                f"the file ends early: expected at least {len(stack) + 1} more node(s) "
                "(lines starting with 'p', 'c' or 't')",
                token,
            )
        if token.kind != "word" or token.text not in ("p", "c", "t"):
            lex.fail(
                f"expected a node: 'p' (player), 'c' (chance) or 't' (terminal), "
                f"found {_describe(token)}",
                token,
            )
        kind = token.text
        label = lex.label("the node label")
        if kind == "p":
            player, ptoken = lex.integer("the player number")
            if not 1 <= player <= n_players:
                lex.fail(
                    f"unknown player number {player}; the players are numbered 1 to {n_players}",
                    ptoken,
                )
            number, itoken = lex.integer("the information set number")
            known = player_sets[player - 1].get(number)
            infoset = _read_infoset(lex, known, itoken, False, f"player {player}", number)
            if known is None:
                player_sets[player - 1][number] = infoset
                player_order[player - 1].append(number)
            children = builder.decision(
                node, player - 1, infoset.actions, infoset=("efg", number), label=label
            )
        elif kind == "c":
            number, itoken = lex.integer("the chance information set number")
            known = chance_sets.get(number)
            infoset = _read_infoset(lex, known, itoken, True, "chance", number)
            if known is None:
                infoset.index = len(chance_sets) + 1
                chance_sets[number] = infoset
            chance_infoset.append(infoset.index)
            chance_probs.extend(infoset.probs)
            children = builder.chance(
                node, infoset.actions, [float(p) for p in infoset.probs], label=label
            )
        else:
            children = []
            terminal_pos.append(token.pos)
        outcome = _read_outcome(lex, outcomes, ordered, n_players, kind == "t")
        node_outcome.append(outcome)
        if outcome and kind != "t":
            interior_outcomes = True
        if kind == "t":
            builder.terminal(
                node, [0.0] * n_players, label=ordered[outcome - 1].label if outcome else ""
            )
        stack.extend(reversed(children))
    lex.end("after the last node of the tree")

    tree, _ = builder.build()
    labels = [
        player_sets[int(p)][player_order[int(p)][int(n)]].label
        for p, n in zip(tree.infoset_player, tree.infoset_number, strict=True)
    ]
    tree = replace(tree, infoset_label=tuple(labels))
    chance_labels = sorted(chance_sets.values(), key=lambda s: s.index)
    layout = EfgLayout(
        node_outcome=tuple(node_outcome),
        outcome_labels=tuple(o.label for o in ordered),
        outcome_payoffs=tuple(o.payoffs for o in ordered),
        chance_infoset=tuple(chance_infoset),
        chance_infoset_labels=tuple(s.label for s in chance_labels),
        chance_probs=tuple(chance_probs),
    )
    payoffs = _fold(tree, layout)
    bad = ~np.isfinite(payoffs)
    if bad.any():
        terminal, player = (int(i) for i in np.argwhere(bad)[0])
        what = "the outcomes on the path to this terminal add up" if interior_outcomes else "it"
        raise InputError(
            f"the payoff of {tree.players[player]} at terminal {terminal + 1} is beyond the "
            f"64-bit float range ({what} to more than 1.8e308 in absolute value)",
            file=name,
            line=lex.line(terminal_pos[terminal]),
        )
    return EfgGame(tree, payoffs[None], source=name, layout=layout)


def _read_infoset(
    lex: _Lexer,
    known: _Infoset | None,
    number_token: _Token,
    chance: bool,
    owner: str,
    number: int,
) -> _Infoset:
    """The information set data after its number: ``"label" { actions }``,
    or nothing when the set was defined at an earlier node."""
    if lex.peek().kind != "string":
        if known is None:
            token = lex.peek()
            lex.fail(
                f"information set {number} of {owner} appears here for the first time, so "
                f"expected its label and action list, found {_describe(token)}",
                token,
            )
        return known
    label = lex.label("the information set label")
    open_brace = lex.punct("{", "to open the action list")
    actions: list[str] = []
    probs: list[Fraction] = []
    while True:
        token = lex.next()
        if token.kind == "punct" and token.text == "}":
            break
        if token.kind != "string":
            lex.fail(
                "expected an action label (a quoted string) or '}' to close the action "
                f"list, found {_describe(token)}",
                token,
            )
        if len(token.text) > MAX_LABEL_CHARS:
            lex.fail(f"an action label is longer than {MAX_LABEL_CHARS} characters", token)
        actions.append(token.text)
        if chance:
            prob, ptoken = lex.number(f'the probability of chance action "{_short(token.text)}"')
            if not 0 <= prob <= 1:
                lex.fail(
                    f'the probability of chance action "{_short(token.text)}" is '
                    f"{ptoken.text}; probabilities must lie between 0 and 1",
                    ptoken,
                )
            probs.append(prob)
    if not actions:
        lex.fail("expected at least one action in the action list, found '}'", token)
    if chance and sum(probs) != 1:
        total = sum(probs)
        lex.fail(
            f"the chance probabilities {' '.join(str(p) for p in probs)} sum to {total} "
            f"(about {float(total):.6g}); they must sum to exactly 1 (write 1/3, not 0.333)",
            open_brace,
        )
    infoset = _Infoset(label, tuple(_unique_labels(actions)), open_brace.pos, tuple(probs))
    if known is not None:
        if (known.label, known.actions, known.probs) != (
            infoset.label,
            infoset.actions,
            infoset.probs,
        ):
            what = "label, actions and probabilities" if chance else "label and actions"
            lex.fail(
                f"information set {number} of {owner} was defined at line "
                f"{lex.line(known.pos)} with {_infoset_text(known)}; "
                f"here it has {_infoset_text(infoset)}; "
                f"its {what} must be the same at every node",
                number_token,
            )
        return known
    return infoset


def _infoset_text(infoset: _Infoset) -> str:
    if infoset.probs:
        body = " ".join(
            f'"{_short(a, 20)}" {p}' for a, p in zip(infoset.actions, infoset.probs, strict=True)
        )
    else:
        body = " ".join(f'"{_short(a, 20)}"' for a in infoset.actions)
    return f'"{_short(infoset.label, 20)}" {{ {body} }}'


def _read_outcome(
    lex: _Lexer,
    outcomes: dict[int, _Outcome],
    ordered: list[_Outcome],
    n_players: int,
    terminal: bool,
) -> int:
    """The outcome part of a node: a number, then its label and payoffs where
    it is defined. Returns the layout's 1-based outcome index (0 for none)."""
    where = "after the node label" if terminal else "after the action list"
    number, token = lex.integer(f"the outcome number (0 for none) {where}")
    if lex.peek().kind != "string":
        if number == 0:
            return 0
        if number not in outcomes:
            lex.fail(
                f"outcome {number} is used here before it is defined; give its label and "
                "payoffs where it first appears",
                token,
            )
        return outcomes[number].index
    if number == 0:
        lex.fail("outcome 0 means 'no outcome' and cannot have a label or payoffs", token)
    label = lex.label("the outcome label")
    open_brace = lex.punct("{", "to open the payoff list")
    values: list[Fraction] = []
    while True:
        ptoken = lex.next()
        if ptoken.kind == "punct" and ptoken.text == "}":
            break
        if ptoken.kind != "number":
            lex.fail(
                f"expected a payoff (a number) or '}}' to close the payoffs of outcome "
                f"{number}, found {_describe(ptoken)}",
                ptoken,
            )
        value = lex.exact(ptoken, "the payoff")
        lex.finite(value, ptoken, "the payoff")
        values.append(value)
        if len(values) > n_players:
            lex.fail(
                f"outcome {number} has more payoffs than players: expected '}}' after "
                f"{n_players} payoffs (one per player), found {_describe(ptoken)}",
                ptoken,
            )
        following = lex.peek()
        if following.kind == "punct" and following.text == ",":
            lex.next()
    if len(values) != n_players:
        lex.fail(
            f"outcome {number} has {len(values)} payoff(s); the game has {n_players} "
            f"players, so it needs {n_players}",
            open_brace,
        )
    payoffs = tuple(values)
    known = outcomes.get(number)
    if known is not None:
        if (known.label, known.payoffs) != (label, payoffs):
            lex.fail(
                f"outcome {number} was defined at line {lex.line(known.pos)} as "
                f'"{_short(known.label, 20)}" {{ {", ".join(map(str, known.payoffs))} }}; '
                f'here it is "{_short(label, 20)}" {{ {", ".join(map(str, payoffs))} }}; '
                "an outcome number must mean the same outcome everywhere",
                token,
            )
        return known.index
    outcomes[number] = _Outcome(len(ordered) + 1, label, payoffs, token.pos)
    ordered.append(outcomes[number])
    return len(ordered)


def _fold(tree: GameTree, layout: EfgLayout) -> FloatArray:
    """``(terminals, players)``: each terminal's payoff, the exact sum of the
    outcomes on its path, rounded once to float64 (inf beyond its range)."""
    n_players = tree.n_players
    zero = (Fraction(0),) * n_players
    acc: list[tuple[Fraction, ...] | None] = [None] * tree.n_nodes
    out = np.zeros((tree.n_terminals, n_players))
    for node in range(tree.n_nodes):  # prefix order: parents first
        parent = int(tree.node_parent[node])
        above = acc[parent] if parent >= 0 else None
        number = layout.node_outcome[node]
        here = layout.outcome_payoffs[number - 1] if number else None
        if here is None:
            total = above
        elif above is None:
            total = here
        else:
            total = tuple(a + b for a, b in zip(above, here, strict=True))
        terminal = int(tree.node_terminal[node])
        if terminal >= 0:
            out[terminal] = [_to_float(x) for x in (total or zero)]
        else:
            acc[node] = total
    return out


def _to_float(value: Fraction) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


# ---------------------------------------------------------------------------
# Writing numbers and labels
# ---------------------------------------------------------------------------


def _fraction_text(value: Fraction) -> str:
    """Exact text: a decimal when the denominator divides a power of ten,
    otherwise ``p/q``."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = abs(value.numerator) * (10**digits // value.denominator)
    sign = "-" if value < 0 else ""
    if digits == 0:
        return f"{sign}{scaled}"
    whole, frac = divmod(scaled, 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".")


def _float_text(value: float) -> str:
    """The shortest decimal that reads back as ``value``, without exponent
    (pygambit 16.7 refuses ``1E+20``)."""
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text:  # already plain: "12.5", "3.0"
        return text.removesuffix(".0")
    return _fraction_text(Fraction(text))


def _simple_fraction(value: float) -> Fraction:
    """The simplest fraction (smallest denominator up to 10**12) that rounds
    to ``value``, or its shortest decimal."""
    exact = Fraction(value)
    for limit in (10, 1000, 10**6, 10**9, 10**12):
        candidate = exact.limit_denominator(limit)
        if float(candidate) == value:
            return candidate
    return Fraction(repr(value))


def _exact_probs(probs: Sequence[float]) -> list[Fraction]:
    """Exact probabilities summing to exactly 1 that round to ``probs``
    (the largest absorbs the rounding)."""
    out = [_simple_fraction(float(p)) for p in probs]
    gap = 1 - sum(out)
    if gap:
        k = max(range(len(out)), key=lambda i: out[i])
        out[k] += gap
        if out[k] < 0:  # pragma: no cover - the tree checks the sum to 1e-9
            raise InputError(f"chance probabilities {list(probs)} cannot be made to sum to 1")
    return out


def _gambit_text(text: str) -> str:
    """The label as pygambit 16.7 accepts it: printable ASCII with single inner
    spaces (accents stripped, other characters dropped), and no backslash
    before a quote, a backslash or the end (its reader takes those as
    escapes)."""
    if not _GAMBIT_LABEL.fullmatch(text):
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        text = " ".join(re.sub(r"[^!-~]", " ", text).split())
    return re.sub(r'\\(?=["\\]|$)', "/", text)


def _verbatim(text: str) -> str:
    return text


def _quote(text: str) -> str:
    """A quoted string: ``"`` as ``\\"``; a backslash doubled only before a
    quote, another backslash or the end (elsewhere Gambit reads it as is)."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == '"':
            out.append('\\"')
        elif ch == "\\" and (i + 1 == len(text) or text[i + 1] in '"\\'):
            out.append("\\\\")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _free_text(text: str, gambit_labels: bool) -> str:
    """Title and comment: verbatim (Gambit does not restrict them), but for
    the backslashes pygambit would misread."""
    if gambit_labels:
        text = re.sub(r'\\(?=["\\]|$)', "/", text)
    return _quote(text)


def _draw_index(n_draws: int, draw: int) -> int:
    if not -n_draws <= draw < n_draws:
        raise InputError(f"draw {draw} out of range: the game has {n_draws} draws", field="draw")
    return draw % n_draws


#: ``lambda=2`` in a file's comment: the logit precision the game was
#: exported with (``realpolitik export-gambit``), read back by ``solve``.
_COMMENT_LAMBDA = re.compile(r"\blambda\s*=\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)")


def comment_lambda(comment: str) -> float | None:
    """The ``lambda=VALUE`` recorded in a game file's comment, if any.

    >>> comment_lambda("realpolitik export: concept=qre lambda=2.5")
    2.5
    """
    found = _COMMENT_LAMBDA.search(comment)
    return float(found.group(1)) if found else None


def write_efg(
    game: TreeGame, draw: int = 0, *, gambit_labels: bool = True, comment: str | None = None
) -> str:
    """One draw of a tree game as Gambit ``.efg`` text.

    Parameters
    ----------
    game : the game; a game from :func:`read_efg` is written back with the
        file's outcomes, chance information sets and exact numbers (as long
        as its payoffs and probabilities are still those of the file).
        Otherwise each terminal gets its own outcome (labelled with its
        ``terminal_label``) and each chance node its own information set.
    draw : which draw's payoffs and chance probabilities to write.
    gambit_labels : write labels as pygambit 16.7 accepts them: printable
        ASCII with single inner spaces (accents stripped, other characters
        dropped), non-empty node labels unique in the game and information
        set labels unique per player (repeats get ``_1``, ``_2``, ...).
        ``False`` writes labels verbatim, which :func:`read_efg` reads back
        exactly.
    comment : the file's comment (default: the tree's); ``realpolitik
        export-gambit`` writes the solution concept and lambda there (see
        :func:`comment_lambda`).

    Returns
    -------
    str
        The file's text. Payoffs are exact decimals that read back as the
        same float64; chance probabilities are exact rationals summing to
        exactly 1 (Gambit requires it), the simplest that round to the
        probabilities used.

    Examples
    --------
    >>> b = TreeBuilder(["A"])
    >>> heads, tails = b.chance(b.root, ["H", "T"], [1 / 3, 2 / 3])
    >>> b.terminal(heads, [1.5]); b.terminal(tails, [0])
    >>> print(write_efg(TreeGame.single(*b.build())))
    EFG 2 R "" { "A" }
    ""
    <BLANKLINE>
    c "" 1 "" { "H" 1/3 "T" 2/3 } 0
    t "" 1 "" { 1.5 }
    t "" 2 "" { 0 }
    <BLANKLINE>
    """
    tree = game.tree
    row = _draw_index(game.n_draws, draw)
    payoffs = game.total_payoffs[row]
    chance = game.edge_chance_probs()
    chance_row = chance[row if chance.shape[0] > 1 else 0]
    layout = _usable_layout(game, payoffs, chance_row)

    fix = _gambit_text if gambit_labels else _verbatim

    def q(text: str) -> str:
        return _quote(fix(text))

    node_labels = [fix(label) for label in tree.node_label]
    set_labels = [fix(label) for label in tree.infoset_label]
    chance_labels = [fix(label) for label in layout.chance_infoset_labels] if layout else []
    if gambit_labels:  # pygambit 16.7 refuses repeated node and information set labels
        node_labels = _unique_labels(node_labels, keep_empty=True)
        chance_labels = _unique_labels(chance_labels, keep_empty=True)
        for player in range(tree.n_players):
            sets = np.flatnonzero(tree.infoset_player == player).tolist()
            for k, label in zip(
                sets, _unique_labels([set_labels[k] for k in sets], keep_empty=True), strict=True
            ):
                set_labels[k] = label

    lines = [
        f"EFG 2 R {_free_text(tree.title, gambit_labels)} "
        f"{{ {' '.join(q(p) for p in tree.players)} }}",
        _free_text(tree.comment if comment is None else comment, gambit_labels),
        "",
    ]
    if layout is not None:
        outcome_text = [
            f"{k + 1} {q(label)} {{ {', '.join(_fraction_text(v) for v in values)} }}"
            for k, (label, values) in enumerate(
                zip(layout.outcome_labels, layout.outcome_payoffs, strict=True)
            )
        ]
        probs = list(layout.chance_probs)
    else:
        outcome_text = [
            f"{t + 1} {q(tree.terminal_label[t])} "
            f"{{ {', '.join(_float_text(float(v)) for v in payoffs[t])} }}"
            for t in range(tree.n_terminals)
        ]
        probs = []
        for chance_node in np.flatnonzero(tree.node_kind == NodeKind.CHANCE).tolist():
            start, stop = (
                int(tree.child_offset[chance_node]),
                int(tree.child_offset[chance_node + 1]),
            )
            edges = np.searchsorted(tree.chance_edge, np.arange(start, stop))
            probs.extend(_exact_probs(chance_row[edges].tolist()))
    chance_count = 0
    edge = 0
    kinds = tree.node_kind.tolist()  # plain ints: comparing enum members is slow
    terminal_kind, decision_kind = int(NodeKind.TERMINAL), int(NodeKind.DECISION)
    for node in range(tree.n_nodes):
        kind = kinds[node]
        label = _quote(node_labels[node])
        if layout is not None:
            number = layout.node_outcome[node]
        else:
            terminal = int(tree.node_terminal[node])
            number = terminal + 1 if terminal >= 0 else 0
        outcome = outcome_text[number - 1] if number else "0"
        if kind == terminal_kind:
            lines.append(f"t {label} {outcome}")
            continue
        actions = tree.action_labels(node)
        if kind == decision_kind:
            infoset = int(tree.node_infoset[node])
            body = " ".join(q(a) for a in actions)
            lines.append(
                f"p {label} {int(tree.node_player[node]) + 1} "
                f"{int(tree.infoset_number[infoset]) + 1} {_quote(set_labels[infoset])} "
                f"{{ {body} }} {outcome}"
            )
            continue
        if layout is not None:
            number_c = layout.chance_infoset[chance_count]
            set_label = chance_labels[number_c - 1]
        else:
            number_c, set_label = chance_count + 1, ""
        chance_count += 1
        body = " ".join(f"{q(a)} {probs[edge + k]}" for k, a in enumerate(actions))
        edge += len(actions)
        lines.append(f"c {label} {number_c} {_quote(set_label)} {{ {body} }} {outcome}")
    return "\n".join(lines) + "\n"


def _usable_layout(game: TreeGame, payoffs: FloatArray, chance_row: FloatArray) -> EfgLayout | None:
    """The game's file layout if it still describes these payoffs and
    probabilities exactly."""
    layout = game.layout if isinstance(game, EfgGame) else None
    if layout is None or len(layout.node_outcome) != game.tree.n_nodes:
        return None
    if len(layout.chance_probs) != len(chance_row) or len(layout.chance_infoset) != int(
        np.count_nonzero(game.tree.node_kind == NodeKind.CHANCE)
    ):
        return None
    if not np.array_equal([float(p) for p in layout.chance_probs], chance_row):
        return None
    if not np.array_equal(_fold(game.tree, layout), payoffs):
        return None
    return layout


# ---------------------------------------------------------------------------
# Normal form
# ---------------------------------------------------------------------------


def read_nfg(source: str | Path, *, text: str | None = None) -> NormalFormGame:
    """Read a strategic-form game from Gambit's ``.nfg`` format (either version).

    Parameters
    ----------
    source : the file to read, or only its name (for messages) when ``text``
        is given.
    text : the file's contents, if already in memory.

    Returns
    -------
    NormalFormGame
        One draw, ``payoffs[0, player, s_1, ..., s_P]``; profiles the file does
        not give an outcome (outcome 0) pay everybody 0, as in Gambit.

    Raises
    ------
    InputError
        On any malformed input, with the file, the line, and what was
        expected and found.
    ResourceError
        If the declared strategy counts need a payoff array beyond the
        memory budget (checked before allocating), or the file is too large.

    Examples
    --------
    >>> pd = read_nfg("pd.nfg", text='''NFG 1 R "PD" { "Row" "Column" } { 2 2 }
    ... 9 9  10 0  0 10  1 1''')
    >>> pd.payoffs[0, 0].tolist(), pd.strategies
    ([[9.0, 0.0], [10.0, 1.0]], (('1', '2'), ('1', '2')))
    """
    name, content = _load(source, text)
    lex = _Lexer(content, name)
    title, players = _header(lex, "NFG", "1")
    strategies = _strategies(lex, len(players))
    comment = _comment(lex)
    shape = tuple(len(s) for s in strategies)
    n_players = len(players)
    n_profiles = prod(shape)
    _require_table(name, shape)
    body = lex.peek()
    outcome_version = body.kind == "punct" and body.text == "{"
    if not outcome_version and body.kind != "number":
        lex.fail(
            "expected the payoffs (numbers) or '{' to open the outcome list, "
            f"found {_describe(body)}",
            body,
        )
    per_profile = 1 if outcome_version else n_players
    left = len(content) - body.pos
    if 2 * n_profiles * per_profile - 1 > left:  # a character each, and separators
        lex.fail(
            f"the strategy counts declare {n_profiles} strategy profiles, which need "
            f"{n_profiles * per_profile} {'outcome numbers' if outcome_version else 'payoffs'}, "
            f"but only {left} characters follow; is the file truncated or a count wrong?",
            body,
        )
    if outcome_version:
        table = _outcome_body(lex, n_players, n_profiles)
    else:
        table = np.empty((n_profiles, n_players))
        for profile in range(n_profiles):
            for player in range(n_players):
                token = lex.next()
                if token.kind == EOF:
                    lex.fail(
                        f"the file ends after {profile * n_players + player} of the "
                        f"{n_profiles * n_players} payoffs ({n_profiles} profiles x "
                        f"{n_players} players)",
                        token,
                    )
                if token.kind != "number":
                    lex.fail(
                        f"expected payoff {player + 1} of strategy profile {profile + 1} "
                        f"(a number), found {_describe(token)}",
                        token,
                    )
                table[profile, player] = lex.real(token, "the payoff")
        lex.end(f"after the {n_profiles * n_players} payoffs")
    # profile k lists player 1's strategy fastest: Fortran order over the shape
    payoffs = table.reshape((*shape[::-1], n_players)).T
    return NormalFormGame(
        players=tuple(players),
        strategies=strategies,
        payoffs=payoffs[None],
        title=title,
        comment=comment,
    )


def _require_table(name: str, shape: tuple[int, ...]) -> None:
    """Refuse, before allocating, a payoff table beyond the memory budget."""
    require_bytes(
        f"payoff array of {name} ({' x '.join(map(str, shape))} strategy profiles, "
        f"{len(shape)} players)",
        (2, len(shape), *shape),  # the table read, and the game's own copy
        hint="the game is too large for memory; reduce the strategies",
    )


def _strategies(lex: _Lexer, n_players: int) -> tuple[tuple[str, ...], ...]:
    """``{ { "a" "b" } { "c" } }`` labels, or ``{ 2 1 }`` counts."""
    lex.punct("{", "to open the strategy list (labels per player, or counts)")
    out: list[tuple[str, ...]] = []
    if lex.peek().kind == "punct" and lex.peek().text == "{":
        for player in range(n_players):
            lex.punct("{", f"to open the strategy labels of player {player + 1}")
            labels: list[str] = []
            while True:
                token = lex.next()
                if token.kind == "punct" and token.text == "}":
                    break
                if token.kind != "string":
                    lex.fail(
                        f"expected a strategy label of player {player + 1} (a quoted string) "
                        f"or '}}', found {_describe(token)}",
                        token,
                    )
                if len(token.text) > MAX_LABEL_CHARS:
                    lex.fail(f"a strategy label is longer than {MAX_LABEL_CHARS} characters", token)
                labels.append(token.text)
            if not labels:
                lex.fail(f"player {player + 1} has no strategy; give at least one", token)
            out.append(tuple(_unique_labels(labels)))
    else:
        counts: list[int] = []
        for player in range(n_players):
            count, token = lex.integer(f"the number of strategies of player {player + 1}")
            if count < 1:
                lex.fail(
                    f"player {player + 1} has {count} strategies; each player needs at least one",
                    token,
                )
            counts.append(count)
        # refuse a table too large for memory before making any labels
        _require_table(lex.source, tuple(counts))
        out.extend(tuple(str(s + 1) for s in range(count)) for count in counts)
    token = lex.next()
    if token.kind != "punct" or token.text != "}":
        lex.fail(
            f"expected '}}' to close the strategy list after {n_players} players, "
            f"found {_describe(token)}",
            token,
        )
    return tuple(out)


def _outcome_body(lex: _Lexer, n_players: int, n_profiles: int) -> FloatArray:
    lex.punct("{", "to open the outcome list")
    rows: list[list[float]] = [[0.0] * n_players]  # outcome 0: no outcome, zero payoffs
    while True:
        token = lex.next()
        if token.kind == "punct" and token.text == "}":
            break
        if token.kind != "punct" or token.text != "{":
            lex.fail(
                f"expected '{{' to open outcome {len(rows)} or '}}' to close the outcome "
                f"list, found {_describe(token)}",
                token,
            )
        lex.label(f"the label of outcome {len(rows)}")
        values: list[float] = []
        while True:
            ptoken = lex.next()
            if ptoken.kind == "punct" and ptoken.text == "}":
                break
            if ptoken.kind != "number" or len(values) == n_players:
                expected = (
                    f"'}}' after {n_players} payoffs (one per player)"
                    if len(values) == n_players
                    else "a payoff (a number)"
                )
                lex.fail(
                    f"expected {expected} in outcome {len(rows)}, found {_describe(ptoken)}",
                    ptoken,
                )
            values.append(lex.real(ptoken, "the payoff"))
            following = lex.peek()
            if following.kind == "punct" and following.text == ",":
                lex.next()
        if len(values) != n_players:
            lex.fail(
                f"outcome {len(rows)} has {len(values)} payoff(s); the game has {n_players} "
                f"players, so it needs {n_players}",
                token,
            )
        rows.append(values)
    index = np.empty(n_profiles, dtype=np.int64)
    for profile in range(n_profiles):
        token = lex.peek()
        if token.kind == EOF:
            lex.fail(
                f"the file ends after {profile} of the {n_profiles} outcome numbers "
                "(one per strategy profile)",
                token,
            )
        number, token = lex.integer(f"the outcome number of strategy profile {profile + 1}")
        if not 0 <= number < len(rows):
            lex.fail(
                f"strategy profile {profile + 1} refers to outcome {number}; the file defines "
                f"outcomes 1 to {len(rows) - 1} (0 for none)",
                token,
            )
        index[profile] = number
    lex.end(f"after the {n_profiles} outcome numbers")
    return np.asarray(rows, dtype=np.float64)[index]


def write_nfg(
    game: NormalFormGame, draw: int = 0, *, version: str = "outcome", gambit_labels: bool = True
) -> str:
    """One draw of a strategic-form game as Gambit ``.nfg`` text.

    Parameters
    ----------
    game : the game.
    draw : which draw's payoffs to write.
    version : ``"outcome"`` (what pygambit writes: strategy labels, one
        outcome per profile, then the profile list) or ``"payoff"`` (strategy
        counts, or labels when they are not ``"1"``, ``"2"``, ..., then the
        flat payoff list).
    gambit_labels : write labels as pygambit 16.7 accepts them (see
        :func:`write_efg`); ``False`` writes them verbatim.

    Returns
    -------
    str
        The file's text; payoffs are exact decimals that read back as the
        same float64, profiles in Gambit's order (player 1's strategy varies
        fastest).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[9.0, 0.0], [10.0, 1.0]])
    >>> print(write_nfg(NormalFormGame.from_arrays(a, a.T, title="PD"), version="payoff"))
    NFG 1 R "PD" { "Player 1" "Player 2" }
    <BLANKLINE>
    { 2 2 }
    ""
    <BLANKLINE>
    9 9 10 0 0 10 1 1
    <BLANKLINE>
    """
    if version not in ("outcome", "payoff"):
        raise InputError(
            f"unknown .nfg version {version!r}; use 'outcome' or 'payoff'", field="version"
        )
    row = _draw_index(game.n_draws, draw)

    fix = _gambit_text if gambit_labels else _verbatim

    def q(text: str) -> str:
        return _quote(fix(text))

    n_players = game.n_players
    # (players, s_1, ..., s_P) -> (profiles with s_1 fastest, players)
    table = game.payoffs[row].T.reshape(-1, n_players)
    lines = [
        f"NFG 1 R {_free_text(game.title, gambit_labels)} "
        f"{{ {' '.join(q(p) for p in game.players)} }}",
        "",
    ]
    default = all(
        labels == tuple(str(s + 1) for s in range(len(labels))) for labels in game.strategies
    )
    if version == "payoff" and default:
        lines.append(f"{{ {' '.join(str(n) for n in game.shape)} }}")
    else:
        lines.append(
            "{ "
            + "\n".join("{ " + " ".join(q(s) for s in labels) + " }" for labels in game.strategies)
            + "\n}"
        )
    lines.append(_free_text(game.comment, gambit_labels))
    lines.append("")
    if version == "payoff":
        lines.append(" ".join(_float_text(float(v)) for v in table.ravel()))
    else:
        lines.append("{")
        lines.extend(
            '{ "" ' + ", ".join(_float_text(float(v)) for v in payoffs) + " }" for payoffs in table
        )
        lines.append("}")
        lines.append(" ".join(str(k + 1) for k in range(len(table))))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Either
# ---------------------------------------------------------------------------


def read_game(source: str | Path, *, text: str | None = None) -> EfgGame | NormalFormGame:
    """Read an ``.efg`` or ``.nfg`` file, whichever its header says it is.

    Raises
    ------
    InputError
        If the file starts with neither ``EFG`` nor ``NFG``, or is malformed.
    """
    name, content = _load(source, text)
    lex = _Lexer(content, name)
    first = lex.peek()
    if first.kind == "word" and first.text == "EFG":
        return read_efg(name, text=content)
    if first.kind == "word" and first.text == "NFG":
        return read_nfg(name, text=content)
    lex.fail(
        f"expected 'EFG' or 'NFG' at the start of a Gambit game file, found {_describe(first)}",
        first,
    )
