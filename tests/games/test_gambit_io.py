"""Gambit ``.efg`` / ``.nfg`` reading and writing.

Checked against independent sources: the 18 example files and what pygambit
16.7.0 computed from them (``reference/games/reference.json``: players,
strategy labels, payoff arrays, information sets), and pygambit itself, which
must read every file we write to the same game and write files we read to the
same game. Malformed inputs must give one located :class:`InputError`.
"""

from __future__ import annotations

import importlib
import io
import json
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peers import require
from realpolitik.errors import InputError, ResourceError
from realpolitik.games.gambit_io import (
    EfgGame,
    read_efg,
    read_game,
    read_nfg,
    write_efg,
    write_nfg,
)
from realpolitik.games.normal_form import NormalFormGame
from realpolitik.games.tree import GameTree, NodeKind, TreeBuilder, TreeClass, TreeGame

gbt = require("pygambit")
pytestmark = pytest.mark.peer


def _games(reference: dict[str, Any], fmt: str) -> list[dict[str, Any]]:
    return [g for g in reference["games"] if g["format"] == fmt]


# parametrisation needs the game ids before fixtures exist: the same location
# as the `reference_dir` fixture of tests/conftest.py
REFERENCE: Path = importlib.import_module("conftest").REFERENCE


def _ids(fmt: str) -> list[str]:
    with open(REFERENCE / "games" / "reference.json", encoding="utf-8") as handle:
        data = json.load(handle)
    return [g["id"] for g in data["games"] if g["format"] == fmt]


EFG_IDS = _ids("efg")
NFG_IDS = _ids("nfg")


@pytest.fixture
def entry(games_reference: dict[str, Any]) -> Any:
    def find(game_id: str) -> dict[str, Any]:
        return next(g for g in games_reference["games"] if g["id"] == game_id)

    return find


# ---------------------------------------------------------------------------
# Views of a game, ours and pygambit's, in the same terms
# ---------------------------------------------------------------------------


def _exact(value: Any) -> Fraction:
    return Fraction(str(value))


def gambit_tree_view(game: Any) -> dict[str, Any]:
    """What pygambit says about a tree, node by node in prefix order."""
    players = [p.label for p in game.players]
    nodes: list[tuple[Any, tuple[Fraction, ...]]] = []
    zero = tuple(Fraction(0) for _ in players)

    def walk(node: Any, above: tuple[Fraction, ...]) -> None:
        here = above
        if node.outcome:
            here = tuple(a + _exact(node.outcome[p]) for a, p in zip(above, players, strict=True))
        nodes.append((node, here))
        for child in node.children:
            walk(child, here)

    walk(game.root, zero)
    kinds, movers, infosets, actions, probs, payoffs, labels = [], [], [], [], [], [], []
    for node, total in nodes:
        labels.append(node.label)
        if node.is_terminal:
            kinds.append("t")
            payoffs.append([float(x) for x in total])
            continue
        acts = [a.label for a in node.infoset.actions]
        actions.append(acts)
        if node.player.is_chance:
            kinds.append("c")
            probs.append([float(_exact(a.prob)) for a in node.infoset.actions])
        else:
            kinds.append("p")
            movers.append(node.player.label)
            infosets.append((node.player.label, node.infoset.number, node.infoset.label))
    return {
        "title": game.title,
        "players": players,
        "kinds": kinds,
        "node_labels": labels,
        "movers": movers,
        "infosets": infosets,
        "actions": actions,
        "chance_probs": probs,
        "payoffs": payoffs,
    }


def our_tree_view(game: TreeGame, draw: int = 0) -> dict[str, Any]:
    tree = game.tree
    kinds, movers, infosets, actions, probs = [], [], [], [], []
    chance = game.edge_chance_probs()
    chance_row = chance[draw if chance.shape[0] > 1 else 0]
    for node in range(tree.n_nodes):
        kind = tree.node_kind[node]
        if kind == NodeKind.TERMINAL:
            kinds.append("t")
            continue
        actions.append(list(tree.action_labels(node)))
        if kind == NodeKind.CHANCE:
            kinds.append("c")
            start, stop = tree.child_offset[node], tree.child_offset[node + 1]
            edges = np.searchsorted(tree.chance_edge, np.arange(start, stop))
            probs.append(chance_row[edges].tolist())
        else:
            kinds.append("p")
            iset = int(tree.node_infoset[node])
            player = tree.players[int(tree.infoset_player[iset])]
            movers.append(player)
            infosets.append((player, int(tree.infoset_number[iset]), tree.infoset_label[iset]))
    return {
        "title": tree.title,
        "players": list(tree.players),
        "kinds": kinds,
        "node_labels": list(tree.node_label),
        "movers": movers,
        "infosets": infosets,
        "actions": actions,
        "chance_probs": probs,
        "payoffs": game.total_payoffs[draw].tolist(),
    }


