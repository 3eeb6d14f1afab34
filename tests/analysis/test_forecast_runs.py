"""Forecasts over draws as chunk tasks on executors, stored and resumed
(:mod:`realpolitik.analysis.forecast_runs`): task outputs do not depend on
the partition or the executor (in process, threads, a process pool, a Dask
LocalCluster), a stored run keeps its draws, outcomes and summaries,
interruption (Ctrl-C) and resume, a real process killed with SIGKILL and
resumed, failed runs.

The reference for every resumed or re-read run is the same forecast computed
in memory without interruption: equal number for number (exact equality).
The stored draws are compared with the sampler's own draws, and the stored
outcomes with the independent code path (:func:`realpolitik.run.evaluate.evaluate_settings`
and :class:`realpolitik.run.outcomes.DrawOutcomes`, which sums with a matrix
product and ``einsum``).
"""

from __future__ import annotations

import gc
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import realpolitik as rp
import realpolitik.analysis.forecast as forecast_module
from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from peers import require
from realpolitik.analysis import forecast_runs as runs
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import (
    Forecast,
    reduce_chunk,
)
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.blocks import evaluate_settings
from realpolitik.run.evaluate import evaluate_draws
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.sampling import settings_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve
from realpolitik.solve._threads import kernel_threads
from realpolitik.store import RunInterrupted, Store
from realpolitik.uncertainty.ensemble import (
    ProcessPool,
    ThreadPool,
)


def action_probability(result: Forecast, actor: str, action: str) -> float:
    return float(result.to_json()["actions"][actor][action])


