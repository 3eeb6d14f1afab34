"""Fuzzing the scenario loader: nothing a user types may crash realpolitik.

Two Hypothesis fuzzers feed text to :func:`realpolitik.scenario.load.load`:

1. *Generated* documents, rendered as YAML text: half are clean (the
   names and types right: actors, parameters of every family, correlations,
   moves of the three kinds with conditions, well-typed random formulas over
   the document's names for payoffs, chance probabilities, derived values and
   metrics; only their values may fail, e.g. a probability of 1.4 or a
   ``log`` of 0), half are scenario-like structures with plausible keys and
   deliberate mistakes (wrong types, misspelt keys, clashing or reserved
   names, token soup for formulas).
2. *Mutated* documents: the flagship scenario and small valid scenarios with
   characters and lines inserted, deleted, replaced or duplicated.

The property, for every example: loading and, when loading succeeds,
compiling the scenario and forecasting it at the parameters' central values
(with the scenario's solution concept, and also under the SPE), writing each
forecast as strict JSON, either works or raises a
:class:`~realpolitik.errors.RealpolitikError` whose every problem is one
line. Anything else (a ``KeyError``, ``RecursionError``, a NaN in the JSON)
is a bug. Time is bounded twice: Hypothesis's deadline (generous, since the
first example to reach a solver kernel pays for its compilation) and a
watchdog alarm that fails an example still running after a minute (a
deadline is only checked once an example returns). The generated scenarios
are small (at most 4 moves of at most 4 actions), so a slow example means a
hang, not a big game.

``REALPOLITIK_FUZZ_SCALE=20 pytest tests/scenario/test_fuzz_yaml.py`` runs
twenty times as many examples (for a long local search; CI uses 1: 150
examples per fuzzer, a few seconds in all).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.analysis.forecast import forecast
from realpolitik.errors import InputError, RealpolitikError
from realpolitik.scenario.load import load

# the fuzzers feed payoffs such as 1e300 on purpose: overflow warnings from
# the solvers are expected, errors are what the property checks
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

SCALE = int(os.environ.get("REALPOLITIK_FUZZ_SCALE", "1"))
#: A hang fails the example after this long (Hypothesis's deadline is only
#: checked once an example returns).
HANG_SECONDS = 60
FUZZ = settings(
    max_examples=150 * SCALE,
    # generous: the first example to reach a solver kernel pays for its
    # just-in-time compilation (seconds); a solved example takes milliseconds
    deadline=timedelta(seconds=30),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=SCALE == 1,
)
FLAGSHIP = Path(LEGACY_FLAGSHIP).read_text(encoding="utf-8")

SMALL = [
    # a decision, then a chance move that depends on it, then a last decision
    """\
id: small-chain
sources:
  s: A source
actors:
  a: Alpha
  b: Beta
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  y: {dist: pert, low: 0.1, mode: 0.3, high: 0.9, source: [s]}
moves:
  - id: first
    actor: a
    actions: {go: Go ahead, stop: Stop}
  - id: luck
    when: "a == go"
    chance:
      good: "clip(x, 0, 1)"
      bad: "1 - clip(x, 0, 1)"
  - id: reply
    actor: b
    when: "luck == good"
    actions: [hit, pass]
derived:
  won: "luck == good and b == pass"
payoffs:
  a:
    gain: "2 * won - y * (a == go)"
  b:
    cost: "-x * (b == hit)"
    pride: "where(b == hit, y, 0)"
metrics:
  win: "won"
  spend: {expr: "y * (a == go)", unit: share}
solve: {concept: qre, lambda: 3}
""",
    # a simultaneous stage
    """\
id: small-stage
actors: {r: Row, c: Column}
sources: {s: {cite: Somebody (2020)}}
parameters:
  k: {dist: normal, mean: 1, sd: 0.5, low: 0, high: 3, source: s}
moves:
  - id: stage
    actors: {r: [up, down], c: [left, right]}
payoffs:
  r: {g: "k * (r == up) * (c == left) + (r == down) * (c == right)"}
  c: {g: "(r == up) * (c == right) + (r == down) * (c == left)"}
metrics:
  match: "(r == up) == (c == left)"
