"""The expression language: values computed by hand, precedence, action tests,
broadcasting, and every error with its exact message and column.

Expected values are hand calculations, written beside each case.
"""

from __future__ import annotations

import inspect
import math
import pickle
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from realpolitik.errors import InputError
from realpolitik.scenario.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    Chain,
    ExpressionContext,
    ExpressionError,
    NonFiniteError,
    Number,
    Power,
    Unary,
    free_names,
    parse_expression,
    parse_tree,
)

CHINA = ("join", "neutral", "covert_assist", "overt_support")
WEST = ("mild", "harsh_sanctions")
CTX = ExpressionContext(
    parameters=frozenset({"x", "y", "z", "trade_exposure", "sanctions_severity", "detection_base"}),
    actors={"china": CHINA, "west": WEST},
    numbers=frozenset({"metric"}),
    conditions=frozenset({"detected"}),
)
# x = 2, y = 3, z = -1 in the value table below.
SCALARS: dict[str, Any] = {
    "x": 2.0,
    "y": 3.0,
    "z": -1.0,
    "trade_exposure": 4.0,
    "sanctions_severity": 0.5,
    "detection_base": 0.3,
    "metric": 10.0,
    "detected": np.True_,
}


def value(text: str, params: Mapping[str, Any] = SCALARS, actions: Any = None) -> Any:
    result = parse_expression(text, CTX).evaluate(params, actions)
    return result.item() if result.ndim == 0 else result


# ---------------------------------------------------------------------------
# Values by hand
# ---------------------------------------------------------------------------
NUMBERS = [
    ("1 + 2 * 3", 7.0),  # * before +: 1 + 6
    ("(1 + 2) * 3", 9.0),  # 3 * 3
    ("2 ** 3 ** 2", 512.0),  # right-assoc: 2 ** 9
    ("(2 ** 3) ** 2", 64.0),  # 8 ** 2
    ("-2 ** 2", -4.0),  # -(2 ** 2), as in Python
    ("(-2) ** 2", 4.0),
    ("2 ** -1", 0.5),  # signed exponent
    ("2 ** -1 ** 2", 0.5),  # 2 ** (-(1 ** 2)) = 2 ** -1
    ("-x ** 2", -4.0),  # -(2 ** 2)
    ("10 - 4 - 3", 3.0),  # (10 - 4) - 3
    ("8 / 4 / 2", 1.0),  # (8 / 4) / 2
    ("2 / 4 / 2", 0.25),
    ("x * y - y / x", 4.5),  # 6 - 1.5
    ("x - y * z", 5.0),  # 2 - (3 * -1)
    ("- - x", 2.0),
    ("--x", 2.0),
    ("+x", 2.0),
    ("-z", 1.0),
    ("x ** y", 8.0),
    ("y ** x ** 0", 3.0),  # 3 ** (2 ** 0) = 3 ** 1
    ("min(x, y, z)", -1.0),
    ("max(x, y, z)", 3.0),
    ("max(z, 0)", 0.0),
    ("min(x, y) + max(x, y)", 5.0),  # 2 + 3
    ("clip(y, 0, x)", 2.0),  # 3 clipped to [0, 2]
    ("clip(z, 0, x)", 0.0),  # -1 clipped to [0, 2]
    ("clip(1.5, 0, x)", 1.5),
    ("abs(z)", 1.0),
    ("abs(x - y) * 2", 2.0),  # |2 - 3| * 2
    ("exp(0)", 1.0),
    ("log(1)", 0.0),
    ("where(x > y, 1, 2)", 2.0),  # 2 > 3 is false
    ("where(x < y, x, y)", 2.0),
    ("where(true, true, 5)", 1.0),  # a number branch makes a number: true -> 1
    ("true + true", 2.0),  # booleans count as 0/1
    ("-true", -1.0),
    ("(x > 1) * 10", 10.0),
    ("(x > 1) + (y > 5)", 1.0),  # 1 + 0
    ("1.5e1 + .5", 15.5),
    ("1E+2 - 2.", 98.0),
    ("0.2 * (west == harsh_sanctions)", 0.2),  # with west = harsh below
    ("metric / 4", 2.5),
    ("detected * 3", 3.0),
    ("-trade_exposure * sanctions_severity * (china in [covert_assist, overt_support])", -2.0),
    ("clip(detection_base + 0.2 * (west == harsh_sanctions), 0, 1)", 0.5),  # 0.3 + 0.2
    ("clip(detection_base + 0.8 * (west == harsh_sanctions), 0, 1)", 1.0),  # 1.1 -> 1
]

