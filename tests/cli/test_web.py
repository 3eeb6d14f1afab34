"""``realpolitik serve`` as a user starts it: a real process, a real port."""

from __future__ import annotations

import socket

import httpx2 as httpx
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from realpolitik.cli.main import main
from served import serve_process


def test_serve_answers_on_its_port() -> None:
    with serve_process(LEGACY_FLAGSHIP, startup=60) as (_, base):
        listed = httpx.get(f"{base}/api/scenarios", timeout=2).json()
        assert [s["id"] for s in listed] == [LEGACY_FLAGSHIP_ID]
        assert "dashboard.js" in httpx.get(f"{base}/").text


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
