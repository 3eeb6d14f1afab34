"""Stored ensemble runs end to end: ``forecast(store=...)``, summaries from the
store, interruption (Ctrl-C) and resume, a real process killed with SIGKILL
and resumed, failed runs, and the ``forecast --store`` / ``run`` / ``runs``
commands.

The reference for every resumed or re-read run is the same forecast computed
in memory without interruption: equal number for number (exact equality).
The stored draws are compared with the sampler's own draws, and the stored
outcomes with the older, independent code path (:func:`solve_chunks` and
:func:`draw_outcomes`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import realpolitik as rp
from realpolitik.analysis import forecast_runs as runs
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import (
    Forecast,
)
from realpolitik.cli import main as cli_main
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.evaluate import evaluate_settings
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.sampling import settings_sampler
from realpolitik.scenario.load import load
from realpolitik.store import RunInterrupted, Store

FLAGSHIP = "china-russia-2022"


@pytest.fixture(scope="module")
def flagship() -> rp.Scenario:
    return rp.load(FLAGSHIP)


def same_forecast(a: Forecast, b: Forecast) -> bool:
    return (
        a.to_json() == b.to_json()
        and a.actions.equals(b.actions)
        and a.metrics.equals(b.metrics)
        and a.pathways.drop(columns=["steps"]).equals(b.pathways.drop(columns=["steps"]))
    )


def test_a_stored_run_keeps_its_draws_outcomes_and_summaries(
    flagship: rp.Scenario, tmp_path: Path
) -> None:
    path = tmp_path / "runs.duckdb"
    seen: list[int] = []
    result = forecast(
        flagship, draws=5000, seed=31, chunk=2048, store=path, on_run=lambda i, s: seen.append(i)
    )
    assert seen == [1] and result.extra["run_id"] == 1
    with Store.open(path, read_only=True) as store:
        record = store.run(1)
        assert record.status == "complete" and record.draws_done == 5000
        assert record.scenario == FLAGSHIP and record.scenario_hash == flagship.content_hash
        assert record.seed == 31 and record.settings["method"] == "mc"
        assert record.settings["sampler"]["names"] == list(flagship.parameter_ids)
        assert store.scenario_text(1) == flagship.source_text
        assert [(c.start, c.stop) for c in store.chunks(1)] == [
            (0, 2048),
            (2048, 4096),
            (4096, 5000),
        ]
        draws = store.draws(1)
        outcomes = store.outcomes(1)
    # the draws are the sampler's
    sampler = settings_sampler(flagship, result.settings)
    assert np.array_equal(draws[list(flagship.parameter_ids)].to_numpy(), sampler.draws(0, 5000))
    # the outcomes agree with the independent code path
    chunks = list(evaluate_settings(compile_scenario(flagship), result.settings, block=5000))
    reference = chunks[0].outcomes
    names = runs.output_columns(OutcomeLayout.of(compile_scenario(flagship)))[0]
    np.testing.assert_allclose(
        outcomes[names].to_numpy(), reference.action_probability, rtol=0, atol=1e-15
    )
    assert np.array_equal(outcomes["modal_path"].to_numpy(), reference.modal_path)
    metric_ids = [m.id for m in flagship.metrics]
    np.testing.assert_allclose(
        outcomes[metric_ids].to_numpy(), reference.metric_expectation, rtol=1e-13, atol=1e-13
    )
    # summaries from the store are the in-memory ones, bit for bit
    assert same_forecast(runs.from_store(path, 1), result)
    assert same_forecast(forecast(flagship, draws=5000, seed=31), result)


def test_ctrl_c_marks_the_run_interrupted_and_resume_completes_it(
    flagship: rp.Scenario, tmp_path: Path
) -> None:
    path = tmp_path / "runs.duckdb"
    done: list[int] = []

    def progress(k: int) -> None:
        done.append(k)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted) as caught:
        forecast(flagship, draws=6000, seed=5, chunk=1024, store=path, progress=progress)
    stop = caught.value
    assert isinstance(stop, KeyboardInterrupt)
    assert stop.run_id == 1 and stop.total == 6000 and 1024 <= stop.done <= 6000
    assert stop.done % 1024 == 0
    assert f"resume with: realpolitik run --resume 1 --store {path}" in stop.message
    with Store.open(path, read_only=True) as store:
        record = store.run(1)
        assert record.status == "interrupted" and record.draws_done == stop.done
        assert f"interrupted after {stop.done} of 6000 draws" == record.message
        with pytest.raises(InputError, match=r"has \d+ of 6000 draws; complete it"):
            runs.from_store(store, 1)
    resumed_progress: list[int] = []
    resumed = runs.resume(path, 1, chunk=3000, progress=resumed_progress.append)
    assert resumed_progress[0] == stop.done and sum(resumed_progress) == 6000
    assert same_forecast(resumed, forecast(flagship, draws=6000, seed=5))
    with Store.open(path, read_only=True) as store:
        assert store.run(1).status == "complete"
    # resuming a complete run recomputes nothing and says the same
    assert same_forecast(runs.resume(path, 1), resumed)


def test_held_values_survive_an_interruption_and_resume(
    flagship: rp.Scenario, tmp_path: Path
) -> None:
    path = tmp_path / "runs.duckdb"
    held = {"partnership_value": 2.75}
    done: list[int] = []

    def progress(k: int) -> None:
        done.append(k)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        forecast(
            flagship, draws=5000, seed=8, chunk=1024, store=path, progress=progress, values=held
        )
    resumed = runs.resume(path, 1, chunk=2048)
    uninterrupted = forecast(flagship, draws=5000, seed=8, values=held)
    assert same_forecast(resumed, uninterrupted)
    assert resumed.to_json()["values"] == held
    # and it is not the free run
    assert not same_forecast(resumed, forecast(flagship, draws=5000, seed=8))


def test_an_interrupt_during_a_write_stops_the_run_cleanly(
    flagship: rp.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the writer thread is interrupted inside the third chunk's transaction
    # (rolled back: see test_store.py); the run keeps two whole chunks
    path = tmp_path / "runs.duckdb"
    real = Store.write_chunk
    calls: list[int] = []

    def write_chunk(self: Store, run_id: int, start: int, stop: int, **arrays: Any) -> None:
        calls.append(start)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(self, run_id, start, stop, **arrays)

    monkeypatch.setattr(Store, "write_chunk", write_chunk)
    with pytest.raises(RunInterrupted) as caught:
        forecast(flagship, draws=8000, seed=2, chunk=1024, store=path)
    monkeypatch.setattr(Store, "write_chunk", real)
    assert caught.value.done == 2048
    assert calls == [0, 1024, 2048]  # nothing written after the interrupt
    assert same_forecast(runs.resume(path, 1), forecast(flagship, draws=8000, seed=2))


FAILING = """\
id: failing
actors:
  a: {name: Alpha}
