"""The move section's compound moves, observers and private types
(:mod:`realpolitik.scenario.moves`): what they compile to in the typed
scenario, and every mistake as one located line."""

from __future__ import annotations

import pytest

from hand_scenarios import COMPOUND, SIGNAL
from realpolitik.errors import InputError
from realpolitik.scenario.load import load


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(text=text, name="s.yaml")
    return caught.value.lines()


def test_a_compound_move_is_the_product_of_its_levels_less_the_disallowed() -> None:
    move = load(text=COMPOUND).move("stance")
    assert move.action_ids("ch") == ("condemn+abide", "abstain+abide", "abstain+evade")
    assert move.joint_levels["ch"] == ((0, 0), (1, 0), (1, 1))
    un, trade = move.dimensions["ch"]
    assert (un.id, un.observed_by, trade.id, trade.observed_by) == ("un", None, "trade", ())
    assert move.label("ch", "abstain+evade") == "un: abstain; trade: evade"
    # the mover sees its own choice; the West sees the stance, not the trade
    assert move.visible_to("ch", "ch") is True
    assert move.visible_to("we", "ch") == (True, False)


def test_types_are_a_first_chance_move_seen_by_their_actor() -> None:
    scenario = load(text=SIGNAL)
    first = scenario.moves[0]
    assert (first.id, first.kind, first.type_of, first.observed_by) == (
        "snd.type",
        "chance",
        "snd",
        ("snd",),
    )
    assert first.action_ids("chance") == ("strong", "weak")
    shared = load(text=SIGNAL.replace("    weak:", "    observed_by: [rcv]\n    weak:"))
    assert shared.moves[0].observed_by == ("snd", "rcv")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "ch.trade == evade",
            "ch.trad == evade",
            "payoffs.ch.rents: unknown name `ch.trad`; did you mean `ch.trade`?",
        ),
        (
            "where(stance.trade == evade, 1, -1)",
            "where(stance.trade == smuggle, 1, -1)",
            "`smuggle` is not an action of stance.trade",
        ),
        (
            "not (un == condemn and trade == evade)",
            "not (un == condemn and trade == smuggle)",
            "moves[0].allow: `smuggle` is not an action of trade",
        ),
        ("not (un == condemn and trade == evade)", "un == neither", "is not an action of un"),
        ("not (un == condemn and trade == evade)", "false", "no combination of levels is allowed"),
        ("observed_by: []", "observed_by: [russia]", "unknown actor 'russia'"),
        (
            "(ch.un == abstain)",
            "(ch == abstain)",
            "'stance' is compound: test one of its dimensions",
        ),
    ],
)
def test_compound_mistakes_are_located(old: str, new: str, message: str) -> None:
    found = problems(COMPOUND.replace(old, new, 1))
    assert len(found) == 1, found
    assert found[0].startswith("s.yaml:") and message in found[0], found[0]


def test_a_type_prior_must_sum_to_one_on_every_draw() -> None:
    from realpolitik.compiler.scenario_tree import compile_scenario

    scenario = load(text=SIGNAL.replace('weak: "1 - p_strong"', "weak: 0.3"), name="s.yaml")
    compiled = compile_scenario(scenario)
    with pytest.raises(InputError) as caught:
        compiled.check(compiled.parameter_values(), first_draw=None)
    (line,) = caught.value.lines()
    assert line.startswith("s.yaml:7: types.snd:") and "sum to 0.9" in line


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("types:\n  snd:", "types:\n  sender:", "types.sender: unknown actor 'sender'"),
        ("    strong: p_strong\n", "    and: p_strong\n", "type id 'and' is reserved"),
    ],
)
def test_type_mistakes_are_located(old: str, new: str, message: str) -> None:
    found = problems(SIGNAL.replace(old, new, 1))
    assert any(message in line for line in found), found
