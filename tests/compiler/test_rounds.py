"""A stage repeated over rounds (:mod:`realpolitik.scenario.rounds`, the
compiler's unrolling): the two-round game of tests/hand_scenarios.py solved by
hand, per round and by round, with its state; one round is the one-shot
scenario; mistakes located."""

from __future__ import annotations

import pytest

import realpolitik as rp
from hand_scenarios import ROUNDS, rounds_qre
from realpolitik.errors import InputError
from realpolitik.scenario.load import load


@pytest.mark.parametrize("lam", [1.0, 2.5])
def test_two_rounds_by_hand(lam: float) -> None:
    result = rp.forecast(load(text=ROUNDS), lam=lam).to_json()
    hand = rounds_qre(lam)
    for r in (1, 2):
        assert result["actions"]["ch"][f"help@{r}:assist"] == pytest.approx(
            hand[f"help@{r}"], abs=1e-12
        )
        assert result["actions"]["we"][f"package@{r}:list_entities"] == pytest.approx(
            hand[f"list@{r}"], abs=1e-12
        )
    listing = result["rounds"]["we"]["package"]["list_entities"]
    assert listing["in_round"] == pytest.approx([hand["list@1"], hand["list@2"]], abs=1e-12)
    assert listing["by_round"] == pytest.approx([hand["list@1"], hand["listed"]], abs=1e-12)
    # the state counts listings: "listed >= 1" at the end is "by round 2"
    assert result["metrics"]["listed_by_end"] == pytest.approx(hand["listed"], abs=1e-12)


def test_two_rounds_spe() -> None:
    result = rp.forecast(load(text=ROUNDS), concept="spe").to_json()
    for r in (1, 2):
        assert result["actions"]["ch"][f"help@{r}:stay_out"] == 1.0
        assert result["actions"]["we"][f"package@{r}:hold"] == 1.0


def test_one_round_is_the_one_shot_scenario() -> None:
    one_round = ROUNDS.replace("  count: 2", "  count: 1")
    one_shot = (
        ROUNDS.split("rounds:")[0]
        + "payoffs:"
        + ROUNDS.split("payoffs:")[1]
        .replace(", per_round: true}", "}")
        .replace("      per_round: true\n", "")
        .replace("listed >= 1", "package == list_entities")
    )
    a = rp.forecast(load(text=one_round), lam=1.7).to_json()
    b = rp.forecast(load(text=one_shot), lam=1.7).to_json()
    # one round: help@1 is ch's only move, so its action keys are bare
    assert a["actions"]["ch"] == pytest.approx(b["actions"]["ch"], abs=1e-15)
    assert a["metrics"] == pytest.approx(b["metrics"], abs=1e-15)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  count: 2", "  count: 0", "rounds.count: count must be a whole number from 1 to 12"),
        ("  stage: [help, package]", "  stage: [package, help]", "the stage must be consecutive"),
        ("  stage: [help, package]", "  stage: [help, pakage]", "unknown move 'pakage'"),
        ("listed + (package", "listd + (package", "rounds.state.listed.next: unknown name `listd`"),
    ],
)
def test_round_mistakes_are_located(old: str, new: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load(text=ROUNDS.replace(old, new, 1), name="s.yaml")
    lines = caught.value.lines()
    assert any(line.startswith("s.yaml:") and message in line for line in lines), lines


def test_per_round_terms_need_rounds() -> None:
    text = (
        ROUNDS.split("rounds:")[0]
        + "payoffs:"
        + ROUNDS.split("payoffs:")[1].replace('metrics:\n  listed_by_end: "listed >= 1"\n', "")
    )
    with pytest.raises(InputError) as caught:
        load(text=text, name="s.yaml")
    assert any("per_round needs a 'rounds:' section" in line for line in caught.value.lines())
