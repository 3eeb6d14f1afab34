"""The ``views`` section (scenario/views.py) and the ``solve`` section with a
drawn lambda and mixtures (scenario/structural.py): what they read, and each
mistake as one located line.
"""

from __future__ import annotations

import pytest

from realpolitik.errors import InputError
from realpolitik.scenario.load import load
from realpolitik.uncertainty.distributions import Fixed

BASE = """\
id: v
sources: {s: "A source"}
actors: {a: A, b: B}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  y: {dist: fixed, value: 2, source: s}
moves:
  - id: m
    actor: a
    actions: [go, stay]
payoffs:
  a:
    gain: "x * (a == go)"
    cost: "-y * (a == stay)"
  b:
    other: "x"
"""
# appended sections start at line 17


def scenario(text: str):  # type: ignore[no-untyped-def]
    return load(text=text, name="v.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        scenario(text)
    return caught.value.lines()


VIEWS = """\
views:
  alpha:
    description: "Alpha's reading"
    parameters:
      x: {dist: uniform, low: 0.5, high: 1.5, judgement: "alpha thinks it larger"}
    terms:
      a.cost: 0
      a.gain: 2.5
    solve: {lambda: 4}
  beta:
    solve: {mixture: {qre: 0.25, spe: 0.75}, lambda: {dist: uniform, low: 1, high: 3, source: s}}
"""


def test_views_are_read_with_their_elements() -> None:
    sc = scenario(BASE + VIEWS)
    alpha, beta = sc.views
    assert alpha.id == "alpha" and alpha.description == "Alpha's reading"
    assert alpha.parameters["x"].distribution.describe() == "Uniform(0.5, 1.5)"
    assert alpha.parameters["x"].judgement == "alpha thinks it larger"
    assert dict(alpha.term_weights) == {"a.cost": 0.0, "a.gain": 2.5}
    assert alpha.lam is not None and isinstance(alpha.lam.distribution, Fixed)
    assert alpha.lam.distribution.central() == 4.0
    assert alpha.elements == ("parameter:x", "term:a.cost", "term:a.gain", "lambda")
    assert beta.concept == (("qre", 0.25), ("spe", 0.75))
    assert beta.lam is not None and beta.lam.sources == ("s",)
    assert beta.elements == ("lambda", "concept")
    # views change nothing of the scenario itself
    assert sc.parameter_ids == ("x", "y") and sc.solve.concept == "qre"


def test_unknown_view_elements_are_errors_with_their_lines() -> None:
    text = BASE + VIEWS.replace("      a.cost: 0", "      a.cots: 0").replace(
        "      x: {dist", "      z: {dist"
    ).replace('    description: "Alpha', '    descripton: "Alpha')
    assert problems(text) == [
        "v.yaml:19: views.alpha.descripton: unknown key 'descripton' (did you mean "
        "'description'?); allowed: description, parameters, terms, solve",
        "v.yaml:21: views.alpha.parameters.z: unknown parameter 'z'; a view changes the "
        "scenario's parameters",
        "v.yaml:23: views.alpha.terms.a.cots: unknown payoff term 'a.cots' (did you mean "
        "'a.cost'?); write actor.term, e.g. a.gain",
    ]


def test_a_view_sets_lambda_under_solve_and_cannot_be_called_base() -> None:
    text = BASE + (
        "views:\n  base: {}\n  w:\n    parameters:\n      lambda: {dist: fixed, value: 1}\n"
    )
    assert problems(text) == [
        "v.yaml:18: views.base: view id 'base' is reserved in expressions (a keyword, a "
        "function or 'chance'); rename it",
        "v.yaml:21: views.w.parameters.lambda: unknown parameter 'lambda' (a view sets lambda "
        "under 'solve'); a view changes the scenario's parameters",
    ]


def test_term_weights_must_be_numbers() -> None:
    text = BASE + "views:\n  w:\n    terms: {a.gain: high}\n"
    assert problems(text) == [
        "v.yaml:19: views.w.terms.a.gain: a term weight is a finite number (0 switches it "
        "off), got text 'high'"
    ]


# -- the solve section -----------------------------------------------------------------
def test_a_drawn_lambda_is_the_parameter_lambda() -> None:
    sc = scenario(
        BASE + 'solve: {lambda: {dist: uniform, low: 1, high: 3, judgement: "not known"}}\n'
    )
    assert sc.parameter_ids == ("x", "y", "lambda")
    assert sc.solve.lam_varies and sc.solve.lam == 2.0
    assert sc.parameters["lambda"].judgement == "not known"


def test_lambda_distribution_mistakes() -> None:
    assert problems(BASE + "solve: {lambda: {dist: uniform, low: 1, high: 3}}\n") == [
        "v.yaml:17: solve.lambda: missing 'source' or 'judgement': every parameter cites "
        "where its value comes from (a key of 'sources', e.g. source: [hung2022]) or says why "
        'it is the analyst\'s judgement (judgement: "...")'
    ]
    assert problems(BASE + "solve: {lambda: {dist: uniform, low: -1, high: 3, source: s}}\n") == [
        "v.yaml:17: solve.lambda: lambda's distribution reaches -1; a precision is >= 0 "
        "(bound it, e.g. low: 0)"
    ]
    taken = BASE.replace("  y: {dist", "  lambda: {dist: fixed, value: 1, source: s}\n  y: {dist")
    assert problems(taken + "solve: {lambda: {dist: uniform, low: 1, high: 3, source: s}}\n") == [
        "v.yaml:6: parameters.lambda: 'lambda' is drawn from solve.lambda's distribution; "
        "rename this parameter"
    ]


def test_mixture_mistakes_one_line_each() -> None:
    assert problems(BASE + "solve: {mixture: {qre: 0.5, spe: 0.4}}\n") == [
        "v.yaml:17: solve.mixture: the mixture's weights sum to 0.9, not 1"
    ]
    assert problems(BASE + "solve: {mixture: {qre: 0.5, nash: 0.5}}\n") == [
        "v.yaml:17: solve.mixture.nash: unknown concept 'nash' in the mixture; "
        "use 'spe', 'qre' or 'logit-limit'"
    ]
    assert problems(BASE + "solve: {mixture: {qre: 1.5, spe: -0.5}}\n") == [
        "v.yaml:17: solve.mixture.spe: a mixture weight is a number >= 0, got float -0.5"
    ]
    assert problems(BASE + "solve: {concept: qre, mixture: {qre: 1}}\n") == [
        "v.yaml:17: solve.mixture: give either 'concept' or 'mixture', not both"
    ]


def test_a_mixture_is_the_default_concept() -> None:
    sc = scenario(BASE + "solve: {mixture: {qre: 0.8, spe: 0.2}, lambda: 3}\n")
    assert sc.solve.concept == "mixture"
    assert sc.solve.mixture == (("qre", 0.8), ("spe", 0.2)) and sc.solve.lam == 3.0