def gambit_efg(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return gbt.read_efg(io.StringIO(text))


def gambit_nfg(text: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return gbt.read_nfg(io.StringIO(text))


def gambit_arrays(game: Any) -> np.ndarray:
    """``(players, n_1, ..., n_P)`` float payoffs of a pygambit table."""
    players = list(game.players)
    shape = tuple(len(p.strategies) for p in players)
    out = np.zeros((len(players), *shape))
    for profile in game.contingencies:
        for i, player in enumerate(players):
            try:
                out[(i, *profile)] = float(_exact(game[profile][player]))
            except TypeError:  # pygambit 16.7 fails on profiles without an outcome: 0
                out[(i, *profile)] = 0.0
    return out


def assert_same_tree(a: GameTree, b: GameTree) -> None:
    for f in fields(GameTree):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def assert_same_game(a: TreeGame, b: TreeGame) -> None:
    assert_same_tree(a.tree, b.tree)
    assert np.array_equal(a.total_payoffs, b.total_payoffs)
    assert np.array_equal(a.edge_chance_probs(), b.edge_chance_probs())


def example(reference_dir: Path, game: dict[str, Any]) -> Path:
    return reference_dir / "games" / str(game["file"])


# ---------------------------------------------------------------------------
# Against the reference (pygambit 16.7.0's reading of the example files)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("game_id", NFG_IDS)
def test_nfg_matches_reference(game_id: str, entry: Any, reference_dir: Path) -> None:
    ref = entry(game_id)
    game = read_nfg(example(reference_dir, ref))
    assert isinstance(read_game(example(reference_dir, ref)), NormalFormGame)
    assert list(game.players) == ref["players"]
    assert {p: list(s) for p, s in zip(game.players, game.strategies, strict=True)} == ref[
        "strategies"
    ]
    assert game.title == ref["title"]
    assert list(game.shape) == ref["payoff_array_shape"]
    # conventions.nfg_payoff_order: the array reshaped to (n_1, -1) in C order
    for i, player in enumerate(game.players):
        expected = np.array(ref["payoff_arrays_float"][player])
        assert np.array_equal(game.payoffs[0, i].reshape(game.shape[0], -1), expected)


@pytest.mark.parametrize("game_id", EFG_IDS)
def test_efg_matches_reference(game_id: str, entry: Any, reference_dir: Path) -> None:
    ref = entry(game_id)
    game = read_efg(example(reference_dir, ref))
    assert isinstance(read_game(example(reference_dir, ref)), EfgGame)
    tree = game.tree
    assert list(tree.players) == ref["players"]
    assert tree.title == ref["title"]
    assert tree.n_nodes == ref["n_nodes"]
    sizes = np.bincount(tree.node_infoset[tree.node_infoset >= 0], minlength=tree.n_infosets)
    ours: dict[str, list[dict[str, Any]]] = {p: [] for p in tree.players}
    for iset in range(tree.n_infosets):
        ours[tree.players[int(tree.infoset_player[iset])]].append(
            {
                "number": int(tree.infoset_number[iset]),
                "label": tree.infoset_label[iset],
                "actions": list(tree.infoset_actions[iset]),
                "n_members": int(sizes[iset]),
            }
        )
    assert ours == ref["infosets"]
    assert bool((tree.node_kind == NodeKind.CHANCE).any()) == ref["has_chance"]
    # behaviour-profile keys "<player>:<n>[:label]" as in every reference profile
    keys = {
        p: {
            f"{p}:{s['number']}" + (f":{s['label']}" if s["label"] else ""): s["actions"]
            for s in sets
        }
        for p, sets in ours.items()
    }
    for results in ref["results"].values():
        for profile in results:
            if isinstance(profile, dict) and profile.get("kind") == "behavior":
                got = {p: {k: list(v) for k, v in d.items()} for p, d in profile["probs"].items()}
                assert got == keys


EXPECTED_CLASS = {
    "cent4": TreeClass.PERFECT,
    "selten_fig2": TreeClass.PERFECT,
    "pi3_one_move_each": TreeClass.PERFECT,
    "pi_chance": TreeClass.PERFECT,
    "two_stage_pd": TreeClass.STAGED,
    # Player 1 picks S/T, player 2 picks E/O without seeing it (one information
    # set at both root children): a simultaneous stage; after it, player 1
    # moves again with perfect information (two singleton sets). So STAGED.
    "entry_accommodation": TreeClass.STAGED,
    # player 3's set holds nodes at depths 1 and 2: not a stage
    "selten_horse": TreeClass.GENERAL,
    # the student's set holds nodes under a chance move: not a stage
    "stripped_poker": TreeClass.GENERAL,
    # player 1's second sets hold the two children of one player-2 node: player 1
    # moves again without seeing player 2's move, which no stage describes
    "binary3": TreeClass.GENERAL,
}


def test_every_example_tree_is_classified(reference_dir: Path, games_reference: Any) -> None:
    assert set(EXPECTED_CLASS) == set(EFG_IDS)
    for ref in _games(games_reference, "efg"):
        tree = read_efg(example(reference_dir, ref)).tree
        assert tree.tree_class == EXPECTED_CLASS[ref["id"]], ref["id"]
        # perfect information in Gambit's sense iff every set is a single node
        assert (tree.tree_class == TreeClass.PERFECT) == ref["is_perfect_information"]


def test_two_stage_pd_stages(reference_dir: Path) -> None:
    tree = read_efg(reference_dir / "games" / "games" / "two_stage_pd.efg").tree
    stages = tree.stages
    assert len(stages) == 5
    # the first round at the root; then four second rounds, one after each
    # first-round outcome, each rooted at player 1's singleton set (1,k)
    assert stages[0].root == 0
    roots = [tree.infoset_label[int(tree.node_infoset[s.root])] for s in stages]
    assert roots == ["(1,1)", "(1,2)", "(1,3)", "(1,4)", "(1,5)"]
    for stage in stages:
        assert tuple(tree.players[p] for p in stage.players) == ("Player 1", "Player 2")
        assert stage.shape == (2, 2)
        assert len(stage.leaves) == 4
    # the first round's leaves are the second rounds' roots
    assert sorted(stages[0].leaves.tolist()) == sorted(s.root for s in stages[1:])
    assert tree.general_infosets() == []


# ---------------------------------------------------------------------------
# Round trips, and agreement with pygambit both ways
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("game_id", EFG_IDS)
def test_efg_round_trip_and_pygambit(game_id: str, entry: Any, reference_dir: Path) -> None:
    path = example(reference_dir, entry(game_id))
    game = read_efg(path)
    text = write_efg(game)
    again = read_efg("written.efg", text=text)
    assert_same_game(game, again)
    assert again.layout is not None and game.layout is not None
    for name in ("node_outcome", "outcome_labels", "outcome_payoffs", "chance_infoset"):
        assert getattr(again.layout, name) == getattr(game.layout, name)
    assert write_efg(again) == text
    # pygambit reads what we wrote as the same game as the original file
    original = gambit_efg(path.read_text(encoding="utf-8"))
    assert gambit_tree_view(gambit_efg(text)) == gambit_tree_view(original)
    assert our_tree_view(game) == gambit_tree_view(original)
    # and we read what pygambit writes as that game
    assert our_tree_view(read_efg("pygambit.efg", text=original.to_efg())) == gambit_tree_view(
        original
    )
    # without the file's layout (plain tree + payoffs) the game is the same too
    plain = TreeGame(game.tree, np.array(game.payoffs), source="plain")
    assert gambit_tree_view(gambit_efg(write_efg(plain))) == gambit_tree_view(original)
    assert_same_game(read_efg("plain.efg", text=write_efg(plain)), game)


@pytest.mark.parametrize("game_id", NFG_IDS)
@pytest.mark.parametrize("version", ["outcome", "payoff"])
def test_nfg_round_trip_and_pygambit(
    game_id: str, version: str, entry: Any, reference_dir: Path
) -> None:
    path = example(reference_dir, entry(game_id))
    game = read_nfg(path)
    text = write_nfg(game, version=version)
    again = read_nfg("written.nfg", text=text)
    assert again.players == game.players and again.strategies == game.strategies
    assert (again.title, again.comment) == (game.title, game.comment)
    assert np.array_equal(again.payoffs, game.payoffs)
    original = gambit_nfg(path.read_text(encoding="utf-8"))
    for peer in (gambit_nfg(text), original):
        assert [p.label for p in peer.players] == list(game.players)
        assert [[s.label for s in p.strategies] for p in peer.players] == [
            list(s) for s in game.strategies
        ]
        assert np.array_equal(gambit_arrays(peer), game.payoffs[0])
    ours = read_nfg("pygambit.nfg", text=original.to_nfg())
    assert np.array_equal(ours.payoffs, game.payoffs)
    assert ours.strategies == game.strategies


def test_nfg_payoff_version_reads_like_the_outcome_version() -> None:
    # Gambit's pd.nfg in the payoff version: profiles (1,1) (2,1) (1,2) (2,2),
    # player 1 fastest, each with (u1, u2): u1(C,C)=9, u1(D,C)=10, u1(C,D)=0, u1(D,D)=1
    text = 'NFG 1 R "PD" { "Row" "Column" } { 2 2 }\n"c"\n9 9\n10 0\n0 10\n1 1\n'
    game = read_nfg("pd.nfg", text=text)
    assert game.payoffs[0, 0].tolist() == [[9, 0], [10, 1]]
    assert game.payoffs[0, 1].tolist() == [[9, 10], [0, 1]]
    assert game.comment == "c"
    assert np.array_equal(gambit_arrays(gambit_nfg(text)), game.payoffs[0])
    # a 2x3x2 game checks the axis order beyond two players: entry k is k
    text = 'NFG 1 D "" { "a" "b" "c" } { 2 3 2 }\n' + " ".join(
        f"{k} {-k} {k / 4}" for k in range(12)
    )
    game = read_nfg("odometer.nfg", text=text)
    for s3 in range(2):
        for s2 in range(3):
            for s1 in range(2):
                k = s1 + 2 * s2 + 6 * s3
                assert game.payoffs[0, :, s1, s2, s3].tolist() == [k, -k, k / 4]
    assert np.array_equal(gambit_arrays(gambit_nfg(text)), game.payoffs[0])


def test_nfg_outcome_zero_pays_nothing_and_strategy_labels_are_made_unique() -> None:
    text = (
        'NFG 1 R "t" { "A" "B" } { { "x" "x" } { "" "y" } }\n'
        '{ { "o" 1, 2 } { "p" 3 4 } }\n2 0 1 1\n'
    )
    game = read_nfg("t.nfg", text=text)
    assert game.strategies == (("x_1", "x_2"), ("_1", "y"))
    # profiles (1,1)->2, (2,1)->none, (1,2)->1, (2,2)->1
    assert game.payoffs[0, 0].tolist() == [[3, 1], [0, 1]]
    assert game.payoffs[0, 1].tolist() == [[4, 2], [0, 2]]
    assert np.array_equal(gambit_arrays(gambit_nfg(text)), game.payoffs[0])


def test_efg_features_agree_with_pygambit() -> None:
    # shared chance information set (defined once, then referenced by number),
    # an outcome defined once and referenced by number alone, outcomes at
    # non-terminal nodes, exact decimals, rationals and a "D" header
    text = """EFG 2 D "features" { "A" "B" } "multi
line \\"comment\\""
p "root" 1 1 "first" { "x" "y" } 1 "bonus" { 1/3, 0.1 }
c "n1" 7 "dice" { "lo" 0.25 "hi" 3/4 } 0
t "" 2 "o2" { 0.2, -1/3 }
t "" 3 "o3" { 5, 6 }
c "n2" 7 0
t "" 2
p "" 2 4 "second" { "u" "v" } 2
t "" 0
p "" 1 2 "third" { "x2" "y2" } 0
t "" 0
t "" 1
"""
    game = read_efg("features.efg", text=text)
    peer = gambit_efg(text)
    assert our_tree_view(game) == gambit_tree_view(peer)
    assert game.tree.comment == 'multi\nline "comment"'
    # path root(x) -> n1(lo): bonus + o2 = (1/3 + 0.2, 0.1 - 1/3) exactly, rounded once
    assert game.payoffs[0, 0].tolist() == [
        float(Fraction(1, 3) + Fraction(1, 5)),
        float(Fraction(1, 10) - Fraction(1, 3)),
    ]
    # the last terminal: bonus (root) + o2 (player 2's node) + bonus (itself)
    # = (2/3 + 1/5, 1/5 - 1/3) = (13/15, -2/15)
    assert game.payoffs[0, -1].tolist() == [13 / 15, -2 / 15]
    assert game.layout is not None
    assert game.layout.chance_infoset == (1, 1)
    assert game.layout.chance_probs == (Fraction(1, 4), Fraction(3, 4)) * 2
    written = write_efg(game)
    assert gambit_tree_view(gambit_efg(written)) == gambit_tree_view(peer)
    assert_same_game(read_efg("w.efg", text=written), game)
    # the rewritten file keeps the interior outcomes and the shared chance set
    assert 'p "root" 1 1 "first" { "x" "y" } 1 "bonus" { 1/3, 0.1 }' in written
    assert 'c "n2" 1 "dice" { "lo" 1/4 "hi" 3/4 } 0' in written
    assert 'c "n1" 1 "dice" { "lo" 1/4 "hi" 3/4 } 0' in written


def test_changed_payoffs_are_written_without_the_stale_layout(reference_dir: Path) -> None:
    game = read_efg(reference_dir / "games" / "games" / "two_stage_pd.efg")
    doubled = EfgGame(game.tree, game.payoffs * 2, source="x", layout=game.layout)
    back = read_efg("d.efg", text=write_efg(doubled))
    assert np.array_equal(back.payoffs, game.payoffs * 2)


def test_many_draws_write_the_chosen_draw() -> None:
    b = TreeBuilder(["A", "B"])
    left, right = b.chance(b.root, ["L", "R"], [0.5, 0.5])
    b.terminal(left, [0, 0])
    b.terminal(right, [0, 0])
    tree, _ = b.build()
    payoffs = np.arange(12, dtype=float).reshape(3, 2, 2) / 8
    probs = np.array([[0.5, 0.5], [0.1, 0.9], [1.0, 0.0]])
    game = TreeGame(tree, payoffs, chance_probs=probs)
    for draw in range(3):
        back = read_efg("d.efg", text=write_efg(game, draw))
        assert np.array_equal(back.payoffs[0], payoffs[draw])
        assert np.array_equal(back.edge_chance_probs()[0], probs[draw])
    with pytest.raises(InputError, match="draw 3 out of range"):
        write_efg(game, 3)


def test_float_payoffs_and_probabilities_are_written_exactly() -> None:
    values = [0.1, 1 / 3, -2.5e-300, 1.7976931348623157e308, 5e-324, -0.0, 123456789.123]
    b = TreeBuilder(["A"])
    kids = b.chance(b.root, [f"a{k}" for k in range(7)], [1 / 7] * 7)
    for kid, v in zip(kids, values, strict=True):
        b.terminal(kid, [v])
    game = TreeGame.single(*b.build())
    text = write_efg(game)
    assert "e" not in text.split("\n", 3)[3].lower().replace("t ", "")  # no exponents
    assert '"a0" 1/7' in text and '"a6" 1/7' in text
    back = read_efg("x.efg", text=text)
    assert back.payoffs[0, :, 0].tolist() == values
    peer = gambit_efg(text)
    assert gambit_tree_view(peer)["payoffs"] == [[v] for v in values]
    assert sum(_exact(a.prob) for a in peer.root.infoset.actions) == 1


def test_labels_are_escaped() -> None:
    awkward = ['say "no"', "back\\slash", "end\\", 'both\\"', "ünïcödé", "two  spaces", ""]
    b = TreeBuilder(['P "1"', "P\\2"], title='T "q" \\', comment='c\n"x"')
    kids = b.decision(b.root, 0, awkward, label='node "n"')
    for kid in kids:
        b.terminal(kid, [1, 2], label='out "o"')
    game = TreeGame.single(*b.build())
    exact = read_efg("x.efg", text=write_efg(game, gambit_labels=False))
    assert exact.tree.players == game.tree.players
    assert exact.tree.infoset_actions == ((*awkward[:-1], "_1"),)
    assert (exact.tree.title, exact.tree.comment) == (game.tree.title, game.tree.comment)
    assert exact.tree.node_label == game.tree.node_label
    assert exact.tree.terminal_label == game.tree.terminal_label
    # the default writes labels pygambit 16.7 accepts; it and we read the same
    text = write_efg(game)
    assert our_tree_view(read_efg("x.efg", text=text)) == gambit_tree_view(gambit_efg(text))
    assert read_efg("x.efg", text=text).tree.infoset_actions[0][:2] == ('say "no"', "back\\slash")


# ---------------------------------------------------------------------------
# Random trees (Hypothesis)
# ---------------------------------------------------------------------------

LABEL = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=6).map(
    lambda s: " ".join(s.split()).replace("\\", "/")
)
PAYOFF = st.one_of(
    st.integers(-10, 10).map(float),
    st.integers(-400, 400).map(lambda k: k / 8),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)


@st.composite
def random_tree_games(draw: st.DrawFn) -> TreeGame:
    n_players = draw(st.integers(1, 3))
    players = draw(st.lists(LABEL, min_size=n_players, max_size=n_players, unique=True))
    b = TreeBuilder(players, title=draw(LABEL), comment=draw(LABEL))
    infosets: list[list[tuple[str, ...]]] = [[] for _ in players]  # actions per set
    budget = [draw(st.integers(1, 30))]
    payoffs: list[list[float]] = []

    def grow(node: int, path_sets: frozenset[tuple[int, int]]) -> None:
        budget[0] -= 1
        roll = draw(st.integers(0, 9)) if budget[0] > 0 else 0
        if roll < 3:
            pay = draw(st.lists(PAYOFF, min_size=n_players, max_size=n_players))
            b.terminal(node, pay, label=draw(LABEL))
            payoffs.append(pay)
            return
        if roll < 5:
            k = draw(st.integers(1, 3))
            weights = draw(st.lists(st.integers(0, 6), min_size=k, max_size=k))
            if sum(weights) == 0:
                weights[0] = 1
            probs = [w / sum(weights) for w in weights]
            acts = draw(st.lists(LABEL, min_size=k, max_size=k, unique=True))
            kids = b.chance(node, acts, probs, label=draw(LABEL))
            for kid in kids:
                grow(kid, path_sets)
            return
        player = draw(st.integers(0, n_players - 1))
        # join an earlier set of this player (not one on the path: no absent-mindedness)
        usable = [i for i in range(len(infosets[player])) if (player, i) not in path_sets]
        reuse = draw(st.booleans())
        if usable and reuse:
            number = draw(st.sampled_from(usable))
            acts = list(infosets[player][number])
        else:
            k = draw(st.integers(1, 3))
            acts = draw(st.lists(LABEL, min_size=k, max_size=k, unique=True))
            number = len(infosets[player])
            infosets[player].append(tuple(acts))
        kids = b.decision(node, player, acts, infoset=number, label=draw(LABEL))
        for kid in kids:
            grow(kid, path_sets | {(player, number)})

    grow(b.root, frozenset())
    tree, built = b.build()
    return TreeGame.single(tree, built, source="random")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tree_games())
