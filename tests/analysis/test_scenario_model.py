"""A scenario as a vectorised model (:mod:`realpolitik.analysis.scenario_model`)
on a small scenario worked out by hand, and on the flagship against the
forecast's own central solve.

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
from dataclasses import replace

import numpy as np
import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from flip_scenario import FLIP
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.scenario_model import NOT_REACHED, scenario_model
from realpolitik.errors import InputError
from realpolitik.scenario.load import load


@pytest.fixture(scope="module")
def flip() -> rp.Scenario:
    return load(text=FLIP, name="flip.yaml")


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


def test_flagship_model_at_the_centre_equals_the_forecast() -> None:
    scenario = rp.load(LEGACY_FLAGSHIP)
    model = scenario_model(scenario, ["china:covert_assist", "metric:china_isolation"])
    central = model(model.central[None, :])[0]
    reference = forecast(scenario)  # the forecast's own central solve
    actions = reference.actions.set_index(["actor", "action"])
    metrics = reference.metrics.set_index("metric")
    assert central[0] == pytest.approx(actions.loc[("china", "covert_assist"), "probability"])
    assert central[1] == pytest.approx(metrics.loc["china_isolation", "mean"])
