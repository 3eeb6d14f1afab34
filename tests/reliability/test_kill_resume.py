"""A stored run killed with SIGKILL at random moments, resumed each time,
ends with the uninterrupted run's forecast (issue 11).

``tests/store/test_runs.py`` kills once, after a fixed number of chunks. Here
the command line itself (``realpolitik run``, then ``run --resume``) is
killed after a random delay drawn over the whole run, so kills land while
the store is created, while a chunk is computed, and while a chunk's
transaction commits; after every kill the store must check as intact
(``runs check``), and the last resume must print exactly what an
uninterrupted ``realpolitik forecast`` prints.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP

FLAGSHIP = LEGACY_FLAGSHIP
DRAWS = 16_384
CHUNK = 2048
SEED = 4242
KILLS = 6

pytestmark = pytest.mark.slow


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "realpolitik.cli.main", *args]


def _has_run(store: Path) -> bool:
    if not store.exists():
        return False
    listed = subprocess.run(
        _cli("runs", "list", "--store", str(store), "--format", "json"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return listed.returncode == 0 and any(r["id"] == 1 for r in json.loads(listed.stdout))


def test_random_sigkills_then_resume_equal_the_uninterrupted_run(tmp_path: Path) -> None:
    started = time.monotonic()
    clean = subprocess.run(
        _cli("forecast", FLAGSHIP, "--draws", str(DRAWS), "--seed", str(SEED), "--format", "json"),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    span = max(1.0, time.monotonic() - started)
    store = tmp_path / "killed.duckdb"
    rng = np.random.default_rng(20261206)
    start = _cli(
        "run", FLAGSHIP, "--draws", str(DRAWS), "--seed", str(SEED), "--chunk", str(CHUNK),
        "--store", str(store), "--format", "json",
    )  # fmt: skip
    resume = _cli("run", "--resume", "1", "--store", str(store), "--format", "json")
    killed = 0
    for _ in range(KILLS):
        command = resume if _has_run(store) else start
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(0.2, 1.5 * span)))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            killed += 1
        child.wait(timeout=120)
        if store.exists():
            check = subprocess.run(
                _cli("runs", "check", "--store", str(store)),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert check.returncode == 0, check.stderr
    assert killed >= 1
    final = subprocess.run(
        resume if _has_run(store) else start, capture_output=True, text=True, timeout=600
    )
    assert final.returncode == 0, final.stderr
    assert json.loads(final.stdout) == json.loads(clean.stdout)
