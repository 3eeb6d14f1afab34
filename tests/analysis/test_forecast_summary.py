"""The forecast's summaries and result object
(:mod:`realpolitik.analysis.forecast_summary`) against independent computations:

* a small scenario (CHOICE) whose SPE answer is known by hand: Alpha takes
  ``left`` iff ``x > w``, so the mean probability of ``left`` over draws is
  the share of draws with ``x > w``, computed from the sampler's draws with
  plain NumPy, and the metric ``m = x`` on every path has the draws' own
  mean and percentiles;
* the QRE version, whose choice probability is the logistic function
  ``1 / (1 + exp(-lam (x - w)))`` (McKelvey & Palfrey 1995);
* the flagship's per-draw outcomes from the independent code path
  (:func:`realpolitik.run.evaluate.evaluate_settings`, whose outcomes sum with a
  matrix product and ``einsum``), reduced with plain NumPy;
* the JSON document of ``forecast --format json`` on the hand-solved ENTRY
  scenario, repeated action ids and paths never taken.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from hand_scenarios import CHOICE, ENTRY
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.run.blocks import evaluate_settings
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.sampling import settings_sampler
from realpolitik.scenario.load import load


def action_probability(result: Forecast, actor: str, action: str) -> float:
    return float(result.to_json()["actions"][actor][action])


@pytest.fixture(scope="module")
def choice() -> rp.Scenario:
    return load(text=CHOICE, name="choice.yaml")


FLAGSHIP = LEGACY_FLAGSHIP


def test_forecast_json_structure() -> None:
    # what the issue requires of `forecast --format json`, exactly
    data = forecast(load(text=ENTRY), concept="qre", lam=1.0).to_json()
    json.dumps(data, allow_nan=False)  # strict JSON
    assert {"actions", "pathways", "metrics"} <= set(data)
    assert data["actions"].keys() == {"ent", "inc"}
    assert data["actions"]["ent"].keys() == {"enter", "stay_out"}
    assert data["actions"]["inc"].keys() == {"fight", "accommodate"}
    assert all(isinstance(p, float) for moves in data["actions"].values() for p in moves.values())
    for pathway in data["pathways"]:
        assert pathway.keys() >= {"path", "probability", "metrics"}
        assert all(isinstance(step, list) and len(step) == 2 for step in pathway["path"])
        assert pathway["metrics"].keys() == {"fought", "entrant_profit"}
    assert sum(p["probability"] for p in data["pathways"]) == pytest.approx(1.0, abs=1e-12)
    assert data["metrics"].keys() == {"fought", "entrant_profit"}


def test_forecast_json_keys_a_repeated_action_id_by_move() -> None:
    # `a` has `go` and `wait` in two moves; the second happens after `wait`.
    # SPE: at `second`, wait (0.5) beats go (0); at `first`, go is worth 1,
    # wait then wait 0.5: go. So first:go = 1 and `second` never happens.
    text = """\
id: twice
actors: {a: A}
moves:
  - id: first
    actor: a
    actions: [go, wait]
  - id: second
    actor: a
    when: "first == wait"
    actions: [go, wait]
payoffs:
  a: {g: "(first == go) + 0.5 * (second == wait)"}
