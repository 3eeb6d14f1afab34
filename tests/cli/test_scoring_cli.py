"""``realpolitik estimate SCENARIO``, ``calibrate`` and ``score`` on the
command line: bad input is one line on stderr, exit code 2 and nothing
written; good input prints strict JSON whose numbers are those of the Python
API, and ``--write`` writes a scenario that loads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import realpolitik as rp
from realpolitik.cli.main import main
from realpolitik.scenario.load import load

SCENARIO = """\
format: 1
id: clitest
sources: {s: "simulation"}
actors: {a: A, b: B}
parameters:
  ua: {estimate: {formula: "~ x"}, source: s}
  cost: {dist: fixed, value: 1, source: s}
moves:
  - {id: first, actor: a, actions: [stay, go]}
  - {id: second, actor: b, when: "first == go", actions: ["yield", fight]}
payoffs:
  a: {quiet: "ua * (first == stay)", war: "-cost * (second == fight)", win: "second == yield"}
  b: {fight: "0.5 * (second == fight)"}
solve: {concept: qre, lambda: 1}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    scenario = tmp_path / "clitest.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    covariates = pd.DataFrame({"x": np.random.default_rng(1).normal(size=300)})
    cases = rp.simulate_cases(
        load(scenario), covariates, coefficients={"ua:(Intercept)": 0.2, "ua:x": 1.0}, seed=1
    )
    cases.insert(0, "case", [f"c{k}" for k in range(len(cases))])
    good = tmp_path / "cases.csv"
    cases.to_csv(good, index=False)
    out: dict[str, Path] = {"scenario": scenario, "good": good}

    def variant(name: str, frame: pd.DataFrame) -> None:
        out[name] = tmp_path / f"{name}.csv"
        frame.to_csv(out[name], index=False)

    variant("unknown", cases.rename(columns={"second": "secnd"}))
    variant("missing", cases.drop(columns="x"))
    level = cases.copy()
    level.loc[4, "first"] = "run"
    variant("level", level)
    variant("few", cases.head(1))
    words = cases.copy().astype({"x": object})
    words.loc[7, "x"] = "high"
    variant("words", words)
    impossible = cases.copy()
    row = int(np.flatnonzero(impossible["first"] == "stay")[0])
    impossible.loc[row, "second"] = "fight"
    out["impossible_row"] = Path(str(row + 2))
    variant("impossible", impossible)
    return out


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


BAD = {
    "unknown column": ("unknown", "unknown column 'secnd' (did you mean 'second'?)"),
    "missing column": ("missing", "missing column(s) 'x', used by the formula of ua"),
    "level of no action": ("level", "'run' is not an action of first"),
    "too few cases": ("few", "too few cases: 1"),
    "non-numeric column": ("words", "column 'x' is not numeric: 'high'"),
    "move not reachable": ("impossible", "move 'second' cannot happen after first = stay"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
@pytest.mark.parametrize("command", ["estimate", "calibrate", "score"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    command: str,
    case: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, message = BAD[case]
    written = tmp_path / "fitted.yaml"
    if command == "estimate":
        args = ["estimate", str(files["scenario"]), "--data", str(files[name])]
        args += ["--write", str(written)]
    elif command == "calibrate":
        if case == "missing column":
            pytest.skip("calibration uses no formula")
        fitted = tmp_path / "fixed.yaml"
        fitted.write_text(
            SCENARIO.replace(
                'ua: {estimate: {formula: "~ x"}, source: s}',
                "ua: {dist: fixed, value: 0.3, source: s}\n  x: {dist: fixed, value: 0, source: s}",
            )
        )
        args = ["calibrate", str(fitted), str(files[name])]
    else:
        if case in ("missing column", "too few cases"):
            pytest.skip("scoring needs no covariate of a fitted scenario, and one case is enough")
        fitted = tmp_path / "fixed.yaml"
        fitted.write_text(
            SCENARIO.replace(
                'ua: {estimate: {formula: "~ x"}, source: s}',
                "ua: {dist: fixed, value: 0.3, source: s}\n  x: {dist: fixed, value: 0, source: s}",
            )
        )
        args = ["score", str(fitted), str(files[name])]
    code, out, err = _run(args, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert message in lines[0]
    if case in ("level of no action", "move not reachable", "non-numeric column"):
        assert f"{files[name]}:" in lines[0]  # file:line
    assert out == ""
    assert not written.exists()


def test_estimate_writes_a_fitted_scenario_and_json(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "out" / "fitted.yaml"
    code, out, err = _run(
        [
            "estimate",
            str(files["scenario"]),
            str(files["good"]),
            "--write",
            str(written),
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    fit = rp.estimate(files["scenario"], files["good"])
    assert doc["log_likelihood"] == pytest.approx(fit.log_likelihood, rel=1e-12)
    assert set(doc["coefficients"]) == {"ua:(Intercept)", "ua:x"}
    assert doc["written"] == str(written)
    fitted = load(written)
    assert fitted.parameters["ua:x"].central == pytest.approx(
        doc["coefficients"]["ua:x"]["estimate"]
    )
    code, out, err = _run(["score", str(written), str(files["good"]), "--format", "json"], capsys)
    assert code == 0, err
    scores = json.loads(out)["scores"]
    # in sample, the fitted forecast beats a uniform guess
    assert scores["forecast"]["log_score"] > scores["uniform"]["log_score"]
    assert scores["forecast"]["total_log_score"] == pytest.approx(fit.log_likelihood, rel=1e-6)


def test_calibrate_prints_lambda_and_its_solve_form(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(
        SCENARIO.replace(
            'ua: {estimate: {formula: "~ x"}, source: s}',
            "ua: {dist: fixed, value: 0.2, source: s}\n  x: {dist: fixed, value: 0, source: s}",
        ),
        encoding="utf-8",
    )
    code, out, err = _run(["calibrate", str(fixed), "--data", str(files["good"])], capsys)
    assert code == 0, err
    assert "lambda:" in out and "dist: lognormal" in out
    code, out, err = _run(["calibrate", str(fixed), str(files["good"]), "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["solve"]["lambda"]["dist"] == "lognormal"
    assert doc["lambda"] == pytest.approx(doc["solve"]["lambda"]["median"])