BOOLEANS = [
    ("x == 2", True),
    ("x != 2", False),
    ("x >= 2 and x <= 2", True),
    ("x < y", True),
    ("not x > 3", True),  # not (2 > 3)
    ("true or true and false", True),  # true or (true and false); left-to-right would be false
    ("not true or true", True),  # (not true) or true; not (true or true) would be false
    ("not (true or true)", False),
    ("not not true", True),
    ("false or false or true", True),
    ("(1 < 2) == true", True),  # booleans compare as 0/1
    ("(x > 1) == (y > 1)", True),
    ("true > false", True),  # 1 > 0
    ("x > 1 and y > 5 or z < 0", True),  # (T and F) or T
    ("x > 1 and (y > 5 or z < 0)", True),
    ("x > 1 and (y > 5 or z > 0)", False),
    ("where(x > 1, y > 5, true)", False),  # both branches boolean: a boolean
    ("detected and x > 1", True),
    ("china == covert_assist", True),  # china = covert_assist below
    ("china in [join, covert_assist]", True),
    ("china not in [join, covert_assist]", False),
    ("moved(china)", True),
]

ACTIONS = {"china": np.int64(2), "west": np.int64(1)}  # covert_assist, harsh_sanctions


@pytest.mark.parametrize(("text", "expected"), NUMBERS)
def test_number_values(text: str, expected: float) -> None:
    expression = parse_expression(text, CTX)
    assert expression.kind == "number"
    assert value(text, actions=ACTIONS) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("text", "expected"), BOOLEANS)
def test_boolean_values(text: str, expected: bool) -> None:
    expression = parse_expression(text, CTX)
    assert expression.kind == "boolean"
    result = expression.evaluate(SCALARS, ACTIONS)
    assert result.dtype == np.bool_
    assert bool(result) is expected


def test_log_of_exp_round_trips() -> None:
    # log(exp(2)) = 2 up to rounding.
    assert value("log(exp(2))") == pytest.approx(2.0, rel=1e-15)


def test_precedence_shapes_of_tree() -> None:
    # -2 ** 2 is a minus applied to a power, not a power of -2.
    tree = parse_tree("-2 ** 2")
    assert isinstance(tree, Unary) and isinstance(tree.operand, Power)
    # a - b + c is one left-to-right chain of two operators.
    chain = parse_tree("a - b + c")
    assert isinstance(chain, Chain)
    assert [op for op, _ in chain.rest] == ["-", "+"]
    # 2 ** 3 ** 2: the exponent is itself a power (right-associative).
    power = parse_tree("2 ** 3 ** 2")
    assert isinstance(power, Power) and isinstance(power.exponent, Power)
    assert isinstance(power.base, Number)


# ---------------------------------------------------------------------------
# Action tests and paths where the actor did not move
# ---------------------------------------------------------------------------
# Paths: china took join, neutral, covert_assist, overt_support, did not move.
PATHS = np.array([0, 1, 2, 3, -1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("china == covert_assist", [0, 0, 1, 0, 0]),
        ("china != covert_assist", [1, 1, 0, 1, 1]),  # true where china did not move
        ("china in [covert_assist, overt_support]", [0, 0, 1, 1, 0]),
        ("china not in [covert_assist, overt_support]", [1, 1, 0, 0, 1]),
        ("china in [join]", [1, 0, 0, 0, 0]),
        ("china not in [join]", [0, 1, 1, 1, 1]),
        ("china in [overt_support, join, neutral]", [1, 1, 0, 1, 0]),
        ("moved(china)", [1, 1, 1, 1, 0]),
        ("not moved(china)", [0, 0, 0, 0, 1]),
        ("moved(china) and china != covert_assist", [1, 1, 0, 1, 0]),
    ],
)
def test_action_tests_on_paths(text: str, expected: list[int]) -> None:
    result = parse_expression(text, CTX).evaluate({}, {"china": PATHS})
    np.testing.assert_array_equal(result, np.array(expected, dtype=bool))


