"""Small scenarios whose forecasts are worked out by hand.

Every expected number below comes from the arithmetic in the comments (and
the logit formula ``p(a) = exp(lam u_a) / sum_b exp(lam u_b)``, Gambit's
convention: payoffs on their raw scale), never from an earlier run of the
package:

- ``ENTRY``: entry deterrence, two sequential decisions: the SPE choices, the
  agent QRE probabilities at lam = 1, the pathways in order, the metrics, the
  JSON document of ``forecast --format json``, and the explanation.
- ``GAMBLE``: a chance move whose probability depends on a parameter and on
  the first action, a move that happens only after one chance outcome,
  derived quantities used by payoffs and metrics.
- ``PENNIES``: a simultaneous 2x2 move with a unique, mixed equilibrium
  (asymmetric matching pennies): the SPE is that equilibrium (the limit of
  the logit branch), the QRE solves the two logit equations.
- ``THRESHOLD``: a uniform(0, 1) parameter makes the choice flip at 0.3, so
  under the SPE about 70% of draws act: checked against the draws themselves
  and within a binomial tolerance.

The explanation's term differences must sum to the value differences exactly
(for these scenarios and for the flagship, at the central values and over
draws), and those value differences must equal the continuation values of a
separate solve without terms. The complete example of
``docs/scenario-format.md`` is loaded and forecast, so the reference
documentation cannot drift from the loader.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import brentq

from realpolitik.analysis.explain import Explanation, explain
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.tree import NodeKind
from realpolitik.run.sampling import settings_sampler as sampler_for
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve
from realpolitik.solve.reach import edge_probabilities

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def sigma(x: float) -> float:
    """The two-action logit choice: exp(x) / (exp(x) + 1)."""
    return 1.0 / (1.0 + math.exp(-x))


def action_probability(result: Forecast, actor: str, action: str) -> float:
    return float(result.to_json()["actions"][actor][action])


def pathway_probabilities(result: Forecast) -> dict[str, float]:
    return {
        " > ".join(f"{a}:{b}" for a, b in p["path"]): p["probability"]
        for p in result.to_json()["pathways"]
    }


# ---------------------------------------------------------------------------
# ENTRY: the entrant enters or stays out; after entry the incumbent fights or
# accommodates.
ENTRY = """\
id: entry
sources: {s: Textbook entry deterrence}
actors: {ent: Entrant, inc: Incumbent}
parameters:
  profit: {dist: fixed, value: 2, source: s}
  fight_cost: {dist: fixed, value: 1, source: s}
moves:
  - id: entry
    actor: ent
    actions: [enter, stay_out]
  - id: reply
    actor: inc
    when: "ent == enter"
    actions: [fight, accommodate]
payoffs:
  ent:
    market: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
  inc:
    monopoly: "4 * (ent == stay_out)"
    share: "2 * (inc == accommodate)"
    war: "-fight_cost * (inc == fight)"
metrics:
  fought: "inc == fight"
  entrant_profit: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
"""
# Payoffs (ent, inc): enter>fight (-1, -1); enter>accommodate (2, 2);
# stay_out (0, 4).


def entry_qre(lam: float) -> tuple[float, float]:
    """(P(enter), P(accommodate | enter)) of the agent QRE, by hand.

    The incumbent compares accommodate (2) with fight (-1): a gap of 3, so
    P(acc) = sigma(3 lam). The entrant's value of entering is
    2 P(acc) - (1 - P(acc)) = 3 P(acc) - 1 against 0 for staying out, so
    P(enter) = sigma(lam (3 P(acc) - 1)).
    """
    p_acc = sigma(3 * lam)
    p_enter = sigma(lam * (3 * p_acc - 1))
    return p_enter, p_acc


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


def test_forecast_json_structure() -> None:
    # what the issue requires of `forecast --format json`, exactly
    data = forecast(load(text=ENTRY), concept="qre", lam=1.0).to_json()
    json.dumps(data, allow_nan=False)  # strict JSON
    assert {"actions", "pathways", "metrics"} <= set(data)
    assert data["actions"].keys() == {"ent", "inc"}
    assert data["actions"]["ent"].keys() == {"enter", "stay_out"}
    assert data["actions"]["inc"].keys() == {"fight", "accommodate"}
    assert all(isinstance(p, float) for moves in data["actions"].values() for p in moves.values())
    for pathway in data["pathways"]:
        assert pathway.keys() >= {"path", "probability", "metrics"}
        assert all(isinstance(step, list) and len(step) == 2 for step in pathway["path"])
        assert pathway["metrics"].keys() == {"fought", "entrant_profit"}
    assert sum(p["probability"] for p in data["pathways"]) == pytest.approx(1.0, abs=1e-12)
    assert data["metrics"].keys() == {"fought", "entrant_profit"}


def test_forecast_json_keys_a_repeated_action_id_by_move() -> None:
    # `a` has `go` and `wait` in two moves; the second happens after `wait`.
    # SPE: at `second`, wait (0.5) beats go (0); at `first`, go is worth 1,
    # wait then wait 0.5: go. So first:go = 1 and `second` never happens.
    text = """\
