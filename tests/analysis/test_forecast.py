"""The forecast (:mod:`realpolitik.analysis.forecast`) on small scenarios
worked out by hand.

Every expected number comes from the arithmetic in the comments (and the
logit formula ``p(a) = exp(lam u_a) / sum_b exp(lam u_b)``, Gambit's
convention: payoffs on their raw scale), never from an earlier run of the
package:

- ``ENTRY``: entry deterrence, two sequential decisions: the SPE choices, the
  agent QRE probabilities, the pathways in order and the metrics.
- ``GAMBLE``: a chance move whose probability depends on a parameter and on
  the first action, a move that happens only after one chance outcome,
  derived quantities used by payoffs and metrics.
- ``PENNIES``: a simultaneous 2x2 move with a unique, mixed equilibrium
  (asymmetric matching pennies): the SPE is that equilibrium (the limit of
  the logit branch), the QRE solves the two logit equations.
- ``THRESHOLD``: a uniform(0, 1) parameter makes the choice flip at 0.3, so
  under the SPE about 70% of draws act: checked against the draws themselves
  and within a binomial tolerance.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from hand_scenarios import (
    ENTRY,
    GAMBLE,
    PENNIES,
    THRESHOLD,
    entry_qre,
    gamble_qre,
    pennies_qre,
)
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.run.sampling import settings_sampler as sampler_for
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve


def action_probability(result: Forecast, actor: str, action: str) -> float:
    return float(result.to_json()["actions"][actor][action])


def pathway_probabilities(result: Forecast) -> dict[str, float]:
    return {
        " > ".join(f"{a}:{b}" for a, b in p["path"]): p["probability"]
        for p in result.to_json()["pathways"]
    }


def test_entry_spe_by_hand() -> None:
    # the incumbent accommodates (2 > -1); knowing that, the entrant enters (2 > 0)
    result = forecast(load(text=ENTRY), concept="spe")
    assert action_probability(result, "ent", "enter") == 1.0
    assert action_probability(result, "inc", "accommodate") == 1.0
    assert action_probability(result, "inc", "fight") == 0.0
    paths = pathway_probabilities(result)
    assert paths == {
        "ent:enter > inc:accommodate": 1.0,
        "ent:enter > inc:fight": 0.0,
        "ent:stay_out": 0.0,
    }
    assert result.to_json()["metrics"] == {"fought": 0.0, "entrant_profit": 2.0}


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0, 3.0])
def test_entry_qre_by_hand(lam: float) -> None:
    p_enter, p_acc = entry_qre(lam)
    result = forecast(load(text=ENTRY), concept="qre", lam=lam)
    data = result.to_json()
    # probabilities over the whole game: the reply happens only after entry
    assert data["actions"]["ent"]["enter"] == pytest.approx(p_enter, abs=1e-12)
    assert data["actions"]["ent"]["stay_out"] == pytest.approx(1 - p_enter, abs=1e-12)
    assert data["actions"]["inc"]["accommodate"] == pytest.approx(p_enter * p_acc, abs=1e-12)
    assert data["actions"]["inc"]["fight"] == pytest.approx(p_enter * (1 - p_acc), abs=1e-12)
    # metrics: P(fight) and the entrant's expected profit 2 P(e,a) - P(e,f)
    fought = p_enter * (1 - p_acc)
    profit = 2 * p_enter * p_acc - p_enter * (1 - p_acc)
    assert data["metrics"]["fought"] == pytest.approx(fought, abs=1e-12)
    assert data["metrics"]["entrant_profit"] == pytest.approx(profit, abs=1e-12)


def test_entry_pathways_most_likely_first() -> None:
    # lam = 1: P(acc) = sigma(3) = 0.9526, P(enter) = sigma(1.8577) = 0.8651, so
    # enter>accommodate 0.824, stay_out 0.135, enter>fight 0.041
    p_enter, p_acc = entry_qre(1.0)
    result = forecast(load(text=ENTRY), concept="qre", lam=1.0)
    pathways = result.to_json()["pathways"]
    assert [p["path"] for p in pathways] == [
        [["ent", "enter"], ["inc", "accommodate"]],
        [["ent", "stay_out"]],
        [["ent", "enter"], ["inc", "fight"]],
    ]
    expected = [p_enter * p_acc, 1 - p_enter, p_enter * (1 - p_acc)]
    assert [p["probability"] for p in pathways] == pytest.approx(expected, abs=1e-12)
    # the metrics along each path are the metric's value at its end
    assert [p["metrics"] for p in pathways] == [
        {"fought": 0.0, "entrant_profit": 2.0},
        {"fought": 0.0, "entrant_profit": 0.0},
        {"fought": 1.0, "entrant_profit": -1.0},
    ]


def test_gamble_spe_by_hand() -> None:
    result = forecast(load(text=GAMBLE), concept="spe")
    data = result.to_json()
    assert data["actions"] == {
        "att": {"hard": 1.0, "soft": 0.0},
        # the answer happens only after a win (0.7)
        "def": {"concede": pytest.approx(0.7, abs=1e-15), "resist": 0.0},
    }
    paths = pathway_probabilities(result)
    assert paths["att:hard > luck:win > def:concede"] == pytest.approx(0.7, abs=1e-15)
    assert paths["att:hard > luck:lose"] == pytest.approx(0.3, abs=1e-15)
    # six paths: the answer is skipped after a loss
    assert len(paths) == 6
    assert set(paths) == {
        f"att:{a} > luck:win > def:{d}" for a in ("hard", "soft") for d in ("concede", "resist")
    } | {f"att:{a} > luck:lose" for a in ("hard", "soft")}
    # won = 0.7 (win then concede); spent = 3 (hard for sure)
    assert data["metrics"]["won"] == pytest.approx(0.7, abs=1e-15)
    assert data["metrics"]["spent"] == pytest.approx(3.0, abs=1e-15)


@pytest.mark.parametrize("lam", [0.2, 1.0, 4.0])
def test_gamble_qre_by_hand(lam: float) -> None:
    p_hard, p_c = gamble_qre(lam)
    p_win = 0.7 * p_hard + 0.3 * (1 - p_hard)
    data = forecast(load(text=GAMBLE), concept="qre", lam=lam).to_json()
    assert data["actions"]["att"]["hard"] == pytest.approx(p_hard, abs=1e-12)
    assert data["actions"]["def"]["concede"] == pytest.approx(p_win * p_c, abs=1e-12)
    assert data["actions"]["def"]["resist"] == pytest.approx(p_win * (1 - p_c), abs=1e-12)
    assert data["metrics"]["won"] == pytest.approx(p_win * p_c, abs=1e-12)
    assert data["metrics"]["spent"] == pytest.approx(3 * p_hard, abs=1e-12)
    paths = pathway_probabilities(forecast(load(text=GAMBLE), concept="qre", lam=lam))
    assert paths["att:soft > luck:lose"] == pytest.approx((1 - p_hard) * 0.7, abs=1e-12)
    assert paths["att:hard > luck:win > def:resist"] == pytest.approx(
        p_hard * 0.7 * (1 - p_c), abs=1e-12
    )


def test_pennies_spe_is_the_mixed_equilibrium() -> None:
    data = forecast(load(text=PENNIES), concept="spe").to_json()
    assert data["actions"]["row"]["up"] == pytest.approx(0.5, abs=1e-7)
    assert data["actions"]["col"]["left"] == pytest.approx(1 / 3, abs=1e-7)
    # matched: p q + (1 - p)(1 - q) = 1/6 + 1/3 = 1/2
    assert data["metrics"]["matched"] == pytest.approx(0.5, abs=1e-7)


@pytest.mark.parametrize("lam", [0.5, 2.0, 10.0])
def test_pennies_qre_by_hand(lam: float) -> None:
    p, q = pennies_qre(lam)
    data = forecast(load(text=PENNIES), concept="qre", lam=lam).to_json()
    assert data["actions"]["row"]["up"] == pytest.approx(p, abs=1e-9)
    assert data["actions"]["col"]["left"] == pytest.approx(q, abs=1e-9)
    paths = {json.dumps(x["path"]): x["probability"] for x in data["pathways"]}
    assert paths[json.dumps([["row", "up"], ["col", "left"]])] == pytest.approx(p * q, abs=1e-9)
    assert paths[json.dumps([["row", "down"], ["col", "left"]])] == pytest.approx(
        (1 - p) * q, abs=1e-9
    )


def test_share_of_draws_under_spe() -> None:
    # act iff t > 0.3: P = 0.7 for t ~ U(0, 1)
    scenario = load(text=THRESHOLD)
    n, seed = 4000, 11
    result = forecast(scenario, concept="spe", draws=n, seed=seed)
    acted = result.actions.set_index("action").loc["act"]
    # exactly the share of the run's draws above 0.3
    t = sampler_for(scenario, Settings.resolve(scenario, "spe", None, n, seed)).draws(0, n)[:, 0]
    share = float(np.mean(t > 0.3))
    assert acted["probability"] == pytest.approx(share, abs=1e-12)
    assert acted["most_likely_share"] == pytest.approx(share, abs=1e-12)
    # and within 4 binomial standard errors of 0.7: sqrt(0.21 / 4000) = 0.0072
    assert abs(share - 0.7) < 4 * math.sqrt(0.7 * 0.3 / n)
    metrics = result.metrics.set_index("metric").loc["acted"]
    assert metrics["mean"] == pytest.approx(share, abs=1e-12)
    # the per-draw probabilities are 0 or 1: the 5th percentile is 0, the 95th 1
    assert (acted["p05"], acted["p95"]) == (0.0, 1.0)


def test_share_of_draws_chunked_the_same() -> None:
    scenario = load(text=THRESHOLD)
    whole = forecast(scenario, concept="spe", draws=3000, seed=5)
    parts = forecast(scenario, concept="spe", draws=3000, seed=5, chunk=700)
    assert whole.to_json()["actions"] == parts.to_json()["actions"]


def test_flagship_forecast_structure() -> None:
    data = forecast(resolve(LEGACY_FLAGSHIP)).to_json()
    json.dumps(data, allow_nan=False)
    assert data["actions"].keys() == {"russia", "west", "china"}
    # each move's probabilities sum to the probability that the move happens
    assert sum(data["actions"]["china"].values()) == pytest.approx(1.0, abs=1e-12)
    assert sum(data["actions"]["russia"].values()) == pytest.approx(1.0, abs=1e-12)
    response = (
        data["actions"]["west"]["secondary_sanctions"] + data["actions"]["west"]["no_secondary"]
    )
    # the response happens after open support, or after covert help that is detected
    paths = data["pathways"]
    happens = sum(
        p["probability"]
        for p in paths
        if any(
            step[0] == "west" and step[1] in ("secondary_sanctions", "no_secondary")
            for step in p["path"]
        )
    )
    assert response == pytest.approx(happens, abs=1e-12)
    probabilities = [p["probability"] for p in paths]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------------
# found by the fuzzer: a stage whose payoffs span eight orders of magnitude
# (solved since logit_limit falls back to a better-conditioned game)
def test_stage_spe_with_badly_scaled_payoffs() -> None:
    # Row's `up` is strictly dominant (1e8 or 1 against 0), and against `up`
    # Column's `right` pays 1 and `left` 0: the only equilibrium is (up, right)
    text = """\