sources:
  s: {cite: Hand calculation}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: pick
    actor: a
    actions: [left, right]
payoffs:
  a:
    gain: "log(x - 0.5) * (a == left)"
"""


def test_a_failing_run_is_marked_failed_and_not_resumed(tmp_path: Path) -> None:
    scenario = load(text=FAILING, name="failing.yaml")
    path = tmp_path / "runs.duckdb"
    with pytest.raises(InputError, match=r"failing\.yaml:14"):
        forecast(scenario, draws=3000, seed=1, store=path)
    with Store.open(path, read_only=True) as store:
        record = store.run(1)
    assert record.status == "failed" and "failing.yaml:14" in record.message
    assert not record.resumable
    with pytest.raises(InputError, match=r"run 1 failed .*start a new run"):
        runs.resume(path, 1)


def test_store_needs_draws(flagship: rp.Scenario, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--store records parameter draws; add --draws N"):
        forecast(flagship, store=tmp_path / "x.duckdb")
    assert not (tmp_path / "x.duckdb").exists()


# --------------------------------------------------------------------------
# A real process killed with SIGKILL
# --------------------------------------------------------------------------

DRIVER = """
import sys
import realpolitik as rp
from realpolitik.analysis.forecast import forecast

def progress(k):
    print(k, flush=True)

forecast(rp.load(sys.argv[2]), draws=int(sys.argv[3]), seed=77, chunk=1024,
         store=sys.argv[1], progress=progress)
print("finished", flush=True)
"""


def test_a_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(
    flagship: rp.Scenario, tmp_path: Path
) -> None:
    path = tmp_path / "killed.duckdb"
    n = 40_960
    child = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(path), FLAGSHIP, str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines = [child.stdout.readline().strip() for _ in range(6)]
    os.kill(child.pid, signal.SIGKILL)  # somewhere in a later chunk's computation or transaction
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert "finished" not in lines
    with Store.open(path, read_only=True) as store:
        record = store.run(1)
        assert record.status == "running"  # what a killed process leaves
        done = record.draws_done
        assert 0 < done < n and done % 1024 == 0
        chunks = [(c.start, c.stop) for c in store.chunks(1)]
        assert chunks == [(a, a + 1024) for a in range(0, done, 1024)]  # no gap, no partial chunk
        assert len(store.draws(1)) == done and len(store.outcomes(1)) == done
    resumed = runs.resume(path, 1, chunk=8192)
    assert same_forecast(resumed, forecast(flagship, draws=n, seed=77))


# --------------------------------------------------------------------------
# The commands
# --------------------------------------------------------------------------


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
    assert code == 0 and FLAGSHIP in out and "complete" in out
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
    argv = ["run", "china-russia-2022", "--store", str(path), "--draws", "2000", "--seed", "4"]
    assert cli_main.main([*argv, "--set", "partnership_value=2.75", "--format", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert stored["values"] == {"partnership_value": 2.75}
    # the same numbers as the Python API with the same held value
    direct = forecast(
        rp.load("china-russia-2022"), draws=2000, seed=4, values={"partnership_value": 2.75}
    )
    assert stored == json.loads(json.dumps(direct.to_json()))
    code = cli_main.main(["run", "--resume", "1", "--store", str(path), "--set", "c=1"])
    assert code == 2
    assert "a resumed run keeps the values" in capsys.readouterr().err
