"""``align`` and ``realpolitik align``: the central forecast recomputed by hand
from the scenario file and the table (with SciPy's fixed-point solver as the
peer), the JSON contract, the reasons, and bad input as one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from realpolitik.alignment import align
from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import load_table, vintage_rows
from realpolitik.alignment.scenario import load_alignment_scenario
from realpolitik.cli import main as cli_main

SCENARIO = "unga-2022-aggression"


@pytest.fixture(scope="module")
def central():  # type: ignore[no-untyped-def]
    return align(SCENARIO, draws=1)


def _by_hand() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Central payoffs and equilibrium computed from the file and the table alone."""
    sc = load_alignment_scenario(SCENARIO)
    rows = vintage_rows(load_table(), 2022)
    raw = np.column_stack([
        rows["agree_rus"] - rows["agree_usa"] if c == "affinity" else rows[c]
        for c in sc.covariates
    ]).astype(float)  # fmt: skip
    X = np.column_stack([np.ones(len(rows)), (raw - sc.scaling.mean) / sc.scaling.scale])
    k = X.shape[1]
    est = sc.estimate
    B = np.zeros((k, 4))
    B[:, 0], B[:, 1], B[:, 3] = est[:k], est[k : 2 * k], est[2 * k : 3 * k]
    base = X @ B
    for p in sc.crisis:
        times = rows[p.times].to_numpy(float) if p.times else np.ones(len(rows))
        base += p.central * times[:, None] * p.effect[None, :]
    region = rows["region"].to_numpy()
    same = (region[:, None] == region[None, :]) & ~np.eye(len(rows), dtype=bool)
    W = same / same.sum(axis=1, keepdims=True)

    def fixed_map(p: np.ndarray) -> np.ndarray:
        u = base + est[-1] * (W @ p)
        e = np.exp(u - u.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    prob = optimize.fixed_point(fixed_map, np.full((len(rows), 4), 0.25), xtol=1e-13, maxiter=10000)
    return base + est[-1] * (W @ prob), prob, list(rows["iso3"])


def test_central_forecast_matches_a_hand_computation(central) -> None:  # type: ignore[no-untyped-def]
    _, prob, iso = _by_hand()
    ours = central.countries.set_index("iso3").loc[iso, list(CHOICES)].to_numpy()
    assert np.abs(ours - prob).max() < 1e-8
    tally = central.tally.set_index("choice")["expected"]
    assert np.allclose(tally.to_numpy(), prob.sum(axis=0))


def test_reasons_add_up_to_the_payoff_difference(central) -> None:  # type: ignore[no-untyped-def]
    payoff, prob, iso = _by_hand()
    margins = central.reasons.groupby("iso3")["value"].sum()
    first = central.reasons.drop_duplicates("iso3").set_index("iso3")
    for i, code in enumerate(iso):
        c, v = CHOICES.index(first.at[code, "choice"]), CHOICES.index(first.at[code, "versus"])
        assert c == int(np.argmax(prob[i]))
        assert margins[code] == pytest.approx(payoff[i, c] - payoff[i, v], abs=1e-7)


def test_json_contract_over_draws() -> None:
    result = align(SCENARIO, draws=300, seed=3)
    doc = json.loads(result.to_json_text())
    assert len(doc["countries"]) == 193
    for probs in doc["countries"].values():
        assert set(probs) == set(CHOICES)
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-12)
        assert all(0.0 <= p <= 1.0 for p in probs.values())
    assert sum(doc["tally"]["expected"].values()) == pytest.approx(193)
    for choice in CHOICES:
        lo, mid, hi = (doc["tally"][q][choice] for q in ("p05", "p50", "p95"))
        assert lo <= mid <= hi
        dist = np.array(doc["tally"]["distribution"][choice])
        assert dist.sum() == len(result.tally_samples)
        mean = (np.arange(len(dist)) * dist).sum() / dist.sum()
        assert mean == pytest.approx(doc["tally"]["expected"][choice], abs=1.0)
        lo_i, hi_i = doc["intervals"]["CHN"][choice]
        assert lo_i <= doc["countries"]["CHN"][choice] <= hi_i
    assert doc["as_of"] == "2022-02-23" and doc["solver"]["converged"] == 300


@pytest.fixture
def only_align(monkeypatch: pytest.MonkeyPatch) -> None:
    """The align area and one other (typer turns a lone command into the program)."""
    monkeypatch.setattr(cli_main, "AREA_MODULES", ("realpolitik.cli.align", "realpolitik.cli.web"))


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli_main.main(["align", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_align_is_registered() -> None:
    assert "realpolitik.cli.align" in cli_main.AREA_MODULES


def test_cli_json_csv_out_and_plot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, only_align: None
) -> None:
    code, out, _ = cli(capsys, SCENARIO, "--draws", "20", "--format", "json")
    assert code == 0 and len(json.loads(out)["countries"]) == 193
    code, out, _ = cli(capsys, SCENARIO, "--draws", "1", "--format", "csv",
                       "--out", tmp_path / "out", "--plot", tmp_path / "plots")  # fmt: skip
    assert code == 0
    frame = pd.read_csv(tmp_path / "out" / "countries.csv", keep_default_na=False)
    assert frame["iso3"].is_unique and len(frame) == 193
    assert out.splitlines()[0].startswith("iso3,")
    assert {p.name for p in (tmp_path / "plots").iterdir()} == {
        "alignment_probabilities.png", "alignment_tally.png"}  # fmt: skip
    code, out, _ = cli(capsys, SCENARIO, "--draws", "1", "--country", "chn")
    assert code == 0 and "China" in out and "France" not in out


def _table_with(tmp_path: Path, column: str, value: str) -> Path:
    frame = load_table().drop(columns=["line"]).astype(str).replace("nan", "")
    row = int(np.flatnonzero((frame["vintage"] == "2022") & (frame["iso3"] == "FRA"))[0])
    frame.loc[row, column] = value
    path = tmp_path / f"table-{column}.csv"
    frame.to_csv(path, index=False)
    return path


def test_cli_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, only_align: None
) -> None:
    out_dir = tmp_path / "never"
    cases = [
        (["--country", "XYZ"], "country code 'XYZ' is not in the covariate table"),
        (["--table", _table_with(tmp_path, "agree_usa", "")], "FRA has no value"),
        (["--table", _table_with(tmp_path, "vote_68_262", "perhaps")], "not one of yes/no"),
        (["--format", "xml"], "not one of table, json, csv"),
        (["--draws", "0"], "draws must be between"),
    ]
    for extra, message in cases:
        code, _, err = cli(capsys, SCENARIO, *extra, "--out", out_dir)
        assert code == 2, (extra, err)
        assert err.count("\n") == 1 and message in err and "Traceback" not in err
        assert not out_dir.exists()
    code, _, err = cli(capsys, "no-such-crisis")
    assert code == 2 and "unknown alignment scenario" in err


def test_cli_imputation_is_said(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, only_align: None
) -> None:
    path = _table_with(tmp_path, "agree_usa", "")
    code, _, err = cli(capsys, SCENARIO, "--draws", "1", "--format", "csv", "--table", path,
                       "--impute", "subregion-mean")  # fmt: skip
    assert code == 0 and "imputed" in err and "FRA" in err
    code, out, err = cli(capsys, SCENARIO, "--draws", "1", "--format", "csv", "--table", path,
                         "--impute", "drop")  # fmt: skip
    assert code == 0 and "dropped" in err and "FRA" not in out