"""
    data = forecast(load(text=text), concept="spe").to_json()
    assert data["actions"] == {
        "a": {"first:go": 1.0, "first:wait": 0.0, "second:go": 0.0, "second:wait": 0.0}
    }


def test_forecast_json_has_no_nan_for_paths_never_taken() -> None:
    # under the SPE two paths have probability 0 in every draw: their metrics
    # are the metric at the path's end, not NaN (strict JSON has no NaN)
    data = forecast(load(text=ENTRY), concept="spe").to_json()
    json.dumps(data, allow_nan=False)
    by_path = {json.dumps(p["path"]): p for p in data["pathways"]}
    fight = by_path[json.dumps([["ent", "enter"], ["inc", "fight"]])]
    assert fight["probability"] == 0.0
    assert fight["metrics"] == {"fought": 1.0, "entrant_profit": -1.0}


def test_spe_summaries_by_hand(choice: rp.Scenario) -> None:
    n = 5000
    result = forecast(choice, draws=n, seed=99, chunk=2048)
    draws = settings_sampler(choice, result.settings).draws(0, n)
    x, w = draws[:, 0], draws[:, 1]
    left = x > w  # SPE: the larger payoff
    actions = result.actions.set_index("action")
    # means of 0/1 probabilities are counts: exact
    assert actions.loc["left", "probability"] == left.mean()
    assert actions.loc["right", "probability"] == 1 - left.mean()
    assert actions.loc["left", "most_likely_share"] == left.mean()
    assert actions.loc["left", "p05"] == 0.0 and actions.loc["left", "p95"] == 1.0
    # the metric is x on both paths: its per-draw expectation is x itself
    metrics = result.metrics.set_index("metric")
    assert metrics.loc["m", "mean"] == pytest.approx(x.mean(), rel=1e-13)
    assert metrics.loc["m", "p05"] == np.percentile(x, 5)
    assert metrics.loc["m", "p95"] == np.percentile(x, 95)
    paths = result.pathways.set_index("path")
    assert paths.loc["a:left", "modal_share"] == left.mean()
    # 0/1 path probabilities: the 90% interval spans both
    assert (paths.loc["a:left", "p05"], paths.loc["a:left", "p95"]) == (0.0, 1.0)
    # metric along a path: mean of x over the draws that take it
    assert paths.loc["a:left", "m"] == pytest.approx(x[left].mean(), rel=1e-12)
    assert paths.loc["a:right", "m"] == pytest.approx(x[~left].mean(), rel=1e-12)


def test_qre_means_match_the_logistic_formula(choice: rp.Scenario) -> None:
    n = 4096
    result = forecast(choice, concept="qre", lam=3.0, draws=n, seed=5, method="sobol")
    draws = settings_sampler(choice, result.settings).draws(0, n)
    p_left = 1.0 / (1.0 + np.exp(-3.0 * (draws[:, 0] - draws[:, 1])))
    actions = result.actions.set_index("action")
    assert actions.loc["left", "probability"] == pytest.approx(p_left.mean(), rel=1e-12)
    assert actions.loc["left", "p05"] == pytest.approx(np.percentile(p_left, 5), rel=1e-12)
    assert actions.loc["left", "p95"] == pytest.approx(np.percentile(p_left, 95), rel=1e-12)
    assert actions.loc["left", "most_likely_share"] == (p_left > 0.5).mean()
    # path intervals come from 1/4000-wide histograms: within a bin of the exact ones
    paths = result.pathways.set_index("path")
    for q in (5, 95):
        assert abs(paths.loc["a:left", f"p{q:02d}"] - np.percentile(p_left, q)) <= 1 / 4000


def test_flagship_summaries_match_the_independent_reduction(flagship: rp.Scenario) -> None:
    n = 4000
    result = forecast(flagship, draws=n, seed=12)
    compiled = compile_scenario(flagship)
    chunks = list(evaluate_settings(compiled, result.settings, block=1500))
    p = np.concatenate([c.outcomes.action_probability for c in chunks])
    path = np.concatenate([c.outcomes.path_probability for c in chunks])
    metric = np.concatenate([c.outcomes.metric_expectation for c in chunks])
    likely = np.concatenate([c.outcomes.most_likely for c in chunks])
    modal = np.concatenate([c.outcomes.modal_path for c in chunks])
    np.testing.assert_allclose(result.actions["probability"], p.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.actions["p05"], np.percentile(p, 5, axis=0), atol=1e-14)
    np.testing.assert_allclose(result.actions["p95"], np.percentile(p, 95, axis=0), atol=1e-14)
    np.testing.assert_array_equal(result.actions["most_likely_share"], likely.mean(axis=0))
    np.testing.assert_allclose(result.metrics["mean"], metric.mean(axis=0), rtol=1e-12)
    layout = OutcomeLayout.of(compiled)
    labels = [" > ".join(f"{a}:{b}" for a, b in layout.path_label(t)) for t in range(path.shape[1])]
    table = result.pathways.set_index("path")
    np.testing.assert_allclose(table.loc[labels, "probability"], path.mean(axis=0), rtol=1e-12)
    counts = np.bincount(modal, minlength=path.shape[1]) / n
    np.testing.assert_array_equal(table.loc[labels, "modal_share"], counts)


def test_central_values_forecast_is_unchanged_in_form(flagship: rp.Scenario) -> None:
    result = forecast(flagship)
    assert result.settings.draws == 0
    sums = result.actions.groupby(["actor", "move"])["probability"].sum()
    assert sums.loc[("china", "alignment")] == pytest.approx(1.0, abs=1e-12)
    assert result.pathways["probability"].sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    counts=hnp.arrays(
        np.int64,
        st.tuples(st.integers(1, 6), st.integers(1, 30)),
        elements=st.integers(0, 6),
    ),
    n=st.integers(0, 200),
)
def test_histogram_interval_is_numpys_cumulative_count(counts: np.ndarray, n: int) -> None:
    """The percentile bins, read off each row until the last threshold, are
    those of NumPy's cumulative sum: the bins whose cumulative count falls
    short of each share, to 1/BINS."""
    from realpolitik.analysis.forecast_summary import BINS, INTERVAL, _histogram_interval

    cumulative = np.cumsum(counts, axis=1)
    expected = [np.clip((cumulative < q / 100.0 * n).sum(axis=1), 0, BINS) / BINS for q in INTERVAL]
    low, high = _histogram_interval(counts, n)
    assert np.array_equal(low, expected[0]) and np.array_equal(high, expected[1])
