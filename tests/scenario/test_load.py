"""Every validation error of a scenario file: its exact one-line message, its
line, and that the loader reports every problem of a file in one pass.

Each test starts from :data:`BASE` (a valid two-move scenario; its numbered
lines are shown below), changes one thing, and compares the whole list of
problems with what a user should read: ``file:line: field: message``. The
list is compared exactly, so a test also fails when a mistake cascades into
spurious extra errors. The line numbers are counted by hand in the text.

Errors found only when expressions are evaluated on parameter draws (a chance
probability outside [0, 1] or outcome probabilities not summing to 1) come
from :mod:`realpolitik.compiler.scenario_tree`; their messages must name the draw,
the parameter values there, and the file and line of the offending formula.
The command line must print these as ``error: ...`` lines only, with exit
code 2 and no traceback.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from realpolitik.analysis.forecast import forecast
from realpolitik.cli.main import main
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.scenario import moves as moves_module
from realpolitik.scenario import yaml_source
from realpolitik.scenario.load import load, resolve

#  1 id: base
#  2 sources:
#  3   s1: A source
#  4 actors:
#  5   a: Alpha
#  6   b: Beta
#  7 parameters:
#  8   x: {dist: uniform, low: 0, high: 1, source: s1}
#  9 moves:
# 10   - id: first
# 11     actor: a
# 12     actions: [go, stop]
# 13   - id: second
# 14     actor: b
# 15     when: "a == go"
# 16     actions: [hit, pass]
# 17 payoffs:
# 18   a:
# 19     gain: "x * (a == go)"
# 20   b:
# 21     cost: "-x * (b == hit)"
BASE = """\
id: base
sources:
  s1: A source
actors:
  a: Alpha
  b: Beta
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s1}
moves:
  - id: first
    actor: a
    actions: [go, stop]
  - id: second
    actor: b
    when: "a == go"
    actions: [hit, pass]
payoffs:
  a:
    gain: "x * (a == go)"
  b:
    cost: "-x * (b == hit)"
"""


def problems(text: str, name: str = "s.yaml") -> list[str]:
    """The loader's problems, one line each ([] if the text loads)."""
    try:
        load(text=text, name=name)
    except InputError as error:
        return error.lines()
    return []


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_base_is_valid() -> None:
    assert problems(BASE) == []
    assert [m.id for m in load(text=BASE).moves] == ["first", "second"]


# -- the YAML itself -------------------------------------------------------------
def test_yaml_syntax_error_names_the_unclosed_bracket() -> None:
    # the list opened on line 12 is not closed; PyYAML notices on line 13
    text = edit("actions: [go, stop]", "actions: [go, stop")
    assert problems(text) == [
        "s.yaml:13: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 12)"
    ]


def test_tab_indentation() -> None:
    assert problems(edit("  b: Beta", "\tb: Beta")) == [
        "s.yaml:6: YAML syntax error: found character '\\t' that cannot start any token"
    ]


def test_anchors_and_aliases_are_refused() -> None:
    text = edit("  a: Alpha", "  a: &name Alpha")
    assert problems(text) == [
        "s.yaml:5: YAML anchors and aliases are not allowed in scenario files"
    ]
    # a "billion laughs" document is refused at its first anchor, unexpanded
    laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"
    assert problems(laughs) == [
        "s.yaml:1: YAML anchors and aliases are not allowed in scenario files"
    ]


def test_merge_keys_are_refused() -> None:
    assert problems(edit("  x: {dist", "  x: {<<: {}, dist")) == [
        "s.yaml:8: parameters.x: YAML merge keys (<<) are not allowed"
    ]


