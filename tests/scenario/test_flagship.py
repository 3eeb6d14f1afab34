"""The built-in scenarios as products (issue 14): provenance of every built-in,
the rebuilt flagship's output contract, and the taiwan-signal link.

The flagship's numbers are not pinned here (they move with the case-library
fit); what is checked is what the issue promises of them: no source dated
after ``as_of``, the compound choice's dimensions reported as marginals of the
joint actions, every judgement value saying why, and the linked scenario
reading the flagship's posterior exactly as Bayes' rule gives it from the
flagship's own type-conditional forecast.
"""

from __future__ import annotations

import itertools
import json
import math

import pytest
from fastapi.testclient import TestClient

import realpolitik as rp
from realpolitik.cli.main import main
from realpolitik.run.links import central_row
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import builtin_names, resolve
from realpolitik.scenario.provenance import first_day
from realpolitik.web import create_app

FLAGSHIP = "china-russia-2022"
DIMENSIONS = {
    "un_stance": ["condemn", "abstain", "back_russia"],
    "sanctions": ["join", "abide", "help_evade"],
    "military_aid": ["none", "dual_use", "lethal"],
    "mediation": ["none", "offer"],
}


@pytest.mark.parametrize("name", builtin_names())
def test_no_builtin_cites_a_source_dated_after_its_as_of(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", name]) == 0
    err = capsys.readouterr().err
    assert "after as_of" not in err
    scenario = resolve(name)
    if scenario.as_of is None:
        return
    day = first_day(scenario.as_of)
    for parameter in scenario.parameters.values():
        for sid in parameter.sources:
            date = scenario.sources[sid].date
            assert date, f"{name}: {parameter.id} cites undated {sid}"
            assert first_day(date) <= day, f"{name}: {parameter.id} cites {sid} of {date}"


def test_every_flagship_value_is_sourced_estimated_or_says_why_it_is_judgement() -> None:
    scenario = resolve(FLAGSHIP)
    for parameter in scenario.parameters.values():
        if parameter.link is not None:
            continue
        assert parameter.sources or parameter.judgement, f"{parameter.id}: no source, no reason"
        if parameter.judgement:
            assert len(parameter.judgement.split()) >= 4, f"{parameter.id}: {parameter.judgement!r}"
    # the seed texts name views; no parameter of the base scenario cites them
    cited = {sid for p in scenario.parameters.values() for sid in p.sources}
    assert not {"hung2022", "techoutlook2022"} & cited
    assert {v.id for v in scenario.views} == {"hung", "techoutlook"}


def test_the_forecast_reports_each_dimension_as_the_marginal_of_the_joint_actions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forecast", FLAGSHIP, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"actions", "pathways", "metrics"} <= set(doc)
    china = doc["dimensions"]["china"]
    assert {d: list(levels) for d, levels in china.items()} == DIMENSIONS
    joint = doc["actions"]["china"]
    # the joint actions left by the scenario's `allow` rule, enumerated here
    allowed = {
        "+".join(levels)
        for levels in itertools.product(*DIMENSIONS.values())
        if not (levels[1] == "join" and (levels[2] != "none" or levels[0] == "back_russia"))
        and not (levels[0] == "condemn" and (levels[1] == "help_evade" or levels[2] == "lethal"))
    }
    assert set(joint) == allowed and len(allowed) == 32
    assert math.isclose(sum(joint.values()), 1.0, abs_tol=1e-9)
    for position, (dimension, levels) in enumerate(DIMENSIONS.items()):
        for level in levels:
            summed = sum(p for a, p in joint.items() if a.split("+")[position] == level)
            assert china[dimension][level] == pytest.approx(summed, abs=1e-9)


def test_taiwan_reads_the_posterior_bayes_rule_gives_from_the_flagship() -> None:
    """us_resolve at the central values is p a / (p a + (1 - p) b), with p the
    flagship's prior that the West is resolute and a, b the probabilities that
    each type of West reaches secondary sanctions (the flagship's
    type-conditional forecast)."""
    flagship = resolve(FLAGSHIP)
    result = rp.forecast(flagship).to_json()
    by_type = result["type_conditional"]["west.type"]
    a = by_type["resolute"]["west"]["reply:secondary"]
    b = by_type["hesitant"]["west"]["reply:secondary"]
    settings = Settings.resolve(flagship)
    p = float(settings.central_row(flagship)[0, flagship.parameter_ids.index("p_resolute")])
    taiwan = resolve("taiwan-signal")
    row = central_row(taiwan, Settings.resolve(taiwan))
    linked = float(row[0, taiwan.parameter_ids.index("us_resolve")])
    assert linked == pytest.approx(p * a / (p * a + (1 - p) * b), rel=1e-6)
    # seeing secondary sanctions makes a resolute West more likely
    assert linked > p


def test_the_server_answers_the_flagship_as_the_command_line_does() -> None:
    """Served, the flagship's estimated terms are computed before anything
    reads the payoffs (admission sizes a request from them)."""
    client = TestClient(create_app([FLAGSHIP]), base_url="http://127.0.0.1")
    answer = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json={})
    assert answer.status_code == 200, answer.text
    served = answer.json()["forecast"]["dimensions"]["china"]
    direct = rp.forecast(FLAGSHIP).to_json()["dimensions"]["china"]
    for dimension, levels in DIMENSIONS.items():
        for level in levels:
            assert served[dimension][level] == pytest.approx(direct[dimension][level], abs=1e-12)