def test_action_test_in_arithmetic() -> None:
    # 0.2 * (west == harsh) + (china in [covert, overt]) on five paths:
    # west:  mild, harsh, harsh, -1, harsh -> 0, .2, .2, 0, .2
    # china: join, covert, -1, overt, covert -> 0, 1, 0, 1, 1
    text = "0.2 * (west == harsh_sanctions) + (china in [covert_assist, overt_support])"
    result = parse_expression(text, CTX).evaluate(
        {}, {"west": np.array([0, 1, 1, -1, 1]), "china": np.array([0, 2, -1, 3, 2])}
    )
    np.testing.assert_allclose(result, [0.0, 1.2, 0.2, 1.0, 1.2])


def test_action_ids_may_repeat_across_actors_and_shadow_parameters() -> None:
    ctx = ExpressionContext(
        parameters=frozenset({"wait"}),
        actors={"russia": ("escalate", "wait"), "nature": ("wait", "detected")},
    )
    # `wait` is a parameter outside tests and an action inside them.
    e = parse_expression("wait * (russia == wait) + (nature == wait)", ctx)
    result = e.evaluate({"wait": 5.0}, {"russia": np.array([1, 0]), "nature": np.array([0, 1])})
    np.testing.assert_allclose(result, [6.0, 0.0])  # 5*1 + 1, 5*0 + 0
    assert e.actions_tested == {("russia", "wait"), ("nature", "wait")}


# ---------------------------------------------------------------------------
# Broadcasting: draws x terminals
# ---------------------------------------------------------------------------
def test_broadcast_draws_by_terminals() -> None:
    text = (
        "-trade_exposure * sanctions_severity * (china in [covert_assist, overt_support]) "
        "* detected"
    )
    params = {
        "trade_exposure": np.array([[1.0], [2.0], [3.0]]),  # (draws, 1)
        "sanctions_severity": np.array([[0.5], [0.5], [1.0]]),
        "detected": np.array([[True], [False], [True]]),
    }
    actions = {"china": np.array([[0, 2, 3, -1]])}  # (1, terminals)
    result = parse_expression(text, CTX).evaluate(params, actions)
    # per draw: -1*0.5*1 = -0.5, -2*0.5*0 = 0, -3*1*1 = -3; per terminal mask 0 1 1 0
    expected = np.array(
        [
            [0.0, -0.5, -0.5, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [0.0, -3.0, -3.0, 0.0],
        ]
    )
    assert result.shape == (3, 4) and result.dtype == np.float64
    np.testing.assert_array_equal(result, expected)


def test_large_broadcast_in_place_is_correct_and_leaves_inputs_alone() -> None:
    # Big enough that the kernels write into their own temporaries.
    rng = np.random.default_rng(1)
    draws, terminals = 3000, 7
    a = rng.normal(size=(draws, 1))
    b = rng.normal(size=(draws, 1))
    china = rng.integers(-1, 4, size=(1, terminals))
    a0, b0, china0 = a.copy(), b.copy(), china.copy()
    text = (
        "-(a * b * (china == covert_assist) + b - a * (china != join)) / 2 "
        "+ clip(abs(a) * b, -1, 1) - max(a, b, 0)"
    )
    ctx = ExpressionContext(frozenset({"a", "b"}), {"china": CHINA})
    result = parse_expression(text, ctx).evaluate({"a": a, "b": b}, {"china": china})
    covert = (china == 2).astype(float)
    not_join = (china != 0).astype(float)
    expected = (
        -(a * b * covert + b - a * not_join) / 2
        + np.minimum(np.maximum(np.abs(a) * b, -1), 1)
        - np.maximum(np.maximum(a, b), 0)
    )
    np.testing.assert_allclose(result, expected, rtol=1e-15, atol=1e-15)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(china, china0)


def test_result_is_a_new_array() -> None:
    x = np.arange(5.0)
    result = parse_expression("x", CTX).evaluate({"x": x})
    result[:] = -1
    np.testing.assert_array_equal(x, np.arange(5.0))
    assert parse_expression("+x", CTX).evaluate({"x": x}) is not x


def test_constant_is_folded_and_zero_dimensional() -> None:
    e = parse_expression("clip(0.3 + 0.2 * 2, 0, 1)", CTX)
    assert e.constant == pytest.approx(0.7)
    assert e.parameters == frozenset()
    assert e.evaluate({}).shape == ()
    assert parse_expression("1 < 2", CTX).constant is True
    assert parse_expression("x + 1", CTX).constant is None


def test_int_and_list_inputs_are_accepted() -> None:
    result = parse_expression("x / 4", CTX).evaluate({"x": [1, 2]})
    np.testing.assert_array_equal(result, [0.25, 0.5])


# ---------------------------------------------------------------------------
# IEEE semantics and check_finite
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 / 0", math.inf),
        ("-1 / 0", -math.inf),
        ("0 / 0", math.nan),
        ("log(0)", -math.inf),
        ("log(-1)", math.nan),
        ("exp(1000)", math.inf),
        ("10 ** 400", math.inf),
        ("(-8) ** (1 / 3)", math.nan),
        ("0 ** -1", math.inf),
        ("max(0 / 0, 1)", math.nan),  # nan propagates
        ("clip(0 / 0, 0, 1)", math.nan),
    ],
)
def test_ieee_special_values(text: str, expected: float) -> None:
    got = value(text)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def test_nan_comparisons_are_false() -> None:
    assert value("0 / 0 > 0") is False
    assert value("0 / 0 == 0 / 0") is False
    assert value("0 / 0 != 0 / 0") is True