def test_unsafe_tags_are_data_errors() -> None:
    text = edit("id: base", "id: !!python/object/apply:os.system [ls]")
    assert problems(text) == [
        "s.yaml:1: id: unsupported value: YAML tag "
        "'tag:yaml.org,2002:python/object/apply:os.system' is not allowed here"
    ]
    text = edit("id: base", "id: !!python/name:os.system x")
    assert problems(text) == [
        "s.yaml:1: id: unsupported value: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/name:os.system'"
    ]
    assert problems(edit("  a: Alpha", "  a: !!set {Alpha}")) == [
        "s.yaml:5: actors.a: unsupported value: YAML tag 'tag:yaml.org,2002:set' is not "
        "allowed here"
    ]


def test_duplicate_key() -> None:
    # the second `a` is on line 7
    assert problems(edit("  b: Beta", "  b: Beta\n  a: Again")) == [
        "s.yaml:7: actors: duplicate key 'a'"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text: str) -> None:
    assert problems(text) == ["s.yaml: file is empty; a scenario needs actors, moves and payoffs"]


def test_document_that_is_not_a_mapping() -> None:
    assert problems("- a\n- b\n") == ["s.yaml:1: expected a mapping (the scenario), got a list"]


def test_deep_nesting_flow_and_block() -> None:
    # 40 nested lists on line 2: refused before PyYAML's recursive composer runs
    flow = "id: deep\nx: " + "[" * 40 + "]" * 40 + "\n"
    assert problems(flow) == ["s.yaml:2: nesting deeper than 32 levels"]
    # block mappings k0 (line 2) .. k39: the 33rd level opens under k32, line 34
    block = "id: deep\n" + "".join("  " * k + f"k{k}:\n" for k in range(40)) + "  " * 40 + "v: 1\n"
    assert problems(block) == ["s.yaml:34: nesting deeper than 32 levels"]
    # far deeper than Python's recursion limit: still one located line
    very = "id: deep\nx: " + "[" * 50_000 + "]" * 50_000 + "\n"
    assert problems(very) == ["s.yaml:2: nesting deeper than 32 levels"]


def test_too_many_yaml_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    # the limit is 200,000 nodes; lowered here so that the test stays fast
    monkeypatch.setattr(yaml_source, "MAX_NODES", 100)
    text = "id: big\nx: [" + ", ".join(["0"] * 200) + "]\n"
    assert problems(text) == ["s.yaml:2: file has more than 100 YAML nodes"]


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * 2_000_000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.lines() == [
        f"{path}: file is 2000003 bytes; scenario files are limited to 2000000 bytes"
    ]
    with pytest.raises(InputError) as caught:
        load(text="# " + "x" * 2_000_000, name="t.yaml")
    assert caught.value.lines() == ["t.yaml: text longer than 2000000 bytes"]


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("Alpha", "Alph\xe4").encode("latin-1"))
    offset = BASE.index("Alpha") + 4  # the byte of the a-umlaut
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.lines() == [
        f"{path}: file is not UTF-8 text (byte {offset}); save it as UTF-8"
    ]


