"""The HTML report's sections on compound moves, private types, beliefs and
rounds: printed numbers checked against the hand arithmetic of
``tests/hand_scenarios.py`` (Bayes' rule for SIGNAL's beliefs, the per-round
logit of ROUNDS) or, for compound moves, against the sum of the joint
actions that choose each level; and the provenance sections (judgement,
noise) on the shipped example that has all three features.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from hand_scenarios import COMPOUND, ROUNDS, SIGNAL, rounds_qre, sigma, signal_qre
from realpolitik.analysis.forecast import forecast
from realpolitik.cli.main import main
from realpolitik.examples import example_path
from realpolitik.report.html_report import build_report
from realpolitik.scenario.load import resolve

Rows = list[list[str]]


class _Tables(HTMLParser):
    """Each ``<table class=...>``'s header and body rows, as cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[Rows]] = {}
        self.svgs = 0
        self._rows: Rows | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = []
            self.tables.setdefault(dict(attrs).get("class") or "", []).append(self._rows)
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []
        elif tag == "svg":
            self.svgs += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._rows is not None and self._cell is not None:
            self._rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Tables:
    parsed = _Tables()
    parsed.feed(html)
    return parsed


def _records(table: Rows) -> list[dict[str, str]]:
    head, *body = table
    return [dict(zip(head, row, strict=True)) for row in body]


def _p(text: str) -> float:
    return float(text.rstrip("%")) / 100


def _scenario(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_signal_beliefs_and_types_are_bayes_rule(tmp_path: Path) -> None:
    parsed = _parse(build_report(_scenario(tmp_path, "signal", SIGNAL)))
    hand = signal_qre(1.0)  # the scenario's default: QRE, lambda 1
    (beliefs,) = parsed.tables["beliefs"]
    rows = {r["having seen"]: r for r in _records(beliefs)}
    assert set(rows) == {"snd = A", "snd = B"}
    for signal in ("A", "B"):
        row = rows[f"snd = {signal}"]
        assert row["actor"] == "rcv" and row["move"] == "reply"
        assert _p(row["reached"]) == pytest.approx(hand[f"P({signal})"], abs=5e-4)
        strong = _p(row["P(snd.type = strong)"])
        assert strong == pytest.approx(hand[f"P(strong|{signal})"], abs=5e-4)
        assert _p(row["P(snd.type = weak)"]) == pytest.approx(1 - strong, abs=1e-3)
    (types,) = parsed.tables["types"]
    typed = {(r["actor"], r["move"], r["action"]): r for r in _records(types)}
    message_a = typed[("snd", "message", "A")]
    assert _p(message_a["given strong"]) == pytest.approx(sigma(1.0), abs=5e-4)
    assert _p(message_a["given weak"]) == pytest.approx(sigma(-1.0), abs=5e-4)
    # the receiver fights given the type through its belief: P(fight | strong)
    # = sum over signals of P(signal | strong) P(fight | signal)
    fight = typed[("rcv", "reply", "fight")]
    given_strong = sigma(1.0) * hand["P(fight|A)"] + sigma(-1.0) * hand["P(fight|B)"]
    assert _p(fight["given strong"]) == pytest.approx(given_strong, abs=5e-4)
    assert "dimensions" not in parsed.tables and "rounds" not in parsed.tables


def test_rounds_table_and_figure_are_the_hand_calculation(tmp_path: Path) -> None:
    parsed = _parse(build_report(_scenario(tmp_path, "two-rounds", ROUNDS)))
    hand = rounds_qre(1.0)
    (rounds,) = parsed.tables["rounds"]
    rows = {(r["move"], r["action or level"], r["round"]): r for r in _records(rounds)}
    for r in (1, 2):
        listing = rows[("package", "list_entities", str(r))]
        assert _p(listing["in the round"]) == pytest.approx(hand[f"list@{r}"], abs=5e-4)
        helping = rows[("help", "assist", str(r))]
        assert _p(helping["in the round"]) == pytest.approx(hand[f"help@{r}"], abs=5e-4)
    listed = rows[("package", "list_entities", "2")]["by the round"]
    assert _p(listed) == pytest.approx(hand["listed"], abs=5e-4)
    # bars, pathways, explanation, and the rounds figure
    assert parsed.svgs == 4


def test_compound_levels_are_sums_of_joint_actions(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "compound", COMPOUND)
    parsed = _parse(build_report(path))
    joint = forecast(path).actions
    joint = joint.loc[joint["actor"] == "ch"]
    (table,) = parsed.tables["dimensions"]
    rows = _records(table)
    assert len(rows) == 4
    for row in rows:
        position = 0 if row["dimension"] == "un" else 1
        chosen = joint["action"].str.split("+").str[position] == row["level"]
        assert _p(row["probability"]) == pytest.approx(
            joint.loc[chosen, "probability"].sum(), abs=5e-4
        )
    # the West's belief about the hidden trade, after an abstention
    (beliefs,) = parsed.tables["beliefs"]
    assert all("P(ch.trade = evade)" in r for r in _records(beliefs))


def test_the_example_with_draws_shows_intervals_and_provenance() -> None:
    """compound + types + rounds over draws: each level's 90% interval is the
    forecast's, and what rests on judgement and the noise share are reported."""
    scenario = resolve(str(example_path("evasion-rounds.yaml")))
    text = build_report(scenario, draws=200, seed=7)
    parsed = _parse(text)
    result = forecast(scenario, draws=200, seed=7)
    (table,) = parsed.tables["dimensions"]
    shown = {(r["move"], r["dimension"], r["level"]): r for r in _records(table)}
    assert len(shown) == len(result.dimensions)
    for r in result.dimensions.to_dict("records"):
        row = shown[(r["move"], r["dimension"], r["level"])]
        assert row["90% of draws"] == f"{100 * r['p05']:.1f}% to {100 * r['p95']:.1f}%"
        assert r["p95"] - r["p05"] > 0.05  # the draws matter
    (rounds,) = parsed.tables["rounds"]
    staged = [r for r in _records(rounds) if r["move"] == "stance"]
    assert {r["action or level"] for r in staged} == {
        "un: condemn",
        "un: abstain",
        "trade: abide",
        "trade: evade",
    }
    # provenance: the judgement and noise tables cover the joint actions
    judgement = result.extra["judgement"].table
    noise = result.extra["noise"].table
    assert "What rests on judgement" in text and "How much is noise" in text
    note = result.extra["noise"].note
    # information sets: no SPE, the best responses are the logit limit's
    assert result.extra["noise"].best_response_concept == "logit-limit"
    assert note.startswith("best response: the logit limit (the game has information sets")
    assert noise["best_response"].notna().all()
    assert f"Note: {note}." in text
    alone = ", ".join(result.extra["judgement"].resting_on_judgement()["name"])
    assert f"Resting on judgement alone (share at least 99.0%): {alone}." in text
    for name in noise["name"]:
        assert name in text
    assert len(judgement) > 0
    # bars, pathways, explanation, levels, rounds
    assert parsed.svgs == 5


def test_cli_plot_writes_levels_and_rounds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plots"
    code = main(["forecast", str(example_path("evasion-rounds.yaml")), "--plot", str(out)])
    assert code == 0, capsys.readouterr().err
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{s}.{e}" for s in ("dimensions", "forecast", "pathways", "rounds") for e in ("png", "svg")
    )
