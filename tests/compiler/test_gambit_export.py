"""Scenarios exported to Gambit's ``.efg`` and solved by pygambit agree with ours.

Each scenario (the flagship; small ones with a chance move and a
simultaneous move; a compound move whose evasion only the mover sees and
that detection may reveal; two signalling games with a private type, one of
them Cho and Kreps' beer-quiche) is compiled at its central parameter values, written with
:func:`realpolitik.games.gambit_io.write_efg` (or ``realpolitik
export-gambit``), read by pygambit 16.7.0 and solved with
``pygambit.qre.logit_solve_lambda`` (the agent logit QRE on the principal
branch, behaviour strategies). Our agent QRE (``solve(game, "qre", lam)``)
must give the same probability for every action at every information set,
within 1e-6: for the games with information sets spanning several nodes this
checks the information sets the observers make, the beliefs by Bayes' rule
and both of our solvers for them (the path follower, and belief iteration
where a chance outcome has probability 0).

Traps handled (see ``reference/games/PEERS.md``): pygambit 16.7 cannot build
the behaviour profile of a QRE on a tree (``.profile`` raises), so the flat
vector ``q[k]`` is read in its order (players, their information sets, their
actions); and ``logit_solve_lambda`` may silently stop at another lambda, so
the lambda reached is checked. Information sets are matched between the two
trees by the action labels on the path to their first node, not by position.

pygambit is GPL: it is imported here, in a test, never by the package.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from hand_scenarios import COMPOUND, SIGNAL
from peers import require
from realpolitik.cli.main import main
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.gambit_io import write_efg
from realpolitik.scenario.load import load, resolve
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve

gbt = require("pygambit")
pytestmark = pytest.mark.peer

CHANCE = """\
id: chance-small
sources: {s: Worked example}
actors: {att: Attacker, def: Defender}
parameters:
  p: {dist: pert, low: 0.1, mode: 0.3, high: 0.6, source: s}
  prize: {dist: uniform, low: 5, high: 15, source: s}
moves:
  - id: push
    actor: att
    actions: [hard, soft]
  - id: luck
    chance:
      win: "clip(p + 0.3 * (att == hard), 0, 1)"
      lose: "1 - clip(p + 0.3 * (att == hard), 0, 1)"
  - id: answer
    actor: def
    when: "luck == win"
    actions: [concede, resist]
payoffs:
  att:
    prize: "0.3 * prize * (luck == win and def == concede)"
    effort: "-(att == hard)"
  def:
    loss: "-0.3 * prize * (def == concede)"
    fight: "-2.5 * (def == resist)"
"""

STAGE = """\
id: stage-small
actors: {row: Row, col: Column, lead: Leader}
moves:
  - id: opening
    actor: lead
    actions: [calm, provoke]
  - id: stage
    actors:
      row: [up, down]
      col: [left, right]
payoffs:
  lead:
    tension: "where(lead == provoke, 1, 0) - (row == up and col == left)"
  row:
    match: >-
      2 * (row == up and col == left) + (row == down and col == right)
      + 0.5 * (lead == provoke) * (row == up)
  col:
    mismatch: "(row == up and col == right) + (row == down and col == left)"
"""


# Cho and Kreps' (1987) beer-quiche game: the sender's type is private and its
# breakfast a signal the receiver reads before deciding to duel (a strategic
# loop: the sender's choice depends on the reply it induces)
BEER_QUICHE = """\
id: beer-quiche
sources: {s: "Cho and Kreps (1987), Signaling games and stable equilibria"}
actors: {snd: Sender, rcv: Receiver}
parameters:
  p_strong: {dist: fixed, value: 0.6, source: s}
types:
  snd:
    strong: p_strong
    weak: "1 - p_strong"
moves:
  - id: breakfast
    actor: snd
    actions: [beer, quiche]
  - id: response
    actor: rcv
    actions: [duel, retreat]
payoffs:
  snd:
    taste: "(snd.type == strong and breakfast == beer) + (snd.type == weak and breakfast == quiche)"
    peace: "2 * (response == retreat)"
  rcv:
    win: "where(snd.type == weak, 1, -1) * (response == duel)"