id: scaled
actors: {a: Row, b: Column}
moves:
  - id: s
    actors: {a: [u, d], b: [l, r]}
payoffs:
  a: {g: "where(b == l, 1e8, 1) * (a == u)"}
  b: {g: "(a == u) == (b == r)"}
"""
    data = forecast(load(text=text), concept="spe").to_json()
    assert data["actions"]["a"]["u"] == pytest.approx(1.0, abs=1e-9)
    assert data["actions"]["b"]["r"] == pytest.approx(1.0, abs=1e-9)


def test_a_stage_without_an_exact_equilibrium_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Force the solver to report its profile as approximate: the forecast
    # must say so rather than pass the profile off as an equilibrium.

    from realpolitik.solve import logit

    real = logit.logit_limit

    def approximate(*args: object, **kwargs: object) -> logit.NashProfile:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        status = np.full_like(out.status, logit.LimitStatus.APPROXIMATE)
        return replace(out, status=status)

    monkeypatch.setattr(logit, "logit_limit", approximate)
    text = """\
id: pennies
actors: {a: Row, b: Column}
moves:
  - id: s
    actors: {a: [h, t], b: [h, t]}
payoffs:
  a: {g: "(a == h) == (b == h)"}
  b: {g: "(a == h) != (b == h)"}
"""
    with pytest.warns(UserWarning, match=r"no exact equilibrium found in 1 of 1 draws"):
        forecast(load(text=text), concept="spe")