id: twice
actors: {a: A}
moves:
  - id: first
    actor: a
    actions: [go, wait]
  - id: second
    actor: a
    when: "first == wait"
    actions: [go, wait]
payoffs:
  a: {g: "(first == go) + 0.5 * (second == wait)"}
"""
    data = forecast(load(text=text), concept="spe").to_json()
    assert data["actions"] == {
        "a": {"first:go": 1.0, "first:wait": 0.0, "second:go": 0.0, "second:wait": 0.0}
    }


def test_forecast_json_has_no_nan_for_paths_never_taken() -> None:
    # under the SPE two paths have probability 0 in every draw: their metrics
    # are the metric at the path's end, not NaN (strict JSON has no NaN)
    data = forecast(load(text=ENTRY), concept="spe").to_json()
    json.dumps(data, allow_nan=False)
    by_path = {json.dumps(p["path"]): p for p in data["pathways"]}
    fight = by_path[json.dumps([["ent", "enter"], ["inc", "fight"]])]
    assert fight["probability"] == 0.0
    assert fight["metrics"] == {"fought": 1.0, "entrant_profit": -1.0}


def test_entry_explanation_by_hand() -> None:
    why = explain(load(text=ENTRY), concept="spe")
    first, second = why.decisions
    # the entrant enters: 2 (accommodated) against 0, all of it its one term
    assert (first.actor, first.move, first.chosen, first.history) == ("ent", "entry", "enter", [])
    (alt,) = first.alternatives
    assert (alt.action, alt.difference, alt.terms) == ("stay_out", 2.0, {"market": 2.0})
    # the incumbent accommodates: share +2, war +1 (no fight cost), monopoly 0
    assert (second.actor, second.chosen, second.history) == (
        "inc",
        "accommodate",
        [("ent", "enter")],
    )
    (alt,) = second.alternatives
    assert alt.action == "fight"
    assert alt.terms == {"monopoly": 0.0, "share": 2.0, "war": 1.0}
    assert alt.difference == 3.0


def test_entry_explanation_qre_values() -> None:
    # lam = 1: the entrant's continuation value of entering is 3 P(acc) - 1
    p_enter, p_acc = entry_qre(1.0)
    why = explain(load(text=ENTRY), concept="qre", lam=1.0)
    first = why.decisions[0]
    assert first.chosen == "enter"
    assert first.probability == pytest.approx(p_enter, abs=1e-12)
    assert first.alternatives[0].difference == pytest.approx(3 * p_acc - 1, abs=1e-12)
    assert first.value == pytest.approx(3 * p_acc - 1, abs=1e-12)


# ---------------------------------------------------------------------------
# GAMBLE: a chance move that depends on a parameter and on the first action,
# a move that happens only after one outcome, derived values.
GAMBLE = """\
id: gamble
sources: {s: Worked example}
actors: {att: Attacker, def: Defender}
parameters:
  p_base: {dist: fixed, value: 0.3, source: s}
  bonus: {dist: fixed, value: 0.4, source: s}
  prize: {dist: fixed, value: 10, source: s}
  cost: {dist: fixed, value: 3, source: s}
  resist_cost: {dist: fixed, value: 12, source: s}
moves:
  - id: push
    actor: att
    actions: [hard, soft]
  - id: luck
    chance:
      win: "clip(p_base + bonus * (att == hard), 0, 1)"
      lose: "1 - clip(p_base + bonus * (att == hard), 0, 1)"
  - id: answer
    actor: def
    when: "luck == win"
    actions: [concede, resist]