def test_missing_file_and_unknown_builtin(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        resolve(tmp_path / "nope.yaml")
    assert caught.value.lines() == [f"no such scenario file: {tmp_path / 'nope.yaml'}"]
    with pytest.raises(InputError) as caught:
        resolve("china-rusia-2022")
    assert caught.value.lines()[0].startswith(
        "unknown scenario 'china-rusia-2022' (did you mean 'china-russia-2022'?); built-in "
        "scenarios: china-russia-2022"
    )


# -- sections and keys -------------------------------------------------------------
def test_unknown_top_level_key_with_did_you_mean() -> None:
    assert problems(BASE + "payof: {}\n") == [
        "s.yaml:22: payof: unknown key 'payof' (did you mean 'payoffs'?); allowed: format, "
        "id, title, description, as_of, sources, actors, parameters, moves, derived, payoffs, "
        "metrics, issues, solve, correlations, views, types, rounds"
    ]


def test_unknown_move_key() -> None:
    assert problems(edit('    when: "a == go"', '    whenn: "a == go"')) == [
        "s.yaml:15: moves[1].whenn: unknown key 'whenn' (did you mean 'when'?); allowed: id, "
        "actor, actors, chance, actions, dimensions, allow, when, observed_by, description"
    ]


def test_missing_required_section_is_reported_once() -> None:
    # without `moves` the actors make no move: their tests are reported as such,
    # and there is no second "a scenario needs at least one move"
    text = BASE[: BASE.index("moves:")] + BASE[BASE.index("payoffs:") :]
    assert problems(text) == [
        "s.yaml:1: missing 'moves'",
        "s.yaml:11: payoffs.a.gain: `a` is an actor that makes no move, so it has no action "
        "to test (column 6)",
        "s.yaml:13: payoffs.b.cost: `b` is an actor that makes no move, so it has no action "
        "to test (column 7)",
    ]
    assert problems("id: t\n") == [
        "s.yaml:1: missing 'actors'",
        "s.yaml:1: missing 'moves'",
        "s.yaml:1: missing 'payoffs'",
    ]


def test_format_version() -> None:
    assert problems("format: 1\n" + BASE) == []
    assert problems("format: 2\n" + BASE) == [
        "s.yaml:1: format: format must be 1 (the only version so far), got int 2"
    ]


def test_bad_scenario_id() -> None:
    assert problems(edit("id: base", 'id: "bad id"')) == [
        "s.yaml:1: id: scenario id 'bad id' must be a short name (letters, digits, - _ .)"
    ]


# -- ids -----------------------------------------------------------------------------
def test_bad_actor_id() -> None:
    text = edit("  b: Beta", "  2b: Beta").replace("actor: b", "actor: a2")
    text = text.replace("  b:\n    cost", "  a2:\n    cost").replace("(b == hit)", "(a2 == hit)")
    # a2 is not declared either (the id was refused): reported where it is used
    assert problems(text) == [
        "s.yaml:6: actors.2b: actor id '2b' must start with a letter or '_' and contain only "
        "letters, digits and '_'",
        "s.yaml:14: moves[1].actor: unknown actor 'a2' (did you mean 'a'?)",
        "s.yaml:20: payoffs.a2: unknown actor 'a2' (did you mean 'a'?)",
    ]


def test_bad_action_id() -> None:
    assert problems(edit("[hit, pass]", "[hit, pass-on]")) == [
        "s.yaml:16: moves[1].actions[1]: action id 'pass-on' must start with a letter or '_' "
        "and contain only letters, digits and '_'"
    ]


def test_action_id_that_yaml_reads_as_a_boolean() -> None:
    assert problems(edit("[hit, pass]", "[hit, no]")) == [
        "s.yaml:16: moves[1].actions[1]: action id reads as false: YAML takes yes, no, on, "
        "off, true and false as booleans; rename it, or quote it if it is not a keyword"
    ]
    # as a mapping key the id is kept as written; its label is text
    text = edit("[hit, pass]", '{hit: Hit, "no": No}').replace("b == hit", "b == no")
    assert problems(text) == [
        "s.yaml:16: moves[1].actions.no: expected text, got false: YAML reads yes, no, on, "
        "off, true and false as booleans; put the text in quotes"
    ]
    assert problems(text.replace("No}", '"No"}')) == []


def test_reserved_names() -> None:
    text = edit("  x: {dist", "  max: {dist: fixed, value: 1, source: s1}\n  x: {dist")
    assert problems(text) == [
        "s.yaml:8: parameters.max: parameter id 'max' is reserved in expressions (a keyword, "
        "a function or 'chance'); rename it"
    ]
    assert problems(edit("[hit, pass]", "[hit, and]")) == [
        "s.yaml:16: moves[1].actions[1]: action id 'and' is reserved in expressions (a "
        "keyword, a function or 'chance'); rename it"
    ]


def test_parameter_named_like_a_move() -> None:
    text = edit("  x: {dist", "  first: {dist: fixed, value: 1, source: s1}\n  x: {dist")
    assert problems(text) == [
        "s.yaml:8: parameters.first: parameter 'first' has the name of a move; rename one"
    ]


def test_move_id_used_twice_and_move_named_like_an_actor() -> None:
    assert problems(edit("  - id: second", "  - id: first")) == [
        "s.yaml:13: moves[1].id: move id 'first' is used twice",
        "s.yaml:21: payoffs.b.cost: `b` is an actor that makes no move, so it has no action "
        "to test (column 7)",
    ]
    assert problems(edit("  - id: second", "  - id: a")) == [
        "s.yaml:13: moves[1].id: move id 'a' is also an actor id; name moves differently "
        "from actors (e.g. 'a_choice')",
        "s.yaml:21: payoffs.b.cost: `b` is an actor that makes no move, so it has no action "
        "to test (column 7)",
    ]


# -- names in moves and expressions ---------------------------------------------------
def test_unknown_actor_in_a_move_with_did_you_mean() -> None:
    assert problems(edit("    actor: b", "    actor: bb")) == [
        "s.yaml:14: moves[1].actor: unknown actor 'bb' (did you mean 'b'?)",
        "s.yaml:21: payoffs.b.cost: `b` is an actor that makes no move, so it has no action "
        "to test (column 7)",
    ]


def test_unknown_parameter_in_an_expression_with_did_you_mean() -> None:
    assert problems(edit('"x * (a == go)"', '"xx * (a == go)"')) == [
        "s.yaml:19: payoffs.a.gain: unknown name `xx`; did you mean `x`? (column 1)"
    ]
    metric = BASE + 'metrics:\n  m: "xy"\n  n: {expr: "1", unt: x}\n'
    assert problems(metric) == [
        "s.yaml:23: metrics.m: unknown name `xy`; did you mean `x`? (column 1)",
        "s.yaml:24: metrics.n.unt: unknown key 'unt' (did you mean 'unit'?); allowed: expr, "
        "unit, description",
    ]


def test_unknown_action_in_a_test() -> None:
    assert problems(edit('"x * (a == go)"', '"x * (a == gone)"')) == [
        "s.yaml:19: payoffs.a.gain: `gone` is not an action of a; did you mean `go`? (column 11)"
    ]
    assert problems(edit('when: "a == go"', 'when: "a == hit"')) == [
        "s.yaml:15: moves[1].when: `hit` is not an action of a (its actions: go, stop) (column 6)"
    ]


def test_action_id_used_outside_a_test() -> None:
    assert problems(edit('"x * (a == go)"', '"x * go"')) == [
        "s.yaml:19: payoffs.a.gain: `go` is an action (of a, first), not a value; test it "
        "against an actor, e.g. `a == go` (column 5)"
    ]


def test_condition_testing_a_parameter() -> None:
    assert problems(edit('"a == go"', '"x > 0.5"')) == [
        "s.yaml:15: moves[1].when: a condition decides which moves happen, so it can only "
        "test earlier actions, not parameters (x); use a chance move for uncertain events"
    ]


def test_condition_testing_a_later_move() -> None:
    assert problems(edit('when: "a == go"', 'when: "b == hit"')) == [
        "s.yaml:15: moves[1].when: a condition can only test moves made before it; b is "
        "decided later"
    ]


def test_chance_probability_testing_a_later_move() -> None:
    # a chance move (lines 13-16) whose probability tests `b`, who moves after it
    text = edit(
        '    actor: b\n    when: "a == go"\n    actions: [hit, pass]\n',
        '    chance:\n      up: "where(b == hit, x, 0.5)"\n      down: "1 - x"\n'
        "  - id: third\n    actor: b\n    actions: [hit, pass]\n",
    )
    assert problems(text) == [
        "s.yaml:15: moves[1].chance.up: a chance probability can only test moves made "
        "before it; b is decided later"
    ]


def test_actor_that_moves_twice_is_tested_by_move_id() -> None:
    text = edit("    actor: b\n", "    actor: a\n").replace(
        '  b:\n    cost: "-x * (b == hit)"\n', ""
    )
    assert problems(text) == [
        "s.yaml:15: moves[1].when: `a` moves more than once (first, second); test a move id "
        "instead, e.g. `first == go` (column 1)",
        "s.yaml:19: payoffs.a.gain: `a` moves more than once (first, second); test a move id "
        "instead, e.g. `first == go` (column 6)",
    ]
    fixed = text.replace('when: "a == go"', 'when: "first == go"').replace(
        '"x * (a == go)"', '"x * (first == go) + (second == hit)"'
    )
    assert problems(fixed) == []


def test_derived_name_in_a_condition() -> None:
    text = edit('"a == go"', '"went"') + 'derived:\n  went: "a == go"\n'
    assert problems(text) == [
        "s.yaml:15: moves[1].when: `went` is a derived name: usable in payoffs, metrics and "
        "the derived names after it, not in conditions or chance probabilities (column 1)"
    ]


def test_derived_name_clashes() -> None:
    assert problems(BASE + 'derived:\n  a: "1"\n') == [
        "s.yaml:23: derived.a: 'a' is already a parameter, actor or move; pick another name"
    ]


# -- move structure --------------------------------------------------------------------
def test_unreachable_stage() -> None:
    assert problems(edit('when: "a == go"', 'when: "a == go and a == stop"')) == [
        "s.yaml:15: moves[1].when: move 'second' never happens: its condition is false on "
        "every path"
    ]


def test_simultaneous_move_with_one_actor() -> None:
    text = edit(
        '    actor: b\n    when: "a == go"\n    actions: [hit, pass]',
        "    actors: {b: [hit, pass]}",
    )
    assert problems(text) == [
        "s.yaml:14: moves[1].actors: a simultaneous move needs at least two actors"
    ]


def test_move_of_no_kind_or_two_kinds() -> None:
    text = edit("    actor: a\n", "    actor: a\n    actors: {a: [x], b: [y]}\n")
    assert problems(text)[0] == (
        "s.yaml:10: moves[0]: a move has exactly one of 'actor' (one actor decides), "
        "'actors' (several decide simultaneously) or 'chance' (nature moves)"
    )


def test_actor_that_moves_without_payoff_terms() -> None:
    assert problems(edit('  b:\n    cost: "-x * (b == hit)"\n', "")) == [
        "s.yaml:17: payoffs: actor 'b' moves but has no payoff terms"
    ]


# -- parameters and sources -------------------------------------------------------------
def test_unknown_distribution_family() -> None:
    assert problems(edit("dist: uniform", "dist: unifrom")) == [
        "s.yaml:8: parameters.x: unknown distribution `unifrom`; did you mean `uniform`? "
        "(known: fixed, uniform, triangular, pert, normal, beta, lognormal, discrete)"
    ]


def test_unknown_distribution_key() -> None:
    assert problems(edit("high: 1,", "hihg: 1,")) == [
        "s.yaml:8: parameters.x: uniform: unknown key `hihg`; did you mean `high`? (uniform "
        "takes low, high)"
    ]


def test_distribution_arguments() -> None:
    text = edit("{dist: uniform, low: 0, high: 1,", "{dist: pert, low: 0, mode: 2, high: 1,")
    assert problems(text) == [
        "s.yaml:8: parameters.x: pert: mode=2 lies outside [low, high] = [0, 1]; the most "
        "likely value must be inside the range"
    ]
    assert problems(edit("high: 1,", 'high: "1",')) == [
        "s.yaml:8: parameters.x: uniform: `high` must be a number, got '1' (text); remove "
        "the quotes"
    ]


def test_missing_source() -> None:
    assert problems(edit(", source: s1}", "}")) == [
        "s.yaml:8: parameters.x: missing 'source' or 'judgement': every parameter cites where "
        "its value comes from (a key of 'sources', e.g. source: [hung2022]) or says why it is "
        'the analyst\'s judgement (judgement: "...")'
    ]
    assert problems(edit("source: s1}", "source: []}")) == [
        "s.yaml:8: parameters.x.source: the source list is empty; cite at least one source id"
    ]


def test_unknown_source_id() -> None:
    assert problems(edit("source: s1}", "source: [s1, s11]}")) == [
        "s.yaml:8: parameters.x.source[1]: unknown source 's11' (did you mean 's1'?); declare "
        "it under 'sources'"
    ]
    assert problems(edit("source: s1}", "source: s2}")) == [
        "s.yaml:8: parameters.x.source: unknown source 's2'; declare it under 'sources'"
    ]


# -- solve defaults ------------------------------------------------------------------------
def test_solve_section() -> None:
    assert problems(BASE + "solve: {concept: nash, lambda: -1}\n") == [
        "s.yaml:22: solve.concept: concept must be 'spe', 'qre' or 'logit-limit', got 'nash'",
        "s.yaml:22: solve.lambda: lambda must be a finite number >= 0 or a distribution "
        "({dist: ..., source or judgement: ...}), got int -1",
    ]
    assert problems(BASE + "solve: {lambda: .inf}\n") == [
        "s.yaml:22: solve.lambda: lambda must be a finite number >= 0 or a distribution "
        "({dist: ..., source or judgement: ...}), got float inf"
    ]


# -- size limits --------------------------------------------------------------------------
def test_too_many_paths() -> None:
    # nine moves of four actions: 4**9 = 262,144 paths, above the 50,000 limit
    moves = "".join(
        f"  - id: m{i}\n    actor: a\n    actions: [p{i}, q{i}, r{i}, s{i}]\n" for i in range(9)
    )
    text = f'id: t\nactors: {{a: A}}\nmoves:\n{moves}payoffs:\n  a: {{g: "1"}}\n'
    assert problems(text) == [
        "s.yaml:3: moves: the moves make more than 50000 paths; simplify the scenario (fewer "
        "actions, fewer rounds, or conditions that end paths sooner)"
    ]


def test_too_many_actions_and_actors() -> None:
    acts = ", ".join(f"x{i}" for i in range(17))
    text = f"id: t\nactors: {{a: A}}\nmoves:\n  - id: m\n    actor: a\n    actions: [{acts}]\n"
    assert problems(text + "payoffs:\n  a: {g: '1'}\n") == [
        "s.yaml:6: moves[0].actions: 17 actions; at most 16 are allowed"
    ]
    actors = ", ".join(f"a{i}: A" for i in range(17))
    text = f"id: t\nactors: {{{actors}}}\nmoves:\n  - id: m\n    actor: a0\n    actions: [p]\n"
    assert problems(text + "payoffs:\n  a0: {g: '1'}\n") == [
        "s.yaml:2: actors: 17 actors; at most 16 are allowed"
    ]


def test_too_many_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moves_module, "MAX_MOVES", 1)
    assert problems(BASE) == ["s.yaml:9: moves: 2 moves; at most 1 are allowed"]


