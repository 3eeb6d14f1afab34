"""The ensemble runner (:mod:`realpolitik.uncertainty.ensemble`): chunk ranges,
results in order on every executor, executor names and errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from realpolitik.errors import InputError
from realpolitik.uncertainty.ensemble import (
    DaskExecutor,
    InProcess,
    ProcessPool,
    ThreadPool,
    chunk_ranges,
    make_executor,
    run_chunks,
)


def _slow_pair(a: int, b: int) -> tuple[int, int]:
    time.sleep(0.001 * ((7 * a) % 5))  # finish out of order
    return (a, b)


def test_chunk_ranges_by_hand() -> None:
    assert chunk_ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    # chunk 3 rounded up to the alignment 2 -> 4
    assert chunk_ranges(10, 3, align=2) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_ranges(10, 4, start=8) == [(8, 10)]
    assert chunk_ranges(10, 4, start=10) == []
    assert chunk_ranges(5, 100) == [(0, 5)]
    with pytest.raises(InputError, match="chunk size must be >= 1"):
        chunk_ranges(10, 0)
    with pytest.raises(ValueError, match="multiple of 4"):
        chunk_ranges(10, 4, start=2, align=4)


@pytest.mark.parametrize("executor", [InProcess(), ThreadPool(3)], ids=["local", "threads"])
def test_results_come_back_in_order(executor: Any) -> None:
    with executor:
        got = list(run_chunks(_slow_pair, 50, chunk=4, executor=executor))
    assert got == chunk_ranges(50, 4)


def test_make_executor_names_and_errors() -> None:
    assert isinstance(make_executor(None), InProcess)
    assert isinstance(make_executor("threads", workers=2), ThreadPool)
    pool = make_executor("processes", workers=2)
    assert isinstance(pool, ProcessPool) and pool.workers == 2
    with pytest.raises(InputError, match="unknown executor 'gpu'; use one of local"):
        make_executor("gpu")
    with pytest.raises(InputError, match="--cluster runs on Dask"):
        make_executor("processes", cluster="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="--workers needs"):
        make_executor("local", workers=4)
    with pytest.raises(InputError, match="--workers must be >= 1"):
        ThreadPool(0)


def test_unreachable_cluster_is_a_clear_error() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(InputError) as caught:
        DaskExecutor(address=address)
    message = str(caught.value)
    # refused at once by the TCP probe, not after Dask's connection timeout
    assert f"cannot reach the Dask scheduler at {address} (Connection refused)" in message
    assert "drop --cluster" in message
    with pytest.raises(InputError, match="not a scheduler address; give tcp://host:port"):
        DaskExecutor(address="my-cluster")
