"""The registry of solution concepts (:mod:`realpolitik.concepts`): look-ups
with did-you-mean, which concepts forecast, parameter checks, and the plain
description the API serves."""

from __future__ import annotations

import pytest

from realpolitik.concepts import (
    CONCEPTS,
    LAMBDA,
    concept,
    forecast_concept,
    forecast_concepts,
)
from realpolitik.errors import InputError


def test_the_five_concepts_and_which_forecast() -> None:
    assert set(CONCEPTS) == {"pure-nash", "mixed-nash", "spe", "qre", "logit-limit"}
    # a scenario forecast needs a solver vectorised over draws of a tree
    assert forecast_concepts() == ("spe", "qre", "logit-limit")
    assert CONCEPTS["logit-limit"].parameters == ()
    assert [p.name for p in CONCEPTS["qre"].parameters] == ["lambda"]
    assert CONCEPTS["spe"].parameters == ()


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(InputError, match=r"unknown concept 'qr' \(did you mean 'qre'\?\)"):
        concept("qr")
    with pytest.raises(InputError, match=r"use spe, qre or logit-limit$"):
        forecast_concept("nash")
    refusal = "does not forecast scenarios; use spe, qre or logit-limit"
    with pytest.raises(InputError, match=refusal):
        forecast_concept("pure-nash")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "got -1.0"),
        (float("inf"), "got inf"),
        (float("nan"), "got nan"),
        (True, "must be a number"),
        ("2", "must be a number"),
        (10**400, "beyond the float range"),
    ],
)
def test_lambda_is_checked(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        LAMBDA.check(value, "--lambda")


def test_lambda_accepts_finite_non_negative_numbers() -> None:
    assert LAMBDA.check(0) == 0.0
    assert LAMBDA.check(2.5) == 2.5
    assert CONCEPTS["qre"].defaults() == {"lam": LAMBDA.default}
    assert CONCEPTS["qre"].parameter("lambda") is LAMBDA
    assert CONCEPTS["qre"].parameter("lam") is LAMBDA


def test_describe_is_plain_data() -> None:
    described = CONCEPTS["qre"].describe()
    assert described["name"] == "qre" and described["forecasts"] is True
    assert described["parameters"] == [
        {"name": "lambda", "description": LAMBDA.description, "default": 1.0, "minimum": 0.0}
    ]
