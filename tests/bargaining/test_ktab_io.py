"""KTAB's CSV and XML readers: good files read as KTAB reads them, bad files
are refused with the file, line and column named.

What KTAB itself read from SOE-Pol-Comp.csv is echoed at the top of its
official log ("Actor: 0 power: 100.0", "pos[0, 0] = 30.000", ...); the test
parses those lines as the reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from realpolitik.bargaining.ktab_io import read_ktab_csv, read_ktab_xml
from realpolitik.errors import InputError

HEADER = (
    "Actor,Description,Influence,Policy Position,Policy Salience,Trade Position,Trade Salience,"
)
GOOD_ROWS = [
    "A,Alpha,100,30,24,20,48,",
    "B,Beta,60.2,45,44.7,65,41.3,",
    "C,Gamma,35,30,28.9,15,65.1,",
]


def _csv(
    tmp_path: Path, rows: list[str], first: str = "Scen,Desc,3,2,", header: str = HEADER
) -> Path:
    path = tmp_path / "scenario.csv"
    path.write_text("\n".join([first, header, *rows]) + "\n", encoding="utf-8")
    return path


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_ktab_csv(path)
    err = info.value
    assert err.problems[0].file == str(path)
    return err


# ------------------------------------------------------------------ good files


def test_reads_soe_pol_comp_as_ktab_does(reference_dir: Path) -> None:
    ktab = reference_dir / "bargaining" / "ktab_smp"
    problem = read_ktab_csv(ktab / "SOE-Pol-Comp.csv")
    log = (ktab / "reference_runs" / "20170530_ref-SOE-Pol-Comp.txt").read_text().splitlines()
    head = log[:120]
    assert problem.n_actors == int(re.search(r"Number of actors: (\d+)", "\n".join(head)).group(1))  # type: ignore[union-attr]
    dims = [m.group(1).strip() for line in head if (m := re.match(r"Dimension \d+ : (.*)", line))]
    assert list(problem.dimensions) == dims
    for line in head:
        if m := re.match(r"Actor: (\d+) name: (\S+)", line):
            assert problem.actors[int(m.group(1))] == m.group(2)
        elif m := re.match(r"Actor: (\d+) power:\s+(\S+)", line):
            assert f"{problem.capability[int(m.group(1))]:5.1f}".strip() == m.group(2)
        elif m := re.match(r"pos\[(\d+), (\d+)\] =\s+(\S+)", line):
            assert f"{problem.position[int(m.group(1)), int(m.group(2))]:.3f}" == m.group(3)
        elif m := re.match(r"sal\[(\d+), (\d+)\] =\s+(\S+)", line):
            # KTAB echoes the percentage; the problem holds the fraction
            sal = 100 * problem.salience[int(m.group(1)), int(m.group(2))]
            assert f"{sal:.3f}" == m.group(3)
    assert problem.scale == (0.0, 100.0)
    assert problem.name == "China Policy/Competitive; scen 2"


@pytest.mark.parametrize(
    ("name", "n_actors"),
    [
        ("SOE-Policy.csv", 26),
        ("SOE-Competitive.csv", 34),
        ("dummyData-a040.csv", 40),
        ("dummyData-a080.csv", 80),
        ("dummyData-a160.csv", 160),
    ],
)
def test_reads_every_reference_input(reference_dir: Path, name: str, n_actors: int) -> None:
    problem = read_ktab_csv(reference_dir / "bargaining" / "ktab_smp" / name)
    assert problem.n_actors == n_actors and problem.n_dimensions == 1
    assert np.all(problem.salience.sum(axis=1) <= 1.0)


def test_quoted_fields_blank_lines_and_trailing_commas(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, ['"A, the first","Alpha, Inc.", 100 , 30 , 24 , 20 , 48 ,,', "", *GOOD_ROWS[1:]]
    )
    problem = read_ktab_csv(path)
    assert problem.actors[0] == "A, the first"
    np.testing.assert_allclose(problem.salience[0], [0.24, 0.48])


# ------------------------------------------------------------------ bad CSV files


def test_salience_sum_above_100(tmp_path: Path) -> None:
    path = _csv(tmp_path, [GOOD_ROWS[0], "B,Beta,60,45,60,65,41,", GOOD_ROWS[2]])
    err = _error(path)
    assert err.problems[0].line == 4
    assert err.problems[0].field == "column 7 (Trade Salience)"
    assert "above 100" in str(err) and "B" in str(err)


def test_salience_cell_above_100(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], "B,Beta,60,45,140,65,0,", GOOD_ROWS[2]]))
    assert (err.problems[0].line, err.problems[0].field) == (4, "column 5 (Policy Salience)")
    assert "0-100" in str(err)


def test_saliences_on_a_fraction_scale(tmp_path: Path) -> None:
    rows = ["A,Alpha,100,30,0.24,20,0.48,", "B,Beta,60,45,0.4,65,0.4,", "C,Gamma,35,30,0.3,15,0.6,"]
    err = _error(_csv(tmp_path, rows))
    assert err.problems[0].line == 3
    assert "multiply them by 100" in str(err)


def test_negative_capability(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], GOOD_ROWS[1], "C,Gamma,-35,30,28.9,15,65.1,"]))
    assert (err.problems[0].line, err.problems[0].field) == (5, "column 3 (Influence)")
    assert "negative" in str(err)


def test_zero_capability(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], GOOD_ROWS[1], "C,Gamma,0,30,28.9,15,65.1,"]))
    assert "zero" in str(err) and err.problems[0].line == 5


def test_fewer_than_three_actors(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, GOOD_ROWS[:2], first="Scen,Desc,2,2,"))
    assert (err.problems[0].line, err.problems[0].field) == (1, "column 3 (number of actors)")
    assert "at least 3" in str(err)


def test_missing_cell(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], "B,Beta,60.2,45,44.7,65", GOOD_ROWS[2]]))
    assert (err.problems[0].line, err.problems[0].field) == (4, "column 7 (Trade Salience)")
    assert "missing" in str(err)


def test_empty_cell(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], "B,Beta,60.2,,44.7,65,41.3,", GOOD_ROWS[2]]))
    assert (err.problems[0].line, err.problems[0].field) == (4, "column 4 (Policy Position)")
    assert "missing position" in str(err)


def test_non_numeric_cell(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], "B,Beta,sixty,45,44.7,65,41.3,", GOOD_ROWS[2]]))
    assert (err.problems[0].line, err.problems[0].field) == (4, "column 3 (Influence)")
    assert "'sixty' is not a number" in str(err)


def test_position_outside_scale(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, [GOOD_ROWS[0], "B,Beta,60.2,145,44.7,65,41.3,", GOOD_ROWS[2]]))
    assert (err.problems[0].line, err.problems[0].field) == (4, "column 4 (Policy Position)")


def test_row_count_differs_from_line_1(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, GOOD_ROWS, first="Scen,Desc,4,2,"))
    assert "declares 4 actors" in str(err) and err.problems[0].line == 6
    err = _error(_csv(tmp_path, [*GOOD_ROWS, "D,Delta,1,2,3,4,5,"]))
    assert err.problems[0].line == 6 and "remove the row" in str(err)


def test_bad_first_line(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, GOOD_ROWS, first="Scen,Desc,three,2,"))
    assert (err.problems[0].line, err.problems[0].field) == (1, "column 3 (number of actors)")
    err = _error(_csv(tmp_path, GOOD_ROWS, first="Scen,Desc"))
    assert err.problems[0].line == 1


def test_header_too_short(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, GOOD_ROWS, header="Actor,Description,Influence,Policy Position"))
    assert err.problems[0].line == 2


def test_missing_file(tmp_path: Path) -> None:
    err = _error(tmp_path / "nope.csv")
    assert "not found" in str(err)


def test_one_line_message(tmp_path: Path) -> None:
    path = _csv(tmp_path, [GOOD_ROWS[0], "B,Beta,60,45,60,65,41,", GOOD_ROWS[2]])
    err = _error(path)
    assert err.one_line().startswith(f"{path}:4: column 7 (Trade Salience): ")
    assert "\n" not in err.one_line()


# ------------------------------------------------------------------ XML

XML = """<?xml version="1.0" encoding="UTF-8"?>
<Scenario>
  <name>Three</name>
  <desc>A small scenario</desc>
  <prngSeed>03507583219545544127</prngSeed>
  <ModelParameters>
    <VictoryProbModel>Square</VictoryProbModel>
    <PCEModel>MarkovIncentive</PCEModel>
    <StateTransitions>Stochastic</StateTransitions>
    <VotingRule>PropCbc</VotingRule>
    <BigRAdjust>OneThird</BigRAdjust>
    <BigRRange>Mid</BigRRange>
    <ThirdPartyCommit>SemiCommit</ThirdPartyCommit>
    <InterVecBrgn>S2P2</InterVecBrgn>
    <BargnModel>InitOnlyInterp</BargnModel>
  </ModelParameters>
  <Dimensions><dName>First</dName><dName>Second</dName></Dimensions>
  <Actors>
    <Actor><name>Alice</name><description>a</description><capability>117.7</capability>
      <Position><dCoord>52.8</dCoord><dCoord>39.8</dCoord></Position>
      <Salience><dSal>32.3</dSal><dSal>22.4</dSal></Salience></Actor>
    <Actor><name>Bob</name><description>b</description><capability>93.2</capability>
      <Position><dCoord>15.9</dCoord><dCoord>61.4</dCoord></Position>
      <Salience><dSal>25.2</dSal><dSal>34.5</dSal></Salience></Actor>
    <Actor><name>Carol</name><description>c</description><capability>61.4</capability>
      <Position><dCoord>61.1</dCoord><dCoord>86.5</dCoord></Position>
      <Salience><dSal>28.8</dSal><dSal>28.6</dSal></Salience></Actor>
  </Actors>
  <IdealAdjustment>
    <iaPair><adjustingIdeal>Alice</adjustingIdeal><referencePos>Alice</referencePos><adjust>0.87</adjust></iaPair>
    <iaPair><adjustingIdeal>Bob</adjustingIdeal><referencePos>Bob</referencePos><adjust>0.75</adjust></iaPair>
    <iaPair><adjustingIdeal>Bob</adjustingIdeal><referencePos>Alice</referencePos><adjust>0.07</adjust></iaPair>
  </IdealAdjustment>
