"""The blocks of a run (:mod:`realpolitik.run.blocks`): they partition the
sampler's draws, and the outcomes do not depend on the block size (checked
against the logit choice by hand on CHOICE)."""

from __future__ import annotations

import numpy as np

from hand_scenarios import CHOICE
from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.run.blocks import draw_blocks, evaluate_settings
from realpolitik.run.sampling import settings_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load


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