"""


def scenarios() -> dict[str, Scenario]:
    return {
        "flagship": resolve(LEGACY_FLAGSHIP),
        "chance": load(text=CHANCE),
        "stage": load(text=STAGE),
        "signal": load(text=SIGNAL),
        "beer-quiche": load(text=BEER_QUICHE),
        "compound": load(text=COMPOUND),
    }


def _labels_to_node(tree: Any) -> dict[tuple[str, ...], int]:
    """Our tree: the action labels from the root to each node -> node id."""
    out: dict[tuple[str, ...], int] = {}
    for node in range(tree.n_nodes):
        path = tuple(tree.action_labels(int(n))[k] for n, k in tree.path(node))
        out[path] = node
    return out


def _gambit_path(node: Any) -> tuple[str, ...]:
    labels: list[str] = []
    while node.parent is not None:
        labels.append(node.prior_action.label)
        node = node.parent
    return tuple(reversed(labels))


def _compare(scenario: Scenario, gambit_game: Any, lams: list[float]) -> None:
    compiled = compile_scenario(scenario)
    game = compiled.game(compiled.parameter_values(), terms=False)
    tree = compiled.tree
    where = _labels_to_node(tree)
    points = gbt.qre.logit_solve_lambda(gambit_game, lams)
    assert len(points) == len(lams)
    for lam, point in zip(lams, points, strict=True):
        # pygambit may stop at another lambda without an error: check
        assert point.lam == pytest.approx(lam, abs=1e-6), f"pygambit reached {point.lam}"
        ours = solve(game, "qre", lam).behaviour[0]
        k = 0
        compared = 0
        for player in gambit_game.players:
            for infoset in player.infosets:
                members = list(infoset.members)
                node = where[_gambit_path(members[0])]
                ours_set = int(tree.node_infoset[node])
                lo = int(tree.action_offset[ours_set])
                assert tree.players[int(tree.infoset_player[ours_set])] == player.label
                for a, action in enumerate(infoset.actions):
                    assert tree.infoset_actions[ours_set][a] == action.label
                    assert ours[lo + a] == pytest.approx(point[k], abs=1e-6), (
                        f"lambda {lam}, {player.label} at {_gambit_path(members[0])}: "
                        f"{action.label}"
                    )
                    k += 1
                    compared += 1
        assert compared == tree.n_actions == len(list(gambit_game.actions))


@pytest.mark.parametrize(
    "name", ["flagship", "chance", "stage", "signal", "beer-quiche", "compound"]
)
def test_exported_game_matches_our_agent_qre(name: str) -> None:
    scenario = scenarios()[name]
    compiled = compile_scenario(scenario)
    text = write_efg(compiled.game(compiled.parameter_values(), terms=False))
    gambit_game = gbt.read_efg(io.StringIO(text))
    # the same game: players, number of outcomes, and the payoffs at each end
    assert [p.label for p in gambit_game.players] == list(scenario.actor_ids)
    assert len([n for n in gambit_game.nodes if n.is_terminal]) == compiled.tree.n_terminals
    _compare(scenario, gambit_game, [0.3, 1.0, 2.5])


def test_exported_payoffs_and_chance_probabilities() -> None:
    scenario = load(text=CHANCE)
    compiled = compile_scenario(scenario)
    params = compiled.parameter_values()
    game = compiled.game(params, terms=False)
    gambit_game = gbt.read_efg(io.StringIO(write_efg(game)))
    where = _labels_to_node(compiled.tree)
    payoffs = compiled.payoffs(params)[0]  # (terminals, players)
    for node in gambit_game.nodes:
        if node.is_terminal:
            ours = int(compiled.tree.node_terminal[where[_gambit_path(node)]])
            for k, player in enumerate(gambit_game.players):
                assert float(node.outcome[player]) == pytest.approx(payoffs[ours, k], abs=1e-12)
        elif node.player.is_chance:
            # P(win) = p + 0.3 after hard, p after soft; p's central value is
            # the PERT(0.1, 0.3, 0.6) median
            p = float(params["p"][0, 0])
            first = _gambit_path(node)[0]
            expected = p + 0.3 if first == "hard" else p
            probs = [float(a.prob) for a in node.infoset.actions]
            assert probs == pytest.approx([expected, 1 - expected], abs=1e-12)


def test_cli_export_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "flagship.efg"
    assert main(["export-gambit", LEGACY_FLAGSHIP, str(out)]) == 0
    gambit_game = gbt.read_efg(str(out))
    _compare(resolve(LEGACY_FLAGSHIP), gambit_game, [2.0])
    assert not list(tmp_path.glob("*.tmp"))


def test_our_qre_tends_to_the_spe() -> None:
    # large lambda: ours is close to the SPE; checked against pygambit's branch
    scenario = load(text=CHANCE)
    compiled = compile_scenario(scenario)
    game = compiled.game(compiled.parameter_values(), terms=False)
    spe = solve(game, "spe").behaviour[0]
    gambit_game = gbt.read_efg(io.StringIO(write_efg(game)))
    _compare(scenario, gambit_game, [40.0])
    assert np.abs(solve(game, "qre", 40.0).behaviour[0] - spe).max() < 1e-3
