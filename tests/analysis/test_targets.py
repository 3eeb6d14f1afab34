"""A scenario as a model for sensitivity and discovery, on small scenarios
whose answers are worked out by hand (in the comments), and on the flagship
against the forecast's own central solve.

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

import math
from dataclasses import replace

import numpy as np
import pytest
from flip_scenario import FLIP

import realpolitik as rp
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.scenario_discovery import scenario_discovery
from realpolitik.analysis.scenario_model import NOT_REACHED, scenario_model
from realpolitik.analysis.scenario_sensitivity import scenario_sensitivity
from realpolitik.analysis.targets import parse_target, select_parameters, valid_targets
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.outcomes import OutcomeLayout
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

# Beta has the action id "wait" in two moves: "b:wait" is ambiguous.
TWICE = """\
id: twice
actors:
  b: {name: Beta}
sources:
  s: {cite: Hand calculation}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: first
    actor: b
    actions: [go, wait]
  - id: second
    actor: b
    when: "first == wait"
    actions: [stop, wait]
payoffs:
  b:
    gain: "x * (first == go)"
solve: {concept: spe}
"""


@pytest.fixture(scope="module")
def flip() -> rp.Scenario:
    return load(text=FLIP, name="flip.yaml")


def layout_of(text: str) -> OutcomeLayout:
    return OutcomeLayout.of(compile_scenario(load(text=text, name="s.yaml")))


# --------------------------------------------------------------------------
# Targets and parameters
# --------------------------------------------------------------------------


def test_valid_targets_are_actions_then_metrics() -> None:
    assert valid_targets(layout_of(FLIP)) == [
        "a:left",
        "a:right",
        "b:accept",
        "b:refuse",
        "metric:score",
    ]


def test_parse_action_and_metric_targets() -> None:
    layout = layout_of(FLIP)
    target = parse_target("b:accept", layout)
    assert (target.kind, target.actor, target.move, target.action) == (
        "action",
        "b",
        "reply",
        "accept",
    )
    assert target.choices == ("accept", "refuse") and target.position == 0
    assert target.file_stem == "b-accept"
    metric = parse_target("metric:score", layout)
    assert (metric.kind, metric.column, metric.position) == ("metric", 0, -1)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("a:lefft", "did you mean 'a:left'?"),
        ("left", "did you mean 'a:left'?"),
        ("score", "did you mean 'metric:score'?"),
        ("metric:nothing", ""),
        ("c:left", ""),
    ],
)
def test_unknown_target_lists_the_valid_names(text: str, hint: str) -> None:
    with pytest.raises(InputError) as info:
        parse_target(text, layout_of(FLIP))
    message = str(info.value)
    assert f"unknown target '{text}'" in message
    assert "a:left, a:right, b:accept, b:refuse, metric:score" in message
    assert hint in message
    assert "\n" not in message


def test_an_action_id_in_two_moves_needs_the_move() -> None:
    layout = layout_of(TWICE)
    assert valid_targets(layout) == ["b:go", "b:first:wait", "b:stop", "b:second:wait"]
    with pytest.raises(InputError, match=r"ambiguous.*b:first:wait, b:second:wait"):
        parse_target("b:wait", layout)
    target = parse_target("b:second:wait", layout)
    assert (target.move, target.choices) == ("second", ("stop", "wait"))


def test_parameter_filter(flip: rp.Scenario) -> None:
    assert select_parameters(flip) == ("x", "z", "c")
    assert select_parameters(flip, ["c,x"]) == ("x", "c")  # scenario order
    assert select_parameters(flip, []) == ("x", "z", "c")
    with pytest.raises(InputError) as info:
        select_parameters(flip, ["x", "zz"])
    assert "unknown parameter 'zz' (did you mean 'z'?); valid parameters: x, z, c" in str(
        info.value
    )
    with pytest.raises(InputError, match="given twice"):
        select_parameters(flip, ["x", "x"])


def test_no_target_lists_the_valid_ones(flip: rp.Scenario) -> None:
    with pytest.raises(InputError, match=r"give a target.*a:left, a:right"):
        scenario_model(flip, [])
    with pytest.raises(InputError, match="given twice"):
        scenario_model(flip, ["a:left", "a:left"])


# --------------------------------------------------------------------------
# The model against hand calculations
# --------------------------------------------------------------------------


def test_spe_model_is_the_indicator_and_labels_the_choice(flip: rp.Scenario) -> None:
    model = scenario_model(flip, ["a:left", "b:accept", "metric:score"])
    assert model.names == ("x", "z", "c")
    np.testing.assert_allclose(model.central, [0.5, 0.5, 0.3])
    X = np.array([[0.1, 0.9, 0.3], [0.5, 0.2, 0.3], [0.29, 0.0, 0.3], [0.31, 1.0, 0.3]])
    evaluation = model.evaluate(X)
    left = np.array([0.0, 1.0, 0.0, 1.0])  # 1{x > 0.3}
    # Beta accepts whenever reached (0.5 > 0); score = 2 P(left)
    np.testing.assert_array_equal(evaluation.values, np.column_stack([left, left, 2 * left]))
    assert model.choice_labels(evaluation, 0).tolist() == ["right", "left", "right", "left"]
    assert model.choice_labels(evaluation, 1).tolist() == [
        NOT_REACHED,
        "accept",
        NOT_REACHED,
        "accept",
    ]
    with pytest.raises(InputError, match="metric"):
        model.choice_labels(evaluation, 2)
    np.testing.assert_array_equal(model.cases(evaluation, 0), left.astype(bool))
    np.testing.assert_array_equal(model.cases(evaluation, 2, threshold=1.0), left.astype(bool))


@pytest.mark.parametrize("lam", [0.5, 3.0, 12.0])
def test_qre_model_matches_the_logit_formula(flip: rp.Scenario, lam: float) -> None:
    model = scenario_model(flip, ["a:left", "b:accept", "metric:score"], concept="qre", lam=lam)
    x = np.linspace(0.0, 1.0, 11)
    X = np.column_stack([x, np.full_like(x, 0.7), np.full_like(x, 0.3)])
    values = model(X)
    p_left = 1.0 / (1.0 + np.exp(-lam * (x - 0.3)))
    p_accept = 1.0 / (1.0 + math.exp(-0.5 * lam))
    np.testing.assert_allclose(values[:, 0], p_left, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(values[:, 1], p_left * p_accept, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(values[:, 2], 2.0 * p_left, rtol=1e-9, atol=1e-12)


def test_chunks_do_not_change_the_values(flip: rp.Scenario) -> None:
    X = np.random.default_rng(5).random((53, 3))
    X[:, 2] = 0.3
    whole = scenario_model(flip, ["a:left", "b:accept"], concept="qre", lam=4.0)
    calls: list[tuple[int, int]] = []
    chunked = replace(
        scenario_model(flip, ["a:left", "b:accept"], concept="qre", lam=4.0, chunk=7),
        progress=lambda done, total: calls.append((done, total)),
    )
    np.testing.assert_array_equal(whole(X), chunked(X))
    assert calls == [(7 * i, 53) for i in range(1, 8)] + [(53, 53)]


def test_ppf_and_the_parameter_filter(flip: rp.Scenario) -> None:
    model = scenario_model(flip, "a:left", parameters=["x", "c"])
    assert model.names == ("x", "c")
    u = np.array([[0.25, 0.1], [0.9, 0.99]])
    np.testing.assert_allclose(model.ppf(u), [[0.25, 0.3], [0.9, 0.3]])  # c is fixed
    # z is held at its central value 0.5: the full rows carry it
    np.testing.assert_allclose(model.full(np.array([[0.7, 0.3]])), [[0.7, 0.5, 0.3]])
    with pytest.raises(InputError, match=r"shape \(n, 2\)"):
        model(np.zeros((2, 3)))


# --------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# The flagship
# --------------------------------------------------------------------------


def test_flagship_model_at_the_centre_equals_the_forecast() -> None:
    scenario = rp.load("china-russia-2022")
    model = scenario_model(scenario, ["china:covert_assist", "metric:china_isolation"])
    central = model(model.central[None, :])[0]
    reference = forecast(scenario)  # the forecast's own central solve
    actions = reference.actions.set_index(["actor", "action"])
    metrics = reference.metrics.set_index("metric")
    assert central[0] == pytest.approx(actions.loc[("china", "covert_assist"), "probability"])
    assert central[1] == pytest.approx(metrics.loc["china_isolation", "mean"])


def test_flagship_sensitivity_and_discovery_run_small() -> None:
    scenario = rp.load("china-russia-2022")
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
