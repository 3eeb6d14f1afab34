"""``realpolitik backtest`` and ``realpolitik cases`` on the command line, on
the cheapest fold: Iran 2018 held out and fitted on the three earlier cases
(``--past-only``; a few seconds).

Checked against: the baselines counted from ``data/evidence/cases/decisions.csv``
with the csv module (``case_evidence_counts``); the decisions per case counted
in the same file; the ``as_of`` of each case and the past-only row as
documented in docs/backtests.md. The forecast's own likelihood is checked
against the hand-coded one in tests/estimation/test_case_backtest.py. Bad
input is one line on stderr, exit code 2, nothing on stdout.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from case_evidence_counts import baseline_log_scores, evidence_rows
from realpolitik.cli.main import main

REPO = Path(__file__).resolve().parents[2]
EARLIER = ["syria-2011", "iran-oil-2012", "crimea-2014"]
FOLD = ["backtest", "--cases", ",".join([*EARLIER, "iran-2018"]), "--past-only"]


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _documented_past_only_row() -> list[str]:
    text = (REPO / "docs" / "backtests.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("| iran-2018 (Syria"))
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_one_past_only_fold_as_strict_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*FOLD, "--by-dimension", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data = _strict(out)
    assert data["past_only"] is True
    assert [r["case"] for r in data["held_out"]] == ["iran-2018"]
    row = data["held_out"][0]
    logs, uniform = baseline_log_scores(EARLIER, "iran-2018")
    assert row["choices"] == len(logs) == 19 and row["decisions"] == 5
    assert row["base_rate_total"] == pytest.approx(sum(logs), abs=1e-12)
    assert row["uniform_total"] == pytest.approx(sum(uniform), abs=1e-12)
    documented = _documented_past_only_row()
    assert documented[1] == f"{row['decisions']} ({row['choices']})"
    keys = ("forecast_log", "uniform_log", "base_rate_log")
    keys += ("forecast_brier", "uniform_brier", "base_rate_brier")
    for doc, key in zip(documented[2:8], keys, strict=True):
        assert float(doc) == round(row[key], 3), key
    assert documented[8] == ("yes" if row["beats_both"] else "no")
    # one fold: the pooled row is the fold's row
    for key in ("forecast_log", "base_rate_brier", "forecast_total"):
        assert data["all"][key] == pytest.approx(row[key], rel=1e-12)
    dims = data["by_dimension"]
    assert [d["dimension"] for d in dims] == [
        "un_stance",
        "sanctions",
        "military_aid",
        "mediation",
    ]
    assert sum(d["choices"] for d in dims) == 19
    total = sum(d["forecast_log"] * d["choices"] for d in dims)
    assert total == pytest.approx(row["forecast_total"], abs=1e-9)


def test_draws_score_the_mixture_and_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*FOLD, "--draws", "4000", "--seed", "2022", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    data = _strict(out)
    assert (data["draws"], data["seed"]) == (4000, 2022)
    row = data["held_out"][0]
    # the baselines do not depend on the draws
    logs, _ = baseline_log_scores(EARLIER, "iran-2018")
    assert row["base_rate_total"] == pytest.approx(sum(logs), abs=1e-12)
    # the documented real-time row of the mixture (docs/backtests.md, --draws section)
    assert round(row["forecast_log"], 3) == -0.472
    assert main([*FOLD, "--draws", "-1"]) == 2
    _, err = capsys.readouterr()
    assert "--draws" in err and "Traceback" not in err


def test_plot_writes_the_figure_and_refuses_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "plots"
    assert main([*FOLD, "--plot", str(folder), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    _strict(out)  # stdout stays the JSON document
    png, svg = folder / "backtest.png", folder / "backtest.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"iran-2018" in svg.read_bytes()  # the held-out case labels its bars
    assert str(png) in err
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    assert main([*FOLD, "--plot", str(a_file)]) == 2
    _, err = capsys.readouterr()
    assert "--plot" in err and "is a file" in err and len(err.strip().splitlines()) == 1


def test_the_fold_as_markdown_is_the_documented_table_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*FOLD, "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("| held-out case | decisions (choices) | log score: forecast |")
    row = next(x for x in lines if x.startswith("| iran-2018 | "))
    documented = _documented_past_only_row()
    assert row.startswith("| iran-2018 | " + " | ".join(documented[1:8]) + " | ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backtest", "--cases", "syria-2011,iran-2081"], "(did you mean 'iran-2018'?)"),
        (["backtest", "--cases", "syria-2011"], "at least two cases"),
        (["backtest", "--cases", "syria-2011,crimea-2014", "--past-only"], "earlier cases"),
        (["backtest", "--format", "html"], "invalid value for '--format'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err, err
    assert err.startswith("error: ")


def test_cases_lists_each_case_with_its_as_of_and_decisions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cases", "--format", "json"]) == 0
    listed = _strict(capsys.readouterr().out)
    counted = Counter(r["case"] for r in evidence_rows())
    text = (REPO / "docs" / "backtests.md").read_text(encoding="utf-8")
    for case in listed:
        assert case["decisions"] == counted[case["case"].replace("-", "_")]
        assert f"| {case['case']} | {case['as_of']} |" in text
        assert case["title"]
    assert sum(c["decisions"] for c in listed) == 48
    assert sum(c["with_covariates"] for c in listed) == 47
    assert main(["backtest", "--list"]) == 0
    table = capsys.readouterr().out
    assert all(c["case"] in table and c["as_of"] in table for c in listed)
