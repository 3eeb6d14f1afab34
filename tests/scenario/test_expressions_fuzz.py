"""Property tests of the expression language.

1. Random expression trees, rendered to text with the fewest parentheses
   Python's precedence rules allow (and sometimes more), parse and evaluate to
   the same values as a tiny evaluator written here over Python floats.
2. Arbitrary and mutated text only ever raises ``ExpressionError``.
3. Nesting beyond the limit gives the depth error, never ``RecursionError``;
   the depth of a generated expression decides acceptance exactly.
4. Evaluating a large broadcast (where kernels write into their own
   temporaries) equals evaluating small slices, and leaves the inputs alone.

The oracle in (1) is independent of the package in everything the language
decides: parsing, precedence, associativity, types (booleans as 0/1), action
tests with "did not move", IEEE division, ``min``/``max``/``clip`` with NaN.
Only ``exp``, ``log`` and ``**`` are taken from NumPy (on NumPy scalars, as the
package computes them on 0-d inputs), so that results can be compared exactly:
libm and NumPy's vectorised loops may differ in the last bit, which would make
a comparison flip.

``REALPOLITIK_FUZZ_SCALE=20 pytest tests/scenario/test_expressions_fuzz.py``
runs twenty times as many examples (for a long search; CI uses 1).
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from realpolitik.scenario.expressions import (
    MAX_DEPTH,
    ExpressionContext,
    ExpressionError,
    parse_expression,
)

SCALE = int(os.environ.get("REALPOLITIK_FUZZ_SCALE", "1"))
ACTORS = {"china": ("a0", "a1", "a2"), "west": ("b0", "b1")}
PARAMS = ("p0", "p1", "p2")
CTX = ExpressionContext(
    parameters=frozenset(PARAMS),
    actors=ACTORS,
    numbers=frozenset({"m"}),
    conditions=frozenset({"flag"}),
)
NUMBER_NAMES = (*PARAMS, "m")
LITERALS = (0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 0.1, 1e-3, 1e3, 1e300, 123.456, 7e-320)
DRAW_VALUES = st.one_of(
    st.sampled_from((0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -3.5, 1e308, -1e308, 5e-324, 700.0)),
    st.floats(-1e6, 1e6, allow_nan=False),
)


# ---------------------------------------------------------------------------
# Trees (test side) and their rendering
# ---------------------------------------------------------------------------
# A tree is a tuple ("tag", ...); "wrap" asks for redundant parentheses.
Tree = tuple[Any, ...]

ATOM = 9
PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7, "**": 8}


def render(tree: Tree) -> tuple[str, int]:
    """Text and precedence of a tree, with parentheses only where needed
    (Python's rules), plus those the tree asks for."""
    text, prec = _render(tree)
    if tree[-1] is True:  # the wrap flag
        return f"({text})", ATOM
    return text, prec


def _wrap(tree: Tree, needed: int) -> str:
    text, prec = render(tree)
    return text if prec >= needed else f"({text})"


def _render(tree: Tree) -> tuple[str, int]:
    tag = tree[0]
    if tag == "num":
        return repr(tree[1]), ATOM
    if tag in ("name", "bool"):
        return (tree[1] if tag == "name" else ("true" if tree[1] else "false")), ATOM
    if tag == "neg":
        return "-" + _wrap(tree[1], PREC["neg"]), PREC["neg"]
    if tag == "not":
        return "not " + _wrap(tree[1], PREC["not"]), PREC["not"]
    if tag == "bin":
        op, left, right = tree[1], tree[2], tree[3]
        p = PREC[op]
        if op == "**":  # right-associative; a signed exponent needs no parentheses
            return f"{_wrap(left, p + 1)} ** {_wrap(right, PREC['neg'])}", p
        return f"{_wrap(left, p)} {op} {_wrap(right, p + 1)}", p
    if tag == "cmp":
        op, left, right = tree[1], tree[2], tree[3]
        return f"{_wrap(left, 5)} {op} {_wrap(right, 5)}", PREC["cmp"]
    if tag == "act":
        return f"{tree[1]} {tree[2]} {tree[3]}", PREC["cmp"]
    if tag == "in":
        op = "not in" if tree[2] else "in"
        return f"{tree[1]} {op} [{', '.join(tree[3])}]", PREC["cmp"]
    if tag == "moved":
        return f"moved({tree[1]})", ATOM
    if tag == "call":
        args = ", ".join(render(arg)[0] for arg in tree[2])
        return f"{tree[1]}({args})", ATOM
    raise AssertionError(tag)


# ---------------------------------------------------------------------------
# The oracle: Python floats, one draw at a time
# ---------------------------------------------------------------------------
class AmbiguousError(Exception):
    """min/max of +0.0 and -0.0: either may be returned (NumPy documents no choice)."""


def num(value: Any) -> float:
    return float(value)  # booleans count as 0/1


def divide(x: float, y: float) -> float:
    if y == 0.0:
        if x == 0.0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def smaller(x: float, y: float) -> float:
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x == y and math.copysign(1.0, x) != math.copysign(1.0, y):
        raise AmbiguousError
    return x if x <= y else y


def larger(x: float, y: float) -> float:
    if math.isnan(x) or math.isnan(y):
        return math.nan
    if x == y and math.copysign(1.0, x) != math.copysign(1.0, y):
        raise AmbiguousError
    return x if x >= y else y


def numpy_scalar(ufunc: Any, *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(ufunc(*(np.float64(a) for a in args)))


@dataclass
class Draw:
    values: dict[str, float]
    flag: bool
    actions: dict[str, int]


def oracle(tree: Tree, d: Draw) -> Any:
    tag = tree[0]
    if tag == "num":
        return tree[1]
    if tag == "bool":
        return tree[1]
    if tag == "name":
        return d.flag if tree[1] == "flag" else d.values[tree[1]]
    if tag == "neg":
        return -num(oracle(tree[1], d))
    if tag == "not":
        return not oracle(tree[1], d)
    if tag == "bin":
        op = tree[1]
        if op in ("and", "or"):
            left = oracle(tree[2], d)
            right = oracle(tree[3], d)  # both sides always evaluated
            return (left and right) if op == "and" else (left or right)
        x, y = num(oracle(tree[2], d)), num(oracle(tree[3], d))
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            return divide(x, y)
        return numpy_scalar(np.power, x, y)
    if tag == "cmp":
        x, y = num(oracle(tree[2], d)), num(oracle(tree[3], d))
        return {
            "==": x == y,
            "!=": x != y,
            "<": x < y,
            "<=": x <= y,
            ">": x > y,
            ">=": x >= y,
        }[tree[1]]
    if tag == "act":
        actor, op, action = tree[1], tree[2], tree[3]
        taken = d.actions[actor]
        chosen = taken >= 0 and ACTORS[actor][taken] == action
        return chosen if op == "==" else not chosen
    if tag == "in":
        actor, negated, actions = tree[1], tree[2], tree[3]
        taken = d.actions[actor]
        inside = taken >= 0 and ACTORS[actor][taken] in actions
        return not inside if negated else inside
    if tag == "moved":
        return d.actions[tree[1]] >= 0
    if tag == "call":
        name, args = tree[1], tree[2]
        if name == "where":
            condition = oracle(args[0], d)
            yes, no = oracle(args[1], d), oracle(args[2], d)
            return yes if condition else no
        values = [num(oracle(arg, d)) for arg in args]
        if name == "abs":
            return abs(values[0])
        if name == "exp":
            return numpy_scalar(np.exp, values[0])
        if name == "log":
            return numpy_scalar(np.log, values[0])
        if name == "clip":
            return smaller(larger(values[0], values[1]), values[2])
        pick = smaller if name == "min" else larger
        acc = values[0]
        for v in values[1:]:
            acc = pick(acc, v)
        return acc
    raise AssertionError(tag)


def kind_of(tree: Tree) -> str:
    tag = tree[0]
    if tag in ("bool", "not", "cmp", "act", "in", "moved"):
        return "boolean"
    if tag == "name":
        return "boolean" if tree[1] == "flag" else "number"
    if tag == "bin":
        return "boolean" if tree[1] in ("and", "or") else "number"
    if tag == "call" and tree[1] == "where":
        both = kind_of(tree[2][1]) == kind_of(tree[2][2]) == "boolean"
        return "boolean" if both else "number"
    return "number"


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------
wrap = st.sampled_from((False, False, False, True))


@st.composite
def number_tree(draw: st.DrawFn, depth: int) -> Tree:
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.booleans()):
            return ("num", draw(st.sampled_from(LITERALS)), draw(wrap))
        return ("name", draw(st.sampled_from(NUMBER_NAMES)), draw(wrap))
    choice = draw(st.integers(0, 8))
    sub = number_tree(depth - 1)
    if choice == 0:
        return ("neg", draw(sub), draw(wrap))
    if choice <= 3:
        op = draw(st.sampled_from(("+", "-", "*", "/", "**")))
        # now and then a boolean operand, read as 0/1
        left = draw(sub | boolean_tree(depth - 1)) if choice == 3 else draw(sub)
        return ("bin", op, left, draw(sub), draw(wrap))
    if choice == 4:
        return ("call", draw(st.sampled_from(("abs", "exp", "log"))), (draw(sub),), draw(wrap))
    if choice == 5:
        name = draw(st.sampled_from(("min", "max")))
        args = tuple(draw(st.lists(sub, min_size=2, max_size=3)))
        return ("call", name, args, draw(wrap))
    if choice == 6:
        return ("call", "clip", (draw(sub), draw(sub), draw(sub)), draw(wrap))
    if choice == 7:
        args = (draw(boolean_tree(depth - 1)), draw(sub), draw(sub))
        return ("call", "where", args, draw(wrap))
    return ("name", draw(st.sampled_from(NUMBER_NAMES)), draw(wrap))


@st.composite
def boolean_tree(draw: st.DrawFn, depth: int) -> Tree:
    actor = draw(st.sampled_from(sorted(ACTORS)))
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        leaf = draw(st.integers(0, 4))
        if leaf == 0:
            return ("bool", draw(st.booleans()), draw(wrap))
        if leaf == 1:
            return ("name", "flag", draw(wrap))
        if leaf == 2:
            return ("moved", actor, draw(wrap))
        if leaf == 3:
            op = draw(st.sampled_from(("==", "!=")))
            return ("act", actor, op, draw(st.sampled_from(ACTORS[actor])), draw(wrap))
        actions = draw(
            st.lists(st.sampled_from(ACTORS[actor]), min_size=1, max_size=3, unique=True)
        )
        return ("in", actor, draw(st.booleans()), tuple(actions), draw(wrap))
    choice = draw(st.integers(0, 4))
    sub = boolean_tree(depth - 1)
    if choice == 0:
        return ("not", draw(sub), draw(wrap))
    if choice == 1:
        op = draw(st.sampled_from(("and", "or")))
        return ("bin", op, draw(sub), draw(sub), draw(wrap))
    if choice == 2:
        op = draw(st.sampled_from(("==", "!=", "<", "<=", ">", ">=")))
        left = draw(number_tree(depth - 1) | sub)
        right = draw(number_tree(depth - 1) | sub)
        return ("cmp", op, left, right, draw(wrap))
    if choice == 3:
        return ("call", "where", (draw(sub), draw(sub), draw(sub)), draw(wrap))
    op = draw(st.sampled_from(("==", "!=", "<", ">")))
    return ("cmp", op, draw(number_tree(depth - 1)), draw(number_tree(depth - 1)), draw(wrap))


any_tree = st.one_of(number_tree(4), boolean_tree(4))


@st.composite
def draws(draw: st.DrawFn) -> Draw:
    values = {name: draw(DRAW_VALUES) for name in NUMBER_NAMES}
    actions = {actor: draw(st.integers(-1, len(acts) - 1)) for actor, acts in ACTORS.items()}
    return Draw(values, draw(st.booleans()), actions)


def subtrees(tree: Tree) -> list[Tree]:
    tag = tree[0]
    if tag in ("neg", "not"):
        children = [tree[1]]
    elif tag in ("bin", "cmp"):
        children = [tree[2], tree[3]]
    elif tag == "call":
        children = list(tree[2])
    else:
        children = []
    return [tree, *(s for child in children for s in subtrees(child))]


def reversed_constant_clip(tree: Tree) -> bool:
    """Whether some clip has constant bounds lo > hi (a load-time error)."""
    empty = Draw({}, False, {})
    for sub in subtrees(tree):
        if sub[0] == "call" and sub[1] == "clip":
            bounds = sub[2][1:]
            variable = {"name", "act", "in", "moved"}
            if all(not any(s[0] in variable for s in subtrees(b)) for b in bounds):
                try:
                    lo, hi = (num(oracle(b, empty)) for b in bounds)
                except AmbiguousError:
                    assume(False)
                if lo > hi:
                    return True
    return False


def same(got: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        return bool(got) is expected
    want, have = float(expected), float(got)
    if math.isnan(want):
        return math.isnan(have)
    return have == want


# ---------------------------------------------------------------------------
# (1) parse + evaluate == the oracle
# ---------------------------------------------------------------------------
@settings(max_examples=400 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=any_tree, points=st.lists(draws(), min_size=1, max_size=3))
def test_evaluation_matches_oracle(tree: Tree, points: list[Draw]) -> None:
    text, _ = render(tree)
    if reversed_constant_clip(tree):
        try:
            parse_expression(text, CTX)
        except ExpressionError as error:
            assert "bounds of `clip` are reversed" in error.reason
            return
        raise AssertionError(f"accepted reversed clip bounds in {text}")
    expression = parse_expression(text, CTX)
    assert expression.kind == kind_of(tree), text
    for point in points:
        try:
            expected = oracle(tree, point)
        except AmbiguousError:
            assume(False)
        values: dict[str, Any] = {k: np.float64(v) for k, v in point.values.items()}
        values["flag"] = np.bool_(point.flag)
        actions = {k: np.int64(v) for k, v in point.actions.items()}
        got = expression.evaluate(values, actions)
        assert got.shape == ()
        assert same(got, expected), (text, point, got, expected)


@settings(max_examples=150 * SCALE, deadline=None)
@given(tree=any_tree)
def test_minimal_and_full_parentheses_agree(tree: Tree) -> None:
    # The same tree with every subtree wrapped parses to the same values.
    def wrap_all(t: Tree) -> Tree:
        tag = t[0]
        if tag in ("neg", "not"):
            return (tag, wrap_all(t[1]), True)
        if tag in ("bin", "cmp"):
            return (tag, t[1], wrap_all(t[2]), wrap_all(t[3]), True)
        if tag == "call":
            return (tag, t[1], tuple(wrap_all(arg) for arg in t[2]), True)
        return (*t[:-1], True)

    assume(not reversed_constant_clip(tree))
    minimal, _ = render(tree)
    full, _ = render(wrap_all(tree))
    try:
        full_expression = parse_expression(full, CTX)
    except ExpressionError as error:
        assert "nests more than" in error.reason
        return
    minimal_expression = parse_expression(minimal, CTX)
    values: dict[str, Any] = {"p0": 1.5, "p1": -2.0, "p2": 0.25, "m": 3.0, "flag": np.True_}
    for china in (-1, 0, 2):
        actions: dict[str, Any] = {"china": np.int64(china), "west": np.int64(1)}
        a = minimal_expression.evaluate(values, actions)
        b = full_expression.evaluate(values, actions)
        assert same(a, b.item()), (minimal, full)


# ---------------------------------------------------------------------------
# (2) arbitrary and mutated text: only ExpressionError, never a hang
# ---------------------------------------------------------------------------
GRAMMAR_CHARS = [*"abcdefxyz_0123456789.eE+-*/<>=!()[], \t\n", "**", "==", "in", "not"]
TOKENS = [
    "p0", "p1", "m", "flag", "china", "west", "a0", "a1", "b1", "1", "0.5", "1e3", "true",
    "false", "and", "or", "not", "in", "+", "-", "*", "/", "**", "==", "!=", "<", ">=", "(",
    ")", "[", "]", ",", "min", "max", "clip", "where", "abs", "exp", "log", "moved", "zz",
]  # fmt: skip


def run_safely(text: str) -> None:
    try:
        expression = parse_expression(text, CTX)
    except ExpressionError as error:
        assert "\n" not in str(error)
        assert error.column is None or 1 <= error.column <= len(text) + 1
        return
    values: dict[str, Any] = {
        "p0": np.array([1.0, 0.0]),
        "p1": -2.0,
        "p2": 0.0,
        "m": 3.0,
        "flag": np.True_,
    }
    actions: dict[str, Any] = {"china": np.array([-1, 2]), "west": np.int64(0)}
    result = expression.evaluate(values, actions)
    assert result.dtype in (np.float64, np.bool_)
    with contextlib.suppress(ExpressionError):
        expression.evaluate(values, actions, check_finite=True)


fast = settings(max_examples=300 * SCALE, deadline=timedelta(seconds=2))


@fast
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    run_safely(text)


@fast
@given(st.lists(st.sampled_from(GRAMMAR_CHARS), max_size=120).map("".join))
def test_grammar_characters(text: str) -> None:
    run_safely(text)


@fast
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join))
def test_token_soup(text: str) -> None:
    run_safely(text)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text, _ = render(draw(any_tree))
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(chars)))
        action = draw(st.sampled_from(("insert", "delete", "replace")))
        new = draw(st.sampled_from(GRAMMAR_CHARS) | st.characters())
        if action == "insert" or not chars:
            chars.insert(where, new)
        elif action == "delete":
            del chars[min(where, len(chars) - 1)]
        else:
            chars[min(where, len(chars) - 1)] = new
    return "".join(chars)


