"""The case library of issue 14 (``scenario/library/cases``): each case's
scenario loads with no post-dated or undated source, its game is the shared
fragment, and its outcomes file loads and agrees with the evidence base
(``data/evidence/cases/decisions.csv``, read here with the csv module)."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.case_table import read_case_table
from realpolitik.scenario.case_library import (
    CASE_NAMES,
    case_outcomes,
    case_scenario_text,
    fit_text,
    fragment_text,
    pooled_outcomes,
)
from realpolitik.scenario.load import builtin_names, load
from realpolitik.scenario.provenance import first_day

REPO = Path(__file__).resolve().parents[2]
DECISIONS = REPO / "data" / "evidence" / "cases" / "decisions.csv"
EVIDENCE_ID = {name: name.replace("-", "_") for name in CASE_NAMES}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_scenario_has_no_post_dated_or_undated_source(name: str) -> None:
    sc = load(text=case_scenario_text(name), name=f"{name}.yaml")
    assert sc.id == name
    assert not sc.warnings
    day = datetime.date.fromisoformat(sc.as_of)
    for parameter in sc.parameters.values():
        assert parameter.sources or parameter.judgement, parameter.id
        for sid in parameter.sources:
            assert sc.sources[sid].date, f"{parameter.id} cites undated {sid}"
            assert first_day(sc.sources[sid].date) <= day, f"{parameter.id} cites {sid}"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_as_of_is_no_later_than_the_first_day_of_the_decision_window(name: str) -> None:
    sc = load(text=case_scenario_text(name), name=f"{name}.yaml")
    with DECISIONS.open(newline="", encoding="utf-8") as handle:
        windows = {
            r["decision_window"] for r in csv.DictReader(handle) if r["case"] == EVIDENCE_ID[name]
        }
    (window,) = windows
    assert datetime.date.fromisoformat(sc.as_of) <= datetime.date.fromisoformat(
        window.split("/")[0]
    )


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_game_is_the_shared_fragment(name: str) -> None:
    case = compile_scenario(load(text=case_scenario_text(name), name=f"{name}.yaml"))
    fragment = compile_scenario(load(text=fragment_text(), name="third-state.yaml"))
    assert case.tree.n_terminals == fragment.tree.n_terminals
    # 32 joint actions (3*3*3*2 = 54, less 22 ruled out by 'allow'), each with
    # a signal; evidence leads to 3 replies: 32 * (1 + 3) paths
    assert case.tree.n_terminals == 32 * 4


@pytest.mark.parametrize("name", CASE_NAMES)
def test_outcomes_load_and_match_the_evidence(name: str) -> None:
    frame = case_outcomes(name)
    sc = load(text=case_scenario_text(name), name=f"{name}.yaml")
    table = read_case_table(frame, compile_scenario(sc))
    with DECISIONS.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["case"] == EVIDENCE_ID[name]]
    assert table.n_cases == len(rows) == len(frame)
    (threat,) = {r["secondary_sanctions_threat"] != "none" for r in rows}
    assert sc.parameters["threat"].distribution.central() == float(threat)
    for row, (_, got) in zip(rows, frame.iterrows(), strict=True):
        assert got["case"] == row["iso3"]
        for dim in ("un_stance", "sanctions", "military_aid", "mediation"):
            expected = "" if row[dim] in ("absent", "not_observed") else row[dim]
            assert got[f"alignment.{dim}"] == expected
        assert got["threat"] == float(row["secondary_sanctions_threat"] != "none")
        for column, source in (
            ("pact_us", "defense_pact_with_us"),
            ("pact_target", "defense_pact_with_target"),
            ("tie_target", "any_atop_tie_with_target"),
        ):
            if row[source] == "":
                assert got[column] != got[column]  # NaN: no ATOP coding
            else:
                assert got[column] == float(row[source])
        assert got["source"]


def test_pooled_outcomes_hold_every_decision_once() -> None:
    pooled = pooled_outcomes()
    assert len(pooled) == 48
    assert pooled["case"].is_unique
    assert pooled[["pact_us", "pact_target", "tie_target"]].isna().any(axis=1).sum() == 1


def test_unknown_case_is_a_clear_error() -> None:
    with pytest.raises(InputError) as caught:
        case_outcomes("crimea-2015")
    assert "did you mean 'crimea-2014'" in caught.value.lines()[0]


def test_cases_are_not_built_in_scenarios_and_the_fit_loads() -> None:
    # unfitted 'estimate:' scenarios cannot be forecast: they stay out of the built-ins
    assert not set(CASE_NAMES) & set(builtin_names())
    fitted = load(text=fit_text(), name="third-state-cases.yaml")
    assert "estimated_fit" in fitted.sources
