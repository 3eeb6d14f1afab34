"""The stored-run commands: ``forecast --store``, ``run`` (and ``--resume``),
``runs list|show|export|delete``, bad stores and arguments, Ctrl-C on the
command line (:mod:`realpolitik.cli.runs`)."""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from realpolitik.analysis.forecast import forecast
from realpolitik.cli import main as cli_main
from realpolitik.store import Store

FLAGSHIP = LEGACY_FLAGSHIP


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli_main.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_forecast_store_and_run_resume_print_the_same_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = tmp_path / "cli.duckdb"
    args = ["forecast", FLAGSHIP, "--draws", "3000", "--seed", "9", "--format", "json"]
    code, plain, err = cli(capsys, *args)
    assert code == 0, err
    code, stored, err = cli(capsys, *args, "--store", store, "--chunk", "1024")
    assert code == 0, err
    assert f"run 1 in {store}" in err
    assert stored == plain
    code, again, err = cli(capsys, "run", "--resume", "1", "--store", store, "--format", "json")
    assert code == 0, err
    assert again == plain
    assert "run 1 in" in err and "3000 of 3000 draws done (complete)" in err


def test_runs_list_show_export_delete(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = tmp_path / "cli.duckdb"
    code, out, err = cli(capsys, "runs", "list", "--store", store)
    assert code == 2 and "no results store at" in err
    for seed in ("1", "2"):
        code, _, err = cli(
            capsys, "run", FLAGSHIP, "--draws", "2048", "--seed", seed, "--store", store,
            "--format", "json",
        )  # fmt: skip
        assert code == 0, err
    code, out, err = cli(capsys, "runs", "list", "--store", store, "--format", "json")
    assert code == 0, err
    runs = json.loads(out)
    assert [r["id"] for r in runs] == [1, 2] and [r["seed"] for r in runs] == [1, 2]
    assert all(r["status"] == "complete" and r["draws_done"] == 2048 for r in runs)
    code, out, err = cli(capsys, "runs", "list", "--store", store)
    assert code == 0 and LEGACY_FLAGSHIP_ID in out and "complete" in out
    code, out, err = cli(capsys, "runs", "show", "2", "--store", store, "--format", "json")
    assert code == 0 and json.loads(out)["id"] == 2
    code, out, err = cli(capsys, "runs", "show", "2", "--store", store)
    assert code == 0 and "realpolitik-sampling-1" in out
    code, out, err = cli(capsys, "runs", "show", "9", "--store", store)
    assert code == 2
    assert err.strip() == f"error: no run 9 in results store {store}; runs there: 1, 2"
    folder = tmp_path / "pq"
    code, out, err = cli(capsys, "runs", "export", "1", "--parquet", folder, "--store", store)
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [
        "run-1-draws.parquet", "run-1-outcomes.parquet", "run-1.json",
    ]  # fmt: skip
    code, out, err = cli(capsys, "runs", "delete", "1", "--store", store)
    assert code == 0 and "deleted run 1" in err
    code, out, err = cli(capsys, "runs", "list", "--store", store, "--format", "json")
    assert [r["id"] for r in json.loads(out)] == [2]


def test_cli_refuses_bad_stores_and_arguments(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("my notes\n")
    code, _, err = cli(capsys, "forecast", FLAGSHIP, "--draws", "10", "--store", text)
    assert code == 2 and "is not a realpolitik results store; it was left untouched" in err
    assert text.read_text() == "my notes\n"
    code, _, err = cli(capsys, "run", "--store", tmp_path / "x.duckdb")
    assert code == 2 and "give a SCENARIO to start a run, or --resume RUN_ID" in err
    code, _, err = cli(
        capsys, "forecast", FLAGSHIP, "--draws", "10", "--executor", "processes",
        "--cluster", "tcp://127.0.0.1:9",
    )  # fmt: skip
    assert code == 2 and "--cluster runs on Dask" in err
    code, _, err = cli(capsys, "forecast", FLAGSHIP, "--store", tmp_path / "y.duckdb")
    assert code == 2 and "add --draws N" in err


def test_ctrl_c_on_the_command_line_exits_130_with_how_to_resume(tmp_path: Path) -> None:
    store = tmp_path / "ctrlc.duckdb"
    child = subprocess.Popen(
        [
            sys.executable, "-m", "realpolitik.cli.main", "forecast", FLAGSHIP,
            "--draws", "2000000", "--chunk", "1024", "--store", str(store),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert child.stderr is not None
    first = child.stderr.readline()
    assert first.startswith("run 1 in")  # the run exists: chunks are being computed
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, rest = child.communicate(timeout=60)
    assert child.returncode == 130, rest
    last = rest.strip().splitlines()[-1]
    assert last.startswith("interrupted: run 1 interrupted after ")
    assert last.endswith(f"resume with: realpolitik run --resume 1 --store {store}")
    assert out == ""
    with Store.open(store, read_only=True) as opened:
        record = opened.run(1)
    assert record.status == "interrupted" and record.draws_done % 1024 == 0


def test_run_command_holds_set_values_and_resume_keeps_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.duckdb"
    argv = ["run", LEGACY_FLAGSHIP, "--store", str(path), "--draws", "2000", "--seed", "4"]
    assert cli_main.main([*argv, "--set", "partnership_value=2.75", "--format", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert stored["values"] == {"partnership_value": 2.75}
    # the same numbers as the Python API with the same held value
    direct = forecast(
        rp.load(LEGACY_FLAGSHIP), draws=2000, seed=4, values={"partnership_value": 2.75}
    )
    assert stored == json.loads(json.dumps(direct.to_json()))
    code = cli_main.main(["run", "--resume", "1", "--store", str(path), "--set", "c=1"])
    assert code == 2
    assert "a resumed run keeps the values" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def collect_connections() -> Iterator[None]:
    """Collect reference cycles after each test, so that no DuckDB connection
    (held, say, by a failed test's traceback) outlives its test."""
    yield
    gc.collect()