def test_random_trees_round_trip_through_us_and_pygambit(game: TreeGame) -> None:
    text = write_efg(game)
    back = read_efg("random.efg", text=text)
    # labels survive unchanged unless empty (Gambit 17's rule makes them "_1", ...)
    # or, for nodes, repeated (pygambit 16.7 wants them unique: "x_1", "x_2")
    tree = game.tree
    action_lists = [*tree.infoset_actions, *tree.chance_actions.values()]
    named = [label for label in tree.node_label if label]
    if (
        all(tree.players)
        and all(all(actions) for actions in action_lists)
        and len(set(named)) == len(named)
    ):
        assert_same_game(back, game)
    assert np.array_equal(back.payoffs, game.payoffs)
    assert np.array_equal(back.edge_chance_probs(), game.edge_chance_probs())
    assert write_efg(back) == write_efg(read_efg("again.efg", text=write_efg(back)))
    peer = gambit_efg(text)
    assert our_tree_view(back) == gambit_tree_view(peer)
    # and pygambit's own rendering of it reads back the same
    assert our_tree_view(read_efg("peer.efg", text=peer.to_efg())) == gambit_tree_view(peer)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3).flatmap(
        lambda shape: st.tuples(
            st.just(tuple(shape)),
            st.lists(
                PAYOFF,
                min_size=len(shape) * int(np.prod(shape)),
                max_size=len(shape) * int(np.prod(shape)),
            ),
        )
    ),
    st.sampled_from(["outcome", "payoff"]),
)
def test_random_tables_round_trip_through_us_and_pygambit(
    spec: tuple[tuple[int, ...], list[float]], version: str
) -> None:
    shape, values = spec
    table = np.array(values).reshape(1, len(shape), *shape)
    game = NormalFormGame.from_payoffs(table)
    text = write_nfg(game, version=version)
    assert np.array_equal(read_nfg("r.nfg", text=text).payoffs, game.payoffs)
    assert np.array_equal(gambit_arrays(gambit_nfg(text)), game.payoffs[0])


