"""The DuckDB results store on its own: schema and marker, refusing files
that are not stores (without touching them), runs, chunk transactions,
reading back, deletion and Parquet export.

Arrays are made up here (random numbers with known shapes); what is checked
is that the store gives back exactly what it was given, in order, and that
a failed or interrupted write leaves it exactly as before. DuckDB itself
reads the Parquet files back (an independent reader of the format).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from realpolitik.errors import InputError
from realpolitik.store import FORMAT, SCHEMA_VERSION, Store

PARAMETERS = ["alpha", "beta", "gamma"]
ACTIONS = ["china:join", "china:help", "west:sanction"]
METRICS = ["isolation", "cost"]
PATHS = ["a > b", "a > c", "d"]


def new_run(store: Store, draws: int = 3000) -> int:
    return store.create_run(
        scenario="toy",
        title="A toy run",
        scenario_hash="ab" * 32,
        scenario_file="toy.yaml",
        scenario_text="id: toy\n",
        settings={"concept": "qre", "lambda": 2.0, "draws": draws, "method": "mc"},
        seed=42,
        draws=draws,
        parameters=PARAMETERS,
        actions=ACTIONS,
        paths=PATHS,
        metrics=METRICS,
        block=1024,
    )


def chunk(start: int, stop: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed + start)
    m = stop - start
    blocks = -(-m // 1024)
    return {
        "parameters": rng.random((m, len(PARAMETERS))),
        "action_probability": rng.random((m, len(ACTIONS))),
        "modal_path": rng.integers(0, len(PATHS), m),
        "metrics": rng.normal(size=(m, len(METRICS))),
        "block_sums": rng.random((blocks, 7)),
        "counts": rng.integers(0, 3, (len(PATHS), 11)) * (rng.random((len(PATHS), 11)) < 0.3),
    }


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store.open(tmp_path / "runs.duckdb") as opened:
        yield opened


def test_a_new_store_has_the_marker_and_no_runs(tmp_path: Path) -> None:
    path = tmp_path / "fresh.duckdb"
    with Store.open(path) as store:
        assert store.runs() == []
    con = duckdb.connect(str(path), read_only=True)
    marker = dict(con.execute("SELECT key, value FROM realpolitik_store").fetchall())
    con.close()
    assert marker["format"] == FORMAT == "realpolitik-results-store"
    assert marker["schema_version"] == str(SCHEMA_VERSION) == "1"
    assert not list(tmp_path.glob(".*.tmp*"))  # the temporary file is gone
    # reopening an existing store works and does not need create
    with Store.open(path, create=False) as again:
        assert again.runs() == []


def test_missing_store_is_not_created_when_reading(tmp_path: Path) -> None:
    path = tmp_path / "absent.duckdb"
    with pytest.raises(InputError, match="no results store at"):
        Store.open(path, create=False)
    with pytest.raises(InputError, match="no results store at"):
        Store.open(path, read_only=True)
    assert not path.exists()
    with pytest.raises(InputError, match="is a directory"):
        Store.open(tmp_path)


@pytest.mark.parametrize("content", [b"", b"hello, not a database\n" * 40, b"\x00" * 4096])
def test_a_file_that_is_not_a_duckdb_database_is_refused_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_bytes(content)
    before = digest(path)
    with pytest.raises(
        InputError, match="is not a realpolitik results store; it was left untouched"
    ):
        Store.open(path)
    assert digest(path) == before
    assert not (tmp_path / "notes.duckdb.wal").exists()


def test_a_duckdb_database_of_someone_else_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE prices (day DATE, close DOUBLE)")
    con.execute("INSERT INTO prices VALUES ('2022-02-23', 1.5)")
    con.close()
    before = digest(path)
    with pytest.raises(InputError, match="a DuckDB database without realpolitik's tables"):
        Store.open(path)
    assert digest(path) == before
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM prices").fetchall() == [(1,)]
    con.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.duckdb"
    Store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE realpolitik_store SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(InputError, match="schema version 2; this realpolitik reads version 1"):
        Store.open(path)


def test_run_record_round_trip(store: Store) -> None:
    run_id = new_run(store)
    assert run_id == 1 and new_run(store) == 2
    record = store.run(run_id)
    assert record.scenario == "toy" and record.title == "A toy run"
    assert record.settings == {"concept": "qre", "lambda": 2.0, "draws": 3000, "method": "mc"}
    assert record.seed == 42 and record.draws == 3000 and record.draws_done == 0
    assert record.parameters == tuple(PARAMETERS) and record.actions == tuple(ACTIONS)
    assert record.paths == tuple(PATHS) and record.metrics == tuple(METRICS)
    assert record.status == "running" and record.resumable
    assert {"realpolitik", "numpy", "scipy", "duckdb", "python"} <= set(record.versions)
    assert store.scenario_text(run_id) == "id: toy\n"
    doc = record.to_json()
    assert json.loads(json.dumps(doc)) == doc and doc["id"] == 1
    assert [r.id for r in store.runs()] == [1, 2]


def test_unknown_run_lists_the_runs_there(store: Store) -> None:
    with pytest.raises(
        InputError, match=r"no run 5 in results store .*; the store has no runs yet"
    ):
        store.run(5)
    new_run(store)
    new_run(store)
    with pytest.raises(InputError, match=r"no run 5 in results store .*; runs there: 1, 2"):
        store.run(5)


def test_chunks_come_back_exactly_and_in_order(store: Store) -> None:
    run_id = new_run(store)
    written = [(0, 1024), (1024, 2048), (2048, 3000)]
    for a, b in written:
        store.write_chunk(run_id, a, b, **chunk(a, b))
    assert store.run(run_id).draws_done == 3000
    got = list(store.chunks(run_id, parameters=True))
    assert [(c.start, c.stop) for c in got] == written
    for c, (a, b) in zip(got, written, strict=True):
        want = chunk(a, b)
        assert np.array_equal(c.parameters, want["parameters"])
        assert np.array_equal(c.action_probability, want["action_probability"])
        assert np.array_equal(c.modal_path, want["modal_path"])
        assert np.array_equal(c.metrics, want["metrics"])
        assert np.array_equal(c.block_sums, want["block_sums"].ravel())
        dense = np.zeros(want["counts"].size, dtype=np.int64)  # kept sparse: nonzero only
        dense[c.counts[:, 0]] = c.counts[:, 1]
        assert np.array_equal(dense.reshape(want["counts"].shape), want["counts"])
        assert (c.counts[:, 1] > 0).all()
    draws = store.draws(run_id)
    assert list(draws.columns) == ["draw", *PARAMETERS]
    assert draws["draw"].tolist() == list(range(3000))
    outcomes = store.outcomes(run_id)
    assert list(outcomes.columns) == ["draw", "modal_path", *ACTIONS, *METRICS, "modal_path_label"]
    labels = [PATHS[i] for i in outcomes["modal_path"]]
    assert outcomes["modal_path_label"].tolist() == labels


def test_chunks_must_come_in_order(store: Store) -> None:
    run_id = new_run(store)
    with pytest.raises(ValueError, match="0 draws done; cannot append at 1024"):
        store.write_chunk(run_id, 1024, 2048, **chunk(1024, 2048))
    with pytest.raises(ValueError, match="rows for draws"):
        store.write_chunk(run_id, 0, 10, **chunk(0, 11))
    assert store.run(run_id).draws_done == 0


@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failed_chunk_leaves_the_store_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    run_id = new_run(store)
    store.write_chunk(run_id, 0, 1024, **chunk(0, 1024))
    con = store.connection
    real_append = con.append
    calls: list[str] = []

    class Failing:
        """The connection, failing on the second table of the chunk."""

        def __getattr__(self, name: str) -> Any:
            return getattr(con, name)

        def append(self, table: str, frame: Any) -> Any:
            calls.append(table)
            if table.startswith("outcomes"):
                raise failure
            return real_append(table, frame)

    monkeypatch.setattr(store, "_con", Failing())
    with pytest.raises(type(failure)):
        store.write_chunk(run_id, 1024, 2048, **chunk(1024, 2048))
    monkeypatch.setattr(store, "_con", con)
    assert calls == [f"draws_{run_id}", f"outcomes_{run_id}"]  # the draws were appended...
    # ... and rolled back with the rest
    assert store.run(run_id).draws_done == 1024
    assert len(store.draws(run_id)) == 1024 and len(store.outcomes(run_id)) == 1024
    assert [(c.start, c.stop) for c in store.chunks(run_id)] == [(0, 1024)]
    store.write_chunk(run_id, 1024, 2048, **chunk(1024, 2048))  # and it can go on
    assert store.run(run_id).draws_done == 2048


def test_status_and_delete(store: Store) -> None:
    first, second = new_run(store), new_run(store)
    store.write_chunk(first, 0, 1024, **chunk(0, 1024))
    store.set_status(first, "interrupted", "interrupted after 1024 of 3000 draws")
    record = store.run(first)
    assert record.status == "interrupted" and record.resumable and record.finished_at is None
    store.set_status(second, "complete")
    assert store.run(second).finished_at is not None and not store.run(second).resumable
    with pytest.raises(ValueError, match="status must be one of"):
        store.set_status(first, "paused")
    store.delete(first)
    assert [r.id for r in store.runs()] == [second]
    tables = {r[0] for r in store.connection.execute("SHOW TABLES").fetchall()}
    assert f"draws_{first}" not in tables and f"outcomes_{first}" not in tables
    with pytest.raises(InputError, match="no run 1"):
        store.delete(first)


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    with Store.open(path) as store:
        new_run(store)
    with Store.open(path, read_only=True) as store:
        assert [r.id for r in store.runs()] == [1]
        with pytest.raises(InputError, match="opened read-only"):
            new_run(store)


def test_parquet_export_reads_back_with_duckdb(store: Store, tmp_path: Path) -> None:
    run_id = new_run(store, draws=2048)
    for a, b in [(0, 1024), (1024, 2048)]:
        store.write_chunk(run_id, a, b, **chunk(a, b))
    written = store.export_parquet(run_id, tmp_path / "out")
    assert [p.name for p in written] == [
        "run-1.json",
        "run-1-draws.parquet",
        "run-1-outcomes.parquet",
    ]
    con = duckdb.connect()
    draws = con.execute(f"SELECT * FROM read_parquet('{written[1]}') ORDER BY draw").df()
    outcomes = con.execute(f"SELECT * FROM read_parquet('{written[2]}') ORDER BY draw").df()
    con.close()
    want = np.vstack([chunk(0, 1024)["parameters"], chunk(1024, 2048)["parameters"]])
    assert np.array_equal(draws[PARAMETERS].to_numpy(), want)
    assert (
        outcomes["modal_path_label"].tolist() == store.outcomes(run_id)["modal_path_label"].tolist()
    )
    meta = json.loads(written[0].read_text())
    assert meta["id"] == run_id and meta["draws_done"] == 2048


LOCKER = """
import sys, time
from realpolitik.store import Store
store = Store.open(sys.argv[1])
print("open", flush=True)
time.sleep(30)
"""


def test_a_store_in_use_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.duckdb"
    Store.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(InputError, match=r"is in use by another process \(process \d+\)"):
            Store.open(path)
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    with Store.open(path) as store:  # free again once the holder is gone
        assert store.runs() == []
    assert os.path.getsize(path) > 0
