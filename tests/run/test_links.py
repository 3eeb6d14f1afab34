"""Linked parameters (:mod:`realpolitik.scenario.links`,
:mod:`realpolitik.run.links`): a parameter taken draw by draw from another
scenario's outcome.

- a link to a constant outcome equals the parameter fixed at that value;
- a linked pair: the downstream forecast, draw by draw, is the logit choice
  of the upstream's probability computed by hand from the upstream's own
  draws (the analytic mixture);
- a belief link reads the posterior of the hand-solved SIGNAL game;
- cycles and unknown targets are located errors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import realpolitik as rp
from hand_scenarios import SIGNAL, signal_qre
from realpolitik.errors import InputError
from realpolitik.run.links import linked_sampler
from realpolitik.run.sampling import scenario_sampler
from realpolitik.scenario.load import load

UPSTREAM = """\
id: upstream
sources: {s: Hand calculation}
actors: {a: Alpha}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: pick
    actor: a
    actions: [left, right]
payoffs:
  a:
    gain: "(x - 0.5) * (pick == left)"
metrics:
  constant: "0.3"
solve: {concept: qre, lambda: 2}
"""

# the downstream's parameter p is the upstream's P(a:left) = sigma(2 (x - 0.5))
DOWNSTREAM = """\
id: downstream
sources: {s: Hand calculation}
actors: {b: Beta}
parameters:
  p:
    link: {scenario: upstream.yaml, take: "a:left"}
    unit: probability
moves:
  - id: act
    actor: b
    actions: [go, stay]
payoffs:
  b:
    gain: "(p - 0.3) * (act == go)"