def test_where_guards_division() -> None:
    # a / b where b != 0, else 0: b = [2, 0] -> [3/2, 0]
    ctx = ExpressionContext(frozenset({"a", "b"}))
    e = parse_expression("where(b != 0, a / b, 0)", ctx)
    result = e.evaluate({"a": np.array([3.0, 3.0]), "b": np.array([2.0, 0.0])}, check_finite=True)
    np.testing.assert_array_equal(result, [1.5, 0.0])


def test_check_finite_reports_count_and_first_index() -> None:
    e = parse_expression("x / (y - 3)", CTX)
    y = np.array([[1.0], [3.0], [3.0]])
    x = np.array([[1.0, 0.0]])
    # (x / (y - 3)): row 0: finite; rows 1, 2: 1/0 = inf and 0/0 = nan -> 4 values
    with pytest.raises(NonFiniteError) as caught:
        e.evaluate({"x": x, "y": y}, check_finite=True)
    assert caught.value.count == 4
    assert caught.value.index == (1, 0)
    assert str(caught.value) == (
        "`x / (y - 3)` is inf for 4 of 6 values (first at index (1, 0)); check the parameter "
        "ranges, or guard the formula with `clip`, `max` or `where`"
    )
    assert isinstance(caught.value, InputError)
    # without the check the values come back
    assert np.isinf(e.evaluate({"x": x, "y": y})[1, 0])


# ---------------------------------------------------------------------------
# Attributes
# ---------------------------------------------------------------------------
def test_expression_attributes() -> None:
    e = parse_expression(
        "-trade_exposure * sanctions_severity * (china in [covert_assist, overt_support])"
        " * detected + metric * (west == mild)",
        CTX,
    )
    assert e.kind == "number"
    assert e.parameters == {"trade_exposure", "sanctions_severity"}
    assert e.names == {"detected", "metric"}
    assert e.actors == {"china", "west"}
    assert e.actions_tested == {
        ("china", "covert_assist"),
        ("china", "overt_support"),
        ("west", "mild"),
    }
    assert e.columns["trade_exposure"] == (2,)
    assert e.columns["china"] == (41,)
    assert str(e) == e.text


def test_expect_number_reads_a_condition_as_zero_one() -> None:
    e = parse_expression("china == join", CTX, expect="number")
    assert e.kind == "number"
    result = e.evaluate({}, {"china": np.array([0, 1, -1])})
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [1.0, 0.0, 0.0])


def test_expect_boolean_rejects_a_number() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("x + 1", CTX, expect="boolean")
    assert str(caught.value) == (
        "this field needs a condition (true or false), but `x + 1` is a number; "
        "compare it, e.g. `x + 1 > 0` (column 1)"
    )


def test_pickle_round_trip_and_equality() -> None:
    e = parse_expression("clip(x + 0.2 * (west == harsh_sanctions), 0, 1)", CTX)
    again = pickle.loads(pickle.dumps(e))
    assert again == e and hash(again) == hash(e)
    params = {"x": np.array([0.1, 0.9])}
    acts = {"west": np.array([1, 1])}
    np.testing.assert_array_equal(again.evaluate(params, acts), e.evaluate(params, acts))
    assert parse_expression("x", CTX) != parse_expression("y", CTX)


