"""The scenario format's JSON Schema: generated from the loader's rules,
shipped as package data unchanged, valid as a draft 2020-12 schema, accepting
every built-in scenario, the shipped example and the template, and refusing
the mistakes the loader refuses (checked with the independent ``jsonschema``
package); and ``realpolitik new``'s template validates as written."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from realpolitik.cli.main import main
from realpolitik.errors import InputError
from realpolitik.examples import example_path
from realpolitik.scenario.load import builtin_names, load
from realpolitik.scenario.schema import scenario_schema, shipped_schema

LIBRARY = resources.files("realpolitik.scenario.library")


def template(name: str = "my-crisis") -> str:
    text = resources.files("realpolitik.scenario").joinpath("template.yaml").read_text("utf-8")
    return text.replace("{name}", name)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = shipped_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert shipped_schema() == scenario_schema()


def _valid_texts() -> list[tuple[str, str]]:
    texts = [
        (name, LIBRARY.joinpath(f"{name}.yaml").read_text("utf-8")) for name in builtin_names()
    ]
    texts.append(("third-state", example_path("third-state.yaml").read_text("utf-8")))
    texts.append(("template", template()))
    texts.append(("doc-views", views_example()))
    return texts


def views_example() -> str:
    """The worked example of provenance, views and a drawn lambda
    (docs/scenario-format.md)."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"
    marker = "# worked example: provenance, views and structural uncertainty"
    text = doc.read_text(encoding="utf-8")
    start = text.index(marker)
    return text[start : text.index("```", start)]


@pytest.mark.parametrize(("name", "text"), _valid_texts(), ids=lambda v: str(v)[:20])
def test_every_shipped_scenario_validates(
    validator: jsonschema.Draft202012Validator, name: str, text: str
) -> None:
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(text))]
    assert errors == []
    load(text=text, name=f"{name}.yaml")  # and the loader agrees


BAD = {
    "a mistyped section": ("\nparameters:", "\nparamters:"),
    "a parameter without a source": (
        'unit: "% of the challenger\'s GDP", source: judgement}',
        'unit: "% of the challenger\'s GDP"}',
    ),
    "an unknown distribution": ("dist: pert", "dist: prt"),
    "a move without an id": ("  - id: escalation\n    actor", "  - actor"),
    "a bad actor id": ("  challenger: Challenger", "  2nd: Challenger"),
    "an unknown concept": ("concept: qre", "concept: nash"),
    "a link with a distribution and no target": (
        'unit: "% of the challenger\'s GDP", source: judgement}',
        'unit: "%", link: {scenario: other.yaml}}',
    ),
}


@pytest.mark.parametrize("mistake", list(BAD))
def test_mistakes_are_refused_by_the_schema_and_the_loader(
    validator: jsonschema.Draft202012Validator, mistake: str
) -> None:
    old, new = BAD[mistake]
    good = template()
    assert old in good
    data: Any = yaml.safe_load(good.replace(old, new, 1))
    assert list(validator.iter_errors(data)), mistake
    with pytest.raises(InputError):
        load(text=good.replace(old, new, 1), name="bad.yaml")


def test_new_writes_a_template_that_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "border-crisis", "--dir", str(tmp_path)]) == 0
    written = tmp_path / "border-crisis.yaml"
    assert load(written).id == "border-crisis"
    assert (tmp_path / "scenario.schema.json").exists()
    assert main(["validate", str(written)]) == 0
    capsys.readouterr()
    assert main(["new", "border-crisis", "--dir", str(tmp_path)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["new", "bad name!", "--dir", str(tmp_path)]) == 2


def _hand_scenarios() -> list[tuple[str, str]]:
    import hand_scenarios

    return [
        (name, value)
        for name, value in sorted(vars(hand_scenarios).items())
        if isinstance(value, str) and "\nmoves:" in value
    ]


@pytest.mark.parametrize(("name", "text"), _hand_scenarios(), ids=[n for n, _ in _hand_scenarios()])
def test_the_hand_solved_scenarios_validate(
    validator: jsonschema.Draft202012Validator, name: str, text: str
) -> None:
    """Compound moves, private types and rounds (tests/hand_scenarios.py)."""
    load(text=text, name=f"{name}.yaml")
    assert [e.message for e in validator.iter_errors(yaml.safe_load(text))] == []
