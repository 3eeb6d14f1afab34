"""Private information and compound moves compiled and solved
(:mod:`realpolitik.compiler.scenario_tree`, :mod:`realpolitik.run.outcomes`):

- SIGNAL (tests/hand_scenarios.py), a signalling game whose agent QRE,
  beliefs and type-conditional choices are worked out by hand, at several
  lambdas, and its separating limit;
- properties: a compound move with one dimension is the plain move; a single
  type is complete information; a move everybody observes adds no
  information set;
- COMPOUND: the information sets the observers make, and the beliefs
  (Bayes' rule by hand).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import realpolitik as rp
from hand_scenarios import COMPOUND, ENTRY, SIGNAL, signal_qre
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.tree import TreeClass
from realpolitik.scenario.load import load


@pytest.mark.parametrize("lam", [0.5, 1.0, 3.0])
def test_signalling_game_by_hand(lam: float) -> None:
    result = rp.forecast(load(text=SIGNAL), lam=lam).to_json()
    hand = signal_qre(lam)
    assert result["actions"]["snd"]["A"] == pytest.approx(hand["P(A)"], abs=1e-9)
    beliefs = {tuple(map(tuple, b["observed"])): b for b in result["beliefs"]}
    for signal in ("A", "B"):
        entry = beliefs[(("snd", signal),)]
        assert entry["actor"] == "rcv" and entry["move"] == "reply"
        assert entry["beliefs"]["snd.type"]["strong"] == pytest.approx(
            hand[f"P(strong|{signal})"], abs=1e-9
        )
        assert entry["reach_probability"] == pytest.approx(hand[f"P({signal})"], abs=1e-9)
    # the receiver's marginal fight probability sums both signals
    fight = sum(hand[f"P({s})"] * hand[f"P(fight|{s})"] for s in ("A", "B"))
    assert result["actions"]["rcv"]["fight"] == pytest.approx(fight, abs=1e-9)
    # type-conditional: a strong sender sends A with sigma(lam)
    strong = result["type_conditional"]["snd.type"]["strong"]["snd"]
    assert strong["message:A"] == pytest.approx(1 / (1 + np.exp(-lam)), abs=1e-9)


def test_the_signalling_limit_separates() -> None:
    result = rp.forecast(load(text=SIGNAL), lam=40.0).to_json()
    typed = result["type_conditional"]["snd.type"]
    assert typed["strong"]["snd"]["message:A"] > 1 - 1e-9
    assert typed["weak"]["snd"]["message:B"] > 1 - 1e-9
    beliefs = {
        tuple(map(tuple, b["observed"])): b["beliefs"]["snd.type"] for b in result["beliefs"]
    }
    assert beliefs[(("snd", "A"),)]["strong"] > 1 - 1e-9
    assert beliefs[(("snd", "B"),)]["weak"] > 1 - 1e-9
    # the receiver yields to A (a strong sender) and fights B (a weak one)
    assert typed["strong"]["rcv"]["reply:fight"] < 1e-9
    assert typed["weak"]["rcv"]["reply:fight"] > 1 - 1e-9


def test_one_dimension_is_the_plain_move() -> None:
    plain = load(text=ENTRY)
    compound = load(
        text=ENTRY.replace(
            "    actions: [enter, stay_out]",
            "    dimensions:\n      how: [enter, stay_out]",
        )
        .replace("ent == enter", "ent.how == enter")
        .replace("ent == stay_out", "ent.how == stay_out")
    )
    a, b = rp.forecast(plain, lam=1.3), rp.forecast(compound, lam=1.3)
    np.testing.assert_array_equal(a.actions["probability"], b.actions["probability"])
    np.testing.assert_array_equal(a.pathways["probability"], b.pathways["probability"])
    dims = b.to_json()["dimensions"]["ent"]["how"]
    assert dims == {
        "enter": a.to_json()["actions"]["ent"]["enter"],
        "stay_out": pytest.approx(a.to_json()["actions"]["ent"]["stay_out"], abs=0),
    }


ONE_TYPE = (
    SIGNAL.replace('    strong: p_strong\n    weak: "1 - p_strong"\n', "    strong: 1\n")
    .replace(
        "(snd.type == strong and message == A) + (snd.type == weak and message == B)",
        "(snd.type == strong) * (message == A)",
    )
    .replace("where(snd.type == weak, 1, -1)", "where(snd.type == strong, -1, 1)")
)


def test_a_single_type_is_complete_information() -> None:
    with_type = rp.forecast(load(text=ONE_TYPE), lam=2.0)
    # the same game without types: the sender is strong
    known = load(
        text=ONE_TYPE.replace("types:\n  snd:\n    strong: 1\n", "").replace(
            "snd.type == strong", "true"
        )
    )
    plain = rp.forecast(known, lam=2.0)
    assert compile_scenario(known).tree.tree_class == TreeClass.PERFECT
    for actor, action in (("snd", "A"), ("rcv", "fight")):
        assert with_type.to_json()["actions"][actor][action] == pytest.approx(
            plain.to_json()["actions"][actor][action], abs=1e-12
        )


def test_observers_make_the_information_sets() -> None:
    compiled = compile_scenario(load(text=COMPOUND))
    tree = compiled.tree
    assert tree.tree_class == TreeClass.GENERAL
    sizes = sorted(len(tree.infoset_nodes[i]) for i in range(tree.n_infosets))
    # the third state's one decision; the West after condemning (seen or not:
    # singletons), and after abstaining, seen or not, unsure of the evasion
    assert sizes == [1, 1, 1, 2, 2]
    public = load(
        text=COMPOUND.replace("{levels: [abide, evade], observed_by: []}", "[abide, evade]")
    )
    assert compile_scenario(public).tree.tree_class == TreeClass.PERFECT


def test_compound_beliefs_by_bayes_rule() -> None:
    result = rp.forecast(load(text=COMPOUND), lam=2.0)
    doc = json.loads(json.dumps(result.to_json(), allow_nan=False))
    p = doc["actions"]["ch"]
    evade = p["abstain+evade"]
    abide = p["abstain+abide"]
    beliefs = {tuple(map(tuple, b["observed"])): b["beliefs"]["ch.trade"] for b in doc["beliefs"]}
    # unseen after abstaining: evasion undetected (0.6) against abiding
    unseen = beliefs[(("ch.un", "abstain"), ("detection", "unseen"))]
    assert unseen["evade"] == pytest.approx(0.6 * evade / (0.6 * evade + abide), abs=1e-12)
    assert beliefs[(("ch.un", "abstain"), ("detection", "seen"))]["evade"] == 1.0
    dims = doc["dimensions"]["ch"]
    assert dims["un"]["abstain"] == pytest.approx(evade + abide, abs=1e-15)
    assert dims["trade"]["evade"] == evade