solve: {concept: qre, lambda: 3}
"""


def sigma(x: np.ndarray | float) -> np.ndarray | float:
    return 1 / (1 + np.exp(-x))


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    (tmp_path / "upstream.yaml").write_text(UPSTREAM, encoding="utf-8")
    down = tmp_path / "downstream.yaml"
    down.write_text(DOWNSTREAM, encoding="utf-8")
    return down


def test_the_downstream_is_the_analytic_mixture(linked: Path) -> None:
    scenario = load(linked)
    result = rp.forecast(scenario, draws=4000, seed=11)
    # the upstream's x on the same draw indices, from its own sampler
    x = scenario_sampler(load(linked.parent / "upstream.yaml"), 4000, seed=11).draws(0, 4000)[:, 0]
    p = sigma(2 * (x - 0.5))
    go = sigma(3 * (p - 0.3))
    assert result.actions.set_index("action").loc["go", "probability"] == pytest.approx(
        go.mean(), abs=1e-12
    )
    # the linked column itself is the upstream probability, draw by draw
    draws = linked_sampler(scenario, 4000, seed=11).draws(0, 4000)
    np.testing.assert_allclose(draws[:, 0], p, rtol=1e-12)
    # at the central values: the upstream at its central x = 0.5, P(left) = 1/2
    central = rp.forecast(scenario).actions.set_index("action").loc["go", "probability"]
    assert central == pytest.approx(sigma(3 * (0.5 - 0.3)), abs=1e-12)


def test_a_link_to_a_constant_is_a_fixed_parameter(linked: Path) -> None:
    text = DOWNSTREAM.replace('take: "a:left"', 'take: "metric:constant"')
    linked.write_text(text, encoding="utf-8")
    fixed = load(
        text=text.replace(
            '    link: {scenario: upstream.yaml, take: "metric:constant"}',
            "    dist: fixed\n    value: 0.3\n    source: s",
        )
    )
    a = rp.forecast(load(linked), draws=500, seed=2)
    b = rp.forecast(fixed, draws=500, seed=2)
    np.testing.assert_allclose(a.actions["probability"], b.actions["probability"], atol=1e-15)


def test_a_belief_link_reads_the_posterior(tmp_path: Path) -> None:
    (tmp_path / "signal.yaml").write_text(SIGNAL, encoding="utf-8")
    down = tmp_path / "down.yaml"
    down.write_text(
        DOWNSTREAM.replace(
            'link: {scenario: upstream.yaml, take: "a:left"}',
            'link: {scenario: signal.yaml, take: "belief:rcv:snd.type=strong", given: [[snd, A]]}',
        ).replace("lambda: 3", "lambda: 1"),
        encoding="utf-8",
    )
    scenario = load(down)
    row = linked_sampler(scenario, 3, seed=1).draws(0, 3)
    # the signal game has no uncertain parameter: every draw is its solution at lambda 1
    # (the scenario's default precision)
    np.testing.assert_allclose(row[:, 0], signal_qre(1.0)["P(strong|A)"], rtol=1e-9)


def test_a_link_cycle_is_refused(tmp_path: Path) -> None:
    one = UPSTREAM.replace(
        "  x: {dist: uniform, low: 0, high: 1, source: s}",
        '  x:\n    link: {scenario: two.yaml, take: "metric:constant"}',
    )
    two = one.replace("two.yaml", "one.yaml").replace("id: upstream", "id: other")
    (tmp_path / "one.yaml").write_text(one, encoding="utf-8")
    (tmp_path / "two.yaml").write_text(two, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(tmp_path / "one.yaml")
    (line,) = caught.value.lines()
    assert line.startswith(f"{tmp_path / 'one.yaml'}:6: parameters.x.link.scenario:")
    assert "link cycle" in line and "one.yaml -> " in line


@pytest.mark.parametrize(
    ("take", "message"),
    [
        ('"metric:missing"', "no metric 'missing' in upstream"),
        ('"a:up"', "a has no action 'up' in upstream"),
        ('"belief:a:pick=left"', "a belief needs 'given'"),
        ('"whatever"', "unknown target 'whatever'"),
    ],
)
def test_unknown_targets_are_located(linked: Path, take: str, message: str) -> None:
    linked.write_text(DOWNSTREAM.replace('"a:left"', take), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(linked)
    (line,) = caught.value.lines()
    assert ":6: parameters.p.link.take:" in line and message in line


def test_views_compare_keeps_the_link_draw_by_draw(linked: Path) -> None:
    """``compare`` takes a linked parameter from the upstream draw by draw in
    every view that keeps the link (not the link's placeholder value)."""
    linked.write_text(
        DOWNSTREAM + "views:\n  sharp:\n    description: sharper choices\n    solve: {lambda: 6}\n",
        encoding="utf-8",
    )
    scenario = load(linked)
    result = rp.compare(scenario, draws=3000, seed=5)
    p = linked_sampler(scenario, 3000, seed=5).draws(0, 3000)[:, 0]
    side = result.side_by_side()
    assert side.loc["b:act:go", "base"] == pytest.approx(sigma(3 * (p - 0.3)).mean(), abs=1e-12)
    assert side.loc["b:act:go", "sharp"] == pytest.approx(sigma(6 * (p - 0.3)).mean(), abs=1e-12)


SENDER = """\
id: sender
sources: {s: Hand calculation}
actors: {snd: Sender}
parameters:
  x: {dist: uniform, low: 0.2, high: 0.8, source: s}
types:
  snd:
    strong: x
    weak: "1 - x"
moves:
  - id: send
    actor: snd
    actions: [fight, quiet]
payoffs:
  snd:
    gain: "where(snd.type == strong, 1, -1) * (send == fight)"
solve: {concept: qre, lambda: 2}
"""


def test_a_posterior_is_bayes_rule_for_an_outside_observer(tmp_path: Path) -> None:
    """``posterior:SUBJECT=LEVEL`` given what an outside observer sees: the
    strong type fights with probability sigma(2), the weak with sigma(-2), so
    seeing a fight the posterior is x sigma(2) / (x sigma(2) + (1 - x) sigma(-2))."""
    (tmp_path / "sender.yaml").write_text(SENDER, encoding="utf-8")
    down = tmp_path / "down.yaml"
    down.write_text(
        DOWNSTREAM.replace(
            'link: {scenario: upstream.yaml, take: "a:left"}',
            "link: {scenario: sender.yaml, "
            'take: "posterior:snd.type=strong", given: [[send, fight]]}',
        ),
        encoding="utf-8",
    )
    scenario = load(down)
    x = scenario_sampler(load(tmp_path / "sender.yaml"), 1000, seed=4).draws(0, 1000)[:, 0]
    expected = x * sigma(2) / (x * sigma(2) + (1 - x) * sigma(-2))
    taken = linked_sampler(scenario, 1000, seed=4).draws(0, 1000)[:, 0]
    np.testing.assert_allclose(taken, expected, rtol=1e-10)


@pytest.mark.parametrize(
    ("take", "given", "message"),
    [
        ('"posterior:snd.type=brave"', "[[send, fight]]", "has no level 'brave'"),
        ('"posterior:snd.type=strong"', "[]", "a posterior needs 'given'"),
        ('"posterior:snd.type=strong"', "[[sned, fight]]", "given: no subject 'sned'"),
        ('"posterior:strong"', "[[send, fight]]", "a posterior is posterior:SUBJECT=LEVEL"),
    ],
)
def test_a_bad_posterior_is_a_located_error(
    tmp_path: Path, take: str, given: str, message: str
) -> None:
    (tmp_path / "sender.yaml").write_text(SENDER, encoding="utf-8")
    down = tmp_path / "down.yaml"
    down.write_text(
        DOWNSTREAM.replace(
            'link: {scenario: upstream.yaml, take: "a:left"}',
            f"link: {{scenario: sender.yaml, take: {take}, given: {given}}}",
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=message) as caught:
        load(down)
    assert caught.value.problems[0].line == 6  # the link's line
