"""Scoring a forecast against observed outcomes, on a tiny outcomes file
whose log and Brier scores (and baselines) are computed here by hand from the
logit QRE of a two-move game; over draws, the forecast scored is the mean
forecast that ``rp.forecast`` reports for the same draws."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import realpolitik as rp
from realpolitik.scenario.load import load

SCENARIO = """\
format: 1
id: offer
sources: {s: "an illustration"}
actors: {a: A, b: B}
parameters:
  bonus: {dist: uniform, low: -1, high: 1, source: s}
moves:
  - {id: offer, actor: a, actions: [low, high]}
  - {id: reply, actor: b, when: "offer == high", actions: [accept, reject]}
payoffs:
  a: {deal: "(2 + bonus) * (reply == accept)", fight: "-(reply == reject)"}
  b: {deal: "reply == accept"}
solve: {concept: qre, lambda: 1}
"""

OUTCOMES = """\
case,offer,reply,bonus,note
A,high,accept,,
B,high,reject,1,a case with its own bonus
C,low,,,
D,,accept,,the offer is not recorded
"""


def sigma(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


ACCEPT = sigma(1.0)


def high(bonus: float) -> float:
    """a's probability of the high offer (its central bonus is 0)."""
    return sigma((2 + bonus) * ACCEPT - (1 - ACCEPT))


# (case, choice, probability of what was observed, base rate: leave-one-out + 1)
HAND = [
    ("A", "offer", high(0), 2 / 4),
    ("A", "reply", ACCEPT, 2 / 4),
    ("B", "offer", high(1), 2 / 4),
    ("B", "reply", 1 - ACCEPT, 1 / 4),
    ("C", "offer", 1 - high(0), 1 / 4),
    ("D", "reply", ACCEPT, 2 / 4),  # a reply means a high offer was made
]


@pytest.fixture
def outcomes(tmp_path: Path) -> Path:
    path = tmp_path / "outcomes.csv"
    path.write_text(OUTCOMES, encoding="utf-8")
    return path


def test_scores_are_the_hand_computed_ones(outcomes: Path) -> None:
    result = rp.score(load(text=SCENARIO, name="offer.yaml"), outcomes)
    obs = result.observations
    assert list(zip(obs["case"], obs["choice"], strict=True)) == [h[:2] for h in HAND]
    p = np.array([h[2] for h in HAND])
    base = np.array([h[3] for h in HAND])
    assert obs["probability"].to_numpy() == pytest.approx(p, rel=1e-12)
    assert obs["log_score"].to_numpy() == pytest.approx(np.log(p), rel=1e-12)
    # two actions: (1 - p)^2 for the observed one plus p_other^2 = (1 - p)^2
    assert obs["brier"].to_numpy() == pytest.approx(2 * (1 - p) ** 2, rel=1e-12)
    assert obs["base_rate_log_score"].to_numpy() == pytest.approx(np.log(base), rel=1e-12)
    assert obs["base_rate_brier"].to_numpy() == pytest.approx(2 * (1 - base) ** 2, rel=1e-12)
    scores = result.scores
    assert scores.loc["forecast", "log_score"] == pytest.approx(np.log(p).mean(), rel=1e-12)
    assert scores.loc["forecast", "brier"] == pytest.approx((2 * (1 - p) ** 2).mean(), rel=1e-12)
    assert scores.loc["uniform", "log_score"] == pytest.approx(math.log(0.5))
    assert scores.loc["uniform", "brier"] == pytest.approx(0.5)
    assert scores.loc["base_rate", "brier"] == pytest.approx((2 * (1 - base) ** 2).mean())
    assert result.by_choice.loc["reply", "n"] == 3
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    assert doc["observations"][5]["forecast"] == pytest.approx(
        {"accept": ACCEPT, "reject": 1 - ACCEPT}
    )


def test_a_yaml_outcomes_file_scores_the_same(outcomes: Path, tmp_path: Path) -> None:
    yaml = tmp_path / "outcomes.yaml"
    yaml.write_text(
        "scenario: offer\n"
        "cases:\n"
        "  - {case: A, offer: high, reply: accept}\n"
        "  - {case: B, offer: high, reply: reject, bonus: 1}\n"
        "  - {case: C, offer: low}\n"
        "  - {case: D, reply: accept}\n",
        encoding="utf-8",
    )
    scenario = load(text=SCENARIO, name="offer.yaml")
    from_csv = rp.score(scenario, outcomes).observations.drop(columns="forecast")
    from_yaml = rp.score(scenario, yaml).observations.drop(columns="forecast")
    assert from_yaml.equals(from_csv)