</Scenario>
"""


def _xml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.xml"
    path.write_text(text, encoding="utf-8")
    return path


def _xml_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_ktab_xml(path)
    assert info.value.problems[0].file == str(path)
    return info.value


def test_reads_xml_parameters_seed_and_adjustments(tmp_path: Path) -> None:
    problem, config, seed, acc = read_ktab_xml(_xml(tmp_path, XML))
    assert problem.actors == ("Alice", "Bob", "Carol")
    assert problem.dimensions == ("First", "Second")
    np.testing.assert_allclose(problem.position[0], [52.8, 39.8])
    np.testing.assert_allclose(problem.salience[1], [0.252, 0.345])
    assert (config.victory_model, config.pce_model, config.voting_rule) == (
        "Square",
        "MarkovIncentive",
        "PropCbc",
    )
    assert config.state_transitions == "Stochastic"
    assert seed == 3507583219545544127
    # identity, then each iaPair sets (adjustingIdeal, referencePos)
    expected = np.eye(3)
    expected[0, 0], expected[1, 1], expected[1, 0] = 0.87, 0.75, 0.07
    np.testing.assert_array_equal(acc, expected)


def test_xml_without_parameters_uses_defaults(tmp_path: Path) -> None:
    text = re.sub(r"<ModelParameters>.*</ModelParameters>", "", XML, flags=re.S)
    text = re.sub(r"<IdealAdjustment>.*</IdealAdjustment>", "", text, flags=re.S)
    _, config, _, acc = read_ktab_xml(_xml(tmp_path, text))
    assert config.ktab_names() == {
        "VictoryProbModel": "Linear",
        "VotingRule": "Prop",
        "PCEModel": "Conditional",
        "StateTransitions": "Deterministic",
        "BigRRange": "Mid",
        "BigRAdjust": "OneThird",
        "ThirdPartyCommit": "SemiCommit",
        "InterVecBrgn": "S2P2",
        "BargnModel": "InitOnlyInterp",
    }
    np.testing.assert_array_equal(acc, np.eye(3))


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_xml_empty_coordinate(tmp_path: Path) -> None:
    # KTAB's own smpExample.xml ships an empty <dCoord></dCoord>
    text = XML.replace("<dCoord>15.9</dCoord>", "<dCoord></dCoord>")
    err = _xml_error(_xml(tmp_path, text))
    assert (err.problems[0].line, err.problems[0].field) == (
        _line_of(text, "<dCoord></dCoord>"),
        "dCoord",
    )
    assert "missing position" in str(err)


def test_xml_non_numeric_salience(tmp_path: Path) -> None:
    text = XML.replace("<dSal>34.5</dSal>", "<dSal>high</dSal>")
    err = _xml_error(_xml(tmp_path, text))
    assert (err.problems[0].line, err.problems[0].field) == (_line_of(text, "high"), "dSal")


def test_xml_salience_sum_and_capability(tmp_path: Path) -> None:
    text = XML.replace("<dSal>28.6</dSal>", "<dSal>78.6</dSal>")
    err = _xml_error(_xml(tmp_path, text))
    assert "above 100" in str(err) and "Carol" in str(err)
    text = XML.replace("<capability>93.2</capability>", "<capability>-93.2</capability>")
    err = _xml_error(_xml(tmp_path, text))
    assert err.problems[0].line == _line_of(text, "-93.2") and "negative" in str(err)


def test_xml_dimension_count(tmp_path: Path) -> None:
    text = XML.replace("<dCoord>86.5</dCoord>", "")
    err = _xml_error(_xml(tmp_path, text))
    assert "Carol has 1 <dCoord> but there are 2 dimensions" in str(err)


def test_xml_too_few_actors(tmp_path: Path) -> None:
    text = re.sub(r"<Actor><name>Carol</name>.*?</Actor>", "", XML, flags=re.S)
    text = re.sub(r"<IdealAdjustment>.*</IdealAdjustment>", "", text, flags=re.S)
    err = _xml_error(_xml(tmp_path, text))
    assert "at least 3" in str(err)


def test_xml_bad_parameter_value(tmp_path: Path) -> None:
    text = XML.replace("<PCEModel>MarkovIncentive</PCEModel>", "<PCEModel>Markov</PCEModel>")
    err = _xml_error(_xml(tmp_path, text))
    assert (err.problems[0].line, err.problems[0].field) == (
        _line_of(text, "<PCEModel>"),
        "PCEModel",
    )
    assert "MarkovIncentive" in str(err)  # lists the allowed values


def test_xml_unknown_actor_and_over_adjustment(tmp_path: Path) -> None:
    text = XML.replace(
        "<referencePos>Alice</referencePos><adjust>0.07",
        "<referencePos>Zed</referencePos><adjust>0.07",
    )
    err = _xml_error(_xml(tmp_path, text))
    assert err.problems[0].field == "referencePos" and "Zed" in str(err)
    text = XML.replace("<adjust>0.07</adjust>", "<adjust>0.5</adjust>")
    err = _xml_error(_xml(tmp_path, text))
    assert "Bob" in str(err) and "above 1" in str(err)


def test_xml_malformed(tmp_path: Path) -> None:
    text = XML.replace("</Dimensions>", "</Dimension>")
    err = _xml_error(_xml(tmp_path, text))
    assert err.problems[0].line == _line_of(text, "</Dimension>")
    assert "not well-formed" in str(err)


def test_xml_missing_element(tmp_path: Path) -> None:
    text = re.sub(r"<Dimensions>.*</Dimensions>", "", XML)
    err = _xml_error(_xml(tmp_path, text))
    assert err.problems[0].field == "Dimensions"
