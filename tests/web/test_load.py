"""A bounded load test of ``realpolitik serve`` on loopback (issue 11).

The campaign: 60 concurrent forecasts of 20 000 draws drove the server to
24 GB. Here 16 concurrent heavy forecasts go to a server with a 1 GiB budget:
every answer must be 200 or 429 with ``Retry-After``, the server's resident
memory (with its worker processes) must stay under its idle size plus
the budget, and a light request (no draws) sent while the heavy ones queue
must answer within twice its idle median (plus 0.1 s of scheduling noise).
Traffic goes only to 127.0.0.1; every loop is bounded in count and
time. ``benchmarks/bench_server_load.py`` runs the full-size version.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time

import httpx2 as httpx
import psutil
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from served import serve_process

FLAGSHIP = LEGACY_FLAGSHIP_ID
BUDGET = 1024**3
HEAVY = 16
DRAWS = 6000
DEADLINE = 240.0

pytestmark = pytest.mark.slow


def _tree_rss(process: psutil.Process) -> int:
    """Resident memory of the server and its worker processes."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def test_sixteen_heavy_requests_stay_within_the_budget() -> None:
    with serve_process(LEGACY_FLAGSHIP, "--memory-budget", str(BUDGET)) as (proc, base):
        url = f"{base}/api/scenarios/{FLAGSHIP}/forecast"
        server = psutil.Process(proc.pid)
        assert httpx.post(url, json={"draws": 500}, timeout=300).status_code == 200  # warm

        def light() -> float:
            started = time.perf_counter()
            assert httpx.post(url, json={}, timeout=60).status_code == 200
            return time.perf_counter() - started

        idle = [light() for _ in range(7)]
        rss_idle = _tree_rss(server)
        peak = [rss_idle]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss(server))
                time.sleep(0.05)

        answers: list[tuple[int, str | None]] = []

        def heavy(seed: int) -> None:
            r = httpx.post(url, json={"draws": DRAWS, "seed": seed}, timeout=DEADLINE)
            answers.append((r.status_code, r.headers.get("retry-after")))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=heavy, args=(k,)) for k in range(HEAVY)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        loaded = []
        started = time.monotonic()
        while any(t.is_alive() for t in threads) and time.monotonic() - started < DEADLINE:
            loaded.append(light())
            time.sleep(0.3)
        for t in threads:
            t.join(DEADLINE)
        stop.set()
        sampler.join(5)
        # idle again after the load (the machine's own load drifts meanwhile)
        idle += [light() for _ in range(7)]

    assert len(answers) == HEAVY
    assert {code for code, _ in answers} <= {200, 429}
    assert any(code == 200 for code, _ in answers)
    assert all(retry is not None and int(retry) >= 1 for code, retry in answers if code == 429)
    assert peak[0] < rss_idle + BUDGET, (peak[0], rss_idle)
    assert len(loaded) >= 3
    # twice the idle median, plus 0.1 s for the scheduling noise of a shared
    # 2-core machine (its idle answer takes 40 ms; at load 4 from other jobs the
    # noise alone reached 3x): a request queued behind a heavy one would wait
    # seconds. The benchmark records the ratio itself.
    assert statistics.median(loaded) <= 2 * statistics.median(idle) + 0.1, (loaded, idle)