derived:
  won: "luck == win and def == concede"
  spent: "cost * (att == hard)"
payoffs:
  att:
    prize: "prize * won"
    effort: "-spent"
  def:
    loss: "-prize * won"
    fight: "-resist_cost * (def == resist)"
metrics:
  won: "won"
  spent: "spent"
"""
# P(win) = 0.3 + 0.4 = 0.7 after hard, 0.3 after soft. The defender concedes
# (-10) rather than resist (-12). Attacker: hard 0.7 * 10 - 3 = 4 > soft 0.3 *
# 10 = 3.


def gamble_qre(lam: float) -> tuple[float, float]:
    """(P(hard), P(concede | win)) of the agent QRE, by hand.

    Defender at a win: concede -10, resist -12: P(concede) = sigma(2 lam).
    Attacker: hard is worth 0.7 * 10 P(c) - 3, soft 0.3 * 10 P(c):
    P(hard) = sigma(lam (4 P(c) - 3)).
    """
    p_c = sigma(2 * lam)
    return sigma(lam * (4 * p_c - 3)), p_c


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


def test_gamble_chance_probabilities_follow_parameters_and_actions() -> None:
    compiled = compile_scenario(load(text=GAMBLE))
    names = compiled.scenario.parameter_ids
    # two draws: the defaults, and p_base = 0.1 (win 0.5 after hard, 0.1 after soft)
    rows = np.array([[0.3, 0.4, 10, 3, 12], [0.1, 0.4, 10, 3, 12]], dtype=float)
    assert names == ("p_base", "bonus", "prize", "cost", "resist_cost")
    game = compiled.game(compiled.parameter_values(rows))
    edges = edge_probabilities(game, solve(game, "spe").behaviour)  # (draws, edges)
    tree = compiled.tree
    # the chance node after `hard` comes first in the tree's prefix order
    after_hard, after_soft = (int(n) for n in np.flatnonzero(tree.node_kind == NodeKind.CHANCE))

    def outcomes(draw: int, node: int) -> list[float]:
        return list(edges[draw, tree.child_offset[node] : tree.child_offset[node + 1]])

    assert outcomes(0, after_hard) == pytest.approx([0.7, 0.3])
    assert outcomes(0, after_soft) == pytest.approx([0.3, 0.7])
    assert outcomes(1, after_hard) == pytest.approx([0.5, 0.5])
    assert outcomes(1, after_soft) == pytest.approx([0.1, 0.9])


def test_gamble_explanation_terms() -> None:
    why = explain(load(text=GAMBLE), concept="spe")
    first = why.decisions[0]
    # hard against soft: prize 0.7 * 10 - 0.3 * 10 = +4, effort -3, total +1
    (alt,) = first.alternatives
    assert alt.terms == pytest.approx({"prize": 4.0, "effort": -3.0}, abs=1e-12)
    assert alt.difference == pytest.approx(1.0, abs=1e-12)
    # the defender is explained after the win: concede against resist: the
    # prize lost (-10) against the fight cost saved (+12)
    (answer,) = [d for d in why.decisions if d.actor == "def"]
    assert answer.history == [("att", "hard"), ("luck", "win")]
    assert answer.reach == pytest.approx(0.7, abs=1e-15)
    assert answer.alternatives[0].terms == pytest.approx({"loss": -10.0, "fight": 12.0})


# ---------------------------------------------------------------------------
# PENNIES: asymmetric matching pennies, a simultaneous move.
PENNIES = """\
id: pennies
actors: {row: Row, col: Column}
moves:
  - id: stage
    actors:
      row: [up, down]
      col: [left, right]
payoffs:
  row:
    match: "2 * (row == up and col == left) + (row == down and col == right)"
  col:
    mismatch: "(row == up and col == right) + (row == down and col == left)"
metrics:
  matched: "(row == up) == (col == left)"
