"""Sensitivity runs on a scenario (:mod:`realpolitik.analysis.scenario_sensitivity`)
with answers worked out by hand.

FLIP: Alpha takes ``left`` (payoff x, x ~ U(0, 1)) or ``right`` (payoff c,
fixed at 0.3); after ``left`` Beta ``accept``s (payoff 0.5) or ``refuse``s
(0). z ~ U(0, 1) enters no payoff. Under SPE Alpha goes left iff x > 0.3, so
P(a:left) = 1{x > 0.3}: all its variance comes from x (S1 = ST = 1 for x, 0
for z and c); the choice flips at x = 0.3 exactly; the region where left is
chosen is the box x >= 0.3 (density 1). Under agent logit QRE with
precision L, P(left) = 1 / (1 + exp(-L (x - 0.3))) and Beta accepts with
1 / (1 + exp(-0.5 L)) when reached.

RACE: Alpha takes ``left`` (payoff x) or ``right`` (payoff w), x, w ~ U(0, 1)
independent, SPE: y = 1{x > w}. Var y = 1/4; E[y | x] = x, Var = 1/12, so
S1_x = S1_w = 1/3 and ST_x = ST_w = 1 - 1/3 = 2/3.
"""

from __future__ import annotations

import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from flip_scenario import FLIP
from realpolitik.analysis.scenario_discovery import scenario_discovery
from realpolitik.analysis.scenario_sensitivity import scenario_sensitivity
from realpolitik.errors import InputError
from realpolitik.scenario.load import load

RACE = """\
id: race
actors:
  a: {name: Alpha}
sources:
  s: {cite: Hand calculation}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  w: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: pick
    actor: a
    actions: [left, right]
payoffs:
  a:
    gain: "x * (a == left) + w * (a == right)"
solve: {concept: spe}
"""


@pytest.fixture(scope="module")
def flip() -> rp.Scenario:
    return load(text=FLIP, name="flip.yaml")


def test_the_deciding_parameter_gets_everything(flip: rp.Scenario) -> None:
    result = scenario_sensitivity(flip, ["a:left"], samples=1024, trajectories=20, seed=11)
    table = result.table().set_index("parameter")
    assert result.central_values.tolist() == [1.0]  # x = 0.5 > 0.3 at the centre
    # S1 = ST = 1 for x; z enters no payoff, c is fixed: 0
    for column in ("S1", "ST"):
        assert abs(table.loc["x", column] - 1.0) <= max(table.loc["x", f"{column}_conf"], 0.05)
        assert abs(table.loc["z", column]) <= max(table.loc["z", f"{column}_conf"], 0.02)
        assert table.loc["c", column] == 0.0 and table.loc["c", f"{column}_conf"] == 0.0
    # tornado: x from its 5% (0.05, right) to its 95% (0.95, left) quantile
    assert table.loc["x", "y_low"] == 0.0 and table.loc["x", "y_high"] == 1.0
    assert table.loc["x", "swing"] == 1.0
    assert table.loc["z", "swing"] == 0.0 and table.loc["c", "swing"] == 0.0
    # Morris: z and c have no elementary effects
    assert table.loc["x", "mu_star"] > 0.0
    assert table.loc["z", "mu_star"] == 0.0 and table.loc["c", "mu_star"] == 0.0
    assert result.tornado is not None
    assert result.tornado["parameter"].iloc[0] == "x"  # largest swing first


def test_two_parameter_race_matches_the_analytical_indices() -> None:
    race = load(text=RACE, name="race.yaml")
    result = scenario_sensitivity(race, "a:left", methods=["sobol"], samples=4096, seed=3)
    assert result.sobol is not None and result.morris is None and result.tornado is None
    sobol = result.sobol.set_index("parameter")
    for name in ("x", "w"):
        assert abs(sobol.loc[name, "S1"] - 1 / 3) <= sobol.loc[name, "S1_conf"] + 0.01
        assert abs(sobol.loc[name, "ST"] - 2 / 3) <= sobol.loc[name, "ST_conf"] + 0.01


def test_unknown_method_is_refused(flip: rp.Scenario) -> None:
    with pytest.raises(InputError, match="unknown sensitivity method 'fast'"):
        scenario_sensitivity(flip, "a:left", methods=["fast"])


def test_flagship_sensitivity_and_discovery_run_small() -> None:
    scenario = rp.load(LEGACY_FLAGSHIP)
    result = scenario_sensitivity(
        scenario, ["china:covert_assist"], samples=32, trajectories=4, seed=1
    )
    k = len(scenario.parameter_ids)
    assert result.sobol is not None and len(result.sobol) == k
    assert result.tornado is not None
    assert result.tornado["y_central"].iloc[0] == pytest.approx(result.central_values[0])
    found = scenario_discovery(
        scenario, "china:covert_assist", draws=400, seed=2, resamples=2, n_grid=11
    )
    assert found.X.shape == (400, k)
    assert found.central_label == "neutral"
    doc = found.to_json()
    assert doc["n_cases"] == int(found.y.sum())
