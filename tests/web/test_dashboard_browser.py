"""The dashboard page in a real browser (Debian's Chromium, driven by
Playwright): it draws the flagship's forecast, shows the same numbers as the
API, and re-solves when a slider moves.

CI (`.ci/run`) installs Chromium and sets REALPOLITIK_REQUIRE_BROWSER=1, so
there a missing browser fails the test; on a developer's machine without
Chromium it is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP_ID

FLAGSHIP = LEGACY_FLAGSHIP_ID
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("REALPOLITIK_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _china_neutral(page: Any) -> float:
    text = page.locator('.bar[data-actor="china"][data-action="neutral"] .pct').inner_text()
    return float(text.rstrip("%")) / 100


def test_page_shows_the_forecast_and_resolves_on_a_slider(
    browser: Any, live_server: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/?scenario={FLAGSHIP}")
    page.wait_for_selector("body[data-solved]")

    central = httpx.post(f"{live_server}/api/scenarios/{FLAGSHIP}/forecast", json={}).json()
    expected = central["forecast"]["actions"]["china"]["neutral"]
    assert _china_neutral(page) == pytest.approx(expected, abs=0.0006)  # shown to 0.1%
    # every move's bars and the explanation's sentences are drawn
    assert page.locator(".bar").count() == len(central["forecast"]["action_detail"])
    assert page.locator("#explanation li").count() == len(central["explanation"]["decisions"])
    assert page.locator("#pathways tbody tr").count() == min(
        8, len(central["forecast"]["pathways"])
    )

    # move a slider to the top of its range, as a user dragging it would
    slider = page.locator("#slider-partnership_value")
    top = float(slider.get_attribute("max") or "nan")
    solved = page.get_attribute("body", "data-solved")
    slider.evaluate(
        "(s, v) => { s.value = v; s.dispatchEvent(new Event('input', {bubbles: true})); }", str(top)
    )
    page.wait_for_function(f"document.body.dataset.solved !== '{solved}'")
    moved = httpx.post(
        f"{live_server}/api/scenarios/{FLAGSHIP}/forecast",
        json={"values": {"partnership_value": top}},
    ).json()
    want = moved["forecast"]["actions"]["china"]["neutral"]
    assert abs(want - expected) > 0.001  # the slider matters
    assert _china_neutral(page) == pytest.approx(want, abs=0.0006)
    assert "partnership_value" in page.locator("#whatif").inner_text()
    assert page.locator("#param-partnership_value.changed").count() == 1

    # switching to SPE: the equilibrium path is certain
    page.select_option("#concept", "spe")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('solved')")
    page.wait_for_function(
        'document.querySelector(\'.bar[data-actor="china"][data-action="neutral"] .pct\')'
        ".textContent === '100.0%'"
    )
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    if os.environ.get("REALPOLITIK_SCREENSHOT"):
        page.screenshot(path=os.environ["REALPOLITIK_SCREENSHOT"], full_page=True)
    assert errors == []
    page.close()


def test_a_bad_lambda_is_shown_not_thrown(browser: Any, live_server: str) -> None:
    page = browser.new_page()
    page.goto(f"{live_server}/?scenario={FLAGSHIP}")
    page.wait_for_selector("body[data-solved]")
    page.fill("#lambda", "-3")
    page.wait_for_selector("#status.error")
    assert "--lambda must be a number >= 0" in page.locator("#status").inner_text()
    page.close()


def test_uncertainty_mode_shows_the_intervals_of_the_api(browser: Any, live_server: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server}/?scenario={FLAGSHIP}")
    page.wait_for_selector("body[data-solved]")
    page.fill("#draws", "1000")
    solved = page.get_attribute("body", "data-solved")
    page.check("#uncertain")
    page.wait_for_function(f"document.body.dataset.solved !== '{solved}'")
    page.wait_for_selector(".bar .interval")
    answer = httpx.post(
        f"{live_server}/api/scenarios/{FLAGSHIP}/forecast", json={"draws": 1000, "seed": 1}
    ).json()
    row = next(
        r
        for r in answer["forecast"]["action_detail"]
        if r["actor"] == "china" and r["action"] == "neutral"
    )
    shown = page.locator('.bar[data-actor="china"][data-action="neutral"] .interval').inner_text()
    assert shown == f"{100 * row['p05']:.1f}%–{100 * row['p95']:.1f}%"
    assert _china_neutral_mean(page) == pytest.approx(row["probability"], abs=0.0006)
    assert "Over 1000 parameter draws" in page.locator("#whatif").inner_text()
    if os.environ.get("REALPOLITIK_SCREENSHOT"):
        page.screenshot(path=os.environ["REALPOLITIK_SCREENSHOT"], full_page=True)
    page.close()


def _china_neutral_mean(page: Any) -> float:
    # the value cell holds the mean and, below it, the interval
    cell = page.locator('.bar[data-actor="china"][data-action="neutral"] .pct')
    return float(cell.evaluate("c => c.firstChild.textContent").rstrip("%")) / 100


def test_the_bargaining_panel_draws_the_models_run(browser: Any, live_server: str) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server}/?scenario={FLAGSHIP}")
    page.wait_for_selector("body[data-solved]")
    assert page.locator("#bargaining").is_visible()
    run = httpx.post(
        f"{live_server}/api/scenarios/{FLAGSHIP}/bargain", json={"model": "smp"}
    ).json()["run"]
    actors = list(run["turns"][0]["positions"])
    assert page.locator("#bargain-chart polyline").count() == len(actors)
    summary = page.locator("#bargain-summary").inner_text()
    assert summary.startswith(
        f"forecast {run['forecast'][0]:.4g} after {len(run['turns']) - 1} turns"
    )
    solved = page.get_attribute("body", "data-solved")
    page.select_option("#bargain-model", "eum")
    page.wait_for_function(f"document.body.dataset.solved !== '{solved}'")
    eum = httpx.post(
        f"{live_server}/api/scenarios/{FLAGSHIP}/bargain", json={"model": "eum"}
    ).json()["run"]
    assert page.locator("#bargain-summary").get_attribute("data-model") == "eum"
    assert f"forecast {eum['forecast'][0]:.4g}" in page.locator("#bargain-summary").inner_text()
    page.close()


def test_the_api_docs_render_with_the_network_blocked(browser: Any, live_server: str) -> None:
    """/docs draws Swagger UI from files served by the app: every request to
    another host is refused, and the page still lists the API's operations."""
    page = browser.new_page()
    blocked: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if url.startswith(live_server):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "realpolitik" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/forecast" in p for p in paths)
    assert blocked == []
    page.close()


def test_the_page_labels_marginal_and_conditional_probabilities(
    browser: Any, live_server: str
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server}/?scenario={FLAGSHIP}")
    page.wait_for_selector("body[data-solved]")
    central = httpx.post(f"{live_server}/api/scenarios/{FLAGSHIP}/forecast", json={}).json()
    row = next(
        r
        for r in central["forecast"]["action_detail"]
        if r["move"] == "response" and r["action"] == "secondary_sanctions"
    )
    heading = page.locator("#actions-west-response h3").inner_text()
    assert f"reached {100 * row['reach']:.1f}%" in heading and "marginal" in heading
    shown = page.locator(
        '.bar[data-actor="west"][data-action="secondary_sanctions"] .conditional'
    ).inner_text()
    assert shown.strip() == f"{100 * row['conditional']:.1f}% if reached"
    page.close()