def same_forecast(a: Forecast, b: Forecast) -> bool:
    """Exact equality of every number of two forecasts."""
    return (
        a.to_json() == b.to_json()
        and a.actions.equals(b.actions)
        and a.metrics.equals(b.metrics)
        and a.pathways.drop(columns=["steps"]).equals(b.pathways.drop(columns=["steps"]))
    )


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = require("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


FLAGSHIP = LEGACY_FLAGSHIP


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


def test_held_values_are_stored_and_resumed_with_the_run(tmp_path: Path) -> None:
    from realpolitik.analysis.forecast_runs import from_store
    from realpolitik.store import Store

    path = tmp_path / "runs.duckdb"
    sc = resolve(LEGACY_FLAGSHIP)
    ran = forecast(sc, draws=2000, seed=5, values={"p_detect_targeted": 0.5}, store=path)
    again = from_store(path, int(ran.extra["run_id"]))
    assert again.to_json() == ran.to_json()
    with Store.open(path, create=False, read_only=True) as store:
        table = f"draws_{ran.extra['run_id']}"
        column = store.connection.execute(
            f"select min(p_detect_targeted), max(p_detect_targeted) from {table}"
        ).fetchone()
    assert column == (0.5, 0.5)


def test_task_outputs_do_not_depend_on_the_partition(flagship: rp.Scenario) -> None:
    settings = Settings.resolve(flagship, draws=5000, seed=21)
    task = runs.ForecastTask.of(flagship, settings)
    whole = task(0, 5000)
    # uneven partitions at block boundaries, down to single-block chunks
    for cuts in ([0, 1024, 2048, 5000], [0, 4096, 5000], [0, 3072, 4096, 5000]):
        parts = [task(a, b) for a, b in itertools.pairwise(cuts)]
        for name in ("parameters", "action_probability", "modal_path", "metric_expectation"):
            joined = np.concatenate([getattr(p, name) for p in parts])
            assert np.array_equal(joined, getattr(whole, name)), name
        sums = np.concatenate([p.block_sums for p in parts])
        assert np.array_equal(sums, whole.block_sums)
        counts = np.sum([p.path_histogram for p in parts], axis=0)
        assert np.array_equal(counts, whole.path_histogram)
    with pytest.raises(ValueError, match="multiple of 1024"):
        task(100, 2000)


def test_a_single_draw_solved_alone_equals_it_in_a_batch(flagship: rp.Scenario) -> None:
    # per-draw values must not depend on which other draws share the arrays
    settings = Settings.resolve(flagship, draws=3000, seed=4)
    state = runs.ForecastTask.of(flagship, settings).state()
    draws = state.sampler.draws(0, 3000)

    def reduced(rows: np.ndarray, first: int) -> Any:
        solved = evaluate_draws(
            state.compiled, state.layout, settings.concept, settings.lam, rows, first_draw=first
        )
        return reduce_chunk(first, rows, solved.outcomes)

    batch = reduced(draws, 0)
    for i in (0, 1, 1234, 2999):
        alone = reduced(draws[i : i + 1], i)
        assert np.array_equal(alone.action_probability[0], batch.action_probability[i])
        assert np.array_equal(alone.modal_path[0], batch.modal_path[i])
        assert np.array_equal(alone.metric_expectation[0], batch.metric_expectation[i])


def test_forecast_is_identical_for_any_chunk_size_and_executor(flagship: rp.Scenario) -> None:
    base = forecast(flagship, draws=6000, seed=8, chunk=1)
    for chunk in (1024, 5000, 6000, 10**6):
        assert same_forecast(base, forecast(flagship, draws=6000, seed=8, chunk=chunk))
    with ThreadPool(2) as threads:
        assert same_forecast(
            base, forecast(flagship, draws=6000, seed=8, chunk=2048, executor=threads)
        )


def test_slices_on_every_core_give_the_bits_of_one_at_a_time() -> None:
    """The built-in china-russia-2022 is cut into slices of 1024 draws: by
    default a chunk's slices run on all cores at once, each with one-thread
    kernels; with one kernel thread they run one after another. Both, and
    chunks that split slices differently, give the same forecast."""
    scenario = rp.load("china-russia-2022")
    compiled = compile_scenario(scenario)
    assert runs.block_draws(compiled, multiple=runs.BLOCK) < 2500
    spread = forecast(scenario, draws=2500, seed=5, assumptions=False)
    with kernel_threads(1):
        one_at_a_time = forecast(scenario, draws=2500, seed=5, assumptions=False)
    assert same_forecast(spread, one_at_a_time)
    rechunked = forecast(scenario, draws=2500, seed=5, chunk=1536, assumptions=False)
    assert same_forecast(spread, rechunked)


def test_process_pool_equals_in_process(flagship: rp.Scenario) -> None:
    base = forecast(flagship, draws=4096, seed=3)
    with ProcessPool(2) as pool:
        other = forecast(flagship, draws=4096, seed=3, chunk=1024, executor=pool)
    assert same_forecast(base, other)


def test_dask_local_cluster_equals_in_process(flagship: rp.Scenario, dask_client: Any) -> None:
    base = forecast(flagship, draws=5000, seed=17, method="lhs")
    on_cluster = forecast(
        flagship, draws=5000, seed=17, method="lhs", chunk=2048, executor=dask_client
    )
    assert same_forecast(base, on_cluster)
    by_address = forecast(
        flagship, draws=5000, seed=17, method="lhs", cluster=dask_client.scheduler.address
    )
    assert same_forecast(base, by_address)
    assert dask_client.status == "running"  # a client we were given is left open


def test_dask_alone_starts_a_local_cluster_and_says_so(
    flagship: rp.Scenario, capfd: pytest.CaptureFixture[str]
) -> None:
    require("distributed")
    base = forecast(flagship, draws=3000, seed=5)
    alone = forecast(flagship, draws=3000, seed=5, chunk=1024, executor="dask", workers=2)
    assert same_forecast(base, alone)
    err = capfd.readouterr().err
    assert "dask: started a local cluster of 2 worker processes at tcp://127.0.0.1:" in err


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
        assert (
            record.scenario == LEGACY_FLAGSHIP_ID and record.scenario_hash == flagship.content_hash
        )
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


def test_a_summary_that_fails_leaves_the_stored_run_complete(
    flagship: rp.Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary runs while the store writes the last chunk; if it fails,
    the draws are stored all the same (the run is complete, its summary can
    be read back) and the error reaches the caller."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("summary broke")

    monkeypatch.setattr(forecast_module, "summarize", broken)
    path = tmp_path / "runs.duckdb"
    with pytest.raises(RuntimeError, match="summary broke"):
        forecast(flagship, draws=3000, seed=4, chunk=1024, store=path)
    with Store.open(path, read_only=True) as store:
        record = store.run(1)
    assert record.status == "complete" and record.draws_done == 3000
    monkeypatch.undo()
    stored = runs.from_store(path, 1)
    assert same_forecast(stored, forecast(flagship, draws=3000, seed=4))


def test_store_needs_draws(flagship: rp.Scenario, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--store records parameter draws; add --draws N"):
        forecast(flagship, store=tmp_path / "x.duckdb")
    assert not (tmp_path / "x.duckdb").exists()


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


@pytest.fixture(autouse=True)
def collect_connections() -> Iterator[None]:
    """Collect reference cycles after each test, so that no DuckDB connection
    (held, say, by a failed test's traceback) outlives its test."""
    yield
    gc.collect()


# -- what a run keeps (--keep) --------------------------------------------------------------


@pytest.mark.parametrize("keep", ["outcomes", "summary"])
def test_a_run_read_back_is_the_same_whatever_it_keeps(
    flagship: rp.Scenario, tmp_path: Path, keep: str
) -> None:
    path = tmp_path / f"{keep}.duckdb"
    made = forecast(flagship, draws=3000, seed=11, chunk=1024, store=path, keep=keep)
    full = forecast(flagship, draws=3000, seed=11, chunk=1024, store=tmp_path / "all.duckdb")
    assert same_forecast(made, full)
    assert same_forecast(runs.from_store(path, 1), full)
    with Store.open(path, create=False, read_only=True) as store:
        record = store.run(1)
        assert record.keep == keep
        with pytest.raises(InputError, match=f"--keep {keep}"):
            store.draws(1)
        if keep == "outcomes":
            # the outcomes decode bit for bit to those a full run stores
            with Store.open(tmp_path / "all.duckdb", create=False, read_only=True) as other:
                a = other.outcomes(1)
                b = store.outcomes(1)
                assert a.drop(columns=["modal_path_label"]).equals(
                    b.drop(columns=["modal_path_label"])
                )
                assert record.predictors  # the near-duplicate columns were found
                # and the draws, regenerated from the recorded sampler, are the stored ones
                assert runs.stored_draws(store, 1).equals(other.draws(1))


def test_a_summary_run_resumes_exactly(flagship: rp.Scenario, tmp_path: Path) -> None:
    path = tmp_path / "summary.duckdb"
    whole = forecast(flagship, draws=4096, seed=2, chunk=1024)
    calls = 0

    def stop_after_two(done: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    with pytest.raises(RunInterrupted):
        forecast(
            flagship, draws=4096, seed=2, chunk=1024, store=path, keep="summary",
            progress=stop_after_two,
        )  # fmt: skip
    with Store.open(path, create=False, read_only=True) as store:
        assert 0 < store.run(1).draws_done < 4096
    assert same_forecast(runs.resume(path, 1), whole)


def test_runs_export_regenerates_the_draws_of_an_outcomes_run(
    flagship: rp.Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import duckdb

    from realpolitik.cli.main import main

    forecast(flagship, draws=2048, seed=4, store=tmp_path / "all.duckdb")
    forecast(flagship, draws=2048, seed=4, store=tmp_path / "out.duckdb", keep="outcomes")
    for name in ("all", "out"):
        assert main(["runs", "export", "1", "--parquet", str(tmp_path / name),
                     "--store", str(tmp_path / f"{name}.duckdb")]) == 0  # fmt: skip
    capsys.readouterr()
    read = [
        duckdb.sql(f"SELECT * FROM '{tmp_path / n / 'run-1-draws.parquet'}' ORDER BY draw").df()
        for n in ("all", "out")
    ]
    assert read[0].equals(read[1])
