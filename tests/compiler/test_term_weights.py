"""Term weights in the compiler (compiler/scenario_tree.py): a weight per
draw multiplies a payoff term's value, which must equal the scenario with the
expression multiplied by hand."""

from __future__ import annotations

import numpy as np

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.scenario.load import load

SCENARIO = """\
id: w
sources: {s: "A source"}
actors: {a: A, b: B}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: m
    actor: a
    actions: [go, stay]
payoffs:
  a:
    gain: "GAIN"
    cost: "-0.3 * (a == stay)"
  b:
    gain: "x * (a == stay)"
"""


def test_weights_per_draw_equal_the_expressions_scaled_by_hand() -> None:
    plain = compile_scenario(load(text=SCENARIO.replace("GAIN", "x * (a == go)"), name="w"))
    draws = np.array([[0.2], [0.7], [0.9]])
    weights = np.array([[0.5, 1.0, 1.0], [0.0, 1.0, 2.0], [3.0, 0.0, 1.0]])
    params = plain.parameter_values(draws)
    weighted = plain.payoff_terms(params, term_weights=weights)
    totals = plain.payoffs(params, term_weights=weights)
    for d, (wg, wc, wb) in enumerate(weights.tolist()):
        by_hand = compile_scenario(
            load(
                text=SCENARIO.replace("GAIN", f"{wg!r} * x * (a == go)")
                .replace("-0.3 *", f"-{0.3 * wc!r} *")
                .replace('"x * (a == stay)"', f'"{wb!r} * x * (a == stay)"'),
                name="w",
            )
        )
        row = by_hand.parameter_values(draws[d : d + 1])
        np.testing.assert_allclose(weighted[d], by_hand.payoff_terms(row)[0], rtol=0, atol=1e-15)
        np.testing.assert_allclose(totals[d], by_hand.payoffs(row)[0], rtol=0, atol=1e-15)


def test_no_weights_is_the_scenario_as_written_bit_for_bit() -> None:
    compiled = compile_scenario(load(text=SCENARIO.replace("GAIN", "x * (a == go)"), name="w"))
    params = compiled.parameter_values(np.array([[0.4], [0.6]]))
    ones = np.ones((2, 3))
    assert np.array_equal(
        compiled.payoff_terms(params), compiled.payoff_terms(params, term_weights=ones)
    )
    assert np.array_equal(compiled.payoffs(params), compiled.payoffs(params, term_weights=ones))