solve: {concept: spe}
""",
]

# -- generated documents -------------------------------------------------------
IDS = [
    "a",
    "b",
    "c",
    "china",
    "west",
    "x",
    "y",
    "p",
    "m1",
    "m2",
    "go",
    "stop",
    "_z",
    "and",
    "min",
    "1bad",
    "where",
    "chance",
    "true",
    "no",
    "a b",
    "",
    "x1",
]
KEYS = {
    "top": [
        "format",
        "id",
        "title",
        "description",
        "as_of",
        "sources",
        "actors",
        "parameters",
        "moves",
        "derived",
        "payoffs",
        "metrics",
        "solve",
        "actorz",
        "payoff",
        "move",
    ],
    "move": ["id", "actor", "actors", "chance", "actions", "when", "description", "whenn"],
    "dist": [
        "dist",
        "low",
        "mode",
        "high",
        "mean",
        "sd",
        "a",
        "b",
        "value",
        "values",
        "weights",
        "median",
        "mu",
        "sigma",
        "lamb",
        "hgh",
        "source",
        "unit",
        "description",
    ],
}
FAMILIES = [
    "fixed",
    "uniform",
    "triangular",
    "pert",
    "normal",
    "beta",
    "lognormal",
    "discrete",
    "gaussian",
    3,
    None,
]
NUMBERS = st.one_of(
    st.sampled_from([0, 1, -1, 0.5, 2, 1e308, -1e-308, 0.3]),
    st.floats(-10, 10, allow_nan=False),
    st.sampled_from([float("inf"), float("nan"), "1", True, None, [1, 2]]),
)
TOKENS = [
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    "==",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "[",
    "]",
    ",",
    "min(",
    "max(",
    "clip(",
    "where(",
    "abs(",
    "exp(",
    "log(",
    "moved(",
    "true",
    "false",
    "0",
    "1",
    "0.5",
    "1e308",
    "2",
]


@st.composite
def expressions(draw: st.DrawFn, names: list[str]) -> Any:
    """Mostly well-formed formulas over ``names``; sometimes token soup."""
    pool = names or ["x"]
    if draw(st.integers(0, 9)) == 0:
        tokens = draw(st.lists(st.sampled_from(TOKENS + pool), max_size=8))
        return " ".join(tokens)
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from([1, 0.5, True, None, [1], {"expr": "1"}]))

    def term(depth: int) -> str:
        choice = draw(st.integers(0, 7 if depth < 3 else 2))
        if choice == 0:
            return str(draw(st.sampled_from([0, 1, 2, 0.5, 1e308, 3])))
        if choice in (1, 2):
            return draw(st.sampled_from(pool))
        if choice == 3:
            a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
            return f"({a} {draw(st.sampled_from(['==', '!=']))} {b})"
        if choice == 4:
            op = draw(st.sampled_from(["+", "-", "*", "/", "**", "and", "or", "<"]))
            return f"({term(depth + 1)} {op} {term(depth + 1)})"
        if choice == 5:
            return f"where({term(depth + 1)} > 0, {term(depth + 1)}, {term(depth + 1)})"
        if choice == 6:
            return f"clip({term(depth + 1)}, 0, 1)"
        actor = draw(st.sampled_from(pool))
        return f"({actor} in [{draw(st.sampled_from(pool))}, {draw(st.sampled_from(pool))}])"

    return term(0)


@st.composite
def distributions(draw: st.DrawFn, sources: list[str]) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(NUMBERS)
    spec: dict[str, Any] = {"dist": draw(st.sampled_from(FAMILIES))}
    for key in draw(st.lists(st.sampled_from(KEYS["dist"]), max_size=5, unique=True)):
        spec[key] = draw(NUMBERS)
    family = spec["dist"]
    shapes: dict[str, dict[str, Any]] = {
        "uniform": {"low": 0.0, "high": 1.0},
        "pert": {"low": 0.0, "mode": 0.3, "high": 1.0},
        "triangular": {"low": 0.0, "mode": 0.5, "high": 1.0},
        "normal": {"mean": 0.5, "sd": 0.2},
        "beta": {"a": 2.0, "b": 3.0},
        "lognormal": {"median": 1.0, "sigma": 0.5},
        "discrete": {"values": [0, 1], "weights": [0.3, 0.7]},
        "fixed": {"value": 0.4},
    }
    if isinstance(family, str) and draw(st.booleans()):
        spec.update(shapes.get(family, {}))
    if draw(st.integers(0, 5)) > 0:
        spec["source"] = draw(
            st.sampled_from([sources[0] if sources else "s", [*sources], "nope", [], 3])
        )
    return spec


@st.composite
def typed_expressions(
    draw: st.DrawFn, numbers: list[str], tests: dict[str, list[str]], want: str = "number"
) -> str:
    """A well-typed formula: numbers from ``numbers`` and constants, conditions
    from action tests on ``tests`` (subject -> its actions)."""

    def number(depth: int) -> str:
        choice = draw(st.integers(0, 8 if depth < 3 else 1))
        if choice == 0 or (not numbers and choice == 1):
            return str(draw(st.sampled_from([0, 1, 2, 0.5, 0.25, 10, 1e300])))
        if choice == 1:
            return draw(st.sampled_from(numbers))
        if choice in (2, 3):
            op = draw(st.sampled_from(["+", "-", "*", "/", "**"]))
            return f"({number(depth + 1)} {op} {number(depth + 1)})"
        if choice == 4:
            return f"where({condition(depth + 1)}, {number(depth + 1)}, {number(depth + 1)})"
        if choice == 5:
            return f"clip({number(depth + 1)}, 0, 1)"
        if choice == 6:
            fn = draw(st.sampled_from(["min", "max"]))
            return f"{fn}({number(depth + 1)}, {number(depth + 1)})"
        if choice == 7:
            fn = draw(st.sampled_from(["abs", "exp", "log"]))
            return f"{fn}({number(depth + 1)})"
        return f"({condition(depth + 1)})"

    def condition(depth: int) -> str:
        choice = draw(st.integers(0, 4 if depth < 3 else 0))
        if choice == 0 and tests:
            subject = draw(st.sampled_from(sorted(tests)))
            action = draw(st.sampled_from(tests[subject]))
            return f"{subject} {draw(st.sampled_from(['==', '!=']))} {action}"
        if choice == 1 and tests:
            subject = draw(st.sampled_from(sorted(tests)))
            listed = draw(st.lists(st.sampled_from(tests[subject]), min_size=1, unique=True))
            return f"{subject} {draw(st.sampled_from(['in', 'not in']))} [{', '.join(listed)}]"
        if choice == 2:
            return f"{number(depth + 1)} {draw(st.sampled_from(['<', '>=', '==']))} " + number(
                depth + 1
            )
        if choice == 3:
            op = draw(st.sampled_from(["and", "or"]))
            return f"({condition(depth + 1)} {op} {condition(depth + 1)})"
        if choice == 4:
            return f"not ({condition(depth + 1)})"
        return draw(st.sampled_from(["true", "false"]))

    return number(0) if want == "number" else condition(0)


GOOD_SHAPES: list[dict[str, Any]] = [
    {"dist": "fixed", "value": 0.4},
    {"dist": "uniform", "low": 0, "high": 1},
    {"dist": "triangular", "low": 0, "mode": 0.2, "high": 2},
    {"dist": "pert", "low": -1, "mode": 0, "high": 3},
    {"dist": "normal", "mean": 0.5, "sd": 0.2, "low": 0, "high": 1},
    {"dist": "beta", "a": 2, "b": 5},
    {"dist": "lognormal", "median": 1, "sigma": 0.5},
    {"dist": "discrete", "values": [0, 1, 2], "weights": [0.2, 0.5, 0.3]},
]


@st.composite
def clean_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario that is valid as far as names and types go (its numbers,
    conditions and chance probabilities may still fail at evaluation)."""
    actor_ids = draw(
        st.lists(
            st.sampled_from(["a", "b", "c", "china", "west"]), min_size=1, max_size=3, unique=True
        )
    )
    param_ids = draw(st.lists(st.sampled_from(["x", "y", "p", "q"]), max_size=3, unique=True))
    parameters = {
        p: {**draw(st.sampled_from(GOOD_SHAPES)), "source": "s", "unit": "share"} for p in param_ids
    }
    moves: list[dict[str, Any]] = []
    kinds = draw(
        st.lists(st.sampled_from(["actor", "actor", "actors", "chance"]), min_size=1, max_size=4)
    )
    movers: list[tuple[str, ...]] = []
    for index, kind in enumerate(kinds):
        # the same ids recur across moves (an actor may reuse an action id)
        acts = draw(
            st.lists(
                st.sampled_from(["go", "stop", "hit", "pass", "l", "r"]),
                min_size=1,
                max_size=3 if kind != "chance" else 2,
                unique=True,
            )
        )
        move: dict[str, Any] = {"id": f"m{index + 1}"}
        who: tuple[str, ...]
        if kind == "actor":
            who = (draw(st.sampled_from(actor_ids)),)
            move["actor"] = who[0]
            move["actions"] = acts
        elif kind == "actors" and len(actor_ids) >= 2:
            who = tuple(
                draw(st.lists(st.sampled_from(actor_ids), min_size=2, max_size=2, unique=True))
            )
            move["actors"] = {a: acts for a in who}
        else:
            who = ()
            kind = "chance"
            if len(acts) == 1:
                move["chance"] = {acts[0]: 1}
            else:
                first = draw(typed_expressions(param_ids, {}))
                if draw(st.booleans()):
                    first = f"clip({first}, 0, 1)"
                move["chance"] = {acts[0]: first, acts[1]: f"1 - {first}"}
        movers.append(who)
        moves.append(move)
    count: dict[str, int] = {}
    for who in movers:
        for a in who:
            count[a] = count.get(a, 0) + 1
    tests: dict[str, list[str]] = {}
    for index, (move, who) in enumerate(zip(moves, movers, strict=True)):
        if index and draw(st.integers(0, 2)) == 0 and tests:
            move["when"] = draw(typed_expressions([], tests, "condition"))
        acts = (
            move.get("actions")
            or list(move.get("chance", {}))
            or next(iter(move.get("actors", {}).values()), [])
        )
        if "actors" not in move:
            tests[move["id"]] = list(acts)
        for a in who:
            if count[a] == 1:
                tests[a] = list(acts)
    numbers = list(param_ids)
    derived: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(["d1", "d2"]), max_size=2, unique=True)):
        derived[name] = draw(typed_expressions(numbers, tests))
        numbers.append(name)
    payoffs = {
        a: {
            f"t{k}": draw(typed_expressions(numbers, tests)) for k in range(draw(st.integers(1, 2)))
        }
        for a in sorted(count)
    }
    doc: dict[str, Any] = {
        "id": "fuzz",
        "sources": {"s": "A source"},
        "actors": {a: a.title() for a in actor_ids},
        "parameters": parameters,
        "moves": moves,
        "payoffs": payoffs,
    }
    if derived:
        doc["derived"] = derived
    if len(param_ids) >= 2 and draw(st.integers(0, 3)) == 0:
        a, b = param_ids[:2]
        doc["correlations"] = [[a, b, draw(st.sampled_from([-0.5, 0.3, 0.9]))]]
    if draw(st.booleans()):
        doc["metrics"] = {"met": draw(typed_expressions(numbers, tests))}
    doc["solve"] = {
        "concept": draw(st.sampled_from(["spe", "qre"])),
        "lambda": draw(st.sampled_from([0, 0.5, 2, 100])),
    }
    return doc


