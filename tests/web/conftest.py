"""A live server for the page tests: uvicorn in a thread on a free port."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.scenario.load import builtin_names
from realpolitik.web import create_app
from served import free_port


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    with running(create_app([*builtin_names(), LEGACY_FLAGSHIP])) as address:
        yield address


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free port; its address."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (skipped without it, failed on
    CI, which sets REALPOLITIK_REQUIRE_BROWSER=1)."""
    executable = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )
    if executable is None:
        if os.environ.get("REALPOLITIK_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright  # a test dependency, only for the browser

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def serve_app() -> Callable[[FastAPI], AbstractContextManager[str]]:
    """:func:`running`, for tests that serve an app of their own scenarios."""
    return running