"""
# Row:     left right      Column:  left right
#   up       2    0           up      0    1
#   down     0    1           down    1    0
# No pure equilibrium. Column's P(left) = q makes Row indifferent: 2q = 1 - q,
# q = 1/3; Row's P(up) = p makes Column indifferent: 1 - p = p, p = 1/2.


def pennies_qre(lam: float) -> tuple[float, float]:
    """(p, q) = (P(up), P(left)) at the logit QRE, by hand.

    Row's gain of up over down is 2q - (1 - q) = 3q - 1, Column's of left
    over right is (1 - p) - p = 1 - 2p, so p = sigma(lam (3q - 1)) and
    q = sigma(lam (1 - 2p)); substituting q gives one equation in p, whose
    left side minus right side increases in p: one root in (0, 1).
    """

    def gap(p: float) -> float:
        return p - sigma(lam * (3 * sigma(lam * (1 - 2 * p)) - 1))

    p = brentq(gap, 0.0, 1.0, xtol=1e-15, rtol=1e-15)
    return p, sigma(lam * (1 - 2 * p))


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


def test_pennies_explanation_at_the_mixed_equilibrium() -> None:
    # at a mixed equilibrium each mover is indifferent: the differences are 0;
    # both movers decide at the start (neither sees the other's choice)
    why = explain(load(text=PENNIES), concept="spe")
    assert [(d.actor, d.history) for d in why.decisions] == [("row", []), ("col", [])]
    assert [d.reach for d in why.decisions] == pytest.approx([1.0, 1.0])
    for decision in why.decisions:
        (alt,) = decision.alternatives
        assert alt.difference == pytest.approx(0.0, abs=1e-6)


def test_pennies_explanation_qre() -> None:
    # lam = 2: Row's gain of up over down is 3q - 1 given Column's mix q;
    # Column's gain of left over right is 1 - 2p
    p, q = pennies_qre(2.0)
    why = explain(load(text=PENNIES), concept="qre", lam=2.0)
    row, col = why.decisions
    gain_up = 3 * q - 1
    if row.chosen == "up":
        assert row.alternatives[0].difference == pytest.approx(gain_up, abs=1e-9)
    else:
        assert row.alternatives[0].difference == pytest.approx(-gain_up, abs=1e-9)
    gain_left = 1 - 2 * p
    sign = 1 if col.chosen == "left" else -1
    assert col.alternatives[0].difference == pytest.approx(sign * gain_left, abs=1e-9)


# ---------------------------------------------------------------------------
# THRESHOLD: the choice flips where a uniform parameter crosses 0.3.
THRESHOLD = """\
id: threshold
sources: {s: Worked example}
actors: {a: Actor}
parameters:
  t: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: choice
    actor: a
    actions: [act, wait]
payoffs:
  a:
    gain: "(t - 0.3) * (a == act)"
metrics:
  acted: "a == act"
