"""Benchmark: `realpolitik serve` under concurrent heavy requests, on loopback.

Starts the server in a subprocess with a memory budget, measures the latency
of a light request (draws = 0) when idle, then sends ``--heavy`` concurrent
forecast requests of ``--draws`` draws each while a light request is sent
every half second, and samples the resident memory (RSS) of the server and
its worker processes every 20 ms. Reports the peak RSS against the budget,
the answers' status codes
(200, or 429 with Retry-After), and the light request's latency (median and
worst) against the idle one. The peer is the same server before admission
control: one 20 000-draw request peaked at 1.1 GB and 60 at once at 24 GB.

Traffic goes only to 127.0.0.1; every loop is bounded in count and time.

Run ``python benchmarks/bench_server_load.py`` (defaults: 16 heavy requests
of 20 000 draws, a 3 GiB budget); prints a markdown row and writes
``benchmarks/results/server_load.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psutil

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)

RESULTS = Path(__file__).resolve().parent / "results" / "server_load.json"
SCENARIO = LEGACY_FLAGSHIP
#: Give up on anything after this long (the run stops by itself).
DEADLINE = 600.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, budget: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "realpolitik.cli.main",
            "serve",
            SCENARIO,
            "--port",
            str(port),
            "--memory-budget",
            budget,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/scenarios", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(proc.stderr.read() if proc.stderr else "no output") from None
            time.sleep(0.2)


def tree_rss(process: psutil.Process) -> int:
    """Resident memory of the server and its worker processes."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def light(base: str) -> float:
    started = time.perf_counter()
    answer = httpx.post(f"{base}/api/scenarios/{SCENARIO}/forecast", json={}, timeout=120)
    answer.raise_for_status()
    return time.perf_counter() - started


def measure(heavy: int, draws: int, budget: str) -> dict[str, Any]:
    """Run the load once; return what was measured (see the module docstring)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, budget)
    process = psutil.Process(proc.pid)
    try:
        # warm the solvers (compiled kernels) before timing anything
        httpx.post(
            f"{base}/api/scenarios/{SCENARIO}/forecast", json={"draws": 500}, timeout=300
        ).raise_for_status()
        idle = [light(base) for _ in range(7)]
        rss_idle = tree_rss(process)
        peak = [rss_idle]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss(process))
                time.sleep(0.02)

        answers: list[tuple[int, str | None, float]] = []
        lock = threading.Lock()

        def heavy_request(seed: int) -> None:
            started = time.perf_counter()
            try:
                r = httpx.post(
                    f"{base}/api/scenarios/{SCENARIO}/forecast",
                    json={"draws": draws, "seed": seed},
                    timeout=DEADLINE,
                )
                code, retry = r.status_code, r.headers.get("retry-after")
            except httpx.TransportError as error:
                code, retry = -1, type(error).__name__
            with lock:
                answers.append((code, retry, time.perf_counter() - started))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=heavy_request, args=(k,)) for k in range(heavy)]
        started = time.monotonic()
        for t in threads:
            t.start()
        loaded: list[float] = []
        time.sleep(0.5)
        while any(t.is_alive() for t in threads) and time.monotonic() - started < DEADLINE:
            loaded.append(light(base))
            time.sleep(0.5)
        for t in threads:
            t.join(timeout=max(1.0, DEADLINE - (time.monotonic() - started)))
        stop.set()
        sampler.join(timeout=5)
        elapsed = time.monotonic() - started
        idle += [light(base) for _ in range(7)]  # the machine's own load drifts
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    codes: dict[str, int] = {}
    for code, _, _ in answers:
        codes[str(code)] = codes.get(str(code), 0) + 1
    return {
        "heavy": heavy,
        "draws": draws,
        "budget": budget,
        "elapsed_s": round(elapsed, 2),
        "codes": codes,
        "retry_after_present": all(r is not None for c, r, _ in answers if c == 429),
        "rss_idle_mb": round(rss_idle / 1024**2),
        "rss_peak_mb": round(peak[0] / 1024**2),
        "light_idle_median_s": round(statistics.median(idle), 3),
        "light_loaded_median_s": round(statistics.median(loaded), 3) if loaded else None,
        "light_loaded_max_s": round(max(loaded), 3) if loaded else None,
        "light_loaded_samples": len(loaded),
        "heavy_200_max_s": round(max((s for c, _, s in answers if c == 200), default=0.0), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heavy", type=int, default=16)
    parser.add_argument("--draws", type=int, default=20_000)
    parser.add_argument("--budget", default="3G")
    args = parser.parse_args()
    result = measure(args.heavy, args.draws, args.budget)
    result["date"] = time.strftime("%Y-%m-%d")
    result["machine"] = f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores"
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    ratio = (result["light_loaded_median_s"] or 0) / result["light_idle_median_s"]
    print(
        f"| {result['date']} | {result['machine']} | {args.heavy} x {args.draws} draws, budget "
        f"{args.budget} | peak RSS {result['rss_peak_mb']} MB, answers {result['codes']} | "
        f"before: 1.1 GB per request, 24 GB at 60 | light request x{ratio:.2f} |"
    )


if __name__ == "__main__":
    main()
