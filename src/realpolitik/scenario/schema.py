"""A JSON Schema of the scenario format, generated from the loader's rules.

Why this module exists: an editor (VS Code's YAML extension, JetBrains IDEs)
completes and checks a scenario file as it is typed when it knows the file's
JSON Schema. The schema is generated here from the same tables the loader
reads (its top-level, move and parameter keys, the distribution families and
their keys, the solution concepts and their parameters), written to
``scenario/scenario.schema.json`` in the package by
``python -m realpolitik.scenario.schema``, and checked by the tests to match
(so it cannot drift) and to accept every built-in scenario and the template.

The schema checks structure (keys, types, required fields, names); the
loader checks the rest (expressions, references between names, ranges, the
game's shape) and stays the authority: a file the schema accepts can still
be refused by ``realpolitik validate``, with line numbers.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from typing import Any

from realpolitik.concepts import CONCEPTS, forecast_concepts
from realpolitik.scenario.linear import ESTIMATE
from realpolitik.scenario.links import LINK_KEYS
from realpolitik.scenario.load import (
    FORMAT_VERSION,
    ISSUE_ACTOR_KEYS,
    PARAMETER_KEYS,
    TOP_KEYS,
)
from realpolitik.scenario.moves import DIMENSION_KEYS, MOVE_KEYS, TYPE_OBSERVERS
from realpolitik.scenario.provenance import SOURCE_KEYS
from realpolitik.scenario.rounds import MAX_ROUNDS, ROUNDS_KEYS, STATE_KEYS
from realpolitik.scenario.structural import LAMBDA_KEYS
from realpolitik.scenario.views import MAX_VIEWS, VIEW_KEYS, VIEW_PARAMETER_KEYS
from realpolitik.uncertainty.distributions import FAMILIES

__all__ = ["SCHEMA_FILE", "scenario_schema", "shipped_schema"]

SCHEMA_FILE = "scenario.schema.json"
IDENT = "^[A-Za-z_][A-Za-z0-9_]*$"

_EXPRESSION: dict[str, Any] = {
    "description": "an expression (docs/expressions.md)",
    "type": ["string", "number", "boolean"],
}
_TEXT: dict[str, Any] = {"type": ["string", "number"]}


def _named(value: dict[str, Any], what: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": what,
        "propertyNames": {"pattern": IDENT},
        "additionalProperties": value,
    }


def _expression_or(
    keys: tuple[str, ...], required: str = "expr", flags: tuple[str, ...] = ()
) -> dict[str, Any]:
    properties: dict[str, Any] = {k: _TEXT for k in keys}
    properties.update({k: {"type": "boolean"} for k in flags})
    properties[required] = _EXPRESSION
    return {
        "oneOf": [
            _EXPRESSION,
            {
                "type": "object",
                "properties": properties,
                "required": [required],
                "additionalProperties": False,
            },
        ]
    }


def _distribution(name: str, keys: tuple[str, ...] = PARAMETER_KEYS) -> dict[str, Any]:
    """One family's distribution with the metadata ``keys``; where a
    ``source`` is allowed, a ``source`` or a ``judgement`` is required."""
    family = FAMILIES[name]
    numbers = {"type": "number"}
    properties: dict[str, Any] = {"dist": {"const": name}}
    for key in family.keys:
        properties[key] = (
            {"type": "array", "items": numbers, "minItems": 1}
            if key in ("values", "weights")
            else numbers
        )
    for key in keys:
        properties[key] = (
            {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
            if key == "source"
            else _TEXT
        )
    schema: dict[str, Any] = {
        "type": "object",
        "description": family.summary,
        "properties": properties,
        "required": ["dist", *family.required],
        "additionalProperties": False,
    }
    alternatives: list[dict[str, Any]] = []
    if family.one_of:
        alternatives.append({"oneOf": [{"required": [key]} for key in family.one_of]})
    if "source" in keys:
        alternatives.append({"anyOf": [{"required": ["source"]}, {"required": ["judgement"]}]})
    if alternatives:
        schema["allOf"] = alternatives
    return schema


def _prior(keys: tuple[str, ...], what: str) -> dict[str, Any]:
    """A distribution of any family, with the metadata ``keys``."""
    return {
        "type": "object",
        "description": what,
        "required": ["dist"],
        "properties": {"dist": {"enum": list(FAMILIES)}},
        "allOf": [
            {"if": {"properties": {"dist": {"const": n}}}, "then": _distribution(n, keys)}
            for n in FAMILIES
        ],
    }


def _solve() -> dict[str, Any]:
    """The ``solve`` mapping (also a view's ``solve``)."""
    concept_parameters = {p.name for c in CONCEPTS.values() for p in c.parameters}
    precision = {"type": "number", "minimum": 0}
    properties: dict[str, Any] = {
        "concept": {"enum": list(forecast_concepts())},
        "mixture": {
            "type": "object",
            "description": "concepts and their weights (summing to 1)",
            "propertyNames": {"enum": list(forecast_concepts())},
            "additionalProperties": {"type": "number", "minimum": 0},
            "minProperties": 1,
        },
    }
    for name in sorted(concept_parameters):
        properties[name] = (
            {"oneOf": [precision, _prior(LAMBDA_KEYS, "a drawn precision")]}
            if name == "lambda"
            else precision
        )
    return {
        "type": "object",
        "properties": properties,
        "not": {"required": ["concept", "mixture"]},
        "additionalProperties": False,
    }


def _link() -> dict[str, Any]:
    """A linked parameter: its values are another scenario's outcome."""
    given = {
        "type": "array",
        "items": {
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "string"}],
            "minItems": 2,
            "maxItems": 2,
        },
    }
    properties: dict[str, Any] = {key: _TEXT for key in PARAMETER_KEYS if key != "source"}
    properties["link"] = {
        "type": "object",
        "properties": {"scenario": {"type": "string"}, "take": {"type": "string"}, "given": given},
        "required": ["scenario", "take"],
        "additionalProperties": False,
    }
    assert set(properties["link"]["properties"]) == set(LINK_KEYS), "the schema must cover links"
    return {
        "type": "object",
        "description": "taken draw by draw from another scenario's outcome",
        "properties": properties,
        "required": ["link"],
        "additionalProperties": False,
    }


