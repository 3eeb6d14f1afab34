"""The one chain that evaluates draws (:mod:`realpolitik.run.evaluate`):
parameters -> game -> solution -> metrics -> outcomes, checked on the
hand-solved ENTRY scenario, and the blocks of a run."""

from __future__ import annotations

import numpy as np
import pytest

from hand_scenarios import CHOICE, ENTRY, entry_qre
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.run.evaluate import draw_blocks, evaluate_draws, evaluate_settings
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.sampling import settings_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load


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


def test_blocks_partition_the_sampler_draws() -> None:
    compiled = compile_scenario(load(text=CHOICE))
    settings = Settings.resolve(compiled.scenario, draws=1000, seed=3)
    blocks = list(draw_blocks(compiled, settings, block=300))
    assert [first for first, _ in blocks] == [0, 300, 600, 900]
    joined = np.concatenate([values for _, values in blocks])
    expected = settings_sampler(compiled.scenario, settings).draws(0, 1000)
    np.testing.assert_array_equal(joined, expected)
    # no draws: one block of the central values
    central = Settings.resolve(compiled.scenario)
    ((first, row),) = draw_blocks(compiled, central, block=300)
    assert first is None
    np.testing.assert_array_equal(row, central.central_row(compiled.scenario))


def test_outcomes_do_not_depend_on_the_block_size() -> None:
    compiled = compile_scenario(load(text=CHOICE))
    settings = Settings.resolve(compiled.scenario, concept="qre", lam=3.0, draws=777, seed=5)

    def run(block: int) -> np.ndarray:
        parts = [
            e.outcomes.action_probability
            for e in evaluate_settings(compiled, settings, block=block)
        ]
        return np.concatenate(parts)

    whole = run(777)
    np.testing.assert_array_equal(run(100), whole)
    # and each row is the logit choice of left over right: sigma(3 (x - w))
    draws = settings_sampler(compiled.scenario, settings).draws(0, 777)
    x, w = draws[:, 0], draws[:, 1]
    np.testing.assert_allclose(whole[:, 0], 1 / (1 + np.exp(-3.0 * (x - w))), rtol=1e-12)
