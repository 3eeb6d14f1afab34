"""The registry of bargaining models (:mod:`realpolitik.bargaining.models`):
every model's batched runner gives each problem the forecast of its
one-problem runner (the reference implementation, itself checked against
Scholz et al.'s and KTAB's runs in test_eum.py and test_smp.py), options
reach the runners, and names are checked."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.bargaining.models import (
    BARGAINING_MODELS,
    ModelOptions,
    bargaining_model,
    smp_config,
)
from realpolitik.bargaining.smp import SMPConfig
from realpolitik.bargaining.types import BargainingProblem
from realpolitik.errors import InputError


def _problems(n: int, actors: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    capability = rng.uniform(0.5, 5.0, size=(n, actors))
    position = rng.uniform(0.0, 100.0, size=(n, actors))
    salience = rng.uniform(0.2, 1.0, size=(n, actors))
    return capability, position, salience


@pytest.mark.parametrize("name", sorted(BARGAINING_MODELS))
@pytest.mark.parametrize("rounds", [None, 3])
def test_batched_forecasts_equal_one_problem_at_a_time(name: str, rounds: int | None) -> None:
    model = bargaining_model(name)
    options = ModelOptions(rounds=rounds)
    capability, position, salience = _problems(12, 5, seed=7)
    batch = model.run_batch(capability, position, salience, (0.0, 100.0), options)
    for b in range(12):
        problem = BargainingProblem(
            actors=tuple(f"a{i}" for i in range(5)),
            capability=capability[b],
            position=position[b][:, None],
            salience=salience[b][:, None],
            dimensions=("issue",),
            scale=(0.0, 100.0),
        )
        alone = model.run(problem, options)
        assert batch[b] == pytest.approx(float(alone.forecast[0]), abs=1e-9)


def test_unknown_models_and_variants_are_refused() -> None:
    with pytest.raises(InputError, match=r"unknown model 'emu' \(did you mean 'eum'\?\)"):
        bargaining_model("emu")
    with pytest.raises(InputError, match="unknown SMP variant"):
        smp_config("bdm")
    with pytest.raises(InputError, match="bad SMP variant override 'nope=1'"):
        smp_config("ktab:nope=1")


def test_smp_variant_overrides_apply_to_the_given_base() -> None:
    assert smp_config(None) == SMPConfig()
    assert smp_config("ktab-default") == SMPConfig()
    changed = smp_config("ktab:min_turns=7")
    assert changed.min_turns == 7 and changed != SMPConfig()


def test_tol_is_an_eum_option_only() -> None:
    capability, position, salience = _problems(2, 4, seed=1)
    with pytest.raises(InputError, match="--tol applies to the EUM only"):
        BARGAINING_MODELS["smp"].run_batch(
            capability, position, salience, (0.0, 100.0), ModelOptions(tol=0.1)
        )
    BARGAINING_MODELS["eum"].run_batch(
        capability, position, salience, (0.0, 100.0), ModelOptions(tol=0.1)
    )