# ---------------------------------------------------------------------------
# Malformed input: one located InputError
# ---------------------------------------------------------------------------

GOOD_EFG = """EFG 2 R "Crisis" { "Russia" "West" }
"A comment"

p "" 1 1 "" { "Escalate" "Hold" } 0
c "" 1 "" { "Low" 1/3 "High" 2/3 } 0
p "" 2 1 "" { "Sanction" "Wait" } 0
t "" 1 "a" { 1, -1 }
t "" 2 "b" { 2, -2 }
p "" 2 1 "" { "Sanction" "Wait" } 0
t "" 1 "a" { 1, -1 }
t "" 3 "c" { 3, -3 }
t "" 0
"""


def _line(text: str, number: int, old: str, new: str) -> str:
    lines = text.split("\n")
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    return "\n".join(lines)


EFG_CASES = [
    # (description, text, line, message fragment)
    (
        "truncated",
        "\n".join(GOOD_EFG.split("\n")[:8]),
        8,
        "ends early: expected at least 2 more node(s)",
    ),
    ("truncated mid-node", GOOD_EFG[: GOOD_EFG.index("{ 2, -2")], 8, "expected '{' to open"),
    (
        "brace deleted",
        _line(GOOD_EFG, 6, "{ ", ""),
        6,
        "expected '{' to open the action list, found the label \"Sanction\"",
    ),
    (
        "closing brace deleted",
        _line(GOOD_EFG, 5, " }", ""),
        5,
        "expected an action label (a quoted string) or '}'",
    ),
    ("probability above 1", _line(GOOD_EFG, 5, "1/3", "4/3"), 5, "between 0 and 1"),
    ("negative probability", _line(GOOD_EFG, 5, "1/3", "-1/3"), 5, "between 0 and 1"),
    (
        "probabilities not summing to 1",
        _line(GOOD_EFG, 5, "2/3", "0.666"),
        5,
        "must sum to exactly 1",
    ),
    (
        "probability not a number",
        _line(GOOD_EFG, 5, "1/3", "third"),
        5,
        "expected the probability of chance action \"Low\" (a number), found 'third'",
    ),
    ("division by zero", _line(GOOD_EFG, 5, "1/3", "1/0"), 5, "divides by zero"),
    (
        "unknown player",
        _line(GOOD_EFG, 6, 'p "" 2', 'p "" 3'),
        6,
        "unknown player number 3; the players are numbered 1 to 2",
    ),
    ("player zero", _line(GOOD_EFG, 4, 'p "" 1', 'p "" 0'), 4, "unknown player number 0"),
    ("too many payoffs", _line(GOOD_EFG, 7, "1, -1", "1, -1, 5"), 7, "more payoffs than players"),
    ("too few payoffs", _line(GOOD_EFG, 8, "2, -2", "2"), 8, "has 1 payoff(s)"),
    (
        "non-numeric payoff",
        _line(GOOD_EFG, 8, "-2", "lots"),
        8,
        "expected a payoff (a number) or '}' to close the payoffs of outcome 2, found 'lots'",
    ),
    ("nan payoff", _line(GOOD_EFG, 8, "-2", "nan"), 8, "found 'nan'"),
    ("infinite payoff", _line(GOOD_EFG, 8, "-2", "1e999"), 8, "too large for a 64-bit float"),
    ("huge exponent", _line(GOOD_EFG, 8, "-2", "1e99999999"), 8, "not a finite 64-bit float"),
    ("unterminated string", _line(GOOD_EFG, 12, 't ""', 't "oops'), 12, "unterminated label"),
    (
        "outcome redefined",
        _line(GOOD_EFG, 10, "1, -1", "9, 9"),
        10,
        "outcome 1 was defined at line 7",
    ),
    (
        "outcome used before definition",
        _line(GOOD_EFG, 12, "0", "5"),
        12,
        "outcome 5 is used here before it is defined",
    ),
    ("label on outcome 0", _line(GOOD_EFG, 12, "0", '0 "x" { 1 2 }'), 12, "outcome 0 means"),
    (
        "information set changed",
        _line(GOOD_EFG, 9, '"Wait"', '"Talk"'),
        9,
        "information set 1 of player 2 was defined at line 6",
    ),
    (
        "information set never defined",
        _line(GOOD_EFG, 4, '"" { "Escalate" "Hold" } 0', "0"),
        4,
        "appears here for the first time",
    ),
    ("bad node type", _line(GOOD_EFG, 7, "t", "x"), 7, "expected a node: 'p' (player)"),
    ("trailing text", GOOD_EFG + 't "" 0\n', 13, "expected the end of the file"),
    ("no action", _line(GOOD_EFG, 4, '"Escalate" "Hold" ', ""), 4, "at least one action"),
    ("wrong magic", GOOD_EFG.replace("EFG", "EGF", 1), 1, "expected 'EFG' at the start"),
    ("nfg given", 'NFG 1 R "x" { "a" } { 1 }\n1\n', 1, "read it with read_nfg"),
    ("version", GOOD_EFG.replace("EFG 2", "EFG 3", 1), 1, "expected the format version 2"),
    ("no players", _line(GOOD_EFG, 1, '"Russia" "West" ', ""), 1, "at least one player"),
    ("long label", _line(GOOD_EFG, 7, '"a"', '"' + "a" * 5000 + '"'), 7, "at most 4096"),
    ("fractional player", _line(GOOD_EFG, 6, 'p "" 2', 'p "" 1.5'), 6, "a whole number"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in EFG_CASES], ids=[c[0] for c in EFG_CASES]
)
def test_malformed_efg_is_located(text: str, line: int, fragment: str) -> None:
    assert read_efg("ok.efg", text=GOOD_EFG).tree.n_terminals == 5
    with pytest.raises(InputError) as info:
        read_efg("bad.efg", text=text)
    error = info.value
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert (problem.file, problem.line) == ("bad.efg", line)
    assert fragment in problem.message
    assert "\n" not in str(error)
    assert str(error).startswith(f"bad.efg:{line}: ")