@st.composite
def scenario_documents(draw: st.DrawFn) -> str:
    """A scenario-like document as YAML text: half of them clean (names and
    types right), half with wrong types, misspelt keys and clashing names."""
    if draw(st.booleans()):
        return dump(draw(clean_documents()))
    actor_ids = draw(
        st.lists(st.sampled_from(IDS[:6] + IDS[12:]), min_size=1, max_size=3, unique=True)
    )
    param_ids = draw(
        st.lists(st.sampled_from(["x", "y", "p", "q", "min", "a", "m1"]), max_size=3, unique=True)
    )
    sources = draw(st.lists(st.sampled_from(["s", "t", "hung2022"]), max_size=2, unique=True))
    action_pool = ["go", "stop", "hit", "pass", "l", "r", "and", "true", "a"]
    moves: list[Any] = []
    move_ids: list[str] = []
    actions: list[str] = []
    for index in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["actor", "actor", "actors", "chance", "broken"]))
        mid = draw(st.sampled_from([f"m{index + 1}", f"m{index + 1}", "m1", "a", "1x"]))
        move: dict[str, Any] = {"id": mid}
        acts = draw(st.lists(st.sampled_from(action_pool), min_size=1, max_size=4, unique=True))
        actions += acts
        names = actor_ids + move_ids + acts + param_ids
        if kind == "actor":
            move["actor"] = draw(st.sampled_from([*actor_ids, "ghost"]))
            move["actions"] = acts if draw(st.booleans()) else {a: a.upper() for a in acts}
        elif kind == "actors":
            movers = draw(
                st.lists(
                    st.sampled_from([*actor_ids, "ghost"]), min_size=1, max_size=3, unique=True
                )
            )
            move["actors"] = {a: acts[: draw(st.integers(1, len(acts)))] for a in movers}
        elif kind == "chance":
            move["chance"] = {a: draw(expressions(names)) for a in acts}
            if draw(st.booleans()) and len(acts) > 1:
                move["chance"] = {a: f"1/{len(acts)}" for a in acts}
        else:
            for key in draw(st.lists(st.sampled_from(KEYS["move"]), max_size=4, unique=True)):
                move[key] = draw(st.one_of(expressions(names), st.just(acts), NUMBERS))
        if index and draw(st.integers(0, 2)) == 0:
            move["when"] = draw(expressions(actor_ids + move_ids + actions + param_ids))
        moves.append(move)
        move_ids.append(mid)
    names = actor_ids + move_ids + actions + param_ids
    doc: dict[str, Any] = {
        "id": draw(st.sampled_from(["fz", "fz-1", "bad id", 3])),
        "sources": {s: "A source" for s in sources},
        "actors": {a: a.title() for a in actor_ids},
        "parameters": {p: draw(distributions(sources)) for p in param_ids},
        "moves": moves,
    }
    derived_ids = draw(st.lists(st.sampled_from(["d1", "d2", "x"]), max_size=2, unique=True))
    if derived_ids:
        doc["derived"] = {d: draw(expressions(names)) for d in derived_ids}
    names += derived_ids
    doc["payoffs"] = {
        a: {f"t{k}": draw(expressions(names)) for k in range(draw(st.integers(0, 2)))}
        for a in draw(st.lists(st.sampled_from([*actor_ids, "ghost"]), max_size=3, unique=True))
    }
    if draw(st.booleans()):
        doc["metrics"] = {
            "met": draw(expressions(names)),
            "other": {"expr": draw(expressions(names)), "unit": "share"},
        }
    if draw(st.booleans()):
        doc["solve"] = {
            "concept": draw(st.sampled_from(["spe", "qre", "nash"])),
            "lambda": draw(NUMBERS),
        }
    if draw(st.integers(0, 3)) == 0:
        doc["correlations"] = draw(
            st.lists(
                st.one_of(
                    st.lists(st.one_of(st.sampled_from([*param_ids, "zz"]), NUMBERS), max_size=4),
                    st.fixed_dictionaries(
                        {
                            "between": st.lists(st.sampled_from([*param_ids, "zz"]), max_size=3),
                            "rho": NUMBERS,
                        }
                    ),
                    NUMBERS,
                ),
                max_size=3,
            )
        )
    for key in draw(st.lists(st.sampled_from(KEYS["top"]), max_size=2)):
        if draw(st.integers(0, 3)) == 0:
            doc.pop(key, None)
        else:
            doc[key] = draw(NUMBERS)
    return dump(doc)