# -- all at once -------------------------------------------------------------------------
def test_several_errors_in_one_pass() -> None:
    text = (
        edit("dist: uniform", "dist: unifrom")
        .replace("    actor: b", "    actor: bb")
        .replace('"x * (a == go)"', '"xx * (a == go)"')
    )
    assert problems(text) == [
        "s.yaml:8: parameters.x: unknown distribution `unifrom`; did you mean `uniform`? "
        "(known: fixed, uniform, triangular, pert, normal, beta, lognormal, discrete)",
        "s.yaml:14: moves[1].actor: unknown actor 'bb' (did you mean 'b'?)",
        "s.yaml:19: payoffs.a.gain: unknown name `xx`; did you mean `x`? (column 1)",
        "s.yaml:21: payoffs.b.cost: `b` is an actor that makes no move, so it has no action "
        "to test (column 7)",
    ]


# -- errors found on parameter draws (compile.py) ----------------------------------------------
#  ...
# 13   - id: second
# 14     when: "a == go"
# 15     chance:
# 16       hit: "x * 2"
# 17       pass: "1 - x * 2"
CHANCE = edit(
    '    actor: b\n    when: "a == go"\n    actions: [hit, pass]\n',
    '    when: "a == go"\n    chance:\n      hit: "x * 2"\n      pass: "1 - x * 2"\n',
).replace('  b:\n    cost: "-x * (b == hit)"\n', "")