def _estimated() -> dict[str, Any]:
    """A parameter estimated from data (``estimate:``, scenario/linear.py)."""
    properties: dict[str, Any] = {
        key: (
            {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
            if key == "source"
            else _TEXT
        )
        for key in PARAMETER_KEYS
    }
    properties[ESTIMATE] = {
        "type": "object",
        "description": "a linear predictor of data columns, its coefficients once fitted",
        "properties": {
            "formula": {"type": "string", "description": "one-sided: '~ x + z'"},
            "coefficients": {
                "type": "object",
                "description": "each term's distribution: '(Intercept)', 'x', 'x:z'",
                "additionalProperties": _prior(("note",), "the coefficient's distribution"),
            },
        },
        "required": ["formula"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": "estimated from past cases (realpolitik estimate)",
        "properties": properties,
        "required": [ESTIMATE],
        "anyOf": [{"required": ["source"]}, {"required": ["judgement"]}],
        "additionalProperties": False,
    }


def _views() -> dict[str, Any]:
    view_properties: dict[str, Any] = {
        "description": _TEXT,
        "parameters": _named(
            _prior(VIEW_PARAMETER_KEYS, "the view's distribution of the parameter"),
            "parameters this view sees differently",
        ),
        "terms": {
            "type": "object",
            "description": "payoff terms (actor.term) and the weight this view gives them",
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*[.][A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {"type": "number"},
        },
        "solve": _solve(),
    }
    assert set(view_properties) == set(VIEW_KEYS), "the schema must cover every view key"
    return {
        **_named(
            {"type": "object", "properties": view_properties, "additionalProperties": False},
            "analysts' views: changes to the parameters, terms and solution concept",
        ),
        "maxProperties": MAX_VIEWS,
    }


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file."""
    action_list = {
        "oneOf": [
            {"type": "array", "items": {"type": "string", "pattern": IDENT}, "minItems": 1},
            _named(
                {
                    "oneOf": [
                        {"type": "string"},
                        {
                            "type": "object",
                            "properties": {"label": {"type": "string"}},
                            "additionalProperties": False,
                        },
                    ]
                },
                "action ids and their labels",
            ),
        ]
    }
    observers = {
        "oneOf": [
            {"type": "string", "pattern": IDENT},
            {"type": "array", "items": {"type": "string", "pattern": IDENT}},
        ],
        "description": "the actors who see this choice (besides the mover)",
    }
    dimension_properties: dict[str, Any] = {key: _TEXT for key in DIMENSION_KEYS}
    dimension_properties.update({"levels": action_list, "observed_by": observers})
    dimension = {
        "oneOf": [
            action_list,
            {
                "type": "object",
                "properties": dimension_properties,
                "required": ["levels"],
                "additionalProperties": False,
            },
        ]
    }
    move_properties: dict[str, Any] = {key: _TEXT for key in MOVE_KEYS}
    move_properties.update(
        {
            "id": {"type": "string", "pattern": IDENT},
            "actor": {"type": "string", "pattern": IDENT},
            "actions": action_list,
            "actors": _named(action_list, "simultaneous movers and their actions"),
            "chance": _named(_EXPRESSION, "chance outcomes and their probabilities"),
            "dimensions": _named(dimension, "a compound move's dimensions and their levels"),
            "allow": _EXPRESSION,
            "when": _EXPRESSION,
            "observed_by": observers,
        }
    )
    assert set(move_properties) == set(MOVE_KEYS), "the schema must cover every move key"
    move = {
        "type": "object",
        "properties": move_properties,
        "required": ["id"],
        "additionalProperties": False,
        "oneOf": [
            {"required": ["actor", "actions"]},
            {"required": ["actor", "dimensions"]},
            {"required": ["actors"]},
            {"required": ["chance"]},
        ],
    }
    types = _named(
        {
            "type": "object",
            "description": "the actor's types and their prior probabilities (expressions)",
            "properties": {TYPE_OBSERVERS: observers},
            "propertyNames": {"pattern": IDENT},
            "additionalProperties": _EXPRESSION,
        },
        "actors with private information",
    )
    stance = {"oneOf": [{"type": "number"}, {"type": "string"}]}
    issue = {
        "type": "object",
        "properties": {
            "description": _TEXT,
            "scale": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
            "actors": _named(
                {
                    "type": "object",
                    "properties": {k: stance for k in ISSUE_ACTOR_KEYS},
                    "required": list(ISSUE_ACTOR_KEYS),
                    "additionalProperties": False,
                },
                "each actor's position, capability and salience",
            ),
        },
        "required": ["actors"],
        "additionalProperties": False,
    }
    correlation = {
        "oneOf": [
            {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "string"}, {"type": "number"}],
                "minItems": 3,
                "maxItems": 3,
            },
            {
                "type": "object",
                "properties": {
                    "between": {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    "rho": {"type": "number"},
                },
                "required": ["between", "rho"],
                "additionalProperties": False,
            },
        ]
    }
    properties: dict[str, Any] = {
        "format": {"const": FORMAT_VERSION},
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*$"},
        "title": _TEXT,
        "description": _TEXT,
        "as_of": {"type": "string", "description": "the date of the information used, ISO 8601"},
        "sources": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {
                            **{key: _TEXT for key in SOURCE_KEYS},
                            "date": {
                                "type": "string",
                                "description": "when the source was published: YYYY, YYYY-MM "
                                "or YYYY-MM-DD",
                            },
                        },
                        "required": ["cite"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "actors": _named(
            {
                "oneOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {"name": _TEXT, "description": _TEXT},
                        "additionalProperties": False,
                    },
                ]
            },
            "actor ids and their names",
        ),
        "parameters": _named(
            {
                "oneOf": [
                    _prior(PARAMETER_KEYS, "a distribution and its source"),
                    _link(),
                    _estimated(),
                ]
            },
            "uncertain parameters: a distribution and a source (or judgement) each, a link, "
            "or a formula to estimate",
        ),
        "moves": {"type": "array", "items": move, "minItems": 1},
        "derived": _named(_expression_or(("description",)), "named intermediate quantities"),
        "payoffs": _named(
            _named(_expression_or(("description",), flags=("per_round",)), "payoff terms"),
            "each actor's payoff as named terms",
        ),
        "metrics": _named(_expression_or(("unit", "description")), "outcome metrics"),
        "issues": _named(issue, "bargaining issues"),
        "solve": _solve(),
        "views": _views(),
        "correlations": {"type": "array", "items": correlation},
        "types": types,
        "rounds": {
            "type": "object",
            "description": "a stage of moves repeated over a horizon, with state",
            "properties": {
                **{key: _TEXT for key in ROUNDS_KEYS},
                "count": {"type": "integer", "minimum": 1, "maximum": MAX_ROUNDS},
                "stage": {
                    "oneOf": [
                        {"type": "string", "pattern": IDENT},
                        {"type": "array", "items": {"type": "string", "pattern": IDENT}},
                    ]
                },
                "discount": _EXPRESSION,
                "state": _named(
                    {
                        "type": "object",
                        "properties": {
                            **{key: _TEXT for key in STATE_KEYS},
                            "initial": _EXPRESSION,
                            "next": _EXPRESSION,
                        },
                        "required": ["initial", "next"],
                        "additionalProperties": False,
                    },
                    "state carried from round to round",
                ),
            },
            "required": ["count", "stage"],
            "additionalProperties": False,
        },
    }
    assert set(properties) == set(TOP_KEYS), "the schema must cover every top-level key"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://realpolitik.invalid/scenario.schema.json",
        "title": "realpolitik scenario",
        "description": "A crisis scenario for realpolitik (docs/scenario-format.md). "
        "Generated from the loader's rules by realpolitik.scenario.schema.",
        "type": "object",
        "properties": properties,
        "required": ["id", "actors", "moves", "payoffs"],
        "additionalProperties": False,
    }


def shipped_schema() -> dict[str, Any]:
    """The schema file that ships with the package."""
    text = resources.files("realpolitik.scenario").joinpath(SCHEMA_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def main() -> None:
    """Write the schema: ``python -m realpolitik.scenario.schema > scenario.schema.json``."""
    sys.stdout.write(json.dumps(scenario_schema(), indent=2) + "\n")


if __name__ == "__main__":
    main()
