"""Run settings (:mod:`realpolitik.run.settings`): the scenario's defaults fill
the gaps, a concept's parameters are kept only for concepts that have them,
a seed is drawn for draws, and values held by hand are checked against each
distribution's support."""

from __future__ import annotations

import numpy as np
import pytest

import realpolitik as rp
from hand_scenarios import CHOICE
from realpolitik.errors import InputError
from realpolitik.run.settings import Settings, check_values
from realpolitik.scenario.load import load


def test_the_scenario_defaults_fill_the_gaps(flagship: rp.Scenario) -> None:
    settings = Settings.resolve(flagship)
    assert (settings.concept, settings.lam) == (flagship.solve.concept, flagship.solve.lam)
    assert (settings.draws, settings.seed, settings.values) == (0, None, ())
    # lambda belongs to the QRE only
    assert Settings.resolve(flagship, concept="spe", lam=5.0).lam is None
    assert Settings.resolve(flagship, concept="qre", lam=5.0).lam == 5.0


def test_a_seed_is_drawn_for_draws_and_dropped_without(flagship: rp.Scenario) -> None:
    drawn = {Settings.resolve(flagship, draws=10).seed for _ in range(3)}
    assert None not in drawn and len(drawn) == 3
    assert all(0 <= s < 2**63 for s in drawn if s is not None)
    assert Settings.resolve(flagship, draws=0, seed=4).seed is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concept": "nash"}, "unknown concept 'nash'"),
        ({"concept": "mixed-nash"}, "does not forecast scenarios"),
        ({"lam": -1.0}, "--lambda must be a number >= 0"),
        ({"draws": -1}, "--draws must be >= 0"),
    ],
)
def test_bad_settings_are_refused(flagship: rp.Scenario, options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Settings.resolve(flagship, **options)


def test_held_values_are_checked_and_ordered() -> None:
    # CHOICE: x ~ uniform(0, 1), w ~ PERT(0, 0.3, 1), k = 2 (see hand_scenarios)
    scenario = load(text=CHOICE)
    assert check_values(scenario, {"w": 0.25, "x": 0.5}) == (("x", 0.5), ("w", 0.25))
    with pytest.raises(InputError, match=r"unknown parameter 'xx' \(did you mean 'x'\?\)"):
        check_values(scenario, {"xx": 0.5})
    with pytest.raises(InputError, match=r"outside its distribution's support \[0, 1\]"):
        check_values(scenario, {"x": 1.5})
    with pytest.raises(InputError, match="is not a number"):
        check_values(scenario, {"x": "half"})  # type: ignore[dict-item]


def test_the_central_row_takes_the_held_values() -> None:
    scenario = load(text=CHOICE)
    settings = Settings.resolve(scenario, values={"w": 0.9})
    central = [scenario.parameters[n].central for n in scenario.parameter_ids]
    expected = [
        0.9 if n == "w" else c for n, c in zip(scenario.parameter_ids, central, strict=True)
    ]
    np.testing.assert_array_equal(settings.central_row(scenario), [expected])