def test_payoffs_summing_beyond_float_range_name_the_terminal() -> None:
    text = """EFG 2 R "" { "A" }
p "" 1 1 "" { "x" } 1 "big" { 1e308 }
t "leaf" 2 "bigger" { 1e308 }
"""
    with pytest.raises(InputError, match=r"^x.efg:3: the payoff of A at terminal 1 is beyond"):
        read_efg("x.efg", text=text)


GOOD_NFG = """NFG 1 R "PD" { "Row" "Column" }

{ { "C" "D" }
{ "C" "D" }
}
""

{
{ "" 9, 9 }
{ "" 10, 0 }
{ "" 0, 10 }
{ "" 1, 1 }
}
1 2 3 4
"""

NFG_CASES = [
    ("truncated", GOOD_NFG.replace("1 2 3 4", "1 2 3"), 14, "ends after 3 of the 4 outcome"),
    ("outcome out of range", GOOD_NFG.replace("1 2 3 4", "1 2 3 5"), 14, "refers to outcome 5"),
    ("extra", GOOD_NFG.replace("1 2 3 4", "1 2 3 4 4"), 14, "expected the end of the file"),
    ("payoff count", GOOD_NFG.replace("10, 0 }", "10, 0, 1 }"), 10, "'}' after 2 payoffs"),
    ("short outcome", GOOD_NFG.replace("10, 0 }", "10 }"), 10, "outcome 2 has 1 payoff(s)"),
    ("non-numeric", GOOD_NFG.replace("10, 0 }", "10, zero }"), 10, "found 'zero'"),
    (
        "brace deleted",
        GOOD_NFG.replace('{ "" 0, 10 }', '"" 0, 10 }'),
        11,
        "expected '{' to open outcome 3",
    ),
    (
        "too many players' labels",
        GOOD_NFG.replace('{ "C" "D" }\n}', '{ "C" "D" }\n{ "E" }\n}'),
        5,
        "expected '}' to close the strategy list after 2 players",
    ),
    (
        "payoff version short",
        'NFG 1 R "" { "a" "b" } { 2 2 }\n10 20 30 40 50 60 70',
        2,
        "ends after 7 of the 8 payoffs",
    ),
    ("payoff version word", 'NFG 1 R "" { "a" "b" } { 2 2 }\n1 2 3 4\n5 x 7 8', 3, "found 'x'"),
    ("zero strategies", 'NFG 1 R "" { "a" "b" } { 2 0 }\n', 1, "player 2 has 0 strategies"),
    (
        "too few numbers for the counts",
        'NFG 1 R "" { "a" "b" } { 200 300 }\n1 2 3',
        2,
        "declare 60000 strategy profiles",
    ),
    ("efg given", GOOD_EFG, 1, "read it with read_efg"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in NFG_CASES], ids=[c[0] for c in NFG_CASES]
)
def test_malformed_nfg_is_located(text: str, line: int, fragment: str) -> None:
    assert read_nfg("ok.nfg", text=GOOD_NFG).payoffs.shape == (1, 2, 2, 2)
    with pytest.raises(InputError) as info:
        read_nfg("bad.nfg", text=text)
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == ("bad.nfg", line)
    assert fragment in problem.message
    assert "\n" not in str(info.value)


