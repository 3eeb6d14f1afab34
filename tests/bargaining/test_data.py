"""Readers for the BDM CSV and DEU III files, format detection, and the baselines.

The DEU III reader is checked against an independent parse with pandas; the
baselines against numpy's weighted average and the defining property of a
weighted median (it minimises the weighted sum of absolute deviations).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realpolitik.bargaining.baselines import baselines, weighted_mean, weighted_median
from realpolitik.bargaining.data import detect_format, read_bdm_csv, read_deu3, read_problem
from realpolitik.errors import InputError

EC = "bargaining/scholz_ec_emissions"
DEU = "bargaining/deu3/deu3_dev.csv"

GOOD = "Actor,Capability,Position,Salience\nA,1,0,0.5\nB,2,50,0.25\nC,1.5,100,1\n"


def write(tmp_path: Path, text: str, name: str = "actors.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bdm_files_on_both_salience_scales(reference_dir: Path) -> None:
    unit = read_bdm_csv(reference_dir / EC / "ExampleActors_sal01_jmckib.csv")
    pct = read_bdm_csv(reference_dir / EC / "ExampleActors_sal100_dmasad.csv")
    assert unit.actors == pct.actors
    assert unit.actors[:3] == ("Netherlands", "Belgium", "Luxembourg")
    np.testing.assert_allclose(pct.salience, unit.salience, atol=1e-15)
    np.testing.assert_array_equal(unit.position[:, 0], [4, 7, 4, 4, 10, 10, 10, 7, 4, 7])
    assert unit.salience[1, 0] == 0.4  # Belgium
    assert unit.scale == (4.0, 10.0)


def test_bdm_columns_in_any_order_and_case(tmp_path: Path) -> None:
    text = "salience,POSITION,actor,Capability\n50,0,A,1\n25,50,B,2\n100,100,C,1.5\n"
    p = read_bdm_csv(write(tmp_path, text))
    assert p.actors == ("A", "B", "C")
    np.testing.assert_allclose(p.salience[:, 0], [0.5, 0.25, 1.0])
    np.testing.assert_allclose(p.capability, [1, 2, 1.5])


@pytest.mark.parametrize(
    ("text", "scale", "line", "column", "message"),
    [
        (GOOD.replace("0.25", "25"), "auto", 2, "Salience", "mix the 0-1 and 0-100 scales"),
        (GOOD.replace("0.25", "25"), "1", 3, "Salience", "above 1 on the declared 0-1 scale"),
        (GOOD.replace("0.25", "250"), "auto", 3, "Salience", "above 100"),
        (GOOD.replace("B,2,", "B,-2,"), "auto", 3, "Capability", "must be positive"),
        (GOOD.replace("B,2,", "B,0,"), "auto", 3, "Capability", "must be positive"),
        (GOOD.replace("B,2,50", "B,2,"), "auto", 3, "Position", "missing position"),
        (GOOD.replace("B,2,50", "B,2,fifty"), "auto", 3, "Position", "'fifty' is not a number"),
        (GOOD.replace("C,1.5", "C,nan"), "auto", 4, "Capability", "not a finite number"),
        (GOOD.replace("0.25", "-0.25"), "auto", 3, "Salience", "negative"),
        (GOOD.replace("\nC,", "\nA,"), "auto", 4, "Actor", "already given on line 2"),
        (GOOD.replace("\nB,", "\n,"), "auto", 3, "Actor", "missing actor name"),
        (
            "Actor,Capability,Position,Salience\nA,1,0,0.5\nB,2,50,0.25\n",
            "auto",
            3,
            "Actor",
            "at least 3",
        ),
        ("Actor,Capability,Position\nA,1,0\n", "auto", 1, "salience", "missing column"),
        (
            "Actor,Capability,Position,Salience,Mood\nA,1,0,0.5,x\n",
            "auto",
            1,
            "mood",
            "unknown column",
        ),
    ],
)
def test_bdm_errors_name_file_line_and_column(
    tmp_path: Path, text: str, scale: str, line: int, column: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=message) as info:
        read_bdm_csv(path, salience_scale=scale)  # type: ignore[arg-type]
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (str(path), line, column)
    assert "\n" not in str(info.value)


def test_bdm_declared_scales(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    np.testing.assert_allclose(
        read_bdm_csv(path, salience_scale="100").salience[:, 0], [0.005, 0.0025, 0.01]
    )
    with pytest.raises(InputError, match="every salience is zero"):
        read_bdm_csv(
            write(tmp_path, GOOD.replace("0.5", "0").replace("0.25", "0").replace(",1\n", ",0\n"))
        )


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_problem(tmp_path / "nope.csv")


def test_deu3_reader_agrees_with_pandas(reference_dir: Path) -> None:
    path = reference_dir / DEU
    issues = read_deu3(path)
    frame = pd.read_csv(path, sep="\t")
    caps = frame.iloc[0]
    rows = frame.iloc[1:].reset_index(drop=True)
    assert len(issues) == len(rows)
    pcols = [c for c in frame.columns if c.startswith("p") and "s" + c[1:] in frame.columns]
    assert len(pcols) == 30
    for issue, (_, row) in zip(issues, rows.iterrows(), strict=True):
        present = [c for c in pcols if pd.notna(row[c]) and pd.notna(row["s" + c[1:]])]
        assert issue.issue_id == row["isnr"]
        assert issue.problem.actors == tuple(c[1:] for c in present)
        np.testing.assert_array_equal(issue.problem.position[:, 0], row[present].astype(float))
        np.testing.assert_allclose(
            issue.problem.salience[:, 0],
            row[["s" + c[1:] for c in present]].astype(float) / 100,
        )
        np.testing.assert_array_equal(issue.problem.capability, caps[present].astype(float))
        assert issue.outcome == (None if pd.isna(row["out"]) else float(row["out"]))


def _deu_text(out: str = "40", pbe: str = "30", sbe: str = "50") -> str:
    header = "\t".join(['"isnr"', '"pcom"', '"pbe"', '"pde"', '"scom"', '"sbe"', '"sde"', '"out"'])
    caps = "\t".join(["", '"4.1"', '"0.5"', '"2.8"', "", "", "", ""])
    row = "\t".join(['"x1"', "100", pbe, "0", "60", sbe, "80", out])
    row2 = "\t".join(['"x2"', "0", "50", "", "60", "50", "80", ""])
    return "\n".join([header, caps, row, row2]) + "\n"


def test_deu3_small_file(tmp_path: Path) -> None:
    issues = read_deu3(write(tmp_path, _deu_text(), "deu.tsv"))
    assert [i.issue_id for i in issues] == ["x1", "x2"]
    assert issues[0].problem.actors == ("com", "be", "de")
    assert issues[1].problem.actors == ("com", "be")  # de took no position
    assert issues[1].outcome is None
    np.testing.assert_allclose(issues[0].problem.capability, [4.1, 0.5, 2.8])


@pytest.mark.parametrize(
    ("kwargs", "line", "column", "message"),
    [
        ({"pbe": "thirty"}, 3, "pbe", "not a number"),
        ({"sbe": "150"}, 3, "sbe", "outside 0-100"),
        ({"out": "-5"}, 3, "out", "outside 0-100"),
    ],
)
def test_deu3_errors(
    tmp_path: Path, kwargs: dict[str, str], line: int, column: str, message: str
) -> None:
    path = write(tmp_path, _deu_text(**kwargs), "deu.tsv")
    with pytest.raises(InputError, match=message) as info:
        read_deu3(path)
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (str(path), line, column)


def test_read_problem_picks_a_deu_issue(tmp_path: Path) -> None:
    path = write(tmp_path, _deu_text(), "deu.tsv")
    assert read_problem(path, issue="x1").actors == ("com", "be", "de")
    with pytest.raises(InputError, match="holds 2 issues; choose one with --issue"):
        read_problem(path)
    with pytest.raises(InputError, match="no issue 'x9'"):
        read_problem(path, issue="x9")
    with pytest.raises(InputError, match="issue x2 has 2 actor"):
        read_problem(path, issue="x2")


def test_format_detection(reference_dir: Path, tmp_path: Path) -> None:
    assert detect_format(reference_dir / EC / "ExampleActors_sal01_jmckib.csv") == "bdm"
    assert detect_format(reference_dir / DEU) == "deu3"
    assert detect_format(reference_dir / "bargaining/ktab_smp/SOE-Pol-Comp.csv") == "ktab"
    with pytest.raises(InputError, match="unrecognised bargaining input"):
        detect_format(write(tmp_path, "hello,world\n1,2\n", "odd.csv"))


# --------------------------------------------------------------------------- baselines


def test_weighted_mean_is_numpys_weighted_average(reference_dir: Path) -> None:
    p = read_bdm_csv(reference_dir / EC / "ExampleActors_sal01_jmckib.csv")
    w = p.capability * p.salience[:, 0]
    base = baselines(p)
    assert base["weighted_mean"][0] == pytest.approx(np.average(p.position[:, 0], weights=w))
    # Hand count: c x s weights sum to 0.677; below 7 lie 0.248, up to 7 0.341 > 0.3385.
    assert base["weighted_median"][0] == 7.0


def test_weighted_median_ties_and_property() -> None:
    # Exact split: the weight at or below 10 is exactly half, so the midpoint.
    assert weighted_median([0.0, 10.0, 20.0, 30.0], [1.0, 1.0, 1.0, 1.0]) == 15.0
    assert weighted_median([30.0, 0.0, 20.0], [1.0, 1.0, 3.0]) == 20.0
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, (50, 9))
    w = rng.uniform(0, 1, (50, 9))
    med = weighted_median(x, w)
    grid = np.linspace(0, 100, 2001)
    cost_at_median = np.sum(w * np.abs(x - med[:, None]), axis=1)
    cost_on_grid = np.sum(w[:, None, :] * np.abs(x[:, None, :] - grid[None, :, None]), axis=2)
    assert np.all(cost_at_median <= cost_on_grid.min(axis=1) + 1e-9)
    np.testing.assert_allclose(weighted_mean(x, w), np.average(x, weights=w, axis=1))
    # The actor axis can be any axis.
    np.testing.assert_allclose(weighted_median(x.T, w.T, axis=0), med)