"""


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


# ---------------------------------------------------------------------------
# the explanation is exact: terms sum to the differences, and the differences
# are those of the continuation values of an independent solve (no terms)
def _check_exact(scenario: Scenario, why: Explanation, concept: str, lam: float | None) -> None:
    assert why.decisions
    for decision in why.decisions:
        assert sum(decision.value_terms.values()) == pytest.approx(decision.value, abs=1e-12)
        for alt in decision.alternatives:
            assert sum(alt.terms.values()) == pytest.approx(alt.difference, abs=1e-12)
            assert set(alt.terms) == {t.id for t in scenario.terms_of(decision.actor)}
    if why.settings.draws:
        return
    # central values: recompute the root decision's difference from node values
    compiled = compile_scenario(scenario)
    game = compiled.game(compiled.parameter_values(), terms=False)
    solution = solve(game, concept, lam)
    tree = compiled.tree
    root = why.decisions[0]
    player = tree.players.index(root.actor)
    ids = scenario.move(root.move).action_ids(root.actor)
    kids = tree.children(0)
    value = {a: solution.node_value[0, int(k), player] for a, k in zip(ids, kids, strict=True)}
    for alt in root.alternatives:
        assert alt.difference == pytest.approx(value[root.chosen] - value[alt.action], abs=1e-9)


@pytest.mark.parametrize("text", [ENTRY, GAMBLE, PENNIES], ids=["entry", "gamble", "pennies"])
@pytest.mark.parametrize(("concept", "lam"), [("spe", None), ("qre", 1.5)])
def test_explanation_terms_sum_small(text: str, concept: str, lam: float | None) -> None:
    scenario = load(text=text)
    _check_exact(scenario, explain(scenario, concept=concept, lam=lam), concept, lam)


@pytest.mark.parametrize(("concept", "lam"), [("spe", None), ("qre", 2.0), ("qre", 0.3)])
def test_flagship_explanation_terms_sum_central(concept: str, lam: float | None) -> None:
    scenario = resolve("china-russia-2022")
    why = explain(scenario, concept=concept, lam=lam)
    _check_exact(scenario, why, concept, lam)
    # every decision on the path is explained: Russia, the West, then China
    assert [d.actor for d in why.decisions][:3] == ["russia", "west", "china"]


@pytest.mark.parametrize("concept", ["spe", "qre"])
def test_flagship_explanation_terms_sum_over_draws(concept: str) -> None:
    scenario = resolve("china-russia-2022")
    why = explain(scenario, concept=concept, draws=300, seed=2)
    _check_exact(scenario, why, concept, None)


def test_flagship_forecast_structure() -> None:
    data = forecast(resolve("china-russia-2022")).to_json()
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
# the reference documentation's complete example
def doc_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    blocks: list[str] = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    complete = [b for b in blocks if b.lstrip().startswith("# complete example")]
    assert len(complete) == 1, "the doc must have one ```yaml block starting '# complete example'"
    return complete[0]


def test_documented_example_loads_and_forecasts() -> None:
    scenario = load(text=doc_example(), name="scenario-format.md")
    for concept in ("spe", "qre"):
        data = forecast(scenario, concept=concept).to_json()
        json.dumps(data, allow_nan=False)
    data = forecast(scenario, draws=200, seed=1).to_json()
    assert data["pathways"]
    why = explain(scenario)
    _check_exact(scenario, why, scenario.solve.concept, scenario.solve.lam)


def test_documented_snippets_parse_as_yaml() -> None:
    import yaml

    text = DOC.read_text(encoding="utf-8")
    for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S):
        yaml.safe_load(block)


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
    from dataclasses import replace

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


# ---------------------------------------------------------------------------
# parameters held by hand ("what if") over draws: the same as writing the
# parameter as fixed in the scenario file
def test_held_values_over_draws_equal_a_fixed_parameter_in_the_file(tmp_path: Path) -> None:
    from importlib import resources

    from realpolitik.scenario.load import LIBRARY_PACKAGE

    text = (resources.files(LIBRARY_PACKAGE) / "china-russia-2022.yaml").read_text("utf-8")
    original = "    dist: pert\n    low: 0.5\n    mode: 1.5\n    high: 3.0\n"
    start = text.index("  partnership_value:\n")
    assert text[start:].index(original) == len("  partnership_value:\n")
    edited = text[:start] + text[start:].replace(original, "    dist: fixed\n    value: 2.5\n", 1)
    fixed = load(text=edited, name="fixed.yaml")
    held = forecast(
        resolve("china-russia-2022"), draws=3000, seed=11, values={"partnership_value": 2.5}
    )
    by_file = forecast(fixed, draws=3000, seed=11)
    import pandas as pd

    pd.testing.assert_frame_equal(held.actions, by_file.actions)
    pd.testing.assert_frame_equal(held.pathways, by_file.pathways)
    assert held.to_json()["values"] == {"partnership_value": 2.5}
    # and it is a different experiment from the free one
    free = forecast(resolve("china-russia-2022"), draws=3000, seed=11)
    assert not free.actions["probability"].equals(held.actions["probability"])


def test_held_values_are_stored_and_resumed_with_the_run(tmp_path: Path) -> None:
    from realpolitik.analysis.forecast_runs import from_store
    from realpolitik.store import Store

    path = tmp_path / "runs.duckdb"
    sc = resolve("china-russia-2022")
    ran = forecast(sc, draws=2000, seed=5, values={"p_detect_targeted": 0.5}, store=path)
    again = from_store(path, int(ran.extra["run_id"]))
    assert again.to_json() == ran.to_json()
    with Store.open(path, create=False, read_only=True) as store:
        table = f"draws_{ran.extra['run_id']}"
        column = store.connection.execute(
            f"select min(p_detect_targeted), max(p_detect_targeted) from {table}"
        ).fetchone()
    assert column == (0.5, 0.5)