def test_free_names() -> None:
    # columns are 1-based: `base` starts at 6 and 39, `q` at 71
    text = "clip(base + 0.2 * (west == harsh), 0, base) + (china in [a, b]) * max(q, 1)"
    assert free_names(text) == {
        "base": (6, 39),
        "west": (20,),
        "harsh": (28,),  # cannot be told from a value without a context
        "china": (48,),  # list items and functions are left out
        "q": (71,),
    }


# ---------------------------------------------------------------------------
# Errors: exact messages and columns
# ---------------------------------------------------------------------------
ERRORS = [
    # syntax
    ("", "expression is empty; write a number, a parameter or a condition", 1),
    ("   ", "expression is empty; write a number, a parameter or a condition", 1),
    ("1 + ", "expression ends after `+`; a number, a name or `(` should follow", 5),
    ("* 2", "expected a number, a name or `(` at the start, found `*`", 1),
    ("x + * y", "expected a number, a name or `(` after `+`, found `*`", 5),
    ("x y", "unexpected `y` after `x`; is an operator missing?", 3),
    (
        "2x",
        "malformed number `2x`; numbers look like 3, 0.25 or 1.5e-3, "
        "and a number times a name is written `2 * x`",
        1,
    ),
    (
        "1.2.3",
        "malformed number `1.2.3`; numbers look like 3, 0.25 or 1.5e-3, "
        "and a number times a name is written `2 * x`",
        1,
    ),
    ("1e999", "number `1e999` is too large; numbers must be below about 1.8e308", 1),
    ("x = 1", "`=` is not an operator; write `==` to compare", 3),
    ("x && y", "`&` is not an operator; write `and`", 3),
    ("x || y", "`|` is not an operator; write `or`", 3),
    ("!x", "`!` is not an operator; write `not` to negate, or `!=` to compare", 1),
    ("x ^ 2", "`^` is not an operator; write `**` for powers", 3),
    ("x % 2", "`%` (remainder) is not supported; write the formula with + - * / **", 3),
    (
        "china == 'join'",
        "quotes are not needed: action names are written bare, as in `china == covert_assist`",
        10,
    ),
    (
        "x.y",
        "unknown name `x.y`: a dotted name is a subject, a compound move's dimension "
        "(`china.sanctions`) or an actor's type (`china.type`)",
        1,
    ),
    (
        "x . y",
        "unexpected `.`; only subjects contain dots (`china.type`, `china.sanctions`), "
        "and numbers are written like 0.5",
        3,
    ),
    ("x $ y", "unexpected character `$`", 3),
    ("x\u00a0+ 1", "unexpected character U+00A0 (NO-BREAK SPACE)", 2),
    ("ä + 1", "unexpected character `ä`", 1),
    ("((x)", "`(` at column 1 is never closed; add `)`", 1),
    (
        "(x + 1 y)",
        "expected `)` to close the `(` at column 1, found `y`; is an operator missing?",
        8,
    ),
    ("x)", "unmatched `)`; remove it or add `(` before it", 2),
    ("x]", "unmatched `]`; remove it or add `[` before it", 2),
    ("x, y", "unexpected `,` outside a function call or a list of actions", 2),
    ("max(x, y", "`(` at column 4 is never closed; add `)`", 4),
    ("max(x y)", "expected `,` or `)` in the call of `max`, found `y`", 7),
    ("max(x,)", "expected a number, a name or `(` after `,`, found `)`", 7),
    (
        "[join]",
        "a list `[...]` can only follow `in` or `not in`, as in "
        "`china in [covert_assist, overt_support]`",
        1,
    ),
    (
        "x < y < 1",
        "comparisons cannot be chained; write `a < b and b < c` "
        "or put one comparison in parentheses",
        7,
    ),
    ("1 + not x", "`not` cannot follow `+` directly; put it in parentheses: `(not ...)`", 5),
    (
        "china in join",
        "`in` needs a list of actions after it, as in `china in [covert_assist, overt_support]`",
        10,
    ),
    ("china in []", "the list after `in` is empty; name at least one action", 10),
    ("china in [join", "`[` at column 10 is never closed; add `]`", 10),
    ("china in [join neutral]", "expected `,` or `]` in the list after `in`, found `neutral`", 16),
    ("china in [1]", "expected an action name in the list after `in`, found `1`", 11),
    (
        "china in [join] * 2",
        "put the action test in parentheses before `*`: `(... in [...]) * ...`",
        17,
    ),
    # names
    ("trade_exposre", "unknown name `trade_exposre`; did you mean `trade_exposure`?", 1),
    (
        "x + qqq",
        "unknown name `qqq`: not a parameter, actor or function here (parameters: "
        "detection_base, sanctions_severity, trade_exposure, x, y, z)",
        5,
    ),
    (
        "covert_assist",
        "`covert_assist` is an action of china, not a value; test it with `china == covert_assist`",
        1,
    ),
    (
        "china == covert_assist or overt_support",
        "`overt_support` is an action of china, not a value; test it with `china == overt_support`",
        27,
    ),
    (
        "china + 1",
        "`china` is an actor, not a value; test its action, e.g. `china == join` "
        "or `china in [join, neutral]`",
        1,
    ),
    ("max + 1", "`max` is a function; call it as `max(a, b, ...)`", 1),
    ("mx(x, y)", "unknown function `mx`; did you mean `max`?", 1),
    (
        "foo(x)",
        "unknown function `foo` (functions: abs, clip, exp, log, max, min, moved, where)",
        1,
    ),
    (
        "x(2)",
        "`x` is not a function; write `x * (...)` to multiply (functions: abs, clip, "
        "exp, log, max, min, moved, where)",
        1,
    ),
    # action tests
    ("china == joint", "`joint` is not an action of china; did you mean `join`?", 10),
    (
        "china == harsh_sanctions",
        "`harsh_sanctions` is not an action of china (its actions: "
        "join, neutral, covert_assist, overt_support)",
        10,
    ),
    (
        "china == 1",
        "`china == ...` needs one of china's actions on the right (join, neutral, "
        "covert_assist, overt_support), not `1`",
        10,
    ),
    (
        "china < join",
        "an actor's action can only be tested with `==`, `!=`, `in` or `not in`, not `<`",
        7,
    ),
    (
        "join == china",
        "`china` is an actor; an action test has the actor on the left of `==`; "
        "write the actor first: `china == join`",
        9,
    ),
    ("x in [join]", "`in` needs an actor, but `x` is a parameter (actors: china, west)", 1),
    ("chian in [join]", "`in` needs an actor, but `chian` is not one; did you mean `china`?", 1),
    ("(x + 1) in [join]", "`in` needs an actor's name, not `x + 1` (actors: china, west)", 2),
    ("china in [join, join]", "`join` appears twice in the list; remove one", 17),
    (
        "china not in [join, overt]",
        "`overt` is not an action of china; did you mean `overt_support`?",
        21,
    ),
    ("moved(x)", "`moved` needs an actor, but `x` is a parameter (actors: china, west)", 7),
    (
        "moved(metric)",
        "`moved` needs an actor, but `metric` is a value, not an actor (actors: china, west)",
        7,
    ),
    # types and arity
    (
        "x and y > 1",
        "`and` needs a condition (true or false), but `x` is a number; compare it, e.g. `x > 0`",
        1,
    ),
    (
        "x > 1 or y",
        "`or` needs a condition (true or false), but `y` is a number; compare it, e.g. `y > 0`",
        10,
    ),
    (
        "not x",
        "`not` needs a condition (true or false), but `x` is a number; compare it, e.g. `x > 0`",
        5,
    ),
    (
        "where(x, 1, 2)",
        "the first argument of `where` needs a condition (true or false), but "
        "`x` is a number; compare it, e.g. `x > 0`",
        7,
    ),
    ("max(1)", "`max` takes 2 or more arguments, `max(a, b, ...)`, but got 1", 1),
    ("abs(x, y)", "`abs` takes 1 argument, `abs(x)`, but got 2", 1),
    ("log()", "`log` takes 1 argument, `log(x)`, but got 0", 1),
    ("clip(x, 1)", "`clip` takes 3 arguments, `clip(x, lo, hi)`, but got 2", 1),
    ("where(x > 1, 2)", "`where` takes 3 arguments, `where(condition, a, b)`, but got 2", 1),
    ("moved(china, west)", "`moved` takes 1 argument, `moved(actor)`, but got 2", 1),
    (
        "clip(x, 2, 1)",
        "the bounds of `clip` are reversed (2 > 1); write `clip(x, lo, hi)` with lo <= hi",
        1,
    ),
]