def test_over_draws_the_forecast_is_the_mean_forecast(tmp_path: Path) -> None:
    scenario = load(text=SCENARIO, name="offer.yaml")
    path = tmp_path / "offers.csv"
    path.write_text("offer\nhigh\nlow\nhigh\n", encoding="utf-8")
    result = rp.score(scenario, path, draws=400, seed=7)
    mean = rp.forecast(scenario, draws=400, seed=7).actions.set_index("action")
    p_high = float(mean.loc["high", "probability"])
    obs = result.observations
    assert obs["probability"].to_numpy() == pytest.approx([p_high, 1 - p_high, p_high], rel=1e-12)
    table = result.scores
    assert table.loc["forecast", "log_score_low"] < table.loc["forecast", "log_score_high"]
    assert result.draw_log_score.shape == (400,)
    # each draw's own forecast, scored alone, averaged over draws
    low, high_ = table.loc["forecast", ["log_score_low", "log_score_high"]]
    assert low <= np.median(result.draw_log_score) <= high_


def test_the_documented_outcomes_score_alike_in_csv_and_yaml(tmp_path: Path) -> None:
    """The examples of docs/scoring.md, on the complete example of
    docs/scenario-format.md; and the documented error message."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    fmt = (docs / "scenario-format.md").read_text(encoding="utf-8")
    example = next(
        b for b in re.findall(r"```yaml\n(.*?)```", fmt, re.S) if b.startswith("# complete")
    )
    scenario = load(text=example, name="doc-example.yaml")
    text = (docs / "scoring.md").read_text(encoding="utf-8")
    yaml_block = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "cases:" in b)
    csv_block = next(b for b in re.findall(r"```csv\n(.*?)```", text, re.S))
    (tmp_path / "cases.yaml").write_text(yaml_block, encoding="utf-8")
    (tmp_path / "cases.csv").write_text(csv_block, encoding="utf-8")
    a = rp.score(scenario, tmp_path / "cases.yaml").observations.drop(columns="forecast")
    b = rp.score(scenario, tmp_path / "cases.csv").observations.drop(columns="forecast")
    assert a.equals(b) and len(a) == 7
    bad = csv_block.replace("kosovo-1999,hold,,", "kosovo-1999,hold,wait,")
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(rp.InputError) as caught:
        rp.score(scenario, tmp_path / "bad.csv")
    documented = re.search(r'\("(case .kosovo-1999.*?)"\)', text.replace("\n", " "), re.S)
    assert documented is not None
    assert " ".join(documented.group(1).split()) in str(caught.value)


def test_choices_after_an_impossible_one_are_not_scored(tmp_path: Path) -> None:
    """Under the SPE a reported choice can have probability 0; the choices
    reported after it have no forecast (0 / 0) and are left out of every mean."""
    text = SCENARIO.replace(
        "payoffs:", "  - {id: final, actor: a, actions: [keep, drop]}\npayoffs:"
    ).replace('fight: "-(reply == reject)"}', 'fight: "-(reply == reject)", k: "final == keep"}')
    scenario = load(text=text, name="offer3.yaml")
    path = tmp_path / "cases.csv"
    path.write_text("case,offer,reply,final\nA,high,accept,keep\nB,low,,keep\n", encoding="utf-8")
    result = rp.score(scenario, path, concept="spe")
    obs = result.observations.set_index(["case", "choice"])
    # the SPE: b accepts, a offers high and keeps, all with certainty
    assert obs.loc[("A", "offer"), "probability"] == 1.0
    assert obs.loc[("B", "offer"), "log_score"] == -math.inf
    assert not obs.loc[("B", "final"), "scored"]
    assert math.isnan(obs.loc[("B", "final"), "probability"])
    assert len(result.scored) == 4
    assert result.scores.loc["forecast", "log_score"] == -math.inf
    assert result.scores.loc["uniform", "total_log_score"] == pytest.approx(4 * math.log(0.5))
    doc = result.to_json()
    json.dumps(doc, allow_nan=False)
    assert doc["n_scored"] == 4 and doc["scores"]["forecast"]["log_score"] is None
    assert "not scored" in result.summary()
