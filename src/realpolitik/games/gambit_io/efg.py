"""Gambit's extensive-form ``.efg`` files: read into a
:class:`~realpolitik.games.tree.TreeGame` that keeps the file's layout
(:class:`EfgGame`, :class:`EfgLayout`), written back from any tree game
(the format: the package docstring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.games.gambit_io.lexer import (
    EOF,
    Lexer,
    Token,
    brief,
    describe,
    load_text,
    read_comment,
    read_header,
    unique_labels,
)
from realpolitik.games.gambit_io.writer import (
    draw_index,
    exact_probs,
    float_text,
    fraction_text,
    free_text,
    gambit_text,
    quote,
    verbatim,
)
from realpolitik.games.tree import GameTree, NodeKind, TreeBuilder, TreeGame
from realpolitik.limits import (
    MAX_GAME_NODES,
)

FloatArray = NDArray[np.float64]


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
    name, content = load_text(source, text)
    lex = Lexer(content, name)
    title, players = read_header(lex, "EFG", "2")
    comment = read_comment(lex)
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
    n_nodes = 0
    while stack:
        node = stack.pop()
        token = lex.next()
        n_nodes += 1
        if n_nodes > MAX_GAME_NODES:
            lex.fail(f"more than {MAX_GAME_NODES} nodes; split the game or prune it", token)
        if token.kind == EOF:
            lex.fail(
                f"the file ends early: expected at least {len(stack) + 1} more node(s) "
                "(lines starting with 'p', 'c' or 't')",
                token,
            )
        if token.kind != "word" or token.text not in ("p", "c", "t"):
            lex.fail(
                f"expected a node: 'p' (player), 'c' (chance) or 't' (terminal), "
                f"found {describe(token)}",
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
    lex: Lexer,
    known: _Infoset | None,
    number_token: Token,
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
                f"expected its label and action list, found {describe(token)}",
                token,
            )
        return known
    label = lex.label("the information set label")
    open_brace = lex.punct("{", "to open the action list")
    actions: list[str] = []
    probs: list[Fraction] = []
    while (token := lex.list_label("an action label", "to close the action list")).kind == "string":
        actions.append(token.text)
        if chance:
            prob, ptoken = lex.number(f'the probability of chance action "{brief(token.text)}"')
            if not 0 <= prob <= 1:
                lex.fail(
                    f'the probability of chance action "{brief(token.text)}" is '
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
    infoset = _Infoset(label, tuple(unique_labels(actions)), open_brace.pos, tuple(probs))
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
            f'"{brief(a, 20)}" {p}' for a, p in zip(infoset.actions, infoset.probs, strict=True)
        )
    else:
        body = " ".join(f'"{brief(a, 20)}"' for a in infoset.actions)
    return f'"{brief(infoset.label, 20)}" {{ {body} }}'


def _read_outcome(
    lex: Lexer,
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
                f"{number}, found {describe(ptoken)}",
                ptoken,
            )
        value = lex.exact(ptoken, "the payoff")
        lex.finite(value, ptoken, "the payoff")
        values.append(value)
        if len(values) > n_players:
            lex.fail(
                f"outcome {number} has more payoffs than players: expected '}}' after "
                f"{n_players} payoffs (one per player), found {describe(ptoken)}",
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
                f'"{brief(known.label, 20)}" {{ {", ".join(map(str, known.payoffs))} }}; '
                f'here it is "{brief(label, 20)}" {{ {", ".join(map(str, payoffs))} }}; '
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
    row = draw_index(game.n_draws, draw)
    payoffs = game.total_payoffs[row]
    chance = game.edge_chance_probs()
    chance_row = chance[row if chance.shape[0] > 1 else 0]
    layout = _usable_layout(game, payoffs, chance_row)

    fix = gambit_text if gambit_labels else verbatim

    def q(text: str) -> str:
        return quote(fix(text))

    node_labels = [fix(label) for label in tree.node_label]
    set_labels = [fix(label) for label in tree.infoset_label]
    chance_labels = [fix(label) for label in layout.chance_infoset_labels] if layout else []
    if gambit_labels:  # pygambit 16.7 refuses repeated node and information set labels
        node_labels = unique_labels(node_labels, keep_empty=True)
        chance_labels = unique_labels(chance_labels, keep_empty=True)
        for player in range(tree.n_players):
            sets = np.flatnonzero(tree.infoset_player == player).tolist()
            for k, label in zip(
                sets, unique_labels([set_labels[k] for k in sets], keep_empty=True), strict=True
            ):
                set_labels[k] = label

    lines = [
        f"EFG 2 R {free_text(tree.title, gambit_labels)} "
        f"{{ {' '.join(q(p) for p in tree.players)} }}",
        free_text(tree.comment if comment is None else comment, gambit_labels),
        "",
    ]
    if layout is not None:
        outcome_text = [
            f"{k + 1} {q(label)} {{ {', '.join(fraction_text(v) for v in values)} }}"
            for k, (label, values) in enumerate(
                zip(layout.outcome_labels, layout.outcome_payoffs, strict=True)
            )
        ]
        probs = list(layout.chance_probs)
    else:
        outcome_text = [
            f"{t + 1} {q(tree.terminal_label[t])} "
            f"{{ {', '.join(float_text(float(v)) for v in payoffs[t])} }}"
            for t in range(tree.n_terminals)
        ]
        probs = []
        for chance_node in np.flatnonzero(tree.node_kind == NodeKind.CHANCE).tolist():
            start, stop = (
                int(tree.child_offset[chance_node]),
                int(tree.child_offset[chance_node + 1]),
            )
            edges = np.searchsorted(tree.chance_edge, np.arange(start, stop))
            probs.extend(exact_probs(chance_row[edges].tolist()))
    chance_count = 0
    edge = 0
    kinds = tree.node_kind.tolist()  # plain ints: comparing enum members is slow
    terminal_kind, decision_kind = int(NodeKind.TERMINAL), int(NodeKind.DECISION)
    for node in range(tree.n_nodes):
        kind = kinds[node]
        label = quote(node_labels[node])
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
                f"{int(tree.infoset_number[infoset]) + 1} {quote(set_labels[infoset])} "
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
        lines.append(f"c {label} {number_c} {quote(set_label)} {{ {body} }} {outcome}")
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