@pytest.mark.parametrize(("text", "reason", "column"), ERRORS)
def test_error_messages(text: str, reason: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, CTX)
    error = caught.value
    assert error.reason == reason
    assert error.column == column
    assert str(error) == f"{reason} (column {column})"
    assert "\n" not in str(error)
    assert isinstance(error, InputError)


def test_long_user_text_is_shortened_in_messages() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("a" * 500 + " + 1", CTX)
    assert caught.value.reason == (
        f"unknown name `{'a' * 37}...`: not a parameter, actor or function here "
        "(parameters: detection_base, sanctions_severity, trade_exposure, x, y, z)"
    )


def test_error_located_in_a_file() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("-trade_exposre * 2", CTX)
    located = caught.value.located(file="crisis.yaml", line=42, field="payoffs.china.trade_loss")
    assert str(located) == (
        "crisis.yaml:42: payoffs.china.trade_loss: unknown name `trade_exposre`; "
        "did you mean `trade_exposure`? (column 2)"
    )
    assert located.lines() == [str(located)]
    assert located.column == 2 and located.reason == caught.value.reason
    assert isinstance(located, ExpressionError)


def test_non_text_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="an expression must be text, not int"):
        parse_expression(3, CTX)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------
def test_length_limit() -> None:
    text = "x + " * (MAX_LENGTH // 4) + "x"
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text, CTX)
    assert caught.value.reason == (
        f"expression is {len(text)} characters long, above the limit of {MAX_LENGTH}; "
        "split it into smaller terms or metrics"
    )


