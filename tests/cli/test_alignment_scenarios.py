"""Alignment scenarios at the command line beside game-tree scenarios:
``realpolitik scenarios`` lists both with their kind, ``realpolitik validate``
checks an alignment file with the scenario checker and against its covariate
table, and every mistake is one located line with exit code 2.

Expected values come from the library files read with plain
``yaml.safe_load`` and from the shipped table counted with the csv module;
the broken inputs are the built-in file or table with one value changed, and
the line each message must name is found by searching the changed file.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

from realpolitik.cli.main import main

BUILTIN = "unga-2022-aggression"
LIBRARY = resources.files("realpolitik").joinpath("alignment", "library")
TABLE = resources.files("realpolitik").joinpath("alignment", "data", "covariates.csv")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _builtin_text() -> str:
    return LIBRARY.joinpath(f"{BUILTIN}.yaml").read_text(encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _one_error(code: int, err: str) -> str:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


def test_scenarios_lists_both_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scenarios", "--format", "json")
    assert code == 0
    rows = {row["name"]: row for row in json.loads(out)}
    header = yaml.safe_load(_builtin_text())
    assert rows[BUILTIN]["kind"] == "alignment" and rows[BUILTIN]["as_of"] == str(header["as_of"])
    assert rows[BUILTIN]["title"] == header["title"] and rows[BUILTIN]["vintage"] == 2022
    assert rows["china-russia-2022"]["kind"] == "game" and rows["china-russia-2022"]["actors"]
    code, out, _ = run(capsys, "scenarios")
    assert code == 0
    line = next(row for row in out.splitlines() if BUILTIN in row)
    assert "alignment" in line and "all UN members" in line


def test_validate_a_builtin_alignment_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    with TABLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    members_2022 = sum(r["vintage"] == "2022" for r in rows)
    voted_2014 = sum(r["vintage"] == "2014" and r["vote_68_262"] != "" for r in rows)
    header = yaml.safe_load(_builtin_text())
    code, out, err = run(capsys, "validate", BUILTIN)
    assert (code, err) == (0, "")
    assert out.strip() == (
        f"ok: {BUILTIN}: alignment, {members_2022} members (vintage 2022), "
        f"{len(header['model']['covariates'])} covariates, 22 coefficients fitted on "
        f"vote_68_262 ({voted_2014} members, vintage 2014), {len(header['crisis'])} crisis "
        "parameters"
    )


def _scenario_with_table(tmp_path: Path, column: str, iso3: str, vintage: str, value: str) -> Path:
    """The built-in scenario reading a copy of the shipped table with one cell changed."""
    with TABLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    hit = next(r for r in rows if r["iso3"] == iso3 and r["vintage"] == vintage)
    hit[column] = value
    with (tmp_path / "table.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    path = tmp_path / "scenario.yaml"
    path.write_text(_builtin_text().replace("vintage: 2022\n", "vintage: 2022\ntable: table.csv\n"))
    return path


@pytest.mark.parametrize(
    ("column", "iso3", "vintage", "value", "message"),
    [
        ("agree_usa", "FRA", "2022", "", "FRA has no value; fill it, or choose --impute"),
        ("vote_68_262", "PER", "2014", "perhaps", "not one of yes/no/abstain/absent"),
        ("vote_68_262", "PER", "2014", "", "PER has no vote in vintage 2014"),
    ],
)
def test_validate_checks_the_table(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    column: str,
    iso3: str,
    vintage: str,
    value: str,
    message: str,
) -> None:
    path = _scenario_with_table(tmp_path, column, iso3, vintage, value)
    err = _one_error(*run(capsys, "validate", path)[::2])
    table = tmp_path / "table.csv"
    line = next(
        i
        for i, row in enumerate(table.read_text().splitlines(), 1)
        if row.startswith(f"{vintage},{iso3},")
    )
    assert f"{table}:{line}: {column}: " in err and message in err, err


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("    vintage: 2014\n", "    vintage: 2023\n", "    vintage: 2023", "after as_of"),
        ("vintage: 2022\n", "vintage: 2024\n", "vintage: 2024", "after as_of"),
        ("    vote: vote_68_262\n", "    vote: 68/262\n", "    vote: 68/262", "vote_<id>"),
        ("  peer_groups: region\n", "  peer_groups: continent\n", "continent", "must be one of"),
    ],
)
def test_validate_locates_mistakes_in_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, needle: str,
    message: str,
) -> None:  # fmt: skip
    text = _builtin_text()
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1))
    err = _one_error(*run(capsys, "validate", path)[::2])
    assert err.startswith(f"error: {path}:{_line_of(path, needle)}: ") and message in err, err


def test_a_game_command_on_an_alignment_file_says_what_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "alignment.yaml"
    path.write_text(_builtin_text())
    err = _one_error(*run(capsys, "forecast", path)[::2])
    assert f"{path}:{_line_of(path, 'kind: alignment')}: kind: " in err
    assert "realpolitik align" in err


def test_align_fit_refits_the_block_beside_the_multinomial_logit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The refit through the estimation machinery reproduces the block the
    fitting script wrote (``tests/alignment/test_alignment_fit.py`` checks
    the fit itself against statsmodels)."""
    block = yaml.safe_load(_builtin_text())["model"]["fit"]
    code, out, err = run(capsys, "align-fit", BUILTIN, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    game, mnl = doc["game"], doc["mnl"]
    assert game["log_likelihood"] == pytest.approx(block["loglik"], abs=1e-6)
    assert mnl["log_likelihood"] == pytest.approx(block["mnl_loglik"], abs=1e-6)
    assert game["interaction"] is True and mnl["interaction"] is False
    assert game["n"] == 193 and game["vote"] == block["vote"] == "vote_68_262"
    gamma = game["coefficients"]["gamma"]
    assert gamma["estimate"] == pytest.approx(block["estimate"][-1], abs=1e-6)
    assert gamma["std_error"] == pytest.approx(block["covariance"][-1][-1] ** 0.5, abs=1e-6)
    assert "gamma" not in mnl["coefficients"] and mnl["fixed_terms"] == {"gamma": 0.0}
    comparison = doc["comparison"]
    assert comparison["lr_statistic"] == pytest.approx(
        2 * (block["loglik"] - block["mnl_loglik"]), abs=1e-5
    )
    assert comparison["lr_statistic"] >= 0 and comparison["extra_parameters"] == 1


def test_align_fit_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _scenario_with_table(tmp_path, "vote_68_262", "PER", "2014", "perhaps")
    err = _one_error(*run(capsys, "align-fit", path)[::2])
    assert "not one of yes/no/abstain/absent" in err
    err = _one_error(*run(capsys, "align-fit", BUILTIN, "--format", "csv")[::2])
    assert "'csv' is not one of table, json" in err
