"""Views compared (analysis/compare.py): the Shapley decomposition against a
hand calculation on a two-element case (logistic formula), its exact sum,
a view without changes against the base, a view changing one prior against
the scenario file edited by hand, the one-at-a-time fallback, and errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.analysis.compare import compare
from realpolitik.analysis.forecast import forecast
from realpolitik.errors import InputError
from realpolitik.scenario.load import load

ONE = """\
id: one
as_of: "2024-01-01"
sources: {s: {cite: "A source", date: "2023-01-01"}}
actors: {a: A}
parameters:
  d: {dist: fixed, value: 1.0, source: s}
moves:
  - id: choice
    actor: a
    actions: [go, stay]
payoffs:
  a:
    gain: "d * (a == go)"
solve: {lambda: 1.0}
views:
  two:
    parameters:
      d: {dist: fixed, value: 2.0, judgement: "twice as large"}
    terms:
      a.gain: 0.5
  same:
    description: "changes nothing"
"""

TREE = """\
id: two
as_of: "2024-01-01"
sources: {s: {cite: "A source", date: "2023-01-01"}}
actors: {a: A, b: B}
parameters:
  x: {dist: uniform, low: -1, high: 2, source: s}
  y: {dist: triangular, low: 0, mode: 1, high: 3, source: s}
  z: {dist: pert, low: 0, mode: 0.2, high: 1, source: s}
correlations:
  - [x, z, 0.4]
moves:
  - id: first
    actor: a
    actions: [enter, out]
  - id: second
    actor: b
    when: "a == enter"
    actions: [fight, yield]
payoffs:
  a:
    entry: "where(a == enter, where(b == yield, x, -1 - z), 0)"
  b:
    fight: "where(b == fight, -y, 0)"
    share: "where(b == yield, 0.5, 0)"
metrics:
  fought: {expr: "b == fight", unit: probability}
solve: {lambda: 2}
views:
  wide:
    parameters:
      y: {dist: uniform, low: 0, high: 4, judgement: "a wider range"}
  many:
    parameters:
      x: {dist: uniform, low: 0, high: 3, judgement: "j"}
      y: {dist: uniform, low: 0, high: 4, judgement: "j"}
    terms:
      b.share: 2
      a.entry: 0.8
    solve:
      lambda: {dist: uniform, low: 0.5, high: 3, judgement: "j"}
      mixture: {qre: 0.5, spe: 0.5}
