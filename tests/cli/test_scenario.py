"""The scenario commands of the command line: scenarios, validate, forecast,
explain, pathways and export-gambit, in their table, JSON and CSV forms.

The commands run in-process through :func:`realpolitik.cli.main.main` (the
console-script entry point), with stdout and stderr captured. Expected values
are worked out by hand for a small entry-deterrence scenario (the arithmetic
is in the comments), or counted from the flagship file's YAML read with plain
``yaml.safe_load``; a user's mistake must give ``error: ...`` lines only and
exit code 2.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.cli.main import main
from realpolitik.games.gambit_io import read_efg

ENTRY = """\
id: entry
title: Entry deterrence
as_of: "2024-01-01"
sources: {s: Textbook entry deterrence}
actors: {ent: Entrant, inc: Incumbent}
parameters:
  profit: {dist: uniform, low: 1, high: 3, source: s}
moves:
  - id: entry
    actor: ent
    actions: {enter: Enter the market, stay_out: Stay out}
  - id: reply
    actor: inc
    when: "ent == enter"
    actions: [fight, accommodate]
payoffs:
  ent:
    market: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
  inc:
    monopoly: "4 * (ent == stay_out)"
    share: "2 * (inc == accommodate)"
    war: "-1 * (inc == fight)"
metrics:
  fought: {expr: "inc == fight", unit: probability}
