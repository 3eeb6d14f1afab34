"""``realpolitik serve`` as a user starts it, for the tests that need a real
server process on loopback: a free port, the process, and its address once
it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_process(
    *args: str, startup: float = 120.0
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``realpolitik serve ARGS --port PORT`` and wait (at most
    ``startup`` seconds) until ``/api/scenarios`` answers; yields the process
    and its base address. On leaving, a process still running is terminated
    (killed after 20 s)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "realpolitik.cli.main", "serve", *args, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + startup
        while True:
            try:
                httpx.get(f"{base}/api/scenarios", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        proc.stderr.read() if proc.stderr else "no output"
                    ) from None
                time.sleep(0.2)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
                raise AssertionError("the server did not stop within 20 s of SIGTERM") from None
