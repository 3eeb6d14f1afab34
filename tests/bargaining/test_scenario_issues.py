"""Bargaining issues declared in scenario files.

Checked against independent computations: the stances evaluated on draws are
the parameter values themselves (positions) as declared; the EUM over all
draws at once equals running the published-variant EUM on each draw's
problem alone; the baselines equal the capability x salience weighted mean
and median computed here with plain NumPy; bad stances are located errors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.bargaining.eum import run_eum
from realpolitik.bargaining.scenario_issues import (
    find_issue,
    issue_draws,
    run_issue,
    run_issue_draws,
)
from realpolitik.cli.main import main
from realpolitik.errors import InputError

SMALL = """
id: talks
sources:
  hand: {cite: "worked by hand"}
actors:
  a: A
  b: B
  c: C
parameters:
  pa: {dist: uniform, low: 10, high: 30, source: hand}
  sb: {dist: fixed, value: 0.5, source: hand}
moves:
  - id: m
    actor: a
    actions: [x, y]
payoffs:
  a:
    u: "a == x"
issues:
  border:
    description: where the line is drawn
    scale: [0, 100]
    actors:
      a: {position: pa, capability: "2", salience: "0.8"}
      b: {position: "60", capability: "1", salience: sb}
      c: {position: "90", capability: "1.5", salience: "0.4"}
"""


@pytest.fixture(scope="module")
def small() -> rp.Scenario:
    from realpolitik.scenario.load import load

    return load(text=SMALL, name="talks.yaml")


def test_stances_are_the_declared_values(small: rp.Scenario) -> None:
    issue = find_issue(small, None)
    params = {"pa": np.array([[10.0], [25.0]]), "sb": np.array([[0.5], [0.5]])}
    stances = issue_draws(small, issue, params)
    assert stances.actors == ("a", "b", "c")
    np.testing.assert_array_equal(stances.position, [[10, 60, 90], [25, 60, 90]])
    np.testing.assert_array_equal(stances.capability, [[2, 1, 1.5], [2, 1, 1.5]])
    np.testing.assert_array_equal(stances.salience, [[0.8, 0.5, 0.4], [0.8, 0.5, 0.4]])


def test_batched_eum_equals_each_draw_alone(small: rp.Scenario) -> None:
    ensemble = run_issue_draws(small, draws=40, seed=3)
    from realpolitik.run.sampling import settings_sampler as sampler_for
    from realpolitik.run.settings import Settings

    values = sampler_for(small, Settings.resolve(small, draws=40, seed=3)).draws(0, 40)
    params = {n: values[:, k : k + 1] for k, n in enumerate(small.parameter_ids)}
    stances = issue_draws(small, find_issue(small, None), params)
    for d in range(40):
        alone = run_eum(stances.problem(d))
        assert ensemble.forecast[d] == pytest.approx(float(alone.forecast[0]), abs=1e-12)
    # baselines by hand: weights c*s, mean and (first reaching half) median
    w = stances.capability * stances.salience
    mean = (w * stances.position).sum(axis=1) / w.sum(axis=1)
    np.testing.assert_allclose(ensemble.weighted_mean, mean, atol=1e-12)
    order = np.argsort(stances.position, axis=1)
    for d in range(40):
        x = stances.position[d, order[d]]
        cum = np.cumsum(w[d, order[d]])
        assert ensemble.weighted_median[d] == x[np.searchsorted(cum, cum[-1] / 2)]


def test_central_run_uses_central_values(small: rp.Scenario) -> None:
    run = run_issue(small)
    # pa ~ U(10, 30): its median 20 is A's starting position
    assert run.positions[0, 0, 0] == pytest.approx(20.0)
    assert run.problem.scale == (0.0, 100.0)


def test_bad_stances_are_located(small: rp.Scenario) -> None:
    from realpolitik.scenario.load import load

    bad = SMALL.replace('salience: "0.4"', 'salience: "1.4"')
    with pytest.raises(InputError) as info:
        run_issue(load(text=bad, name="talks.yaml"))
    line = info.value.lines()[0]
    assert line.startswith("talks.yaml:")
    assert "issues.border.actors.c.salience: salience 1.4 must lie in [0, 1]" in line
    two = SMALL.split("      c:")[0]
    with pytest.raises(InputError, match="at least 3 actors"):
        load(text=two, name="talks.yaml")
    action = SMALL.replace("position: pa", 'position: "pa * (a == x)"')
    with pytest.raises(InputError, match=r"issues\.border\.actors\.a\.position"):
        load(text=action, name="talks.yaml")


def test_cli_runs_the_flagship_issue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bargain", "run", LEGACY_FLAGSHIP, "--format", "json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["model"] == "eum" and len(run["forecast"]) == 1
    assert set(run["baselines"]) == {"weighted_mean", "weighted_median"}
    assert (
        main(
            [
                "bargain",
                "run",
                LEGACY_FLAGSHIP,
                "--draws",
                "200",
                "--seed",
                "1",
                "--format",
                "json",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["draws"] == 200
    assert summary["forecast"]["p05"] <= summary["forecast"]["p50"] <= summary["forecast"]["p95"]
    assert main(["bargain", "run", LEGACY_FLAGSHIP, "--issue", "nope"]) == 2
    assert "issues: ukraine_alignment" in capsys.readouterr().err