"""
# Central profit = 2 (the uniform's median). The incumbent compares
# accommodate (2) with fight (-1); the entrant, enter (worth 3 P(acc) - 1) with 0.


def sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def entry(tmp_path: Path) -> Path:
    path = tmp_path / "entry.yaml"
    path.write_text(ENTRY, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_scenarios_lists_the_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scenarios")
    assert code == 0
    assert "china-russia-2022" in out
    assert "2022-02-23" in out


def test_validate_flagship_counts(capsys: pytest.CaptureFixture[str]) -> None:
    raw = yaml.safe_load(
        (resources.files("realpolitik.scenario.library") / "china-russia-2022.yaml").read_text(
            encoding="utf-8"
        )
    )
    terms = {t for actor in raw["payoffs"].values() for t in actor}
    # an estimated parameter counts as its coefficients, and the drawn lambda
    # is a parameter; each actor's type is a chance move before the others
    spec = raw["parameters"].values()
    parameters = sum(len(p["estimate"]["coefficients"]) if "estimate" in p else 1 for p in spec)
    parameters += isinstance(raw["solve"]["lambda"], dict)
    moves = len(raw["moves"]) + len(raw["types"])
    code, out, err = run(capsys, "validate", "china-russia-2022")
    assert (code, err) == (0, "")
    # 2048 paths: China's type (2) x the West's (2) x 2 escalations x 2 packages
    # x 32 joint alignments x (no evidence, or evidence and 3 replies: 4)
    assert out.strip() == (
        f"ok: china-russia-2022: {len(raw['actors'])} actors, {parameters} "
        f"parameters, {moves} moves, 2048 paths, {len(terms)} payoff terms, "
        f"{len(raw['metrics'])} metrics"
    )


def test_forecast_json_by_hand(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    code, out, err = run(capsys, "forecast", str(entry), "--format", "json", "--lambda", "1")
    assert (code, err) == (0, "")
    data = json.loads(out)
    p_acc = sigma(3.0)  # 2 - (-1) = 3
    p_enter = sigma(3 * p_acc - 1)
    assert data["concept"] == "qre" and data["lambda"] == 1.0
    assert data["actions"]["ent"]["enter"] == pytest.approx(p_enter, abs=1e-12)
    assert data["actions"]["inc"]["fight"] == pytest.approx(p_enter * (1 - p_acc), abs=1e-12)
    assert data["metrics"] == {"fought": pytest.approx(p_enter * (1 - p_acc), abs=1e-12)}
    assert [p["path"] for p in data["pathways"]] == [
        [["ent", "enter"], ["inc", "accommodate"]],
        [["ent", "stay_out"]],
        [["ent", "enter"], ["inc", "fight"]],
    ]


def test_forecast_json_spe_is_strict_json(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    # paths of probability 0 must not put NaN in the output
    code, out, _ = run(capsys, "forecast", str(entry), "--format", "json", "--concept", "spe")
    assert code == 0
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["actions"]["ent"] == {"enter": 1.0, "stay_out": 0.0}


def test_forecast_table(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    code, out, err = run(capsys, "forecast", str(entry), "--concept", "spe")
    assert (code, err) == (0, "")
    assert "Entry deterrence" in out and "SPE, central values" in out
    for heading in ("Who does what", "Most likely pathways", "Expected metrics", "Why"):
        assert heading in out
    # the entrant enters for sure; its reason: market +2 (accommodated) over 0
    assert "Entrant chooses enter (100% at the start) over stay_out by +2 (market +2)" in out


def test_forecast_table_over_draws(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    code, out, _ = run(capsys, "forecast", str(entry), "--draws", "200", "--seed", "4")
    assert code == 0
    assert "200 draws (mc, seed 4)" in out
    assert "90% interval" in out and "most likely in" in out


def test_forecast_csv(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    code, out, _ = run(capsys, "forecast", str(entry), "--format", "csv", "--concept", "spe")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["actor"], r["move"], r["action"]) for r in rows] == [
        ("ent", "entry", "enter"),
        ("ent", "entry", "stay_out"),
        ("inc", "reply", "fight"),
        ("inc", "reply", "accommodate"),
    ]
    assert rows[0]["label"] == "Enter the market"
    assert [float(r["probability"]) for r in rows] == [1.0, 0.0, 0.0, 1.0]


def test_explain_formats(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    code, out, _ = run(capsys, "explain", str(entry), "--concept", "spe", "--format", "json")
    assert code == 0
    data = json.loads(out)
    first, second = data["decisions"]
    assert (first["actor"], first["chosen"]) == ("ent", "enter")
    assert first["alternatives"] == [
        {"action": "stay_out", "probability": 0.0, "difference": 2.0, "terms": {"market": 2.0}}
    ]
    # the incumbent: share +2, war +1, monopoly 0: accommodate by 3
    assert second["after"] == [["ent", "enter"]]
    assert second["alternatives"][0]["terms"] == {"monopoly": 0.0, "share": 2.0, "war": 1.0}

    code, out, _ = run(capsys, "explain", str(entry), "--concept", "spe", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["actor"], r["alternative"], r["term"], float(r["difference"])) for r in rows} == {
        ("ent", "stay_out", "market", 2.0),
        ("inc", "fight", "monopoly", 0.0),
        ("inc", "fight", "share", 2.0),
        ("inc", "fight", "war", 1.0),
    }

    code, out, _ = run(capsys, "explain", str(entry), "--concept", "spe")
    assert code == 0
    assert "Entrant at entry after the start" in out
    assert "Incumbent at reply after ent:enter" in out


def test_pathways_formats(capsys: pytest.CaptureFixture[str], entry: Path) -> None:
    code, out, _ = run(capsys, "pathways", str(entry), "--format", "json", "--lambda", "1")
    assert code == 0
    paths = json.loads(out)
    assert len(paths) == 3
    assert sum(p["probability"] for p in paths) == pytest.approx(1.0, abs=1e-12)

    code, out, _ = run(capsys, "pathways", str(entry), "--format", "csv", "--concept", "spe")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["path"] == "ent:enter > inc:accommodate"
    assert float(rows[0]["probability"]) == 1.0
    # a path never taken shows the metric at its end: fought = 1 after a fight
    fight = next(r for r in rows if r["path"] == "ent:enter > inc:fight")
    assert float(fight["fought"]) == 1.0

    # the table shows every path of the flagship: 28 rows
    code, out, _ = run(capsys, "pathways", LEGACY_FLAGSHIP)
    assert code == 0
    numbers = [int(m) for m in re.findall(r"^│\s*(\d+) │", out, flags=re.M)]
    assert numbers == list(range(1, 29))


def test_export_gambit_writes_a_file_that_reads_back(
    capsys: pytest.CaptureFixture[str], entry: Path, tmp_path: Path
) -> None:
    target = tmp_path / "entry.efg"
    code, _, err = run(capsys, "export-gambit", str(entry), str(target))
    assert code == 0
    assert " ".join(err.split()) == f"wrote {target} (5 nodes, 3 outcomes)"
    game = read_efg(target)
    assert game.tree.players == ("ent", "inc")
    # payoffs at the central values (profit = 2), per terminal in tree order:
    # enter>fight (-1, -1), enter>accommodate (2, 2), stay_out (0, 4)
    assert game.total_payoffs[0].tolist() == [[-1.0, -1.0], [2.0, 2.0], [0.0, 4.0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.efg", "entry.yaml"]


def test_export_gambit_refuses_bad_paths(
    capsys: pytest.CaptureFixture[str], entry: Path, tmp_path: Path
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, "export-gambit", str(entry), str(tmp_path / "game.txt"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"error: output file {tmp_path / 'game.txt'} should end in .efg"]

    missing = tmp_path / "no" / "such" / "game.efg"
    code, _, err = run(capsys, "export-gambit", str(entry), str(missing))
    assert code == 2
    assert err.splitlines() == [f"error: output file {missing}: no such directory {missing.parent}"]

    folder = tmp_path / "folder.efg"
    folder.mkdir()
    code, _, err = run(capsys, "export-gambit", str(entry), str(folder))
    assert code == 2
    assert err.splitlines() == [f"error: output file {folder} is a directory; give a file name"]
    # nothing written, no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "folder.efg"])
    assert list(folder.iterdir()) == []


def test_export_gambit_replaces_an_existing_file_whole(
    capsys: pytest.CaptureFixture[str], entry: Path, tmp_path: Path
) -> None:
    target = tmp_path / "game.efg"
    target.write_text("old content\n", encoding="utf-8")
    assert run(capsys, "export-gambit", str(entry), str(target))[0] == 0
    assert read_efg(target).tree.n_terminals == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["forecast", "china-rusia-2022"],
            "error: unknown scenario 'china-rusia-2022' (did you mean 'china-russia-2022'?)",
        ),
        (["forecast", "missing.yaml"], "error: no such scenario file: missing.yaml"),
        (
            ["forecast", LEGACY_FLAGSHIP, "--lambda", "-1"],
            "error: --lambda must be a number >= 0, got -1.0",
        ),
    ],
)
def test_user_errors_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith(message)


def test_warnings_are_one_plain_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "forecast", LEGACY_FLAGSHIP, "--draws", "100", "--method", "sobol",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    json.loads(out)
    lines = [line for line in err.splitlines() if "sobol with n = 100" in line]
    assert len(lines) == 1 and lines[0].startswith("warning: sobol with n = 100 draws")
    assert "UserWarning" not in err


def test_set_replaces_a_central_value(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "forecast", LEGACY_FLAGSHIP, "--format", "json")
    central = json.loads(out)
    code, out, _ = run(
        capsys, "forecast", LEGACY_FLAGSHIP, "--set", "partnership_value=3", "--format", "json"
    )
    assert code == 0
    moved = json.loads(out)
    assert moved["values"] == {"partnership_value": 3.0} and central["values"] == {}
    # the partnership's value scales what helping Russia brings (covert_boost,
    # overt_boost) and what neutrality strains: helping becomes likelier

    def helping(doc: dict) -> float:
        return doc["actions"]["china"]["covert_assist"] + doc["actions"]["china"]["overt_support"]

    assert helping(moved) > helping(central)
    code, out, _ = run(capsys, "forecast", LEGACY_FLAGSHIP, "--set", "partnership_value=3")
    assert "except partnership_value = 3" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--set", "partnership_value"], "write NAME=VALUE"),
        (["--set", "partnership_value=high"], "'high' is not a number"),
        (["--set", "partnership_valu=2"], "did you mean 'partnership_value'"),
        (["--set", "partnership_value=30"], "outside its distribution's support [0.5, 3]"),
    ],
)
def test_set_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "forecast", LEGACY_FLAGSHIP, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_forecast_header_says_lambda_is_drawn_only_where_the_concept_has_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # the flagship draws lambda (LogNormal, median 1); at the central values it
    # sits at its median; the logit limit (lambda -> infinity) has none
    code, out, _ = run(capsys, "forecast", "china-russia-2022")
    assert code == 0 and "QRE, lambda=1, central values" in out
    code, out, _ = run(capsys, "forecast", "china-russia-2022", "--draws", "40")
    assert code == 0 and "QRE, lambda drawn, 40 draws" in out
    code, out, _ = run(capsys, "forecast", "china-russia-2022", "--concept", "logit-limit")
    assert code == 0 and "LOGIT-LIMIT, central values" in out and "lambda drawn" not in out