"""


def sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_two_element_shapley_matches_the_hand_calculation() -> None:
    result = compare(load(text=ONE, name="one.yaml"), views=["base", "two"], draws=8, seed=1)
    d = result.decompositions["two"]
    assert d.method == "shapley" and d.elements == ("parameter:d", "term:a.gain")
    # v(S): p(go) = logistic(lam * weight * d) with lam = 1
    v = {(): sigma(1.0), ("d",): sigma(2.0), ("w",): sigma(0.5), ("d", "w"): sigma(1.0)}
    phi_d = 0.5 * ((v[("d",)] - v[()]) + (v[("d", "w")] - v[("w",)]))
    phi_w = 0.5 * ((v[("w",)] - v[()]) + (v[("d", "w")] - v[("d",)]))
    assert d.contribution("parameter:d", "a:choice:go") == pytest.approx(phi_d, abs=1e-15)
    assert d.contribution("term:a.gain", "a:choice:go") == pytest.approx(phi_w, abs=1e-15)
    assert float(d.total["a:choice:go"]) == pytest.approx(v[("d", "w")] - v[()], abs=1e-15)
    # the two sum to the difference exactly (here, to rounding)
    assert phi_d + phi_w == pytest.approx(float(d.total["a:choice:go"]), abs=1e-15)


def test_shapley_values_sum_to_the_difference() -> None:
    result = compare(load(text=TREE, name="t.yaml"), draws=300, seed=3)
    d = result.decompositions["many"]
    assert d.method == "shapley" and len(d.elements) == 6
    assert d.elements[-2:] == ("lambda", "concept")
    np.testing.assert_allclose(d.contributions.sum(axis=0), d.total, rtol=0, atol=1e-12)
    means = result.side_by_side()
    np.testing.assert_allclose(
        means["many"] - means["base"], d.total.loc[means.index], rtol=0, atol=1e-12
    )
    json.dumps(result.to_json(), allow_nan=False)
    assert "## `many` against `base`" in result.to_markdown()


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["mc", "lhs", "sobol"]))
def test_a_view_without_changes_is_the_base(seed: int, method: str) -> None:
    result = compare(load(text=ONE, name="one.yaml"), views=["base", "same"], draws=64,
                     seed=seed, method=method)  # fmt: skip
    d = result.decompositions["same"]
    assert d.elements == () and float(np.abs(d.total).max()) == 0.0
    f = result.forecasts
    assert np.array_equal(
        f[f.view == "same"]["mean"].to_numpy(), f[f.view == "base"]["mean"].to_numpy()
    )


def test_a_view_of_one_prior_is_the_file_edited_by_hand() -> None:
    sc = load(text=TREE, name="t.yaml")
    result = compare(sc, views=["base", "wide"], draws=700, seed=7)
    edited = load(
        text=TREE.replace(
            "y: {dist: triangular, low: 0, mode: 1, high: 3, source: s}",
            "y: {dist: uniform, low: 0, high: 4, source: s}",
        ),
        name="t.yaml",
    )
    for view, scenario in (("wide", edited), ("base", sc)):
        by_hand = forecast(scenario, draws=700, seed=7, assumptions=False)
        mine = result.forecasts[result.forecasts.view == view].set_index("name")
        for row in by_hand.actions.to_dict("records"):
            name = f"{row['actor']}:{row['move']}:{row['action']}"
            assert float(mine.loc[name, "mean"]) == pytest.approx(row["probability"], abs=1e-12)
        assert float(mine.loc["fought", "mean"]) == pytest.approx(
            float(by_hand.metrics.set_index("metric").loc["fought", "mean"]), abs=1e-12
        )


def test_beyond_the_exact_limit_effects_are_one_at_a_time() -> None:
    sc = load(text=ONE, name="one.yaml")
    result = compare(sc, views=["base", "two"], draws=4, exact_elements=1)
    d = result.decompositions["two"]
    assert d.method == "one-at-a-time" and d.interaction is not None
    go = "a:choice:go"
    assert d.contribution("parameter:d", go) == pytest.approx(sigma(2) - sigma(1), abs=1e-15)
    assert d.contribution("term:a.gain", go) == pytest.approx(sigma(0.5) - sigma(1), abs=1e-15)
    assert float(d.interaction[go]) == pytest.approx(
        (sigma(1) - sigma(1)) - (sigma(2) - sigma(1)) - (sigma(0.5) - sigma(1)), abs=1e-15
    )


def test_tells_apart_ranks_actions_by_difference() -> None:
    result = compare(load(text=ONE, name="one.yaml"), views=["base", "two"], draws=4)
    apart = result.tells_apart["two"]
    assert apart["difference"].abs().is_monotonic_decreasing
    go = apart.set_index("name").loc["a:choice:go"]
    assert float(go["log_ratio"]) == pytest.approx(math.log(sigma(1.0) / sigma(1.0)), abs=1e-12)


def test_bad_views_are_refused() -> None:
    sc = load(text=ONE, name="one.yaml")
    with pytest.raises(InputError, match=r"unknown view 'tow' \(did you mean 'two'\?\)"):
        compare(sc, views=["base", "tow"])
    with pytest.raises(InputError, match="at least two different views"):
        compare(sc, views=["two"])
    plain = load(text=ONE.split("views:")[0], name="one.yaml")
    with pytest.raises(InputError, match="declares no views"):
        compare(plain)