class _Dumper(yaml.SafeDumper):
    """Writes repeated objects out in full (no anchors, which the loader refuses)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


@contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging) if the block runs longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not POSIX
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"an example ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check(text: str) -> None:
    """The property: success, or a RealpolitikError of one-line problems."""
    with watchdog(HANG_SECONDS):
        _check(text)


def _check(text: str) -> None:
    try:
        scenario = load(text=text, name="fuzz.yaml")
        result = forecast(scenario)
        json.dumps(result.to_json(), allow_nan=False)
        if scenario.solve.concept == "qre":
            json.dumps(forecast(scenario, concept="spe").to_json(), allow_nan=False)
    except InputError as error:
        for line in error.lines():
            assert "\n" not in line and line.strip()
    except RealpolitikError as error:
        assert error.one_line()


@FUZZ
@given(scenario_documents())
def test_generated_documents_never_crash(text: str) -> None:
    check(text)


# -- mutations -----------------------------------------------------------------
PIECES = [
    " ",
    ":",
    "-",
    "[",
    "]",
    "{",
    "}",
    '"',
    "'",
    "#",
    "&a",
    "*a",
    "!!",
    "|",
    ">",
    "\t",
    "\n",
    "\n  ",
    "\n- ",
    "0",
    "1",
    "1e308",
    ".nan",
    "-.inf",
    "x",
    "_",
    "==",
    " and ",
    " or ",
    "(",
    ")",
    "/0",
    "not ",
    "\ufeff",
    "\x00",
    "é",
    "~",
    "null",
    "<<: ",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from([FLAGSHIP, *SMALL]))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.integers(0, 6))
        if op <= 2:  # insert, delete or replace characters
            at = draw(st.integers(0, len(text)))
            gone = draw(st.integers(0, 6)) if op >= 1 else 0
            new = draw(st.sampled_from(PIECES)) if op != 1 else ""
            text = text[:at] + new + text[at + gone :]
        else:  # delete, duplicate, move or replace whole lines
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == 3:
                del lines[i]
            elif op == 4:
                lines.insert(i, lines[j])
            elif op == 5:
                lines[i] = lines[j]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


@FUZZ
@given(mutated())
def test_mutated_documents_never_crash(text: str) -> None:
    check(text)


def test_seed_documents_are_valid() -> None:
    """The mutation seeds load (so the mutations start from valid files)."""
    for text in (FLAGSHIP, *SMALL):
        check(text)
        load(text=text)
