"""``realpolitik bargain run|evaluate``: JSON against the peer run, tables, plots,
and every bad input as one line on stderr with exit code 2.

The commands run in-process through :func:`realpolitik.cli.main.main` (the
real error handling), with only the bargaining area registered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.cli import main as cli_main

EC = "bargaining/scholz_ec_emissions"
DEU = "bargaining/deu3/deu3_dev.csv"


@pytest.fixture(autouse=True)
def bargain_area_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "AREA_MODULES", ("realpolitik.cli.bargain",))


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli_main.main(["bargain", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_bargain_area_is_registered() -> None:
    assert "realpolitik.cli.bargain" in cli_main.AREA_MODULES


def test_run_json_matches_the_peer_run(
    capsys: pytest.CaptureFixture[str], reference_dir: Path
) -> None:
    path = reference_dir / EC / "ExampleActors_sal100_dmasad.csv"
    code, out, err = cli(capsys, "run", path, "--format", "json", "--rounds", "10")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    assert {"model", "turns", "forecast", "baselines"} <= set(doc)
    assert doc["model"] == "eum"
    with open(reference_dir / EC / "reference_output_jmckib_model_10rounds.json") as handle:
        ref = json.load(handle)
    assert [t["turn"] for t in doc["turns"]] == list(range(11))
    assert doc["turns"][0]["positions"] == {a: [v] for a, v in ref["round0"]["positions"].items()}
    for rec in ref["rounds"]:
        positions = doc["turns"][rec["round"]]["positions"]
        for actor, value in rec["positions"].items():
            assert positions[actor] == [pytest.approx(value, abs=1e-9)]
    assert doc["forecast"] == [pytest.approx(ref["rounds"][-1]["median"], abs=1e-9)]
    assert doc["baselines"]["weighted_mean"] == [pytest.approx(ref["round0"]["mean"], abs=1e-12)]
    assert doc["baselines"]["weighted_median"] == [7.0]
    first = doc["turns"][1]["moves"]
    assert [(m["actor"], m["kind"], m["with"]) for m in first] == [
        ("Belgium", "compromise", "France"),
        ("Luxembourg", "conflict", "Belgium"),
        ("Ireland", "conflict", "Luxembourg"),
    ]


def test_run_table_shows_forecast_baselines_and_moves(
    capsys: pytest.CaptureFixture[str], reference_dir: Path
) -> None:
    code, out, _ = cli(capsys, "run", reference_dir / EC / "ExampleActors_sal01_jmckib.csv")
    assert code == 0
    for text in (
        "eum forecast",
        "weighted mean",
        "weighted median",
        "why actors moved",
        "compromise",
        "Belgium",
        "7.39",
    ):
        assert text in out


def test_run_a_deu_issue_with_a_plot(
    capsys: pytest.CaptureFixture[str], reference_dir: Path, tmp_path: Path
) -> None:
    png, svg = tmp_path / "t.png", tmp_path / "t.svg"
    code, out, err = cli(
        capsys, "run", reference_dir / DEU, "--issue", "d00032i1", "--format", "json", "--plot", png
    )
    assert code == 0, err
    assert set(json.loads(out)["turns"][0]["positions"]) >= {"com", "ep", "de"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = cli(capsys, "run", reference_dir / DEU, "--issue", "d00032i1", "--plot", svg)
    assert code == 0, err
    assert "<svg" in svg.read_text()[:500]


def test_run_smp_on_a_ktab_file(capsys: pytest.CaptureFixture[str], reference_dir: Path) -> None:
    path = reference_dir / "bargaining/ktab_smp/SOE-Pol-Comp.csv"
    code, out, err = cli(capsys, "run", path, "--model", "smp", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["model"] == "smp"
    assert len(doc["forecast"]) == 2 and len(doc["baselines"]["weighted_mean"]) == 2
    # The EUM runs each KTAB dimension as its own issue.
    code, out, err = cli(capsys, "run", path, "--format", "json", "--rounds", "3")
    assert code == 0, err
    assert len(json.loads(out)["turns"]) == 4


def test_evaluate_json(capsys: pytest.CaptureFixture[str], reference_dir: Path) -> None:
    code, out, err = cli(
        capsys, "evaluate", reference_dir / DEU, "--format", "json", "--models", "eum"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"n_issues", "scores"}
    assert set(doc["scores"]) == {"eum", "weighted_mean", "weighted_median"}
    for s in doc["scores"].values():
        assert set(s) == {"mae", "median_ae", "share_within_10"}
    # 182 issues: 4 without an outcome, 2 more with fewer than 3 actors.
    assert doc["n_issues"] == 176


def test_evaluate_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = [
        "\t".join(f'"{h}"' for h in ("isnr", "pcom", "pbe", "pde", "scom", "sbe", "sde", "out")),
        "\t".join(["", "4.1", "0.5", "2.8", "", "", "", ""]),
        "\t".join(["i1", "100", "30", "0", "60", "50", "80", "40"]),
        "\t".join(["i2", "0", "50", "100", "60", "50", "80", "90"]),
        "\t".join(["i3", "0", "50", "", "60", "50", "80", "10"]),
    ]
    path = tmp_path / "tiny.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "evaluate", path)
    assert code == 0, err
    for text in (
        "eum",
        "smp",
        "weighted_mean",
        "weighted_median",
        "MAE",
        "2 issues",
        "1 issue(s) skipped",
    ):
        assert text in out


GOOD = "Actor,Capability,Position,Salience\nA,1,0,0.5\nB,2,50,0.25\nC,1.5,100,1\n"


@pytest.mark.parametrize(
    ("text", "extra", "where", "message"),
    [
        # salience on 0-100 where 0-1 was declared
        (
            GOOD.replace("0.25", "25"),
            ["--salience-scale", "1"],
            ":3: Salience:",
            "above 1 on the declared 0-1 scale",
        ),
        # a mixture of scales
        (GOOD.replace("0.25", "25"), [], ":2: Salience:", "mix the 0-1 and 0-100"),
        (GOOD.replace("B,2,", "B,-2,"), [], ":3: Capability:", "must be positive"),
        (
            "Actor,Capability,Position,Salience\nA,1,0,0.5\nB,2,50,0.25\n",
            [],
            ":3: Actor:",
            "at least 3",
        ),
        (GOOD.replace("B,2,50", "B,2,"), [], ":3: Position:", "missing position"),
        (GOOD.replace("B,2,50", "B,2,abc"), [], ":3: Position:", "'abc' is not a number"),
        (GOOD, ["--variant", "nope"], "variant:", "unknown EUM variant"),
        (GOOD, ["--format", "xml"], "format:", "not one of table, markdown, json"),
        (GOOD, ["--model", "bdm"], "model:", "unknown model 'bdm'; use eum or smp"),
        (GOOD, ["--plot", "out.pdf"], "--plot", "should end in .png or .svg"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    text: str,
    extra: list[str],
    where: str,
    message: str,
) -> None:
    path = tmp_path / "actors.csv"
    path.write_text(text, encoding="utf-8")
    code, _out, err = cli(capsys, "run", path, *extra)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert where in lines[0] and message in lines[0]
    if where.startswith(":"):
        assert lines[0].startswith(f"error: {path}{where}")
    assert "Traceback" not in err


def test_missing_file_and_wrong_file_for_evaluate(
    capsys: pytest.CaptureFixture[str], reference_dir: Path, tmp_path: Path
) -> None:
    code, _, err = cli(capsys, "run", tmp_path / "none.csv")
    assert code == 2 and "file not found" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "evaluate", reference_dir / EC / "ExampleActors_sal01_jmckib.csv")
    assert code == 2 and "needs a DEU III-style" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(capsys, "run", reference_dir / DEU)
    assert code == 2 and "choose one with --issue" in err


def test_set_holds_a_stance_in_a_scenario_issue(
    capsys: pytest.CaptureFixture[str], reference_dir: Path
) -> None:
    from realpolitik.bargaining.scenario_issues import run_issue
    from realpolitik.scenario.load import resolve

    code, out, _ = cli(
        capsys, "run", LEGACY_FLAGSHIP, "--model", "smp", "--set", "stance_china=60",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    scenario = resolve(LEGACY_FLAGSHIP)
    held = run_issue(scenario, model="smp", values={"stance_china": 60.0})
    assert json.loads(out)["forecast"] == [float(v) for v in held.forecast]
    # the held stance is China's position at turn 0
    assert json.loads(out)["turns"][0]["positions"]["china"] == [60.0]
    code, _, err = cli(capsys, "run", LEGACY_FLAGSHIP, "--set", "stance_china=600")
    assert code == 2 and "outside its distribution's support [55, 90]" in err
    csv = reference_dir / EC / "ExampleActors_sal100_dmasad.csv"
    code, _, err = cli(capsys, "run", str(csv), "--set", "stance_china=60")
    assert code == 2 and "--set applies to scenarios" in err
