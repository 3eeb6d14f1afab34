"""Compound moves, private types, beliefs and rounds in the API and on the
dashboard page.

The API's forecast is the Python API's, and the page (real Chromium via
Playwright) shows the API's numbers: each dimension's level marginals (with
their 90% intervals over draws) beside the move's most likely joint actions,
the type-conditional forecasts, the beliefs at information sets and the
per-round probabilities. For the hand-solved scenarios of
``tests/hand_scenarios.py`` the shown numbers are also checked against the
arithmetic there (SIGNAL's posteriors by Bayes' rule, ROUNDS' per-round
probabilities), so the page is right, not merely consistent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import realpolitik as rp
from hand_scenarios import COMPOUND, ROUNDS, SIGNAL, rounds_qre, sigma, signal_qre
from realpolitik.examples import example_path
from realpolitik.web import create_app

# a compound move of 3 x 3 x 3 = 27 joint actions (3 ruled out): the page
# must list the most likely few, not all 24
WIDE = """\
id: wide
sources: {s: Worked example}
actors: {st: State}
parameters:
  tilt: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: posture
    actor: st
    dimensions:
      vote: [favour, abstain, against]
      trade: [cut, keep, grow]
      arms: [none, some, many]
    allow: "not (vote == favour and arms == many)"
payoffs:
  st:
    a: >-
      tilt * (posture.vote == favour) + 0.5 * (posture.trade == keep)
      + 0.3 * (posture.arms == some)
