"""The parameter sampler of a scenario: its distributions and declared
correlations, with values held by hand as point masses.

Why a module of its own: forecasts, discovery runs and bargaining over draws
all draw a scenario's parameters, and a draw must be the same whichever of
them asks (common random numbers across analyses).
"""

from __future__ import annotations

from collections.abc import Mapping

from realpolitik.run.settings import Settings
from realpolitik.scenario.model import Scenario
from realpolitik.uncertainty.distributions import Distribution, Fixed
from realpolitik.uncertainty.sampling import Sampler


def scenario_sampler(
    scenario: Scenario,
    draws: int,
    *,
    method: str = "mc",
    seed: int = 0,
    held: Mapping[str, float] | None = None,
) -> Sampler:
    """A sampler of ``draws`` draws of the scenario's parameters.

    A parameter in ``held`` is a point mass at that value: it takes no
    dimension of the sampler and leaves its correlations (the others keep
    theirs), so holding a value is bit for bit the same as writing it
    ``fixed`` in the file.
    """
    chosen = dict(held or {})
    distributions: dict[str, Distribution] = {
        n: Fixed(chosen[n]) if n in chosen else scenario.parameters[n].distribution
        for n in scenario.parameter_ids
    }
    pairs = {
        (c.a, c.b): c.rho for c in scenario.correlations if c.a not in chosen and c.b not in chosen
    }
    return Sampler.from_mapping(
        distributions, draws, method=method, seed=seed, correlation=pairs or None
    )


def settings_sampler(scenario: Scenario, settings: Settings) -> Sampler:
    """The sampler of a run over draws (its held values fixed)."""
    return scenario_sampler(
        scenario,
        settings.draws,
        method=settings.method,
        seed=settings.seed if settings.seed is not None else 0,
        held=dict(settings.values),
    )
