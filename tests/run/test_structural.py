"""Structural assumptions in the run layer (run/structural.py, run/evaluate.py,
run/settings.py): lambda drawn like a parameter, and a forecast that mixes
concepts.

Independent references: the mean over draws of a one-decision logit
probability against the integral of the logistic function over lambda's
distribution (scipy.integrate.quad); a mixture against the weighted sum of
the separate forecasts; a point-mass lambda against the fixed lambda, bit for
bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from realpolitik.analysis.forecast import forecast
from realpolitik.errors import InputError
from realpolitik.run.settings import Settings
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
"""
# p(go) = exp(lam d) / (exp(lam d) + 1) = logistic(lam d)

TREE = """\
id: two
as_of: "2024-01-01"
sources: {s: {cite: "A source", date: "2023-01-01"}}
actors: {a: A, b: B}
parameters:
  x: {dist: uniform, low: -1, high: 2, source: s}
  y: {dist: triangular, low: 0, mode: 1, high: 3, source: s}
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
    entry: "where(a == enter, where(b == yield, x, -1), 0)"
  b:
    fight: "where(b == fight, -y, 0)"
    share: "where(b == yield, 0.5, 0)"
metrics:
  fought: {expr: "b == fight", unit: probability}
"""


def test_mean_logit_over_a_lambda_distribution_is_the_integral() -> None:
    sc = load(
        text=ONE
        + 'solve: {lambda: {dist: uniform, low: 0.5, high: 3, judgement: "illustration"}}\n',
        name="one.yaml",
    )
    result = forecast(sc, draws=4096, seed=1, method="sobol")
    mean = float(result.actions.set_index("action").loc["go", "probability"])
    expected, _ = integrate.quad(lambda lam: 1.0 / (1.0 + np.exp(-lam)) / 2.5, 0.5, 3.0)
    assert mean == pytest.approx(expected, abs=1e-8)


def test_lognormal_lambda_against_the_integral() -> None:
    sc = load(
        text=ONE + 'solve: {lambda: {dist: lognormal, median: 2, sigma: 0.5, judgement: "x"}}\n',
        name="one.yaml",
    )
    result = forecast(sc, draws=8192, seed=3, method="sobol")
    mean = float(result.actions.set_index("action").loc["go", "probability"])
    density = stats.lognorm(s=0.5, scale=2.0)
    expected, _ = integrate.quad(
        lambda lam: density.pdf(lam) / (1.0 + np.exp(-lam)), 0, np.inf, limit=200
    )
    assert mean == pytest.approx(expected, abs=2e-5)


@settings(max_examples=8, deadline=None)
@given(st.floats(0.0, 6.0), st.integers(0, 2**31 - 1))
def test_a_point_mass_lambda_is_the_fixed_lambda_bit_for_bit(lam: float, seed: int) -> None:
    fixed = load(text=TREE + f"solve: {{lambda: {lam!r}}}\n", name="t.yaml")
    point = load(
        text=TREE + f'solve: {{lambda: {{dist: fixed, value: {lam!r}, judgement: "x"}}}}\n',
        name="t.yaml",
    )
    assert point.solve.lam_varies and "lambda" in point.parameters
    for draws in (0, 300):
        a = forecast(fixed, draws=draws, seed=seed, assumptions=False)
        b = forecast(point, draws=draws, seed=seed, assumptions=False)
        for column in ("probability", "p05", "p95", "most_likely_share"):
            assert np.array_equal(a.actions[column].to_numpy(), b.actions[column].to_numpy())
        assert np.array_equal(a.metrics["mean"].to_numpy(), b.metrics["mean"].to_numpy())
        assert np.array_equal(
            a.pathways["probability"].to_numpy(), b.pathways["probability"].to_numpy()
        )


def test_a_mixture_is_the_weighted_sum_of_the_separate_forecasts() -> None:
    mixed = load(text=TREE + "solve: {mixture: {qre: 0.3, spe: 0.7}, lambda: 1.5}\n", name="t")
    plain = load(text=TREE + "solve: {lambda: 1.5}\n", name="t")
    for draws in (0, 500):
        m = forecast(mixed, draws=draws, seed=4, assumptions=False)
        q = forecast(plain, concept="qre", draws=draws, seed=4, assumptions=False)
        s = forecast(plain, concept="spe", draws=draws, seed=4, assumptions=False)
        assert m.settings.concept == "mixture"
        expected = 0.3 * q.actions["probability"] + 0.7 * s.actions["probability"]
        np.testing.assert_allclose(m.actions["probability"], expected, rtol=0, atol=1e-12)
        fought = 0.3 * q.metrics["mean"] + 0.7 * s.metrics["mean"]
        np.testing.assert_allclose(m.metrics["mean"], fought, rtol=0, atol=1e-12)


def test_a_user_lambda_holds_a_drawn_lambda() -> None:
    sc = load(text=ONE + 'solve: {lambda: {dist: uniform, low: 0, high: 4, judgement: "x"}}\n')
    result = forecast(sc, draws=200, seed=2, lam=2.0, assumptions=False)
    go = result.actions.set_index("action").loc["go"]
    # every draw at lambda 2: p = logistic(2), no spread
    assert float(go["probability"]) == pytest.approx(1 / (1 + np.exp(-2.0)), abs=1e-14)
    assert float(go["p95"] - go["p05"]) == pytest.approx(0.0, abs=1e-14)
    assert Settings.resolve(sc).lam is None and Settings.resolve(sc, lam=2.0).lam == 2.0
    assert Settings.resolve(sc, concept="spe").lam is None


def test_mixture_concept_needs_a_declared_mixture() -> None:
    sc = load(text=TREE, name="t")
    with pytest.raises(InputError, match="--concept mixture needs a mixture declared"):
        Settings.resolve(sc, concept="mixture")


def test_stored_runs_of_a_mixture_with_a_drawn_lambda_read_back_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from realpolitik.analysis.forecast_runs import from_store

    text = TREE + (
        "solve:\n  mixture: {qre: 0.6, spe: 0.4}\n"
        '  lambda: {dist: uniform, low: 0.5, high: 3, judgement: "x"}\n'
    )
    sc = load(text=text, name="t.yaml")
    path = tmp_path / "runs.duckdb"
    ran = forecast(sc, draws=2500, seed=5, store=path, chunk=1024)
    assert ran.settings.concept == "mixture" and ran.settings.lam is None
    again = from_store(path, int(ran.extra["run_id"]))
    assert again.to_json() == ran.to_json()
    whole = forecast(sc, draws=2500, seed=5, assumptions=False)
    assert np.array_equal(whole.actions["probability"], ran.actions["probability"])
