"""``realpolitik estimate`` on the command line: bad input is one line on
stderr, exit code 2, and nothing written; good input prints R's summary table
or the JSON document, and writes the figures asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from realpolitik.cli.main import main

WAR = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["estimate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def tiny(tmp_path: Path, reference_dir: Path) -> Path:
    """Eight cases of war1800: fewer than the ten coefficients of WAR."""
    path = tmp_path / "tiny.csv"
    pd.read_csv(reference_dir / "war1800.csv").dropna().head(8).to_csv(path, index=False)
    return path


@pytest.fixture
def typo(tmp_path: Path, reference_dir: Path) -> Path:
    """war1800 with a word in the numeric column balanc."""
    data = pd.read_csv(reference_dir / "war1800.csv")
    data["balanc"] = data["balanc"].astype(object)
    data.loc[5, "balanc"] = "high"
    path = tmp_path / "typo.csv"
    data.to_csv(path, index=False)
    return path


@pytest.fixture
def words(tmp_path: Path, reference_dir: Path) -> Path:
    """war1800 with a three-valued text outcome."""
    data = pd.read_csv(reference_dir / "war1800.csv")
    data["result"] = "sq"
    data.loc[data["esc"] == 1, "result"] = "cap"
    data.loc[(data["esc"] == 1) & (data["war"] == 1), "result"] = "war"
    path = tmp_path / "words.csv"
    data.to_csv(path, index=False)
    return path


BAD = {
    "unknown column": (
        ["{war}", "--formula", "esc + war ~ s_wt_re1 | 0 | nosuch | balanc"],
        "unknown column(s) 'nosuch'",
    ),
    "missing outcome column": (
        ["{war}", "--formula", "fight ~ s_wt_re1 | 0 | 1 | balanc"],
        "unknown column(s) 'fight'",
    ),
    "wrong number of parts": (
        ["{war}", "--formula", "esc + war ~ s_wt_re1 | 0 | balanc"],
        "needs 4 utility equations",
    ),
    "level maps to no node": (
        ["{words}", "--formula", "result ~ s_wt_re1 | 0 | 1 | balanc", "--levels", "sq,cap,fight"],
        "maps to no terminal node",
    ),
    "text outcome without levels": (
        ["{words}", "--formula", "result ~ s_wt_re1 | 0 | 1 | balanc"],
        "give its levels",
    ),
    "too few cases": (["{tiny}", "--formula", WAR], "too few cases"),
    "non-numeric column": (["{typo}", "--formula", WAR], "not numeric"),
    "non-numeric action column": (
        ["{words}", "--formula", "result + war ~ s_wt_re1 | 0 | 1 | balanc"],
        "outcome column 'result' is not numeric",
    ),
    "unknown model": (["{war}", "--formula", WAR, "--link", "probit"], None),
    "scenario file": (["{war}", "--formula", WAR], None),
    "private logit": (
        ["{war}", "--formula", WAR, "--errors", "private", "--link", "logit"],
        "private-information errors are normal",
    ),
    "fixed utilities count": (
        ["{war}", "--formula", "esc + war ~ 1", "--fixed-utils", "1,2"],
        "fixes 4 finite utilities",
    ),
    "fixed utilities text": (
        ["{war}", "--formula", "esc + war ~ 1", "--fixed-utils", "1,a,0,1"],
        "'a' is not a number",
    ),
    "by player without scale": (
        ["{war}", "--formula", WAR, "--sd-by-player"],
        "need a scale formula",
    ),
    "scale parts": (
        ["{war}", "--formula", WAR, "--sd-formula", "~ balanc | balanc"],
        "needs 1 part",
    ),
    "no data": ([], "no data"),
    "missing file": (["{missing}", "--formula", WAR], "no such file"),
    "bad format": (["{war}", "--formula", WAR, "--format", "xml"], "unknown format"),
    "function in formula": (
        ["{war}", "--formula", "esc + war ~ log(balanc) | 0 | 1 | balanc"],
        "not a column name",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_one_line_and_exit_2(
    case: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    reference_dir: Path,
    tiny: Path,
    typo: Path,
    words: Path,
) -> None:
    args, message = BAD[case]
    paths = {
        "war": reference_dir / "war1800.csv",
        "tiny": tiny,
        "typo": typo,
        "words": words,
        "missing": tmp_path / "absent.csv",
    }
    argv = [a.format(**{k: str(v) for k, v in paths.items()}) for a in args]
    model = {"unknown model": "egame99", "scenario file": "crisis.yaml"}.get(case, "egame12")
    plots = tmp_path / "figures"
    code, out, err = _run([model, *argv, "--plot", str(plots)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    if message is not None:
        assert message in lines[0]
    assert out == ""
    assert not plots.exists()


def test_table_output_and_figures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, reference_dir: Path
) -> None:
    plots = tmp_path / "figures"
    code, out, err = _run(
        [
            "egame12",
            "--data",
            str(reference_dir / "war1800.csv"),
            "--formula",
            WAR,
            "--profile",
            "--workers",
            "1",
            "--predict-over",
            "balanc",
            "--plot",
            str(plots),
        ],
        capsys,
    )
    assert code == 0, err
    assert "u2(esc,war):regime2dem" in out and "Log-likelihood: -286.1238" in out
    assert "No. observations: 282 (31 rows dropped for missing values)" in out
    assert "Likelihood-ratio 95% intervals" in out and "Predicted probabilities over balanc" in out
    for name in ("coefficients.png", "profile.png", "predicted_balanc.png"):
        assert (plots / name).read_bytes()[:4] == b"\x89PNG"


def test_json_document(capsys: pytest.CaptureFixture[str], reference_dir: Path) -> None:
    code, out, _ = _run(
        [
            "egame12",
            str(reference_dir / "war1800.csv"),
            "--formula",
            "esc + war ~ 1",
            "--fixed-utils=-1,0,-1.4,0.1",
            "--sd-by-player",
            "--link",
            "logit",
            "--bootstrap",
            "20",
            "--seed",
            "3",
            "--workers",
            "1",
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["n"] == 313 and doc["converged"] is True
    assert set(doc["coefficients"]) == {"log(lambda1)", "log(lambda2)"}
    assert doc["fixed_terms"] == {
        "u1(~esc)": -1.0,
        "u1(esc,~war)": 0.0,
        "u1(esc,war)": -1.4,
        "u2(esc,war)": 0.1,
    }
    assert doc["std_error_source"] == "bootstrap"
    assert doc["bootstrap"]["replicates"] == 20 and doc["bootstrap"]["seed"] == 3
    # games: -338.001588 for this model (reference fit war_fixed_byplayer_agent_logit)
    assert doc["log_likelihood"] == pytest.approx(-338.001588, abs=1e-6)
    for key in ("n", "log_likelihood", "aic", "converged", "fit_seconds", "coefficients"):
        assert key in doc
