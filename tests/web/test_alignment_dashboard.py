"""The alignment scenario (every UN member's vote) in the API and on the
dashboard page.

The API's answer is the Python API's (``realpolitik.alignment.align`` with
the same draws and seed), and the page (real Chromium via Playwright) shows
it: the expected tally (checked also as the sum of the 193 members' mean
probabilities, arithmetic the page does not do), the distribution of
simulated roll calls, every member ranked by P(yes) - P(no) in the chart and
the table, the 90% intervals, the search and a member's terms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from realpolitik.alignment.forecast import align
from realpolitik.web import create_app

SCENARIO = "unga-2022-aggression"
CHOICES = ("yes", "no", "abstain", "absent")
#: The page's default draws (index.html) and seed (alignment.js).
PAGE_DRAWS, PAGE_SEED = 1000, 0


def _shown(text: str) -> float:
    """A percentage as the page prints it, as a probability."""
    return float(text.strip().rstrip("%")) / 100


def _ranked(countries: dict[str, dict[str, float]]) -> list[str]:
    """ISO3 codes by P(yes) - P(no), then P(yes), both descending (the page's order)."""
    return sorted(
        countries, key=lambda c: (-(countries[c]["yes"] - countries[c]["no"]), -countries[c]["yes"])
    )


def test_the_api_answers_the_python_api() -> None:
    client = TestClient(create_app([SCENARIO]), base_url="http://127.0.0.1")
    listed = client.get("/api/alignments").json()
    assert [s["id"] for s in listed] == [SCENARIO]
    detail = client.get(f"/api/alignments/{SCENARIO}").json()
    assert detail["members"] == 193
    assert detail["choices"] == list(CHOICES)
    answer = client.post(f"/api/alignments/{SCENARIO}/forecast", json={"draws": 50, "seed": 4})
    assert answer.status_code == 200, answer.text
    expected = align(SCENARIO, draws=50, seed=4)
    assert answer.json()["forecast"] == expected.to_json()
    members = answer.json()["members"]
    assert [m["iso3"] for m in members] == expected.countries["iso3"].tolist()
    assert client.post("/api/alignments/nowhere/forecast", json={}).status_code == 404
    assert client.post(f"/api/alignments/{SCENARIO}/forecast", json={"draws": 0}).status_code == 422


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    # the first forecast spawns a worker process: allow for a slow machine
    page.wait_for_selector("body[data-aligned]", timeout=180_000)
    return page, errors


@pytest.fixture(scope="module")
def align_server(serve_app: Callable[[FastAPI], AbstractContextManager[str]]) -> Iterator[str]:
    """A server of the alignment scenario alone (the dashboard opens on it)."""
    with serve_app(create_app([SCENARIO])) as address:
        yield address


@pytest.fixture(scope="module")
def python_answer() -> dict[str, Any]:
    """What the page should show: the Python API at the page's draws and seed."""
    answer: dict[str, Any] = align(SCENARIO, draws=PAGE_DRAWS, seed=PAGE_SEED).to_json()
    return answer


def test_page_shows_tally_ranking_and_members(
    chromium_browser: Any, align_server: str, python_answer: dict[str, Any]
) -> None:
    page, errors = _open(chromium_browser, f"{align_server}/?scenario={SCENARIO}")
    assert page.locator("#alignment-view").is_visible()
    assert not page.locator("#crisis-view").is_visible()
    countries = python_answer["countries"]
    tally = python_answer["tally"]
    # the expected tally: the API's, and the sum of the members' probabilities
    for choice in CHOICES:
        row = page.locator(f'#align-tally tr[data-choice="{choice}"]')
        shown = float(row.locator("td.expected").inner_text())
        assert shown == pytest.approx(tally["expected"][choice], abs=0.051)
        assert shown == pytest.approx(sum(c[choice] for c in countries.values()), abs=0.051)
        assert row.locator("td.range").inner_text() == (
            f"{tally['p05'][choice]}–{tally['p95'][choice]}"
        )
        # one bar per count between the lowest and highest simulated, plus a margin
        counts = tally["distribution"][choice]
        seen = [k for k, n in enumerate(counts) if n]
        low, high = max(0, seen[0] - 1), min(len(counts) - 1, seen[-1] + 1)
        bars = page.locator(f'#align-histograms svg[data-choice="{choice}"] rect')
        assert bars.count() == high - low + 1
    yes_total = sum(tally["distribution"]["yes"])
    assert yes_total == 10_000  # every simulated roll call counted once
    # the chart: one stacked column per member, ranked by P(yes) - P(no)
    ranked = _ranked(countries)
    columns = page.locator("#align-chart g.member")
    assert columns.count() == 193
    order = columns.evaluate_all("gs => gs.map((g) => g.dataset.iso3)")
    assert order == ranked
    # a column's stacked heights are the member's probabilities (yes at the bottom)
    first = page.locator(f'#align-chart g.member[data-iso3="{ranked[0]}"] rect')
    heights = first.evaluate_all("rs => rs.map((r) => Number(r.getAttribute('height')))")
    stacked = [countries[ranked[0]][c] for c in ("yes", "abstain", "absent", "no")]
    assert [h / 220 for h in heights[:4]] == pytest.approx(stacked, abs=1e-9)  # H = 220
    # each column's line spans the 90% interval of P(yes): y = T + H (1 - p)
    for iso3 in (ranked[0], ranked[96], ranked[-1]):
        line = page.locator(f'#align-chart g.member[data-iso3="{iso3}"] line.yes-interval')
        ends = [float(line.get_attribute(a) or "nan") for a in ("y1", "y2")]
        low_yes, high_yes = python_answer["intervals"][iso3]["yes"]
        assert ends == pytest.approx([6 + 220 * (1 - low_yes), 6 + 220 * (1 - high_yes)])
    # the table: every member in the same order, its probabilities and interval
    rows = page.locator("#align-members tbody tr")
    assert rows.evaluate_all("rs => rs.map((r) => r.dataset.iso3)") == ranked
    for iso3 in (ranked[0], ranked[96], ranked[-1]):
        row = page.locator(f'#align-members tr[data-iso3="{iso3}"]')
        for choice in CHOICES:
            cell = row.locator(f'td[data-choice="{choice}"]').inner_text()
            assert _shown(cell) == pytest.approx(countries[iso3][choice], abs=6e-4)
        low_yes, high_yes = python_answer["intervals"][iso3]["yes"]
        assert f"{100 * low_yes:.1f}%–{100 * high_yes:.1f}%" in row.inner_text()
    assert errors == []
    page.close()


def test_search_and_a_members_reasons(
    chromium_browser: Any, align_server: str, python_answer: dict[str, Any]
) -> None:
    page, errors = _open(chromium_browser, f"{align_server}/?scenario={SCENARIO}")
    page.fill("#align-search", "CHN")
    rows = page.locator("#align-members tbody tr")
    assert rows.count() == 1
    assert "1 of 193 members" in page.locator("#align-count").inner_text()
    assert page.locator("#align-chart g.member.dim").count() == 192
    rows.first.click()
    box = page.locator("#align-member")
    assert box.get_attribute("data-iso3") == "CHN"
    why = python_answer["reasons"]["CHN"]
    assert f"Most likely {why['choice']} rather than {why['versus']}" in box.inner_text()
    terms = box.locator(".term")
    assert terms.count() == len(why["terms"])
    shown = dict(
        zip(
            terms.evaluate_all("ts => ts.map((t) => t.dataset.term)"),
            (float(v) for v in box.locator(".term .value").all_inner_texts()),
            strict=True,
        )
    )
    for term, value in why["terms"].items():
        assert shown[term] == pytest.approx(value, rel=1e-3, abs=1e-3)  # printed to 4 digits
    assert errors == []
    page.close()


def test_central_values_have_no_spread(chromium_browser: Any, align_server: str) -> None:
    """One draw (the central forecast): the page re-solves and every member's
    90% interval collapses onto its probability; the numbers are the API's."""
    page, errors = _open(chromium_browser, f"{align_server}/?scenario={SCENARIO}")
    solved = page.get_attribute("body", "data-aligned")
    page.fill("#align-draws", "1")
    page.dispatch_event("#align-draws", "change")
    page.wait_for_function(f"document.body.dataset.aligned !== '{solved}'", timeout=120_000)
    answer = httpx.post(
        f"{align_server}/api/alignments/{SCENARIO}/forecast", json={"draws": 1, "seed": 0},
        timeout=120,
    ).json()["forecast"]  # fmt: skip
    assert answer["draws"] == 1
    for iso3 in ("UKR", "RUS", "IND"):
        row = page.locator(f'#align-members tr[data-iso3="{iso3}"]')
        p = answer["countries"][iso3]["yes"]
        low, high = answer["intervals"][iso3]["yes"]
        assert low == pytest.approx(p) and high == pytest.approx(p)
        assert _shown(row.locator('td[data-choice="yes"]').inner_text()) == pytest.approx(
            p, abs=6e-4
        )
        assert f"{100 * p:.1f}%–{100 * p:.1f}%" in row.inner_text()
    assert errors == []
    page.close()