def test_node_limit() -> None:
    # a + a + ... with 600 names: 600 names + 1 chain = 601 parts; 1100 names: too many
    assert parse_expression(" + ".join(["x"] * 600), CTX).evaluate(SCALARS) == 1200.0
    with pytest.raises(ExpressionError) as caught:
        parse_expression("+".join(["x"] * 1100), CTX)
    assert caught.value.reason == (
        f"expression has more than {MAX_NODES} parts (numbers, names, operators); "
        "split it into smaller terms or metrics"
    )


DEEP = (
    f"expression nests more than {MAX_DEPTH} levels deep (each operator, function call and "
    "pair of parentheses adds one); split it into smaller terms or metrics"
)


@pytest.mark.parametrize(
    ("make", "levels_per_step"),
    [
        (lambda n: "(" * n + "x" + ")" * n, 1),  # parentheses
        (lambda n: "-" * n + "x", 1),  # prefix minus
        (lambda n: "not " * n + "true", 1),
        (lambda n: "abs(" * n + "x" + ")" * n, 1),
        (lambda n: "x" + " ** x" * n, 1),  # right-associative chain nests
    ],
)
def test_depth_limit_boundary(make: Any, levels_per_step: int) -> None:
    # depth = 1 (the name) + one level per step: 63 steps is depth 64 (accepted).
    steps = (MAX_DEPTH - 1) // levels_per_step
    e = parse_expression(make(steps), CTX)
    e.evaluate(SCALARS)  # compiles and evaluates at the limit
    with pytest.raises(ExpressionError) as caught:
        parse_expression(make(steps + 1), CTX)
    assert caught.value.reason == DEEP


def test_depth_counts_a_chain_once() -> None:
    # a + b - c + d has depth 2; (a + b) * c has depth 4 (docs/expressions.md)
    e = "(" * 62 + "x + y - z + x" + ")" * 62  # 62 parentheses + 2 = 64
    parse_expression(e, CTX)
    with pytest.raises(ExpressionError, match="nests more than"):
        parse_expression("(" + e + ")", CTX)
    f = "(" * 60 + "(x + y) * z" + ")" * 60  # 60 + 4 = 64
    parse_expression(f, CTX)
    with pytest.raises(ExpressionError, match="nests more than"):
        parse_expression("(" + f + ")", CTX)


