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

from pathlib import Path

from realpolitik.games.gambit_io.efg import EfgGame, EfgLayout, comment_lambda, read_efg, write_efg
from realpolitik.games.gambit_io.lexer import Lexer, describe, load_text
from realpolitik.games.gambit_io.nfg import read_nfg, write_nfg
from realpolitik.games.normal_form import NormalFormGame

__all__ = [
    "EfgGame",
    "EfgLayout",
    "comment_lambda",
    "read_efg",
    "read_game",
    "read_nfg",
    "write_efg",
    "write_nfg",
]


def read_game(source: str | Path, *, text: str | None = None) -> EfgGame | NormalFormGame:
    """Read an ``.efg`` or ``.nfg`` file, whichever its header says it is.

    Raises
    ------
    InputError
        If the file starts with neither ``EFG`` nor ``NFG``, or is malformed.
    """
    name, content = load_text(source, text)
    lex = Lexer(content, name)
    first = lex.peek()
    if first.kind == "word" and first.text == "EFG":
        return read_efg(name, text=content)
    if first.kind == "word" and first.text == "NFG":
        return read_nfg(name, text=content)
    lex.fail(
        f"expected 'EFG' or 'NFG' at the start of a Gambit game file, found {describe(first)}",
        first,
    )
