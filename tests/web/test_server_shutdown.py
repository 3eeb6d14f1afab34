"""``realpolitik serve`` stopped by SIGTERM leaves no worker process behind.

Heavy requests run in spawned worker processes (``web/worker.py``). uvicorn
shuts the app down on SIGTERM and then raises the signal again, which ends
the process at once; a pool shut down without waiting had not yet told its
workers to stop, and each stopped server left one running, orphaned (seen
after every run of the test suite). The server is started as a real process
on loopback, made to start its pool, and stopped as a service manager stops
it; every process it started must be gone.
"""

from __future__ import annotations

import signal

import httpx2 as httpx
import psutil

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from served import serve_process


def test_sigterm_stops_the_workers_too() -> None:
    with serve_process(LEGACY_FLAGSHIP) as (proc, base):
        url = f"{base}/api/scenarios/{LEGACY_FLAGSHIP_ID}/forecast"
        answer = httpx.post(url, json={"draws": 200, "seed": 1}, timeout=300)  # a worker's job
        assert answer.status_code == 200, answer.text
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the heavy request ran in no worker process"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=20)
    for left in alive:  # do not leak them from the test either
        left.kill()
    assert alive == [], [p.pid for p in alive]
