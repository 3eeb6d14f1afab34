"""Observed cases of a scenario: reading them (CSV, YAML, DataFrame) with
every mistake located, and the probability of what a case reports, against
the agent logit QRE of a small game computed by hand (a chance move nobody
reports, marginalised; a move reported only by its consequence)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.case_table import read_case_table
from realpolitik.run.observations import Observations
from realpolitik.scenario.load import load
from realpolitik.solve.dispatch import solve

SCENARIO = """\
format: 1
id: hand
sources: {s: "an illustration"}
actors: {a: A, b: B}
parameters:
  v: {dist: fixed, value: 1, source: s}
  q: {dist: fixed, value: 0.3, source: s}
moves:
  - {id: nature, chance: {hi: q, lo: "1 - q"}}
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a: {x: "v * (first == go) * (nature == hi) - 0.5 * (second == fight)"}
  b: {y: "(second == fight) - 0.5 * (nature == lo) * (second == fight)"}
solve: {concept: qre, lambda: 1}
"""


def sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# the agent logit QRE at lambda = 1, by hand (backward, each mover p ∝ exp(u))
FIGHT_HI, FIGHT_LO = sigma(1.0), sigma(0.5)
GO_HI = sigma(1.0 - 0.5 * FIGHT_HI)
GO_LO = sigma(-0.5 * FIGHT_LO)


@pytest.fixture(scope="module")
def compiled() -> CompiledScenario:
    return compile_scenario(load(text=SCENARIO, name="hand.yaml"))


def _probabilities(compiled: CompiledScenario, frame: pd.DataFrame) -> np.ndarray:
    table = read_case_table(frame, compiled)
    obs = Observations.of(table)
    params = compiled.parameter_values(np.tile([[1.0, 0.3]], (table.n_cases, 1)))
    reach = solve(compiled.game(params, terms=False), "qre", 1.0).terminal_reach
    return np.exp(obs.log_probability(reach))


def test_case_probabilities_marginalise_what_is_not_reported(compiled: CompiledScenario) -> None:
    frame = pd.DataFrame(
        {
            "first": ["go", None, "stay", "go", None],
            "second": ["fight", "fight", None, None, "yield"],
            "nature": [None, None, None, "lo", "hi"],
        }
    )
    expected = [
        0.3 * GO_HI * FIGHT_HI + 0.7 * GO_LO * FIGHT_LO,
        0.3 * GO_HI * FIGHT_HI + 0.7 * GO_LO * FIGHT_LO,  # fighting reveals going
        0.3 * (1 - GO_HI) + 0.7 * (1 - GO_LO),
        0.7 * GO_LO,
        0.3 * GO_HI * (1 - FIGHT_HI),
    ]
    assert _probabilities(compiled, frame) == pytest.approx(expected, rel=1e-12)


def test_forecasts_given_earlier_reports_follow_bayes_rule(compiled: CompiledScenario) -> None:
    table = read_case_table(pd.DataFrame({"first": ["go"], "second": ["fight"]}), compiled)
    obs = Observations.of(table)
    params = compiled.parameter_values()
    reach = solve(compiled.game(params, terms=False), "qre", 1.0).terminal_reach
    steps = obs.step_sums(reach[:, None, :], np.array([0]))
    first, second = (sums[0, 0] / sums[0, 0].sum() for _, _, sums in steps)
    go = 0.3 * GO_HI + 0.7 * GO_LO
    assert first == pytest.approx([1 - go, go], rel=1e-12)
    # who goes is more often the high type, who is likelier to meet a fight
    fight = (0.3 * GO_HI * FIGHT_HI + 0.7 * GO_LO * FIGHT_LO) / go
    assert second == pytest.approx([1 - fight, fight], rel=1e-12)


def test_cases_are_read_from_csv_and_yaml_alike(compiled: CompiledScenario, tmp_path: Path) -> None:
    csv = tmp_path / "cases.csv"
    csv.write_text("case,first,second,v\nA,go,fight,2\nB,stay,,\n", encoding="utf-8")
    yaml = tmp_path / "cases.yaml"
    yaml.write_text(
        "scenario: hand\ncases:\n"
        "  - {case: A, first: go, second: fight, v: 2}\n"
        "  - {case: B, first: stay}\n",
        encoding="utf-8",
    )
    for path, lines in ((csv, (2, 3)), (yaml, (3, 4))):
        table = read_case_table(path, compiled)
        assert table.ids == ("A", "B")
        assert table.lines == lines
        assert [s.name for s in table.subjects] == ["first", "second"]
        assert table.observed.tolist() == [[1, 1], [0, -1]]
        assert table.values["v"][0] == 2.0 and np.isnan(table.values["v"][1])


BAD = [
    ("case,frist\nA,go\n", "cases.csv:1: frist: unknown column 'frist' (did you mean 'first'?)"),
    ("case,first\nA,go\nB,run\n", "cases.csv:3: first: 'run' is not an action of first"),
    ("case,first,v\nA,go,1\nB,go,high\n", "cases.csv:3: v: column 'v' is not numeric: 'high'"),
    (
        "case,first,second\nA,go,fight\nB,stay,fight\n",
        "cases.csv:3: second: case 'B' (line 3) reports second = fight, but move 'second' cannot "
        "happen after first = stay",
    ),
    ("case,first\nA,go\nA,stay\n", "cases.csv:3: case: case id 'A' is used twice"),
    ("case,v\nA,1\n", "no column reports a choice"),
    ("case,first,a\nA,go,go\n", "columns 'first' and 'a' report the same choice"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_mistakes_are_located(
    compiled: CompiledScenario, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        Observations.of(read_case_table(path, compiled))
    assert message in str(caught.value).replace(str(tmp_path) + "/", "")


def test_a_yaml_file_of_another_scenario_is_refused(
    compiled: CompiledScenario, tmp_path: Path
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("scenario: other\ncases:\n  - {first: go}\n", encoding="utf-8")
    with pytest.raises(InputError, match="of scenario 'other', not 'hand'"):
        read_case_table(path, compiled)
