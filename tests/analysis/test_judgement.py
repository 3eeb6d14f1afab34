"""Judgement shares (analysis/judgement.py) against a hand computation: the
one-at-a-time swings of a one-decision logit probability, worked out with the
logistic formula and scipy's quantiles."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from realpolitik.analysis.forecast import forecast
from realpolitik.scenario.load import load

SCENARIO = """\
id: j
as_of: "2024-01-01"
sources: {s: {cite: "A source", date: "2023-01-01"}}
actors: {a: A}
parameters:
  judged: {dist: uniform, low: 0, high: 2, judgement: "no source gives it"}
  sourced: {dist: uniform, low: 0, high: 1, source: s}
  flat: {dist: fixed, value: 0.25, source: s}
moves:
  - id: choice
    actor: a
    actions: [go, stay]
payoffs:
  a:
    gain: "(judged + sourced + flat) * (a == go)"
metrics:
  went: {expr: "a == go", unit: probability}
solve: {lambda: 1.5}
"""


def sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_shares_match_the_hand_computed_swings() -> None:
    result = forecast(load(text=SCENARIO, name="j.yaml"))
    shares = result.extra["judgement"]
    assert shares.judgement_parameters == ("judged",)
    assert shares.varied_parameters == ("judged", "sourced")  # the fixed one cannot swing
    lam = 1.5
    j05, j95 = stats.uniform(0, 2).ppf([0.05, 0.95])
    s05, s95 = stats.uniform(0, 1).ppf([0.05, 0.95])
    centre_j, centre_s, flat = 1.0, 0.5, 0.25
    swing_j = abs(sigma(lam * (j95 + centre_s + flat)) - sigma(lam * (j05 + centre_s + flat)))
    swing_s = abs(sigma(lam * (centre_j + s95 + flat)) - sigma(lam * (centre_j + s05 + flat)))
    table = shares.table.set_index("name")
    go = table.loc["a:choice:go"]
    assert float(go["value"]) == pytest.approx(sigma(lam * 1.75), abs=1e-15)
    assert float(go["swing"]) == pytest.approx(swing_j + swing_s, abs=1e-14)
    assert float(go["share"]) == pytest.approx(swing_j / (swing_j + swing_s), abs=1e-12)
    assert go["top_judgement"] == "judged"
    # stay moves by the same amounts; the metric is go's probability
    assert float(table.loc["a:choice:stay", "share"]) == pytest.approx(float(go["share"]))
    assert float(table.loc["went", "share"]) == pytest.approx(float(go["share"]))
    doc = result.to_json()["judgement"]
    assert doc["resting_on_judgement_alone"] == []
    assert doc["outputs"][0]["judgement_share"] == pytest.approx(float(go["share"]))


def test_held_values_do_not_swing_and_judgement_alone_is_listed() -> None:
    result = forecast(load(text=SCENARIO, name="j.yaml"), values={"sourced": 0.5})
    shares = result.extra["judgement"]
    assert shares.varied_parameters == ("judged",)
    assert set(shares.resting_on_judgement()["name"]) == {"a:choice:go", "a:choice:stay", "went"}


COMPOUND = """\
id: jc
as_of: "2024-01-01"
sources: {s: {cite: "A source", date: "2023-01-01"}}
actors: {a: A}
parameters:
  judged: {dist: uniform, low: 0, high: 2, judgement: "no source gives it"}
  sourced: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: choice
    actor: a
    dimensions:
      vote: [condemn, abstain]
      trade: [keep, cut]
payoffs:
  a:
    vote: "judged * (choice.vote == condemn)"
    trade: "sourced * (choice.trade == keep)"
solve: {lambda: 1.5}
"""


def test_each_level_of_a_compound_move_has_its_own_share() -> None:
    """The dimensions of a logit choice over independent additive terms are
    independent logits: the vote moves only with the judged number, the trade
    only with the sourced one, so their levels' shares are 1 and 0 while each
    joint action mixes both (hand: the swings of the two logistic marginals)."""
    result = forecast(load(text=COMPOUND, name="jc.yaml"))
    table = result.extra["judgement"].table.set_index("name")
    lam = 1.5
    assert float(table.loc["a:choice:vote=condemn", "value"]) == pytest.approx(
        sigma(lam), abs=1e-12
    )
    assert float(table.loc["a:choice:vote=condemn", "share"]) == pytest.approx(1.0, abs=1e-12)
    assert float(table.loc["a:choice:trade=keep", "share"]) == pytest.approx(0.0, abs=1e-12)
    j05, j95 = stats.uniform(0, 2).ppf([0.05, 0.95])
    swing = abs(sigma(lam * j95) - sigma(lam * j05))
    assert float(table.loc["a:choice:vote=abstain", "swing"]) == pytest.approx(swing, abs=1e-12)
    joint = float(table.loc["a:choice:condemn+keep", "share"])
    assert 0.0 < joint < 1.0
    assert set(table["kind"]) == {"action", "level"}
