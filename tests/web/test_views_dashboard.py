"""Views, provenance and noise in the API and on the dashboard page: the
compare endpoint returns what ``realpolitik.compare`` returns, and the page
shows each parameter's judgement, each action's best-response probability and
judgement share, and the views side by side after one click (Chromium via
Playwright, as ``test_dashboard_browser.py``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from realpolitik.analysis.compare import compare
from realpolitik.web import create_app

FLAGSHIP = LEGACY_FLAGSHIP_ID


def test_compare_endpoint_is_the_python_api() -> None:
    client = TestClient(create_app([LEGACY_FLAGSHIP]), base_url="http://127.0.0.1")
    answer = client.post(f"/api/scenarios/{FLAGSHIP}/compare", json={"draws": 80, "seed": 2})
    assert answer.status_code == 200
    assert answer.json() == compare(LEGACY_FLAGSHIP, draws=80, seed=2).to_json()
    bad = client.post(f"/api/scenarios/{FLAGSHIP}/compare", json={"views": ["base", "x"]})
    assert bad.status_code == 422 and "unknown view 'x'" in bad.json()["detail"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )
    if executable is None:
        if os.environ.get("REALPOLITIK_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox"])
        yield b
        b.close()


def test_page_shows_judgement_noise_and_views(
    browser: Any, live_server: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/?scenario={FLAGSHIP}")
    page.wait_for_selector("body[data-solved]")
    # every flagship parameter is marked as judgement now
    assert page.locator("#param-partnership_value .judged").count() == 1
    note = page.locator('.assumptions[data-action="neutral"]').inner_text()
    assert "best response 100.0%" in note and "100.0% of its swing from judgement" in note
    page.fill("#draws", "200")
    # the click also commits the draws field, which starts a forecast that
    # writes the page's status line: the comparison answers in its own line
    page.click("#compare")
    # the first request over draws starts the server's worker process
    # (generous: on a fresh clone under load the worker compiles its kernels)
    page.wait_for_selector("body[data-compared]", state="attached", timeout=300_000)
    status = page.locator("#views-status").inner_text()
    assert page.locator("body").get_attribute("data-compared") == "200", status
    assert status == "views compared on 200 draws"
    answer = httpx.post(
        f"{live_server}/api/scenarios/{FLAGSHIP}/compare", json={"draws": 200, "seed": 1}
    ).json()
    rows = page.locator("#views-table tbody tr")
    assert rows.count() == len(answer["forecasts"]["base"])
    header = page.locator("#views-table thead th").all_inner_texts()
    assert header == ["action or metric", "base", "hung", "techoutlook"]
    assert page.locator("#views-drivers h3").count() == 2
    if os.environ.get("REALPOLITIK_SCREENSHOT"):
        page.screenshot(path=os.environ["REALPOLITIK_SCREENSHOT"], full_page=True)
    page.screenshot(path=str(tmp_path / "views.png"), full_page=True)
    assert errors == []
    page.close()