def test_probability_outside_unit_interval_at_a_draw() -> None:
    compiled = compile_scenario(load(text=CHANCE, name="s.yaml"))
    params = compiled.parameter_values(np.array([[0.2], [0.7]]))
    # x = 0.7: the probability of `hit` is 1.4
    with pytest.raises(InputError) as caught:
        compiled.chance_probabilities(params)
    assert caught.value.lines() == [
        "s.yaml:16: moves.second.chance.hit: probability 1.4 is outside [0, 1] at draw 1 "
        "(x=0.7); keep it in range, e.g. with clip(..., 0, 1)"
    ]
    # draws are numbered in the whole run, not in the chunk
    with pytest.raises(InputError) as caught:
        compiled.game(params, first_draw=5000)
    assert "at draw 5001 (x=0.7)" in caught.value.lines()[0]


def test_probabilities_not_summing_to_one() -> None:
    text = CHANCE.replace('"x * 2"', '"x"').replace('"1 - x * 2"', '"0.5"')
    compiled = compile_scenario(load(text=text, name="s.yaml"))
    params = compiled.parameter_values(np.array([[0.5], [0.7]]))
    # x = 0.7: 0.7 + 0.5 = 1.2; reported on the move's line (13)
    with pytest.raises(InputError) as caught:
        compiled.chance_probabilities(params)
    assert caught.value.lines() == [
        "s.yaml:13: moves.second.chance: the outcome probabilities sum to 1.2, not 1, at "
        "draw 1 (x=0.7); make the last outcome '1 - ...' of the others"
    ]