"""

TOP_JOINT = 5  # as information.js

# ROUNDS with lambda drawn and every other number fixed: across draws only
# lambda varies, so it explains all of each probability's variance (S1 = 1)
# and every result rests on judgement alone (lambda is the only judgement)
NOISY = ROUNDS.replace("id: two-rounds", "id: noisy") + (
    'solve: {concept: qre, lambda: {dist: uniform, low: 0.5, high: 3, judgement: "illustration"}}\n'
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("scenarios")
    out = {}
    for name, text in (("signal", SIGNAL), ("compound", COMPOUND), ("two-rounds", ROUNDS),
                       ("wide", WIDE), ("noisy", NOISY)):  # fmt: skip
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        out[name] = str(path)
    out["evasion-rounds"] = str(example_path("evasion-rounds.yaml"))
    return out


@pytest.fixture(scope="module")
def app(files: dict[str, str]) -> FastAPI:
    return create_app(list(files.values()))


@pytest.fixture(scope="module")
def server(
    app: FastAPI, serve_app: Callable[[FastAPI], AbstractContextManager[str]]
) -> Iterator[str]:
    with serve_app(app) as address:
        yield address


@pytest.mark.parametrize("name", ["signal", "compound", "two-rounds", "evasion-rounds", "wide"])
def test_the_api_answers_the_python_api(name: str, files: dict[str, str], app: FastAPI) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    answer = client.post(f"/api/scenarios/{name}/forecast", json={})
    assert answer.status_code == 200
    forecast = answer.json()["forecast"]
    assert forecast == rp.forecast(rp.load(files[name])).to_json()
    for key in {
        "signal": ("type_conditional", "beliefs"),
        "compound": ("dimensions", "dimension_detail", "beliefs"),
        "two-rounds": ("rounds",),
        "evasion-rounds": ("dimension_detail", "type_conditional", "beliefs", "rounds"),
        "wide": ("dimension_detail",),
    }[name]:
        assert key in forecast


def test_the_api_over_draws_answers_the_python_api(files: dict[str, str], app: FastAPI) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    answer = client.post(
        "/api/scenarios/evasion-rounds/forecast",
        json={"draws": 40, "seed": 3, "values": {"p_detect": 0.7}},
    )
    assert answer.status_code == 200
    expected = rp.forecast(
        rp.load(files["evasion-rounds"]), draws=40, seed=3, values={"p_detect": 0.7}
    ).to_json()
    assert answer.json()["forecast"] == expected


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-solved]")
    return page, errors


def _shown(text: str) -> float:
    """A percentage as the page prints it, as a probability."""
    return float(text.strip().rstrip("%")) / 100


def _api(server: str, name: str, **body: Any) -> dict[str, Any]:
    answer = httpx.post(f"{server}/api/scenarios/{name}/forecast", json=body, timeout=120)
    assert answer.status_code == 200, answer.text
    forecast: dict[str, Any] = answer.json()["forecast"]
    return forecast


def test_signal_types_and_beliefs(chromium_browser: Any, server: str) -> None:
    page, errors = _open(chromium_browser, f"{server}/?scenario=signal")
    forecast = _api(server, "signal")
    hand = signal_qre(1.0)  # the scenario's default: QRE, lambda 1
    # beliefs: one card per signal, the receiver's posterior that the sender is strong
    assert page.locator("#beliefs-panel").is_visible()
    cards = page.locator(".belief")
    assert cards.count() == 2
    for entry in forecast["beliefs"]:
        signal = entry["observed"][0][1]
        card = page.locator(f'.belief[data-observed="snd = {signal}"]')
        strong = card.locator('.bar[data-subject="snd.type"][data-level="strong"] .pct')
        assert _shown(strong.inner_text()) == pytest.approx(
            entry["beliefs"]["snd.type"]["strong"], abs=6e-4
        )
        assert _shown(strong.inner_text()) == pytest.approx(hand[f"P(strong|{signal})"], abs=6e-4)
        reach = card.locator(".reach").inner_text()
        assert f"{100 * hand[f'P({signal})']:.1f}%" in reach
    # type-conditional: P(A | strong) = sigma(1), P(A | weak) = sigma(-1)
    row = page.locator('table.types tr[data-actor="snd"][data-action="message:A"]')
    assert _shown(row.locator('td[data-type="strong"]').inner_text()) == pytest.approx(
        sigma(1.0), abs=6e-4
    )
    assert _shown(row.locator('td[data-type="weak"]').inner_text()) == pytest.approx(
        sigma(-1.0), abs=6e-4
    )
    # no compound moves, no rounds: those panels stay hidden
    assert not page.locator("#dimensions-panel").is_visible()
    assert not page.locator("#rounds-panel").is_visible()
    assert errors == []
    page.close()


def test_compound_dimensions_beside_joint_actions(chromium_browser: Any, server: str) -> None:
    page, errors = _open(chromium_browser, f"{server}/?scenario=compound")
    forecast = _api(server, "compound")
    for row in forecast["dimension_detail"]:
        bar = page.locator(
            f'#dimensions .bar[data-move="{row["move"]}"][data-dimension="{row["dimension"]}"]'
            f'[data-level="{row["level"]}"] .pct'
        )
        assert _shown(bar.inner_text()) == pytest.approx(row["probability"], abs=6e-4)
    # a level's marginal is the sum of the joint actions that choose it
    joint = {r["action"]: r["probability"] for r in forecast["action_detail"] if r["actor"] == "ch"}
    abstain = sum(p for a, p in joint.items() if a.startswith("abstain+"))
    assert forecast["dimensions"]["ch"]["un"]["abstain"] == pytest.approx(abstain, abs=1e-12)
    ranked = sorted(joint, key=lambda a: -joint[a])
    rows = page.locator("#dimensions table.joint tbody tr")
    assert [rows.nth(k).get_attribute("data-action") for k in range(rows.count())] == ranked
    # the West's belief about the hidden trade after an abstention
    beliefs = page.locator('.belief .bar[data-subject="ch.trade"][data-level="evade"] .pct')
    shown = sorted(_shown(t) for t in beliefs.all_inner_texts())
    want = sorted(
        b["beliefs"]["ch.trade"]["evade"] for b in forecast["beliefs"] if b["reach_probability"]
    )
    assert shown == pytest.approx(want, abs=6e-4)
    assert errors == []
    page.close()


def test_many_joint_actions_fold_away(chromium_browser: Any, server: str) -> None:
    page, errors = _open(chromium_browser, f"{server}/?scenario=wide")
    forecast = _api(server, "wide")
    n = len(forecast["action_detail"])
    assert n == 24
    assert page.locator("#dimensions table.joint tbody tr").count() == TOP_JOINT
    group = page.locator('[id="actions-st-posture"]')
    assert group.locator(".bar").count() == n  # all in the page...
    folded = group.locator("details.more-joint .bar")
    assert folded.count() == n - TOP_JOINT  # ...the less likely folded away
    assert not folded.first.is_visible()
    best = max(forecast["action_detail"], key=lambda r: r["probability"])
    first = group.locator(".bar").first
    assert first.get_attribute("data-action") == best["action"]
    assert _shown(first.locator(".pct").inner_text()) == pytest.approx(
        best["probability"], abs=6e-4
    )
    # nine levels in three dimensions
    assert page.locator("#dimensions .bar").count() == 9
    assert errors == []
    page.close()


def test_rounds_in_round_and_by_round(chromium_browser: Any, server: str) -> None:
    page, errors = _open(chromium_browser, f"{server}/?scenario=two-rounds")
    forecast = _api(server, "two-rounds")
    hand = rounds_qre(1.0)
    assert page.locator("#rounds-panel").is_visible()
    block = page.locator('[id="rounds-we-package"]')
    assert block.locator("svg.rounds-chart polyline").count() == 4  # 2 actions x (in, by)
    in_round = block.locator('tr[data-series="list_entities"][data-kind="in_round"] td.num')
    by_round = block.locator('tr[data-series="list_entities"][data-kind="by_round"] td.num')
    api_rounds = forecast["rounds"]["we"]["package"]["list_entities"]
    assert [_shown(t) for t in in_round.all_inner_texts()] == pytest.approx(
        api_rounds["in_round"], abs=6e-4
    )
    assert [_shown(t) for t in in_round.all_inner_texts()] == pytest.approx(
        [hand["list@1"], hand["list@2"]], abs=6e-4
    )
    assert _shown(by_round.all_inner_texts()[-1]) == pytest.approx(hand["listed"], abs=6e-4)
    helped = page.locator(
        '[id="rounds-ch-help"] tr[data-series="assist"][data-kind="in_round"] td.num'
    )
    assert [_shown(t) for t in helped.all_inner_texts()] == pytest.approx(
        [hand["help@1"], hand["help@2"]], abs=6e-4
    )
    assert errors == []
    page.close()


def test_intervals_and_what_if_on_the_example(chromium_browser: Any, server: str) -> None:
    """The shipped example (compound + types + rounds): intervals over draws
    beside each level, and a slider still re-solves every panel."""
    page, errors = _open(chromium_browser, f"{server}/?scenario=evasion-rounds")
    for panel in ("dimensions", "types", "beliefs", "rounds"):
        assert page.locator(f"#{panel}-panel").is_visible(), panel
    page.fill("#draws", "100")
    solved = page.get_attribute("body", "data-solved")
    page.check("#uncertain")
    page.wait_for_function(f"document.body.dataset.solved !== '{solved}'", timeout=120_000)
    forecast = _api(server, "evasion-rounds", draws=100, seed=1)
    row = next(
        r
        for r in forecast["dimension_detail"]
        if r["move"] == "stance@1" and r["dimension"] == "trade" and r["level"] == "evade"
    )
    assert row["p95"] - row["p05"] > 0.05  # the draws matter
    bar = page.locator(
        '#dimensions .bar[data-move="stance@1"][data-dimension="trade"][data-level="evade"]'
    )
    assert bar.locator(".interval").inner_text() == (
        f"{100 * row['p05']:.1f}%–{100 * row['p95']:.1f}%"
    )
    # a what-if: detection made near certain, at the central values
    page.uncheck("#uncertain")
    page.wait_for_function("!document.querySelector('#dimensions .interval')", timeout=60_000)
    slider = page.locator("#slider-p_detect")
    top = float(slider.get_attribute("max") or "nan")
    solved = page.get_attribute("body", "data-solved")
    slider.evaluate(
        "(s, v) => { s.value = v; s.dispatchEvent(new Event('input', {bubbles: true})); }", str(top)
    )
    page.wait_for_function(f"document.body.dataset.solved !== '{solved}'", timeout=60_000)
    moved = _api(server, "evasion-rounds", values={"p_detect": top})
    central = _api(server, "evasion-rounds")
    evade = [
        next(
            r["probability"]
            for r in f["dimension_detail"]
            if r["move"] == "stance@2" and r["dimension"] == "trade" and r["level"] == "evade"
        )
        for f in (central, moved)
    ]
    assert not math.isclose(evade[0], evade[1], abs_tol=1e-3)  # the slider matters
    shown = page.locator(
        '#dimensions .bar[data-move="stance@2"][data-dimension="trade"][data-level="evade"] .pct'
    )
    assert _shown(shown.inner_text()) == pytest.approx(evade[1], abs=6e-4)
    listed = page.locator(
        '[id="rounds-west-reply"] tr[data-series="list_entities"][data-kind="by_round"] td.num'
    )
    want = moved["rounds"]["west"]["reply"]["list_entities"]["by_round"]
    assert [_shown(t) for t in listed.all_inner_texts()] == pytest.approx(want, abs=6e-4)
    assert errors == []
    page.close()


def test_provenance_judgement_alone_and_noise(chromium_browser: Any, server: str) -> None:
    """What rests on judgement alone is marked on its bar; the noise summary
    gives the API's largest gap from best responses and lambda's share."""
    page, errors = _open(chromium_browser, f"{server}/?scenario=evasion-rounds")
    forecast = _api(server, "evasion-rounds")
    alone = forecast["judgement"]["resting_on_judgement_alone"]
    summary = page.locator("#judgement-alone")
    assert summary.get_attribute("data-count") == str(len(alone))
    assert summary.inner_text().startswith(
        f"{len(alone)} of {len(forecast['judgement']['outputs'])} results rest on judgement alone"
    )
    marked = page.locator("#actions .bar:has(.judged.alone)")
    names = marked.evaluate_all(
        "bs => bs.map((b) => `${b.dataset.actor}:${b.dataset.move}:${b.dataset.action}`)"
    )
    # actions, not metrics (no colon) nor compound levels (actor:move:dimension=level)
    assert sorted(names) == sorted(n for n in alone if n.count(":") == 2 and "=" not in n)
    # information sets: no best-response forecast, and the page says so
    assert forecast["noise"]["note"] in page.locator("#noise-summary").inner_text()
    page.close()

    page, more = _open(chromium_browser, f"{server}/?scenario=noisy")
    page.fill("#draws", "200")
    solved = page.get_attribute("body", "data-solved")
    page.check("#uncertain")
    page.wait_for_function(f"document.body.dataset.solved !== '{solved}'", timeout=180_000)
    noisy = _api(server, "noisy", draws=200, seed=1)
    shares = [a["lambda_s1"] for a in noisy["noise"]["actions"]]
    assert shares == pytest.approx([1.0] * len(shares), abs=1e-9)  # lambda alone varies
    text = page.locator("#noise-summary").inner_text()
    assert "λ explains up to 100.0% of a probability's variance" in text
    widest = max(noisy["noise"]["actions"], key=lambda a: abs(a["gap"]))
    assert f"{100 * widest['gap']:.1f} points ({widest['name']})" in text
    # the hand SPE: the West lists only after help (1 > 0, -0.5 < 0); helping
    # then costs the state 2 - 1, so it stays out and the West holds
    best = {a["name"]: a["best_response"] for a in noisy["noise"]["actions"]}
    assert best["ch:help@1:stay_out"] == 1.0 and best["we:package@1:hold"] == 1.0
    assert page.locator("#judgement-alone").get_attribute("data-count") == str(
        len(noisy["judgement"]["resting_on_judgement_alone"])
    )
    assert errors == [] and more == []
    page.close()