def test_read_game_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^x\.txt:1: expected 'EFG' or 'NFG'"):
        read_game("x.txt", text="hello")
    with pytest.raises(InputError, match=r"^x\.txt:1: expected 'EFG' or 'NFG'.*end of the file"):
        read_game("x.txt", text="")
    with pytest.raises(InputError, match="cannot read the file"):
        read_game(tmp_path / "missing.efg")
    path = tmp_path / "pd.nfg"
    path.write_bytes(GOOD_NFG.encode("utf-8"))
    assert isinstance(read_game(path), NormalFormGame)


def test_a_declared_game_too_large_for_memory_is_refused_before_allocating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REALPOLITIK_MAX_BYTES", "64M")
    # 3 players x 1000^3 profiles x 8 bytes = 24 GB (twice: the table and the game's copy)
    text = 'NFG 1 R "" { "a" "b" "c" } { 1000 1000 1000 }\n1 2 3\n'
    with pytest.raises(ResourceError) as info:
        read_nfg("huge.nfg", text=text)
    assert info.value.needed_bytes == 2 * 3 * 1000**3 * 8
    assert "huge.nfg" in str(info.value) and "GiB" in str(info.value)
    # and a file too large to read is refused before reading it
    monkeypatch.setenv("REALPOLITIK_MAX_BYTES", "1K")
    with pytest.raises(ResourceError, match=r"reading big\.efg"):
        read_efg("big.efg", text=GOOD_EFG)