def test_forecast_over_draws_reports_the_offending_draw() -> None:
    from realpolitik.run.sampling import settings_sampler as sampler_for
    from realpolitik.run.settings import Settings

    scenario = load(text=CHANCE, name="s.yaml")
    with pytest.raises(InputError) as caught:
        forecast(scenario, draws=50, seed=3)
    line = caught.value.lines()[0]
    found = re.fullmatch(
        r"s\.yaml:16: moves\.second\.chance\.hit: probability (\S+) is outside \[0, 1\] at "
        r"draw (\d+) \(x=(\S+)\); keep it in range, e.g. with clip\(\.\.\., 0, 1\)",
        line,
    )
    assert found, line
    draw = int(found.group(2))
    # the draw named is the first with x > 0.5 in the run's own sample
    x = sampler_for(scenario, Settings.resolve(scenario, draws=50, seed=3)).draws(0, 50)[:, 0]
    assert draw == int(np.flatnonzero(x > 0.5)[0])
    assert float(found.group(3)) == pytest.approx(x[draw], rel=1e-5)
    assert float(found.group(1)) == pytest.approx(2 * x[draw], rel=1e-5)


def test_value_that_is_not_finite() -> None:
    text = edit('"x * (a == go)"', '"log(x - 0.5) * (a == go)"')
    compiled = compile_scenario(load(text=text, name="s.yaml"))
    with pytest.raises(InputError) as caught:
        compiled.game(compiled.parameter_values(np.array([[0.9], [0.25]])))
    assert caught.value.lines() == [
        "s.yaml:19: payoffs.a.gain: `log(x - 0.5) * (a == go)` is nan at draw 1 (x=0.25); "
        "check the parameter ranges, or guard the formula with `clip`, `max` or `where`"
    ]
    # at the central value x = 0.5: log(0) = -inf
    with pytest.raises(InputError) as caught:
        compiled.game(compiled.parameter_values(), first_draw=None)
    assert caught.value.lines() == [
        "s.yaml:19: payoffs.a.gain: `log(x - 0.5) * (a == go)` is -inf at the central values "
        "(x=0.5); check the parameter ranges, or guard the formula with `clip`, `max` or `where`"
    ]


