"""Discovery runs on a scenario (:mod:`realpolitik.analysis.scenario_discovery`)
with answers worked out by hand.

FLIP: Alpha takes ``left`` (payoff x, x ~ U(0, 1)) or ``right`` (payoff c,
fixed at 0.3); after ``left`` Beta ``accept``s (payoff 0.5) or ``refuse``s
(0). z ~ U(0, 1) enters no payoff. Under SPE Alpha goes left iff x > 0.3, so
P(a:left) = 1{x > 0.3}: all its variance comes from x (S1 = ST = 1 for x, 0
for z and c); the choice flips at x = 0.3 exactly; the region where left is
chosen is the box x >= 0.3 (density 1). Under agent logit QRE with
precision L, P(left) = 1 / (1 + exp(-L (x - 0.3))) and Beta accepts with
1 / (1 + exp(-0.5 L)) when reached.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import realpolitik as rp
from flip_scenario import FLIP
from realpolitik.analysis.scenario_discovery import scenario_discovery
from realpolitik.errors import InputError
from realpolitik.scenario.load import load


@pytest.fixture(scope="module")
def flip() -> rp.Scenario:
    return load(text=FLIP, name="flip.yaml")


def test_discovery_finds_the_box_and_the_threshold(flip: rp.Scenario) -> None:
    result = scenario_discovery(flip, "a:left", draws=2000, seed=4, resamples=10)
    assert result.prim is not None and result.stability is not None
    # cases are exactly the draws with x > 0.3
    np.testing.assert_array_equal(result.y, result.X[:, 0] > 0.3)
    box = result.prim.box.set_index("parameter")
    assert box["restricted"].tolist() == [True, False, False]
    # Peeling removes 5% of the box (alpha) per step, so the first pure box
    # cuts at most one peel (0.05 of the box's mass, about 0.04 in x) past
    # 0.3, and pasting the next 5% back would bring in points below 0.3.
    assert 0.3 < box.loc["x", "lower"] <= 0.3 + 0.05
    assert box.loc["x", "upper"] == math.inf
    assert result.prim.density == 1.0 and result.prim.coverage >= 0.92
    share = result.stability.summary.set_index("parameter")["restricted_share"]
    assert share["x"] == 1.0 and share["z"] <= 0.1 and share["c"] == 0.0
    flips = result.thresholds
    assert flips["parameter"].tolist() == ["x"]
    assert flips["value"].iloc[0] == pytest.approx(0.3, abs=1e-5)
    assert (flips["from_label"].iloc[0], flips["to_label"].iloc[0]) == ("right", "left")
    assert result.central_label == "left" and result.central_value == 1.0


def test_discovery_of_the_other_choice_gives_the_upper_box(flip: rp.Scenario) -> None:
    result = scenario_discovery(flip, "a:right", draws=2000, seed=4, resamples=0)
    assert result.prim is not None and result.stability is None
    box = result.prim.box.set_index("parameter")
    assert box.loc["x", "lower"] == -math.inf
    assert 0.3 - 0.05 <= box.loc["x", "upper"] < 0.3  # within one peel, as above
    assert result.prim.density == 1.0


def test_metric_discovery_needs_a_threshold(flip: rp.Scenario) -> None:
    with pytest.raises(InputError, match="metric:score is a metric: give a threshold"):
        scenario_discovery(flip, "metric:score", draws=100, seed=1)
    result = scenario_discovery(flip, "metric:score", threshold=1.0, draws=1000, seed=1)
    np.testing.assert_array_equal(result.y, result.X[:, 0] > 0.3)
    flips = result.thresholds
    assert flips["value"].iloc[0] == pytest.approx(0.3, abs=1e-5)
    assert flips["to_label"].iloc[0] == "above 1"


def test_no_case_gives_no_box(flip: rp.Scenario) -> None:
    # x is held at its centre 0.5: Alpha always goes left, never right
    result = scenario_discovery(flip, "a:right", draws=200, seed=2, parameters=["z"])
    assert not result.y.any() and result.prim is None
    assert "no draw is a case" in result.notes[0]
    assert result.to_json()["box"] is None
    assert len(result.thresholds) == 0  # z never flips anything


def test_discovery_takes_one_target(flip: rp.Scenario) -> None:
    with pytest.raises(InputError, match="one target"):
        scenario_discovery(flip, ["a:left", "a:right"], draws=100)
