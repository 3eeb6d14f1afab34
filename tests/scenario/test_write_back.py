"""Writing a fit back into a scenario's text: only the estimated entries,
the correlations and the sources change (comments and everything else are
kept byte for byte), the result loads with the fitted values, and a refit
replaces the old fit instead of adding to it."""

from __future__ import annotations

import pytest

from realpolitik.errors import InputError
from realpolitik.scenario.load import load
from realpolitik.scenario.write_back import FittedPredictor, write_estimates

TEXT = """\
# a comment the analyst wrote
format: 1
id: wb
sources:
  data: "a data set"   # where the cases come from
actors: {a: A, b: B}
parameters:
  cost: {dist: fixed, value: 1, source: data}
  ua:
    estimate:
      formula: "~ trade"   # the trade share
    source: data
    unit: "utility"

  # the second player
  ub:
    estimate: {formula: "~ 1"}
    source: [data]
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: [yield, fight]}
payoffs:
  a: {quiet: "ua * (first == stay)", war: "-cost * (second == fight)"}
  b: {fight: "ub * (second == fight)"}
"""

FITS = [
    FittedPredictor("ua", "~ trade", ("(Intercept)", "trade"), (0.5, -1.25), (0.1, 0.2)),
    FittedPredictor("ub", "~ 1", ("(Intercept)",), (0.75,), (0.05,)),
]
CORRELATIONS = [("ua:(Intercept)", "ua:trade", -0.5), ("ua:trade", "ub:(Intercept)", 0.125)]


def _write(text: str = TEXT) -> str:
    return write_estimates(
        load(text=text, name="wb.yaml"),
        FITS,
        CORRELATIONS,
        source_id="fit",
        citation="a fit, on 12 cases",
        new_parameters={"trade": (0.4, "the mean over the cases")},
    )


def test_the_fit_is_written_and_loads() -> None:
    written = _write()
    scenario = load(text=written, name="wb.yaml")
    assert all(p.fitted for p in scenario.linear)
    slope = scenario.parameters["ua:trade"].distribution
    assert (slope.family, slope.mu, slope.sd) == ("normal", -1.25, 0.2)  # type: ignore[attr-defined]
    assert scenario.parameters["ub:(Intercept)"].central == 0.75
    assert scenario.parameters["trade"].central == 0.4
    assert scenario.parameters["ua:trade"].sources == ("data", "fit")
    assert scenario.parameters["ua:(Intercept)"].description == "intercept of ua"
    assert {(c.a, c.b, c.rho) for c in scenario.correlations} == set(CORRELATIONS)
    assert scenario.sources["fit"].cite == "a fit, on 12 cases"


def test_everything_else_is_kept_as_written() -> None:
    written = _write()
    for line in (
        "# a comment the analyst wrote",
        '  data: "a data set"   # where the cases come from',
        "  cost: {dist: fixed, value: 1, source: data}",
        "  # the second player",
        '  a: {quiet: "ua * (first == stay)", war: "-cost * (second == fight)"}',
    ):
        assert line in written.splitlines()
    assert '    unit: "utility"' in written.splitlines()


def test_a_refit_replaces_the_old_fit() -> None:
    once = _write()
    twice = write_estimates(
        load(text=once, name="wb.yaml"),
        FITS,
        [("ua:(Intercept)", "ua:trade", -0.25)],
        source_id="fit",
        citation="the second fit",
    )
    scenario = load(text=twice, name="wb.yaml")
    assert [(c.a, c.b, c.rho) for c in scenario.correlations] == [
        ("ua:(Intercept)", "ua:trade", -0.25)
    ]
    assert scenario.sources["fit"].cite == "the second fit"
    assert twice.count("fit:") == 1
    assert scenario.parameters["ua:trade"].sources == ("data", "fit")


def test_flow_style_parameters_are_refused() -> None:
    flow = TEXT.replace(
        """parameters:
  cost: {dist: fixed, value: 1, source: data}
  ua:
    estimate:
      formula: "~ trade"   # the trade share
    source: data
    unit: "utility"

  # the second player
  ub:
    estimate: {formula: "~ 1"}
    source: [data]
""",
        'parameters: {cost: {dist: fixed, value: 1, source: data}, ua: {estimate: {formula: "~ '
        'trade"}, source: data}, ub: {estimate: {formula: "~ 1"}, source: data}}\n',
    )
    with pytest.raises(InputError, match="flow style"):
        _write(flow)
