"""The rebuilt flagship in a real browser (Chromium, Playwright): the page the
dashboard opens on shows China's four dimensions as the API computes them,
with no console error. The machinery tests of the page run on the legacy
fixture; this one guards the product itself (a served flagship once failed
before its first forecast: tests/scenario/test_flagship.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI

from realpolitik.web import create_app

FLAGSHIP = "china-russia-2022"


@pytest.fixture(scope="module")
def server(serve_app: Callable[[FastAPI], AbstractContextManager[str]]) -> Iterator[str]:
    """A server of its own: the flagship's requests and worker processes stay
    out of the session's shared server, which the other page tests time."""
    with serve_app(create_app([FLAGSHIP])) as address:
        yield address


def _shown(text: str) -> float:
    """A percentage as the page prints it, as a probability."""
    return float(text.strip().rstrip("%")) / 100


def test_the_flagship_page_shows_chinas_dimensions(chromium_browser: Any, server: str) -> None:
    page = chromium_browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/?scenario={FLAGSHIP}", timeout=120_000)
    page.wait_for_selector("body[data-solved]", timeout=120_000)
    answer = httpx.post(f"{server}/api/scenarios/{FLAGSHIP}/forecast", json={}, timeout=120)
    assert answer.status_code == 200, answer.text
    rows = answer.json()["forecast"]["dimension_detail"]
    assert {r["dimension"] for r in rows} == {"un_stance", "sanctions", "military_aid", "mediation"}
    for row in rows:
        bar = page.locator(
            f'#dimensions .bar[data-move="{row["move"]}"][data-dimension="{row["dimension"]}"]'
            f'[data-level="{row["level"]}"] .pct'
        )
        assert _shown(bar.inner_text()) == pytest.approx(row["probability"], abs=6e-4)
    # each level says how much of its swing comes from judgement, as the API does
    judged = {
        o["name"]: o["judgement_share"]
        for o in answer.json()["forecast"]["judgement"]["outputs"]
        if o["kind"] == "level"
    }
    assert len(judged) == len(rows)
    for row in rows:
        note = page.locator(
            f'#dimensions .assumptions[data-dimension="{row["dimension"]}"]'
            f'[data-level="{row["level"]}"]'
        )
        share = judged[f"{row['actor']}:{row['move']}:{row['dimension']}={row['level']}"]
        assert note.inner_text().endswith("of its swing from judgement")
        assert _shown(note.inner_text().split()[0]) == pytest.approx(share, abs=6e-4)
    # over the page's default draws (2000): admitted (the memory estimate once
    # refused the flagship's default with "ask for fewer draws") and drawn
    # with each level's band
    assert page.input_value("#draws") == "2000"
    solved = page.get_attribute("body", "data-solved")
    page.check("#uncertain")
    page.wait_for_function(
        f"document.body.dataset.solved !== '{solved}'"
        " || document.getElementById('status').classList.contains('error')",
        timeout=300_000,
    )
    status = page.locator("#status").inner_text()
    assert status.startswith("solved"), status
    assert page.locator("#dimensions .bar .interval").count() == len(rows)
    assert errors == []
    page.close()