def _deepest_unit_text() -> str:
    # Each parenthesised level opens every precedence level once.
    unit = "x > 0 or y > 1 and z == x + y * x ** ("
    n = 0
    while True:
        try:
            parse_tree(unit * (n + 1) + "x" + ")" * (n + 1))
        except ExpressionError:
            return unit * n + "x" + ")" * n
        n += 1


@pytest.mark.parametrize(
    "text",
    [
        _deepest_unit_text(),
        "(" * 63 + "x" + ")" * 63,
        "-" * 63 + "x",
        "x" + " ** x" * 63,
        "abs(" * 63 + "x" + ")" * 63,
        "max(" * 63 + "x" + ", y)" * 63,
    ],
)
def test_deepest_accepted_input_fits_a_small_stack(text: str) -> None:
    # At depth 64 the parser, checker and kernels need a few hundred frames,
    # well inside Python's default limit of 1000.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 350)
    try:
        ctx = ExpressionContext(frozenset({"x", "y", "z"}))
        e = parse_expression(text, ctx)
        e.evaluate({"x": 1.0, "y": 2.0, "z": 3.0})
    finally:
        sys.setrecursionlimit(limit)


# ---------------------------------------------------------------------------
# Context validation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        (
            {"parameters": frozenset({"max"})},
            "parameter name `max` is reserved in expressions (a keyword or a function); rename it",
        ),
        (
            {"parameters": frozenset({"and"})},
            "parameter name `and` is reserved in expressions (a keyword or a function); rename it",
        ),
        (
            {"parameters": frozenset({"trade-loss"})},
            "parameter name `trade-loss` cannot be used "
            "in expressions; use letters, digits and `_`, starting with a letter or `_`",
        ),
        (
            {"parameters": frozenset({"china"}), "actors": {"china": ("a",)}},
            "`china` is both a parameter and an actor; rename one",
        ),
        ({"actors": {"china": ("a", "a")}}, "action `a` is listed twice for china"),
        (
            {"actors": {"china": ("true",)}},
            "action `true` of china cannot be used in "
            "expressions; use letters, digits and `_`, starting with a letter or `_`, and no "
            "keyword",
        ),
        ({"actors": {"china": "join"}}, "the actions of `china` must be a list of names"),
        ({"parameters": "xy"}, "parameters must be a collection of names, not a string"),
    ],
)
def test_context_errors(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ExpressionContext(**kwargs)
    assert caught.value.reason == reason


def test_context_is_hashable_and_normalised() -> None:
    a = ExpressionContext(frozenset({"x"}), {"china": ["join", "neutral"]})  # type: ignore[dict-item]
    b = ExpressionContext(frozenset({"x"}), {"china": ("join", "neutral")})
    assert a == b and hash(a) == hash(b)
    assert a.actions_of("china") == ("join", "neutral")
    assert ExpressionContext(parameters=["x", "y"]).parameters == {"x", "y"}  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Evaluation errors
# ---------------------------------------------------------------------------
def test_evaluate_errors() -> None:
    e = parse_expression("x * (china == join)", CTX)
    ok = {"china": np.array([0, 1])}
    with pytest.raises(ExpressionError, match=r"needs a value for `x`, which was not given"):
        e.evaluate({}, ok)
    with pytest.raises(ExpressionError, match=r"tests the action of `china`, whose actions"):
        e.evaluate({"x": 1.0})
    with pytest.raises(ExpressionError, match=r"must lie between -1 \(did not move\) and 3; "):
        e.evaluate({"x": 1.0}, {"china": np.array([0, 4])})
    with pytest.raises(ExpressionError, match=r"must lie between -1"):
        e.evaluate({"x": 1.0}, {"china": np.array([-2])})
    with pytest.raises(ExpressionError, match=r"must be integer action indices, not float64"):
        e.evaluate({"x": 1.0}, {"china": np.array([0.0])})
    with pytest.raises(ExpressionError, match=r"the value of `x` must be numeric"):
        e.evaluate({"x": "high"}, ok)
    with pytest.raises(ExpressionError, match=r"shapes that do not broadcast: x \(3,\), china"):
        e.evaluate({"x": np.ones(3)}, ok)
    with pytest.raises(ExpressionError, match=r"condition `detected` must be a boolean array"):
        parse_expression("detected", CTX).evaluate({"detected": np.array([1.0])})
