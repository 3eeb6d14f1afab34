"""Tables never lose data: printed to a pipe (not a terminal) every command's
table holds every value of its JSON, in full (no cut names, no dropped
columns); with COLUMNS set the tables fold to that width instead of cutting;
``--format markdown`` and ``--out DIR`` carry the same tables."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.cli.main import main

FLAGSHIP = LEGACY_FLAGSHIP


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def pct(p: float) -> str:
    return f"{100 * p:5.1f}%".strip()


def line_with(text: str, *needles: str) -> str:
    """The one line holding every needle (a table row kept whole)."""
    found = [line for line in text.splitlines() if all(n in line for n in needles)]
    assert found, needles
    return found[0]


def test_pathways_to_a_pipe_hold_every_path_and_metric(capsys: pytest.CaptureFixture[str]) -> None:
    table = run(capsys, "pathways", FLAGSHIP)
    data: list[dict[str, Any]] = json.loads(run(capsys, "pathways", FLAGSHIP, "--format", "json"))
    assert "…" not in table
    metrics = list(data[0]["metrics"])
    assert len(metrics) >= 5
    header = line_with(table, "probability", *metrics)  # every metric column, named in full
    assert header
    for path in data:
        steps = " > ".join(action for _, action in path["path"])
        row = line_with(table, f" {steps} ")
        assert pct(path["probability"]) in row
        for name in metrics:
            value = path["metrics"][name]
            assert (f"{value:.3g}" if value is not None else "-") in row


def test_forecast_to_a_pipe_labels_marginal_and_conditional(
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = run(capsys, "forecast", FLAGSHIP)
    data = json.loads(run(capsys, "forecast", FLAGSHIP, "--format", "json"))
    assert "marginal" in data["probabilities"] and "conditional" in table
    for row in data["action_detail"]:
        line = line_with(table, f" {row['move']} ", f" {row['action']} ")
        assert pct(row["probability"]) in line and pct(row["reach"]) in line
        assert pct(row["conditional"]) in line
    # the West's responses: marginal 12.2% and 2.0% of a move reached 14.2% of the time
    response = [r for r in data["action_detail"] if r["move"] == "response"]
    assert sum(r["conditional"] for r in response) == pytest.approx(1.0)


def test_explain_to_a_pipe_names_every_term_in_full(capsys: pytest.CaptureFixture[str]) -> None:
    table = run(capsys, "explain", FLAGSHIP)
    data = json.loads(run(capsys, "explain", FLAGSHIP, "--format", "json"))
    assert "conditional on reaching the decision" in data["probabilities"]
    for decision in data["decisions"]:
        for term in decision["value_terms"]:
            assert f" {term} " in table or f"┃ {term}" in table, term
        for alt in decision["alternatives"]:
            assert f"{alt['action']} ({alt['probability']:.0%})" in table


def test_solve_to_a_pipe_names_infosets_and_prints_zero_as_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    efg = tmp_path / "flagship.efg"
    run(capsys, "export-gambit", FLAGSHIP, str(efg))
    table = run(capsys, "solve", str(efg), "--concept", "qre")
    data = json.loads(run(capsys, "solve", str(efg), "--concept", "qre", "--format", "json"))
    (profile,) = data
    for key, name in profile["infoset_names"].items():
        assert name in table
        assert f"{key} " not in table  # Gambit's key appears only in the JSON
    assert "e-" not in table  # round-off printed as 0, not 3.08e-33
    pure = run(capsys, "solve", str(efg), "--top", "2")
    assert "2 of 960 profile(s)" in pure and "958 more profiles (--top 0 shows all)" in pure
    assert "**" not in pure  # strategies named by their actions


def test_bargain_run_to_a_pipe_shows_every_turn(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(rp.example_path("ec-emissions.csv"))
    table = run(capsys, "bargain", "run", path, "--rounds", "20")
    data = json.loads(run(capsys, "bargain", "run", path, "--rounds", "20", "--format", "json"))
    turns = len(data["turns"])
    assert turns > 12
    header = line_with(table, "t0 ", f"t{turns - 1} ")
    assert all(f"t{t} " in header or f"t{t}┃" in header for t in range(turns))
    for turn in data["turns"]:
        for actor in turn["positions"]:
            assert f" {actor} " in table


def test_columns_folds_instead_of_cutting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    table = run(capsys, "pathways", FLAGSHIP)
    assert max(len(line) for line in table.splitlines()) <= 70
    assert "…" not in table


def test_markdown_and_out_dir_carry_every_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    md = run(capsys, "forecast", FLAGSHIP, "--format", "markdown", "--out", str(tmp_path))
    assert "| actor | move | action | probability |" in md
    data = json.loads(run(capsys, "forecast", FLAGSHIP, "--format", "json"))
    for name in ("actions", "pathways", "metrics", "reasons"):
        csv = pd.read_csv(tmp_path / f"{name}.csv")
        parquet = duckdb.sql(f"SELECT * FROM '{tmp_path / f'{name}.parquet'}'").df()
        assert len(csv) == len(parquet) > 0
    actions = pd.read_csv(tmp_path / "actions.csv")
    assert actions["probability"].tolist() == pytest.approx(
        [r["probability"] for r in data["action_detail"]], abs=1e-15
    )
    assert len(pd.read_csv(tmp_path / "pathways.csv")) == len(data["pathways"])


def test_outputs_are_checked_before_any_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_work(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("computed before checking the output path")

    # 'report' imports the web workers, which bind forecast by name: imported
    # before the patch, they keep the real one for the tests that follow
    importlib.import_module("realpolitik.web.worker")
    monkeypatch.setattr(
        importlib.import_module("realpolitik.analysis.forecast"), "forecast", no_work
    )
    monkeypatch.setattr(
        importlib.import_module("realpolitik.report.html_report"), "build_report", no_work
    )
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for args in (
        ["forecast", FLAGSHIP, "--plot", "report.html"],
        ["forecast", FLAGSHIP, "--out", str(tmp_path / "file")],
        ["forecast", FLAGSHIP, "--draws", "10", "--store", str(tmp_path / "no" / "s.duckdb")],
        ["report", FLAGSHIP, str(tmp_path)],
    ):
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")


def test_solve_qre_on_an_export_agrees_with_forecast(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    efg = tmp_path / "flagship.efg"
    run(capsys, "export-gambit", FLAGSHIP, str(efg))
    assert "concept=qre lambda=2 " in efg.read_text(encoding="utf-8").splitlines()[1]
    (profile,) = json.loads(run(capsys, "solve", str(efg), "--concept", "qre", "--format", "json"))
    forecast = rp.forecast(FLAGSHIP)
    why = rp.explain(FLAGSHIP)
    actions = forecast.actions.set_index(["move", "action"])["probability"]
    names = {name: key for key, name in profile["infoset_names"].items()}
    russia = profile["probs"]["russia"][names["russia at the start"]]
    assert russia["full_invasion"] == pytest.approx(
        actions[("escalation", "full_invasion")], abs=1e-9
    )
    west = profile["probs"]["west"][names["west after full_invasion"]]
    decision = next(d for d in why.decisions if d.move == "sanctions" and d.chosen == "sweeping")
    assert west["sweeping"] == pytest.approx(decision.probability, abs=1e-9)
    # without the recorded lambda (Gambit's default of 1) the answer differs
    (other,) = json.loads(
        run(capsys, "solve", str(efg), "--concept", "qre", "--lambda", "1", "--format", "json")
    )
    moved = other["probs"]["russia"][names["russia at the start"]]["full_invasion"]
    assert abs(moved - russia["full_invasion"]) > 0.01


def test_sensitivity_and_discover_write_every_table_and_markdown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from flip_scenario import FLIP

    flip = tmp_path / "flip.yaml"
    flip.write_text(FLIP, encoding="utf-8")
    md = run(
        capsys, "sensitivity", str(flip), "--target", "a:left", "--samples", "64",
        "--trajectories", "4", "--seed", "1", "--format", "markdown", "--out", str(tmp_path / "s"),
    )  # fmt: skip
    assert "| parameter |" in md
    for name in ("indices", "sobol", "morris", "tornado"):
        assert (tmp_path / "s" / f"{name}.parquet").exists()
    run(
        capsys, "discover", str(flip), "--target", "a:left", "--draws", "300", "--seed", "2",
        "--resamples", "0", "--out", str(tmp_path / "d"),
    )  # fmt: skip
    box = pd.read_csv(tmp_path / "d" / "box.csv")
    assert box["parameter"].tolist() == ["x"]
    assert (tmp_path / "d" / "thresholds.parquet").exists()
