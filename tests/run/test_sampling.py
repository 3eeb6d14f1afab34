"""The scenario sampler (:mod:`realpolitik.run.sampling`): values held by hand
are point masses, bit for bit the same as writing them ``fixed`` in the file;
declared correlations reach the sampler.

The copula's Spearman correlation is ``(6 / pi) asin(rho / 2)`` (Nelsen
2006, section 5.1).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from hand_scenarios import CHOICE
from realpolitik.analysis.forecast import forecast
from realpolitik.run.sampling import settings_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import load, resolve


@pytest.fixture(scope="module")
def choice() -> rp.Scenario:
    return load(text=CHOICE, name="choice.yaml")


def with_correlations(block: str) -> str:
    return CHOICE + block


# ---------------------------------------------------------------------------
# parameters held by hand ("what if") over draws: the same as writing the
# parameter as fixed in the scenario file
def test_held_values_over_draws_equal_a_fixed_parameter_in_the_file(tmp_path: Path) -> None:
    text = Path(LEGACY_FLAGSHIP).read_text("utf-8")
    original = "    dist: pert\n    low: 0.5\n    mode: 1.5\n    high: 3.0\n"
    start = text.index("  partnership_value:\n")
    assert text[start:].index(original) == len("  partnership_value:\n")
    edited = text[:start] + text[start:].replace(original, "    dist: fixed\n    value: 2.5\n", 1)
    fixed = load(text=edited, name="fixed.yaml")
    held = forecast(
        resolve(LEGACY_FLAGSHIP), draws=3000, seed=11, values={"partnership_value": 2.5}
    )
    by_file = forecast(fixed, draws=3000, seed=11)
    import pandas as pd

    pd.testing.assert_frame_equal(held.actions, by_file.actions)
    pd.testing.assert_frame_equal(held.pathways, by_file.pathways)
    assert held.to_json()["values"] == {"partnership_value": 2.5}
    # and it is a different experiment from the free one
    free = forecast(resolve(LEGACY_FLAGSHIP), draws=3000, seed=11)
    assert not free.actions["probability"].equals(held.actions["probability"])


def test_declared_correlation_reaches_the_sampler(choice: rp.Scenario) -> None:
    scenario = load(text=with_correlations("correlations:\n  - [x, w, 0.6]\n"), name="c.yaml")
    assert [(c.a, c.b, c.rho) for c in scenario.correlations] == [("x", "w", 0.6)]
    settings = Settings.resolve(scenario, draws=8192, seed=1)
    sampler = settings_sampler(scenario, settings)
    assert sampler.correlation is not None and sampler.correlation[0, 1] == 0.6
    draws = sampler.draws(0, 8192)
    rho = stats.spearmanr(draws[:, 0], draws[:, 1]).statistic
    # Gaussian copula: Spearman's rho = (6 / pi) asin(0.6 / 2) = 0.5804
    assert rho == pytest.approx(6 / math.pi * math.asin(0.3), abs=0.03)
    # the mapping form says the same
    other = load(
        text=with_correlations("correlations:\n  - {between: [w, x], rho: 0.6}\n"), name="c.yaml"
    )
    assert np.array_equal(settings_sampler(other, settings).draws(0, 100), sampler.draws(0, 100))
    # and the uncorrelated scenario differs
    assert not np.array_equal(
        settings_sampler(choice, settings).draws(0, 100), sampler.draws(0, 100)
    )
