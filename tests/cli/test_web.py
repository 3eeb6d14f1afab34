"""``realpolitik serve`` as a user starts it: a real process, a real port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx2 as httpx
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from realpolitik.cli.main import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_on_its_port() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "realpolitik.cli.main",
            "serve",
            LEGACY_FLAGSHIP,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/api/scenarios", timeout=2).json()
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        proc.stderr.read() if proc.stderr else "no output"
                    ) from None
                time.sleep(0.2)
        assert [s["id"] for s in listed] == [LEGACY_FLAGSHIP_ID]
        assert "dashboard.js" in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_a_busy_port_and_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
        err = capsys.readouterr().err
        assert f"cannot listen on 127.0.0.1:{port}" in err and "choose another --port" in err
    assert main(["serve", "missing.yaml"]) == 2
    assert "no such scenario file: missing.yaml" in capsys.readouterr().err
