"""What a terminal shows while a command computes (realpolitik.cli.progress).

The README's first command solves once and printed nothing until its tables:
about 4 s warm, about a minute on a fresh install while numba compiled every
kernel. On a terminal it now shows a spinner while it solves and explains,
and first one line saying that the solvers compile, once, when they do
(:func:`realpolitik.kernel_cache.cold_modules`, checked against real caches
in tests/test_kernel_cache.py). Off a terminal stderr stays empty, and stdout
is the same either way.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from rich.console import Console

from fixture_scenarios import text_scenario
from realpolitik import kernel_cache
from realpolitik.cli import progress
from realpolitik.cli.main import main
from served import free_port


@pytest.fixture
def small(tmp_path: Path) -> str:
    path = tmp_path / "small.yaml"
    path.write_text(text_scenario(title="Small", west="West", targeted="Targeted"), "utf-8")
    return str(path)


def on_terminal(monkeypatch: pytest.MonkeyPatch, cold: tuple[str, ...]) -> io.StringIO:
    """stderr as a terminal (the spinner's and the bar's console), the
    kernel caches reported ``cold``; returns what the terminal received."""
    screen = io.StringIO()
    terminal = Console(
        file=screen, force_terminal=True, width=60, highlight=False, markup=False, emoji=False
    )
    monkeypatch.setattr(progress, "err", terminal)
    monkeypatch.setattr(progress, "_TOLD", [])
    monkeypatch.setattr(kernel_cache, "cold_modules", lambda: cold)
    return screen


def forecast(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    assert main(["forecast", *argv]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_off_a_terminal_nothing_goes_to_stderr(
    capsys: pytest.CaptureFixture[str], small: str
) -> None:
    out, err = forecast(capsys, small)
    assert err == ""
    assert "Small" in out


def test_a_fresh_install_says_once_that_the_solvers_compile(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, small: str
) -> None:
    plain, _ = forecast(capsys, small)
    screen = on_terminal(monkeypatch, cold=("realpolitik.solve.reach",))
    out, _ = forecast(capsys, small)
    shown = screen.getvalue()
    # solving, then the explanation under the tables: two spinners, one notice
    assert shown.count(progress.COMPILING) == 1
    assert shown.index(progress.COMPILING) < shown.index("solving")
    assert "explaining" in shown
    assert out == plain


def test_a_warm_cache_shows_the_spinner_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, small: str
) -> None:
    screen = on_terminal(monkeypatch, cold=())
    forecast(capsys, small)
    shown = screen.getvalue()
    assert "solving" in shown
    assert "compiling" not in shown


def test_over_draws_the_notice_comes_before_the_bar(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, small: str
) -> None:
    screen = on_terminal(monkeypatch, cold=("realpolitik.solve.reach",))
    forecast(capsys, small, "--draws", "64", "--seed", "1")
    shown = screen.getvalue()
    assert shown.count(progress.COMPILING) == 1
    assert "draws/s" in shown or "64/64" in shown


def test_a_command_that_solved_marks_the_kernels_warm(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, small: str
) -> None:
    """Off a terminal too; a command that failed marks nothing (its kernels
    may not have compiled)."""
    marked: list[bool] = []
    monkeypatch.setattr(kernel_cache, "mark_warm", lambda: marked.append(True))
    forecast(capsys, small)
    assert marked  # the forecast's solve and the explanation under it
    marked.clear()
    assert main(["forecast", small, "--set", "cost=nan"]) == 2
    assert not marked


def _serve_on_a_terminal(env: dict[str, str]) -> str:
    """What a real ``realpolitik serve`` prints to its terminal (a pseudo-
    terminal) by the time it answers."""
    port = free_port()
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "realpolitik.cli.main", "serve", "--port", str(port)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    shown = b""
    try:
        deadline = time.monotonic() + 120
        while True:
            while select.select([leader], [], [], 0.2)[0]:
                shown += os.read(leader, 65536)
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/scenarios", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, shown
        while select.select([leader], [], [], 0.5)[0]:
            shown += os.read(leader, 65536)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        os.close(leader)
    return shown.decode("utf-8", errors="replace")


def test_serve_on_a_terminal_says_the_first_forecast_compiles(tmp_path: Path) -> None:
    """A real server on a fresh cache of its own says so; once a forecast
    has marked the cache warm, it does not."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "200"}
    first = _serve_on_a_terminal(env)
    assert "dashboard: http://127.0.0.1:" in first
    assert "the first forecast compiles the solvers" in first
    subprocess.run(
        [sys.executable, "-c", "from realpolitik.cli.progress import solvers_cold\n"
         "from realpolitik import kernel_cache\nsolvers_cold()\nkernel_cache.mark_warm()"],
        env=env,
        check=True,
    )  # fmt: skip
    again = _serve_on_a_terminal(env)
    assert "dashboard: http://127.0.0.1:" in again
    assert "compiles the solvers" not in again


def test_a_dashboard_forecast_marks_the_kernels_warm(
    monkeypatch: pytest.MonkeyPatch, small: str
) -> None:
    """The server's workers solve the dashboard's forecasts: a forecast that
    succeeded marks the caches warm, one that failed does not."""
    from realpolitik.web.worker import forecast_json

    marked: list[bool] = []
    monkeypatch.setattr(kernel_cache, "mark_warm", lambda: marked.append(True))
    text = Path(small).read_text(encoding="utf-8")
    status, _ = forecast_json(text, small, {"draws": 16, "seed": 1})
    assert status == "ok" and marked == [True]
    status, _ = forecast_json(text, small, {"draws": 16, "seed": 1, "values": {"cost": 1e400}})
    assert status == "error" and marked == [True]