@settings(max_examples=200 * SCALE, deadline=timedelta(seconds=2))
@given(mutated())
def test_mutated_expressions(text: str) -> None:
    run_safely(text)


@settings(max_examples=50 * SCALE, deadline=timedelta(seconds=2))
@given(st.integers(0, 50_000).map(lambda n: "p0 + " * n + "p0"))
def test_any_length_is_bounded(text: str) -> None:
    run_safely(text)


# ---------------------------------------------------------------------------
# (3) depth: beyond the limit is the depth error, never RecursionError
# ---------------------------------------------------------------------------
# Wrappers around a numeric expression X, each with the levels it adds
# (docs/expressions.md: operators, calls, prefixes and parentheses add one).
WRAPPERS = [
    ("({})", 1),
    ("abs({})", 1),
    ("max({}, 1)", 1),
    ("-({})", 2),  # minus and parentheses
    ("1 + ({})", 2),
    ("2 ** ({})", 2),
    ("({}) ** 2", 2),
    ("where(p0 > 1, {}, 0)", 1),
    ("clip({}, 0, 1) * p1", 2),  # product chain, call
    ("not ({} > 1)", 3),  # converted back to a number below
]


@settings(max_examples=200 * SCALE, deadline=timedelta(seconds=2))
@given(st.lists(st.sampled_from(range(len(WRAPPERS))), min_size=0, max_size=90))
def test_depth_limit_is_exact(chosen: list[int]) -> None:
    text, depth = "p0", 1
    for index in chosen:
        pattern, levels = WRAPPERS[index]
        text = pattern.format(text)
        # where(p0 > 1, X, 0): its first argument has depth 2 of its own
        depth = max(depth, 2) + levels if pattern.startswith("where") else depth + levels
        if index == len(WRAPPERS) - 1:  # back to a number: "(...) * 1" adds 2
            text = f"({text}) * 1"
            depth += 2
    try:
        parse_expression(text, CTX).evaluate({"p0": 0.5, "p1": 2.0})
    except ExpressionError as error:
        assert depth > MAX_DEPTH, (depth, text, error.reason)
        assert "nests more than" in error.reason
    else:
        assert depth <= MAX_DEPTH, (depth, text)