# ---------------------------------------------------------------------------
# Fuzzing: mutated example files give an InputError (or a size refusal), never
# another exception and never a hang
# ---------------------------------------------------------------------------

PIECES = [
    "{",
    "}",
    '"',
    "\\",
    ",",
    "0",
    "-1",
    "1/0",
    "1/3",
    "1e999",
    "p",
    "c",
    "t",
    "\n",
    " ",
    '"x"',
    "99999999999",
    "NFG",
    "EFG",
    "\x00",
    "é",
    "2",
]


@contextmanager
def _no_hang(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (a guard, not a timing assertion)."""
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - non-POSIX
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise AssertionError(f"reading did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _example_texts() -> list[str]:
    folder = REFERENCE / "games" / "games"
    return [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())]


EXAMPLES = _example_texts()


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        if op == "truncate":
            text = text[:at]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            piece = draw(st.sampled_from(PIECES))
            skip = 1 if op == "replace" else 0
            text = text[:at] + piece + text[at + skip :]
    return text


@settings(max_examples=400, deadline=None)
@given(mutated())
def test_mutated_files_only_raise_input_errors(text: str) -> None:
    with _no_hang(30):
        try:
            game = read_game("fuzz", text=text)
        except InputError as error:
            assert error.problems[0].file == "fuzz"
            assert error.problems[0].line is not None
            assert "\n" not in error.problems[0].message
            return
        except ResourceError:  # a mutated strategy count may declare a huge table
            return
    if isinstance(game, TreeGame):
        assert np.isfinite(game.payoffs).all()
        assert read_efg("again", text=write_efg(game)).tree.n_nodes == game.tree.n_nodes
    else:
        assert np.isfinite(game.payoffs).all()


def test_pygambit_refuses_what_we_refuse_on_the_examples() -> None:
    # sanity of the malformed cases: Gambit itself also rejects them (those
    # that are not our stricter checks), so the messages are about real errors
    for name, text, _, _ in EFG_CASES:
        if name in {
            "long label",
            "fractional player",
            "trailing text",
            "nan payoff",
            "huge exponent",
            "infinite payoff",
        }:
            continue
        with pytest.raises((ValueError, RuntimeError, IndexError)):
            gambit_efg(text)
