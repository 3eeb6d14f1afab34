"""Parameters estimated from data (``estimate:``): the formula grammar, the
checks with file:line, and the fitted form: coefficients as parameters with
normal marginals and correlations, which must reproduce the fit's
multivariate normal exactly (checked against the moments computed by hand)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

import realpolitik as rp
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.sampling import scenario_sampler
from realpolitik.scenario.linear import parse_linear_formula
from realpolitik.scenario.load import load
from realpolitik.scenario.schema import shipped_schema

HEAD = """\
format: 1
id: linear
sources: {data: "a data set", judgement: "judgement"}
actors: {a: A, b: B}
parameters:
"""
TAIL = """\
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: [yield, fight]}
payoffs:
  a: {quiet: "ua * (first == stay)", war: "-1 * (second == fight)"}
  b: {fight: "ub * (second == fight)"}
"""

TEMPLATE = (
    HEAD
    + """\
  ua:
    estimate:
      formula: "~ trade + ally"
    source: data
  ub:
    estimate: {formula: "~ 1"}
    source: data
"""
    + TAIL
)

FITTED = (
    HEAD
    + """\
  trade: {dist: uniform, low: 0, high: 2, source: data}
  ally: {dist: fixed, value: 1, source: data}
  ua:
    estimate:
      formula: "~ trade + ally"
      coefficients:
        "(Intercept)": {dist: normal, mean: 0.5, sd: 0.2}
        trade: {dist: normal, mean: -1.0, sd: 0.3}
        ally: {dist: normal, mean: 2.0, sd: 0.4}
    source: data
  ub:
    estimate: {formula: "~ 1", coefficients: {"(Intercept)": {dist: normal, mean: 0.3, sd: 0.1}}}
    source: data
correlations:
  - ["ua:(Intercept)", "ua:trade", -0.6]
  - ["ua:trade", "ua:ally", 0.25]
