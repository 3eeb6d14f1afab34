"""Formulas and regressors: the ``games`` formula syntax, and R's coding of
regressors (treatment contrasts, interactions, column names) checked against
``model.matrix`` output recorded from R."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from realpolitik.errors import InputError
from realpolitik.estimation.canonical import EGAME12, EGAME122
from realpolitik.estimation.design import code_columns, decode_outcome, equation_matrix
from realpolitik.estimation.formula import parse_game_formula, parse_scale_formula


def test_parts_and_intercepts() -> None:
    f = parse_game_formula("Y ~ X1 + X2 - 1 | 1 | 0 | Z1 + Z2")
    assert f.outcome == ("Y",)
    assert [(e.intercept, e.terms) for e in f.equations] == [
        (False, (("X1",), ("X2",))),
        (True, ()),
        (False, ()),
        (True, (("Z1",), ("Z2",))),
    ]
    assert parse_game_formula("esc + war ~ 1").outcome == ("esc", "war")
    assert [e.terms for e in parse_scale_formula("~ W - 1 | Z")] == [(("W",),), (("Z",),)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("y ~ a |", "part 2 is empty"),
        ("y ~ log(x)", "not a column name"),
        ("y ~ a ~ b", "exactly one '~'"),
        ("a b ~ x", "not a column name"),
        ("y ~ a +", "cannot be parsed"),
        ("~ x", "no outcome"),
        ("y ~ 2:x", "not a column name"),
    ],
)
def test_bad_formulas(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_game_formula(text)


def test_matrices_match_r_model_matrix(r_games: dict[str, Any], reference_dir: Any) -> None:
    data = pd.read_csv(reference_dir / "data_122.csv")
    for item in r_games["designs"]:
        (eq,) = parse_scale_formula(item["formula"])
        matrix, names = equation_matrix(data, eq, code_columns(data, eq.columns))
        assert names == item["names"], item["formula"]
        np.testing.assert_allclose(matrix[:6], np.array(item["first_rows"]), rtol=0, atol=1e-12)


def test_categorical_keeps_its_order_and_drops_unused_levels() -> None:
    data = pd.DataFrame(
        {"f": pd.Categorical(["b", "c", "b"], categories=["c", "a", "b"]), "x": [1.0, 2.0, 3.0]}
    )
    (eq,) = parse_scale_formula("~ f")
    matrix, names = equation_matrix(data, eq, code_columns(data, ["f"]))
    assert names == ["(Intercept)", "fb"]  # levels c, b (a unused); c is the reference
    np.testing.assert_array_equal(matrix[:, 1], [1.0, 0.0, 1.0])


def test_outcome_coding() -> None:
    frame = pd.DataFrame({"esc": [0, 1, 1, 0], "war": [0, 0, 1, 1], "y": [2, 5, 9, 5]})
    out = decode_outcome(frame, ["esc", "war"], EGAME12)
    assert out.levels == ("~esc", "esc,~war", "esc,war")
    np.testing.assert_array_equal(out.terminal, [0, 1, 2, 0])
    numeric = decode_outcome(frame, ["y"], EGAME12)
    assert numeric.levels == ("2", "5", "9")
    np.testing.assert_array_equal(numeric.terminal, [0, 1, 2, 1])
    three = pd.DataFrame({"a": [0, 0, 1, 1], "l": [0, 1, 0, 0], "r": [1, 0, 0, 1]})
    out122 = decode_outcome(three, ["a", "l", "r"], EGAME122)
    assert out122.levels == ("~l", "l", "~r", "r")
    np.testing.assert_array_equal(out122.terminal, [0, 1, 2, 3])


def test_categorical_outcome_uses_category_order() -> None:
    y = pd.Categorical(["war", "sq", "cap", "sq"], categories=["sq", "cap", "war"])
    out = decode_outcome(pd.DataFrame({"y": y}), ["y"], EGAME12)
    assert out.levels == ("sq", "cap", "war")
    np.testing.assert_array_equal(out.terminal, [2, 0, 1, 0])


def test_outcome_errors() -> None:
    frame = pd.DataFrame({"y": ["war", "peace", "crisis", "truce"], "a": [0, 2, 1, 0]})
    with pytest.raises(InputError, match="maps to no terminal node"):
        decode_outcome(frame, ["y"], EGAME12, levels=["war", "peace", "crisis"])
    with pytest.raises(InputError, match="give its levels"):
        decode_outcome(frame, ["y"], EGAME12)
    with pytest.raises(InputError, match="hold 0 or 1"):
        decode_outcome(frame, ["a", "a"], EGAME12)
