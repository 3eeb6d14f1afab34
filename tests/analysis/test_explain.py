"""The explanation (:mod:`realpolitik.analysis.explain`) on small scenarios
worked out by hand (ENTRY, GAMBLE, PENNIES: see tests/analysis/test_forecast.py).

The term differences must sum to the value differences exactly (for these
scenarios and for the flagship, at the central values and over draws), and
those value differences must equal the continuation values of a separate
solve without terms.
"""

from __future__ import annotations

import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from hand_scenarios import ENTRY, GAMBLE, PENNIES, entry_qre, pennies_qre
from realpolitik.analysis.explain import Explanation, explain
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.scenario.load import load, resolve
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve


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


@pytest.mark.parametrize("text", [ENTRY, GAMBLE, PENNIES], ids=["entry", "gamble", "pennies"])
@pytest.mark.parametrize(("concept", "lam"), [("spe", None), ("qre", 1.5)])
def test_explanation_terms_sum_small(text: str, concept: str, lam: float | None) -> None:
    scenario = load(text=text)
    _check_exact(scenario, explain(scenario, concept=concept, lam=lam), concept, lam)


@pytest.mark.parametrize(("concept", "lam"), [("spe", None), ("qre", 2.0), ("qre", 0.3)])
def test_flagship_explanation_terms_sum_central(concept: str, lam: float | None) -> None:
    scenario = resolve(LEGACY_FLAGSHIP)
    why = explain(scenario, concept=concept, lam=lam)
    _check_exact(scenario, why, concept, lam)
    # every decision on the path is explained: Russia, the West, then China
    assert [d.actor for d in why.decisions][:3] == ["russia", "west", "china"]


@pytest.mark.parametrize("concept", ["spe", "qre"])
def test_flagship_explanation_terms_sum_over_draws(concept: str) -> None:
    scenario = resolve(LEGACY_FLAGSHIP)
    why = explain(scenario, concept=concept, draws=300, seed=2)
    _check_exact(scenario, why, concept, None)
