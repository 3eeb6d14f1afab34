"""The target grammar (:mod:`realpolitik.analysis.targets`): valid names,
parsing, did-you-mean errors, parameter selection.
"""

from __future__ import annotations

import pytest

import realpolitik as rp
from flip_scenario import FLIP
from realpolitik.analysis.scenario_model import scenario_model
from realpolitik.analysis.targets import parse_target, select_parameters, valid_targets
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.scenario.load import load

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
