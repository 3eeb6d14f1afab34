"""``realpolitik sensitivity`` and ``realpolitik discover``: JSON against the
hand-worked answers of a small scenario, tables and CSV, plots written, the
flagship with small sample sizes, and bad input as one line on stderr with
exit code 2.

The commands run in-process through :func:`realpolitik.cli.main.main` (the
real error handling), with only the analysis area registered. The small
scenario is FLIP of ``test_targets.py``: under SPE Alpha goes left iff
x > 0.3 (x ~ U(0, 1)); z enters no payoff; c is fixed.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from flip_scenario import FLIP
from realpolitik.cli import main as cli_main

FLAGSHIP = LEGACY_FLAGSHIP


@pytest.fixture(autouse=True)
def analysis_area_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "AREA_MODULES", ("realpolitik.cli.analysis",))


@pytest.fixture(scope="module")
def flip_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenarios") / "flip.yaml"
    path.write_text(FLIP, encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli_main.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_analysis_area_is_registered() -> None:
    assert "realpolitik.cli.analysis" in cli_main.AREA_MODULES


# --------------------------------------------------------------------------
# sensitivity
# --------------------------------------------------------------------------


def test_sensitivity_json_on_the_flip(capsys: pytest.CaptureFixture[str], flip_file: Path) -> None:
    code, out, err = cli(
        capsys, "sensitivity", flip_file, "--target", "a:left", "--samples", "512",
        "--trajectories", "10", "--seed", "3", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    assert doc["scenario"] == "flip" and doc["concept"] == "spe" and doc["seed"] == 3
    assert doc["targets"] == [
        {"target": "a:left", "description": "probability that Alpha chooses left at pick",
         "central": 1.0},
    ]  # fmt: skip
    assert doc["parameters"] == ["x", "z", "c"] and doc["samples"] == 512
    sobol = {r["parameter"]: r for r in doc["sobol"]}
    # y = 1{x > 0.3}: x explains all the variance, z and the fixed c none
    assert sobol["x"]["ST"] == pytest.approx(1.0, abs=max(sobol["x"]["ST_conf"], 0.05))
    assert abs(sobol["z"]["ST"]) <= max(sobol["z"]["ST_conf"], 0.02)
    assert sobol["c"]["S1"] == 0.0 and sobol["c"]["ST"] == 0.0
    swings = {r["parameter"]: r["swing"] for r in doc["tornado"]}
    assert swings == {"x": 1.0, "z": 0.0, "c": 0.0}
    assert {r["parameter"] for r in doc["morris"]} == {"x", "z", "c"}


def test_sensitivity_table_and_csv(capsys: pytest.CaptureFixture[str], flip_file: Path) -> None:
    args = ("sensitivity", flip_file, "--target", "a:left", "--target", "metric:score",
            "--samples", "64", "--trajectories", "4", "--seed", "1")  # fmt: skip
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    for text in ("A choice that flips at 0.3", "a:left", "metric:score", "S1 (95%)", "swing",
                 "expected score"):  # fmt: skip
        assert text in out
    code, out, err = cli(capsys, *args, "--format", "csv")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table["output"].tolist() == ["a:left"] * 3 + ["metric:score"] * 3
    assert {"S1", "ST", "mu_star", "swing"} <= set(table.columns)
    # score = 2 P(left): the tornado swing of x is 2
    assert table.loc[(table["output"] == "metric:score") & (table["parameter"] == "x"),
                     "swing"].item() == 2.0  # fmt: skip


def test_sensitivity_one_method_and_a_parameter_filter(
    capsys: pytest.CaptureFixture[str], flip_file: Path
) -> None:
    code, out, err = cli(
        capsys, "sensitivity", flip_file, "--target", "a:left", "--method", "tornado",
        "--parameters", "z,x", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["sobol"] is None and doc["morris"] is None and doc["samples"] is None
    assert [r["parameter"] for r in doc["tornado"]] == ["x", "z"]


def test_sensitivity_plots(
    capsys: pytest.CaptureFixture[str], flip_file: Path, tmp_path: Path
) -> None:
    code, _, err = cli(
        capsys, "sensitivity", flip_file, "--target", "a:left", "--samples", "64",
        "--trajectories", "4", "--plot", tmp_path / "plots",
    )  # fmt: skip
    assert code == 0, err
    assert "wrote 6 plot files" in err
    for stem in ("sobol-a-left", "morris-a-left", "tornado-a-left"):
        for ext in ("png", "svg"):
            assert (tmp_path / "plots" / f"{stem}.{ext}").stat().st_size > 1000


def test_sensitivity_on_the_flagship(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "sensitivity", FLAGSHIP, "--target", "china:covert_assist", "--samples", "32",
        "--trajectories", "4", "--seed", "7", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["sobol"]) == len(doc["parameters"]) == len(doc["tornado"])
    assert doc["concept"] == "qre" and doc["lambda"] == 2.0


# --------------------------------------------------------------------------
# discover
# --------------------------------------------------------------------------


def test_discover_json_on_the_flip(capsys: pytest.CaptureFixture[str], flip_file: Path) -> None:
    code, out, err = cli(
        capsys, "discover", flip_file, "--target", "a:left", "--draws", "2000", "--seed", "4",
        "--resamples", "5", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["cases"] == "left is a's most likely choice at pick"
    assert doc["central"] == {"label": "left", "value": 1.0}
    box = doc["box"]
    assert box["density"] == 1.0 and box["coverage"] >= 0.92
    (limit,) = box["limits"]  # only x is restricted: x >= about 0.3 (one peel)
    assert limit["parameter"] == "x" and 0.3 < limit["lower"] <= 0.35
    assert limit["upper"] is None  # +inf: an open side
    assert len(doc["trajectory"]) > 1 and doc["stability"]["resamples"] == 5
    (flip,) = doc["thresholds"]
    assert flip["parameter"] == "x" and flip["value"] == pytest.approx(0.3, abs=1e-5)
    assert (flip["from_label"], flip["to_label"]) == ("right", "left")


def test_discover_table_csv_and_plots(
    capsys: pytest.CaptureFixture[str], flip_file: Path, tmp_path: Path
) -> None:
    args = ("discover", flip_file, "--target", "a:right", "--draws", "1000", "--seed", "2",
            "--resamples", "4")  # fmt: skip
    code, out, err = cli(capsys, *args, "--plot", tmp_path)
    assert code == 0, err
    for text in ("Cases of interest", "PRIM box", "Stability over 4 half-samples",
                 "Tipping points", "right -> left"):  # fmt: skip
        assert text in out, text
    assert "wrote 4 plot files" in err
    for stem in ("prim-tradeoff-a-right", "prim-box-a-right"):
        for ext in ("png", "svg"):
            assert (tmp_path / f"{stem}.{ext}").stat().st_size > 1000
    code, out, err = cli(capsys, *args, "--format", "csv")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert set(table["section"]) == {"box", "threshold", "stability"}
    box = table.loc[table["section"] == "box"]
    assert box["parameter"].tolist() == ["x"]
    assert 0.25 <= box["upper"].item() < 0.3


def test_discover_metric_with_threshold(
    capsys: pytest.CaptureFixture[str], flip_file: Path
) -> None:
    code, out, err = cli(
        capsys, "discover", flip_file, "--target", "metric:score", "--threshold", "1",
        "--draws", "500", "--seed", "1", "--resamples", "0", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["cases"] == "metric:score above 1" and doc["stability"] is None
    assert doc["thresholds"][0]["value"] == pytest.approx(0.3, abs=1e-5)


def test_discover_on_the_flagship(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "discover", FLAGSHIP, "--target", "china:covert_assist", "--draws", "400",
        "--seed", "2", "--resamples", "2",
    )  # fmt: skip
    assert code == 0, err
    assert "china's most likely choice at alignment is neutral" in out


# --------------------------------------------------------------------------
# Bad input: one line per problem, exit code 2
# --------------------------------------------------------------------------

VALID = "a:left, a:right, b:accept, b:refuse, metric:score"


@pytest.mark.parametrize("command", ["sensitivity", "discover"])
def test_unknown_target_lists_the_valid_names(
    capsys: pytest.CaptureFixture[str], flip_file: Path, command: str
) -> None:
    code, out, err = cli(capsys, command, flip_file, "--target", "a:lft")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "unknown target 'a:lft' (did you mean 'a:left'?)" in err
    assert f"valid targets: {VALID}" in err


@pytest.mark.parametrize("command", ["sensitivity", "discover"])
def test_missing_target_lists_the_valid_names(
    capsys: pytest.CaptureFixture[str], flip_file: Path, command: str
) -> None:
    code, _, err = cli(capsys, command, flip_file)
    assert code == 2 and f"give a target (--target); valid targets: {VALID}" in err


@pytest.mark.parametrize("command", ["sensitivity", "discover"])
def test_unknown_parameter_lists_the_valid_names(
    capsys: pytest.CaptureFixture[str], flip_file: Path, command: str
) -> None:
    code, _, err = cli(capsys, command, flip_file, "--target", "a:left", "--parameters", "x,y")
    assert code == 2 and err.count("\n") == 1
    assert "unknown parameter 'y'" in err and "valid parameters: x, z, c" in err


def test_flagship_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "sensitivity", FLAGSHIP, "--target", "china:covert")
    assert code == 2
    assert "did you mean 'china:covert_assist'?" in err
    assert "metric:china_isolation" in err and "west:secondary_sanctions" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("sensitivity", "--samples", "100"),
            "--samples must be a power of two (e.g. 1024), got 100",
        ),
        (("sensitivity", "--trajectories", "1"), "--trajectories must be at least 2"),
        (("sensitivity", "--concept", "qre", "--lambda", "-1"), "--lambda must be a number >= 0"),
        (("discover", "--draws", "1"), "--draws must be at least 2"),
        (("discover", "--resamples", "1"), "--resamples must be 0 (no check) or at least 2"),
        (("discover", "--target", "metric:score"), "give a threshold"),
    ],
)
def test_bad_options(
    capsys: pytest.CaptureFixture[str], flip_file: Path, args: tuple[str, ...], message: str
) -> None:
    command, *rest = args
    targets = [] if "--target" in rest else ["--target", "a:left"]
    code, _, err = cli(capsys, command, flip_file, *targets, *rest)
    assert code == 2, err
    assert message in err and err.count("\n") == 1


def test_discover_takes_one_target(capsys: pytest.CaptureFixture[str], flip_file: Path) -> None:
    code, _, err = cli(capsys, "discover", flip_file, "--target", "a:left", "--target", "a:right")
    assert code == 2 and "discover takes one target, got 2: a:left, a:right" in err


def test_plot_into_a_file_is_refused(
    capsys: pytest.CaptureFixture[str], flip_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    code, _, err = cli(
        capsys, "sensitivity", flip_file, "--target", "a:left", "--method", "tornado",
        "--plot", target,
    )  # fmt: skip
    assert code == 2 and "is a file; give a directory" in err
