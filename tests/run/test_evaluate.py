"""The one chain that evaluates draws (:mod:`realpolitik.run.evaluate`):
parameters -> game -> solution -> metrics -> outcomes, checked on the
hand-solved ENTRY scenario."""

from __future__ import annotations

import numpy as np
import pytest

from hand_scenarios import ENTRY, entry_qre
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.run.blocks import draw_blocks, evaluate_settings
from realpolitik.run.evaluate import block_actions, block_outcomes, evaluate_draws
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_entry_at_the_central_values_is_the_hand_solution(lam: float) -> None:
    compiled = compile_scenario(load(text=ENTRY))
    layout = OutcomeLayout.of(compiled)
    central = Settings.resolve(compiled.scenario).central_row(compiled.scenario)
    solved = evaluate_draws(compiled, layout, "qre", lam, central, first_draw=None)
    p_enter, p_acc = entry_qre(lam)
    names = [k.name for k in layout.keys]
    p = dict(zip(names, solved.outcomes.action_probability[0], strict=True))
    assert p["ent:enter"] == pytest.approx(p_enter, abs=1e-12)
    # the incumbent's probabilities are marginal: reached only after entry
    assert p["inc:accommodate"] == pytest.approx(p_enter * p_acc, abs=1e-12)
    # metric "fought" is the probability of the path enter > fight
    fought = solved.outcomes.metric_expectation[0, 0]
    assert fought == pytest.approx(p_enter * (1 - p_acc), abs=1e-12)
    assert solved.first_draw is None and solved.solution.n_draws == 1


def test_actions_in_blocks_are_the_hand_solution_per_draw_lambda() -> None:
    """Rows solved by :func:`block_actions`, each with its own precision,
    are each row's hand solution; the actions are those of
    :func:`block_outcomes`, which adds the metrics."""
    compiled = compile_scenario(load(text=ENTRY))
    layout = OutcomeLayout.of(compiled)
    central = Settings.resolve(compiled.scenario).central_row(compiled.scenario)
    lams = np.linspace(0.1, 3.0, 20)
    rows = np.repeat(central, len(lams), axis=0)
    actions = block_actions(compiled, layout, "qre", lams, rows)
    both, metrics = block_outcomes(compiled, layout, "qre", lams, rows)
    np.testing.assert_array_equal(actions, both)
    names = [k.name for k in layout.keys]
    for row, lam in enumerate(lams):
        p_enter, p_acc = entry_qre(float(lam))
        assert actions[row, names.index("ent:enter")] == pytest.approx(p_enter, abs=1e-12)
        assert metrics[row, 0] == pytest.approx(p_enter * (1 - p_acc), abs=1e-12)


@pytest.mark.parametrize("name", ["china-russia-2022", "taiwan-signal"])
def test_an_explanation_solves_the_forecasts_game(name: str) -> None:
    """With the terms kept apart (what ``explain`` and the explanation under
    a forecast solve), the game's totals are the terms' sums, and the
    solution is the forecast's to the bit: summing the split terms over
    their axis (pairwise) gave totals 1e-16 away and behaviour up to
    1.8e-15 away on the flagship."""
    compiled = compile_scenario(resolve(name))
    layout = OutcomeLayout.of(compiled)
    settings = Settings.resolve(compiled.scenario, draws=96, seed=7)
    ((first, rows),) = draw_blocks(compiled, settings, block=96)
    plain = evaluate_draws(compiled, layout, "qre", None, rows, first_draw=first)
    split = evaluate_draws(compiled, layout, "qre", None, rows, first_draw=first, terms=True)
    game = split.solution.game
    assert game.has_terms
    np.testing.assert_allclose(game.total_payoffs, game.payoffs.sum(axis=3), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(split.solution.behaviour, plain.solution.behaviour)
    np.testing.assert_array_equal(
        split.outcomes.action_probability, plain.outcomes.action_probability
    )


def test_blocks_with_terms_share_one_terms_array_correctly() -> None:
    """``evaluate_settings`` with terms writes every block's terms into one
    array (sparing fresh pages): each block, the short last one included,
    holds its own draws' terms, those of ``payoff_terms`` on its rows."""
    compiled = compile_scenario(resolve("china-russia-2022"))
    settings = Settings.resolve(compiled.scenario, draws=100, seed=3)
    seen = 0
    arrays = set()
    for block in evaluate_settings(compiled, settings, block=40, terms=True):
        game = block.solution.game
        expected = compiled.payoff_terms(compiled.parameter_values(block.parameters))
        assert game.payoffs.tobytes() == expected.tobytes()
        arrays.add(game.payoffs.__array_interface__["data"][0])
        seen += game.n_draws
    assert seen == 100
    assert len(arrays) == 1