@settings(max_examples=100 * SCALE, deadline=timedelta(seconds=2))
@given(
    st.sampled_from(
        [
            lambda n: "(" * n + "p0" + ")" * n,
            lambda n: "(" * n,
            lambda n: "-" * n + "p0",
            lambda n: "not " * n + "true",
            lambda n: "p0" + " ** p0" * n,
            lambda n: "abs(" * n + "p0" + ")" * n,
            lambda n: "max(" * n,
            lambda n: "[" * n,
            lambda n: "(-" * n + "p0",
            lambda n: "p0 + (" * n + "p0" + ")" * n,
        ]
    ),
    st.integers(MAX_DEPTH + 1, 3900),
)
def test_deep_nesting_is_refused(make: Any, n: int) -> None:
    text = make(n)[:4000]
    try:
        parse_expression(text, CTX)
    except ExpressionError as error:
        assert error.reason.startswith(("expression nests more than", "a list `[...]`"))
    else:
        raise AssertionError(f"accepted {text[:40]}...")


# ---------------------------------------------------------------------------
# (4) large broadcasts (in-place kernels) equal small slices
# ---------------------------------------------------------------------------
@st.composite
def exact_number_tree(draw: st.DrawFn, depth: int) -> Tree:
    """Numbers with + - * / min max clip abs and action tests only: operations
    that are exact in IEEE arithmetic, so any layout gives identical bits."""
    if depth <= 0 or draw(st.integers(0, 2)) == 0:
        leaf = draw(st.integers(0, 3))
        if leaf == 0:
            return ("num", draw(st.sampled_from(LITERALS[:7])), False)
        if leaf == 1:
            actor = draw(st.sampled_from(sorted(ACTORS)))
            return ("act", actor, "==", draw(st.sampled_from(ACTORS[actor])), True)
        return ("name", draw(st.sampled_from(PARAMS)), False)
    sub = exact_number_tree(depth - 1)
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return ("neg", draw(sub), False)
    if choice <= 2:
        return ("bin", draw(st.sampled_from(("+", "-", "*", "/"))), draw(sub), draw(sub), False)
    if choice == 3:
        name = draw(st.sampled_from(("min", "max", "abs")))
        args = (draw(sub),) if name == "abs" else (draw(sub), draw(sub))
        return ("call", name, args, False)
    return ("call", "clip", (draw(sub), draw(sub), draw(sub)), False)


@settings(max_examples=60 * SCALE, deadline=None)
@given(tree=exact_number_tree(5), seed=st.integers(0, 2**32 - 1))
def test_large_broadcast_equals_small_slices(tree: Tree, seed: int) -> None:
    assume(not reversed_constant_clip(tree))
    text, _ = render(tree)
    expression = parse_expression(text, CTX)
    rng = np.random.default_rng(seed)
    rows, terminals = 1200, 6  # 7200 values: the kernels write in place
    values = {name: rng.normal(size=(rows, 1)).round(2) for name in PARAMS}
    actions = {
        actor: rng.integers(-1, len(acts), size=(1, terminals)) for actor, acts in ACTORS.items()
    }
    before = {name: array.copy() for name, array in values.items()}
    whole = expression.evaluate(values, actions)
    parts = [
        expression.evaluate({k: v[i : i + 100] for k, v in values.items()}, actions)
        for i in range(0, rows, 100)  # 600 values per slice: no in-place writes
    ]
    pieces = np.concatenate([np.broadcast_to(p, (100, terminals)) for p in parts])
    np.testing.assert_array_equal(np.broadcast_to(whole, (rows, terminals)), pieces)
    for name in PARAMS:
        np.testing.assert_array_equal(values[name], before[name])