"""
    + TAIL
)


def test_formulas_parse_to_terms_in_r_order() -> None:
    assert parse_linear_formula("~ trade + ally") == ((), ("trade",), ("ally",))
    assert parse_linear_formula("x - 1") == (("x",),)
    assert parse_linear_formula("~ a:b + a") == ((), ("a",), ("a", "b"))
    assert parse_linear_formula("~ a * b + 0") == (("a",), ("b",), ("a", "b"))
    assert parse_linear_formula("~ 1") == ((),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("~ log(x)", "is not a column name"),
        ("~ 0", "has no term"),
        ("y ~ x", "one-sided"),
        ("", "empty"),
    ],
)
def test_bad_formulas_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_linear_formula(text)


def test_a_template_loads_and_refuses_to_forecast_until_fitted() -> None:
    scenario = load(text=TEMPLATE, name="t.yaml")
    assert [p.id for p in scenario.linear] == ["ua", "ub"]
    assert scenario.linear[0].names == ("(Intercept)", "trade", "ally")
    assert scenario.linear[0].coefficient_ids == ("ua:(Intercept)", "ua:trade", "ua:ally")
    assert not scenario.linear[0].fitted
    assert scenario.parameter_ids == ()  # nothing is drawn before the fit
    with pytest.raises(InputError) as caught:
        rp.forecast(scenario)
    assert "t.yaml:6: parameters.ua.estimate: parameter 'ua' is estimated from data" in str(
        caught.value
    )


def test_a_fitted_parameter_is_its_linear_predictor_at_the_central_values() -> None:
    scenario = load(text=FITTED, name="f.yaml")
    assert scenario.linear[0].fitted
    assert "ua:trade" in scenario.parameter_ids
    values = compile_scenario(scenario).parameter_values()
    # medians: trade 1, ally 1, coefficients at their means
    assert values["ua"][0, 0] == pytest.approx(0.5 - 1.0 * 1.0 + 2.0 * 1.0)
    assert values["ub"][0, 0] == pytest.approx(0.3)


def test_normal_coefficients_with_correlations_are_the_multivariate_normal() -> None:
    scenario = load(text=FITTED, name="f.yaml")
    compiled = compile_scenario(scenario)
    sampler = scenario_sampler(scenario, 200_000, method="mc", seed=5, held={"trade": 1.5})
    values = compiled.parameter_values(sampler.draws(0, 200_000))
    ua = values["ua"][:, 0]
    # ua = b0 + 1.5 b1 + 1 b2 with b ~ N(mu, S): mean x'mu, variance x'Sx
    x = np.array([1.0, 1.5, 1.0])
    sd = np.array([0.2, 0.3, 0.4])
    corr = np.array([[1.0, -0.6, 0.0], [-0.6, 1.0, 0.25], [0.0, 0.25, 1.0]])
    cov = corr * np.outer(sd, sd)
    assert ua.mean() == pytest.approx(x @ np.array([0.5, -1.0, 2.0]), abs=0.005)
    assert ua.var() == pytest.approx(x @ cov @ x, rel=0.01)
    b = np.column_stack([values[c][:, 0] for c in scenario.linear[0].coefficient_ids])
    assert np.corrcoef(b, rowvar=False) == pytest.approx(corr, abs=0.01)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (
                "trade: {dist: normal, mean: -1.0, sd: 0.3}",
                "trades: {dist: normal, mean: -1.0, sd: 0.3}",
            ),
            "f.yaml:13: parameters.ua.estimate.coefficients.trades: 'trades' is not a term of the "
            "formula (did you mean 'trade'?)",
        ),
        (
            ("        ally: {dist: normal, mean: 2.0, sd: 0.4}\n", ""),
            "f.yaml:11: parameters.ua.estimate.coefficients: no distribution for the term(s) ally",
        ),
        (
            ("  ally: {dist: fixed, value: 1, source: data}\n", ""),
            "f.yaml:9: parameters.ua.estimate.formula: column 'ally' is not a parameter",
        ),
        (
            ('formula: "~ trade + ally"', 'formula: "~ trade + ub"'),
            "column 'ub' is itself estimated",
        ),
        (
            ('formula: "~ trade + ally"', 'formula: "~ trade + log(ally)"'),
            "f.yaml:10: parameters.ua.estimate.formula: formula '~ trade + log(ally)': 'log(ally)' "
            "is not a column name",
        ),
        (
            ("    source: data\n  ub:", "    source: data\n    dist: normal\n  ub:"),
            "parameters.ua.dist: 'dist': a parameter estimated from data takes its distribution "
            "from its coefficients",
        ),
        (
            ("{dist: normal, mean: 0.3, sd: 0.1}", "{dist: normal, mean: 0.3, sd: -1}"),
            "parameters.ub.estimate.coefficients.(Intercept): normal: `sd` must be > 0",
        ),
    ],
)
def test_mistakes_are_located(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in FITTED
    with pytest.raises(InputError) as caught:
        load(text=FITTED.replace(old, new, 1), name="f.yaml")
    assert any(expected in line for line in caught.value.lines()), caught.value.lines()


def test_an_estimated_parameter_is_named_in_expressions_but_not_in_issues() -> None:
    text = FITTED.replace("a: {quiet:", 'a: {x: "0 * ua", quiet:')
    assert load(text=text, name="f.yaml").terms[0].id == "x"
    issues = FITTED + (
        "issues:\n  i:\n    actors:\n"
        "      a: {position: ua, capability: '1', salience: '1'}\n"
        "      b: {position: '0', capability: '1', salience: '1'}\n"
        "      c: {position: '0', capability: '1', salience: '1'}\n"
    )
    issues = issues.replace("actors: {a: A, b: B}", "actors: {a: A, b: B, c: C}")
    with pytest.raises(InputError, match="unknown name `ua`"):
        load(text=issues, name="f.yaml")


def test_the_documented_fitted_example_loads() -> None:
    """The fitted example of docs/scenario-format.md, in a minimal scenario."""
    doc = (Path(__file__).parents[2] / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", doc, re.S) if "coefficients:" in b)
    text = (
        "format: 1\nid: doc\nsources: {leblang2003: a, estimated_fit: b, imf2024: c, calendar: d}\n"
        "actors: {g: G}\n"
        + textwrap.dedent(block)
        + "moves:\n  - {id: m, actor: g, actions: [devalue, defend]}\n"
        + 'payoffs:\n  g: {d: "defend_value * (m == defend)"}\n'
    )
    scenario = load(text=text, name="doc.yaml")
    values = compile_scenario(scenario).parameter_values()
    assert values["defend_value"][0, 0] == pytest.approx(0.19 + 2.10 * 0.8 + 3.99 * 1)


def test_the_json_schema_accepts_estimated_parameters_and_refuses_mistakes() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(shipped_schema())
    for text in (TEMPLATE, FITTED):
        assert [e.message for e in validator.iter_errors(yaml.safe_load(text))] == []
    typo = TEMPLATE.replace("estimate:\n      formula:", "estimate:\n      formla:")
    no_sd = FITTED.replace("sd: 0.3}", "}")
    for text in (typo, no_sd):
        assert list(validator.iter_errors(yaml.safe_load(text)))
        with pytest.raises(InputError):
            load(text=text, name="bad.yaml")
