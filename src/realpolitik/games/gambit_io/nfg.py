"""Gambit's normal-form ``.nfg`` files, in both versions (payoff and
outcome): read into a :class:`~realpolitik.games.normal_form.NormalFormGame`
and written back (the format: the package docstring).
"""

from __future__ import annotations

from math import prod
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.games.gambit_io.lexer import (
    EOF,
    Lexer,
    describe,
    load_text,
    read_comment,
    read_header,
    unique_labels,
)
from realpolitik.games.gambit_io.writer import (
    draw_index,
    float_text,
    free_text,
    gambit_text,
    quote,
    verbatim,
)
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.limits import (
    MAX_PROFILES,
    MAX_STRATEGIES,
    require_bytes,
)

FloatArray = NDArray[np.float64]


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
    name, content = load_text(source, text)
    lex = Lexer(content, name)
    title, players = read_header(lex, "NFG", "1")
    strategies = _strategies(lex, len(players))
    comment = read_comment(lex)
    shape = tuple(len(s) for s in strategies)
    n_players = len(players)
    n_profiles = prod(shape)
    _require_table(name, shape)
    body = lex.peek()
    outcome_version = body.kind == "punct" and body.text == "{"
    if not outcome_version and body.kind != "number":
        lex.fail(
            "expected the payoffs (numbers) or '{' to open the outcome list, "
            f"found {describe(body)}",
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
                        f"(a number), found {describe(token)}",
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
    """Refuse, before allocating, a payoff table beyond the memory budget or
    the profile cap."""
    require_bytes(
        f"payoff array of {name} ({' x '.join(map(str, shape))} strategy profiles, "
        f"{len(shape)} players)",
        (2, len(shape), *shape),  # the table read, and the game's own copy
        hint="the game is too large for memory; reduce the strategies",
    )
    if prod(shape) > MAX_PROFILES:
        raise InputError(
            f"{' x '.join(map(str, shape))} = {prod(shape)} strategy profiles; at most "
            f"{MAX_PROFILES} are read (reduce the strategies)",
            file=name,
        )


def _strategies(lex: Lexer, n_players: int) -> tuple[tuple[str, ...], ...]:
    """``{ { "a" "b" } { "c" } }`` labels, or ``{ 2 1 }`` counts."""
    lex.punct("{", "to open the strategy list (labels per player, or counts)")
    out: list[tuple[str, ...]] = []
    if lex.peek().kind == "punct" and lex.peek().text == "{":
        for player in range(n_players):
            lex.punct("{", f"to open the strategy labels of player {player + 1}")
            labels: list[str] = []
            what = f"a strategy label of player {player + 1}"
            while (token := lex.list_label(what)).kind == "string":
                labels.append(token.text)
                if len(labels) > MAX_STRATEGIES:
                    lex.fail(
                        f"player {player + 1} has more than {MAX_STRATEGIES} strategies", token
                    )
            if not labels:
                lex.fail(f"player {player + 1} has no strategy; give at least one", token)
            out.append(tuple(unique_labels(labels)))
    else:
        counts: list[int] = []
        for player in range(n_players):
            count, token = lex.integer(f"the number of strategies of player {player + 1}")
            if count < 1:
                lex.fail(
                    f"player {player + 1} has {count} strategies; each player needs at least one",
                    token,
                )
            if count > MAX_STRATEGIES:
                lex.fail(
                    f"player {player + 1} has {count} strategies; at most {MAX_STRATEGIES} "
                    "are read",
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
            f"found {describe(token)}",
            token,
        )
    return tuple(out)


def _outcome_body(lex: Lexer, n_players: int, n_profiles: int) -> FloatArray:
    lex.punct("{", "to open the outcome list")
    rows: list[list[float]] = [[0.0] * n_players]  # outcome 0: no outcome, zero payoffs
    while True:
        token = lex.next()
        if token.kind == "punct" and token.text == "}":
            break
        if token.kind != "punct" or token.text != "{":
            lex.fail(
                f"expected '{{' to open outcome {len(rows)} or '}}' to close the outcome "
                f"list, found {describe(token)}",
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
                    f"expected {expected} in outcome {len(rows)}, found {describe(ptoken)}",
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
    row = draw_index(game.n_draws, draw)

    fix = gambit_text if gambit_labels else verbatim

    def q(text: str) -> str:
        return quote(fix(text))

    n_players = game.n_players
    # (players, s_1, ..., s_P) -> (profiles with s_1 fastest, players)
    table = game.payoffs[row].T.reshape(-1, n_players)
    lines = [
        f"NFG 1 R {free_text(game.title, gambit_labels)} "
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
    lines.append(free_text(game.comment, gambit_labels))
    lines.append("")
    if version == "payoff":
        lines.append(" ".join(float_text(float(v)) for v in table.ravel()))
    else:
        lines.append("{")
        lines.extend(
            '{ "" ' + ", ".join(float_text(float(v)) for v in payoffs) + " }" for payoffs in table
        )
        lines.append("}")
        lines.append(" ".join(str(k + 1) for k in range(len(table))))
    return "\n".join(lines) + "\n"