# -- the command line ----------------------------------------------------------------------
def _bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(
        edit("dist: uniform", "dist: unifrom").replace("    actor: b", "    actor: bb"),
        encoding="utf-8",
    )
    return path


def test_cli_validate_prints_error_lines_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bad_file(tmp_path)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"error: {path}:8: parameters.x: unknown distribution `unifrom`; did you mean "
        "`uniform`? (known: fixed, uniform, triangular, pert, normal, beta, lognormal, discrete)",
        f"error: {path}:14: moves[1].actor: unknown actor 'bb' (did you mean 'b'?)",
        f"error: {path}:21: payoffs.b.cost: `b` is an actor that makes no move, so it has no "
        "action to test (column 7)",
    ]


def test_cli_validate_checks_draws(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # at the central value x = 0.5 the probability is 1.0; above it, it is not
    path = tmp_path / "chance.yaml"
    path.write_text(CHANCE, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    found = re.fullmatch(
        rf"error: {re.escape(str(path))}:16: moves\.second\.chance\.hit: probability (\S+) is "
        r"outside \[0, 1\] at draw \d+ \(x=(\S+)\); keep it in range, e.g. with "
        r"clip\(\.\.\., 0, 1\)",
        line,
    )
    assert found, line
    assert float(found.group(2)) > 0.5
    assert float(found.group(1)) == pytest.approx(2 * float(found.group(2)), rel=1e-5)


def test_cli_validate_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out.strip() == (
        "ok: base: 2 actors, 1 parameters, 2 moves, 3 paths, 2 payoff terms, 0 metrics"
    )


def test_cli_no_traceback_in_a_real_process(tmp_path: Path) -> None:
    path = _bad_file(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "realpolitik.cli.main", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"error: {path}:") for line in lines)
    assert "Traceback" not in run.stderr


# -- one mistake, one error: what follows from it is not reported --------------------------------


def test_a_mistyped_section_gives_one_error_with_a_suggestion() -> None:
    from realpolitik.examples import example_path

    text = example_path("third-state.yaml").read_text(encoding="utf-8")
    assert len(problems(text, "t.yaml")) == 0
    found = problems(text.replace("\nparameters:", "\nparamters:"), "t.yaml")
    assert len(found) == 1
    assert "unknown key 'paramters' (did you mean 'parameters'?)" in found[0]


def test_a_refused_parameter_or_derived_name_is_reported_once() -> None:
    from realpolitik.examples import example_path

    text = example_path("third-state.yaml").read_text(encoding="utf-8")
    found = problems(text.replace("dist: pert", "dist: prt"), "t.yaml")
    assert len(found) == 1 and "unknown distribution `prt`; did you mean `pert`?" in found[0]
    found = problems(text.replace('expr: "severity * (defender', 'expr: "severty * (defender'))
    assert len(found) == 1 and "unknown name `severty`; did you mean `severity`?" in found[0]


def test_an_exponent_without_a_point_is_a_number() -> None:
    """``1e-7`` is a number (YAML 1.2), not text as PyYAML's YAML 1.1 reads it;
    quoted, it stays text and is refused where a number is needed."""
    base = (
        "id: t\nactors: {a: A}\nmoves:\n  - {id: m, actor: a, actions: [x, y]}\n"
        "payoffs:\n  a: {gain: '1 * (m == x)'}\n"
    )
    assert load(text=base + "solve: {concept: qre, lambda: 1e-7}\n").solve.lam == 1e-7
    assert load(text=base + "solve: {concept: qre, lambda: 2E1}\n").solve.lam == 20.0
    with pytest.raises(InputError, match="got text '1e-7'"):
        load(text=base + "solve: {concept: qre, lambda: '1e-7'}\n")
