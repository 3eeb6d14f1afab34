"""How a scenario is run: the solution concept and its precision, the number
of parameter draws, the seed, the sampling method and the values held by hand.

Why a module of its own: the forecast, the explanation, the sensitivity and
discovery runs, bargaining over draws and the web API all take these
settings, resolve them against the scenario's ``solve`` defaults and the
concepts of :data:`realpolitik.concepts.CONCEPTS` the same way, and record
them with every result.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.concepts import LAMBDA, MIXTURE, forecast_concept
from realpolitik.errors import InputError
from realpolitik.scenario.model import Scenario

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Settings:
    """How a run is computed (recorded with every result).

    Attributes
    ----------
    concept : a concept that forecasts (``spe``, ``qre``, ...), or
        ``mixture`` (the scenario's declared mixture of concepts).
    lam : the logit precision of concepts that have one, else None; None
        too when the scenario draws lambda (``solve.lambda`` a
        distribution) and the user did not set it: each draw's ``lambda``
        is then used.
    draws : 0 for the central values, else the number of parameter draws.
    seed : the sampling seed (None at the central values).
    method : "mc", "lhs" or "sobol".
    values : parameters set by hand (the "what if" of ``--set`` and the
        dashboard's sliders): at the central values they replace the central
        values; over draws they are held at these values while the others vary.
    """

    concept: str
    lam: float | None
    draws: int
    seed: int | None
    method: str = "mc"
    values: tuple[tuple[str, float], ...] = ()

    @classmethod
    def resolve(
        cls,
        scenario: Scenario,
        concept: str | None = None,
        lam: float | None = None,
        draws: int = 0,
        seed: int | None = None,
        method: str = "mc",
        values: Mapping[str, float] | None = None,
    ) -> Settings:
        """Settings from a user's choices, the scenario's defaults filling
        the gaps; a seed is drawn (and recorded) for draws without one."""
        name = concept or scenario.solve.concept
        if name == MIXTURE:
            if not scenario.solve.mixture:
                raise InputError(
                    "--concept mixture needs a mixture declared in the scenario "
                    "(solve: {mixture: {qre: 0.8, spe: 0.2}})"
                )
            used = [forecast_concept(c) for c, _ in scenario.solve.mixture]
        else:
            used = [forecast_concept(name)]
            name = used[0].name
        if not any(p.keyword == LAMBDA.keyword for c in used for p in c.parameters):
            lam = None
        elif lam is not None:
            lam = LAMBDA.check(lam, "--lambda")
        elif not scenario.solve.lam_varies:
            lam = LAMBDA.check(scenario.solve.lam, "--lambda")
        # else: lambda is drawn like a parameter (None here: the column is read)
        if draws < 0:
            raise InputError(f"--draws must be >= 0, got {draws}")
        if draws and seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
        chosen = check_values(scenario, values or {})
        return cls(name, lam, draws, seed if draws else None, method, chosen)

    def central_row(self, scenario: Scenario) -> FloatArray:
        """``(1, k)`` the parameters' central values, with :attr:`values` in
        their place (columns in the scenario's parameter order)."""
        chosen = dict(self.values)
        return np.array(
            [[chosen.get(n, scenario.parameters[n].central) for n in scenario.parameter_ids]]
        )


def check_values(scenario: Scenario, values: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """Validate hand-set parameter values: known names, finite numbers inside
    each distribution's support. Returns them in the scenario's order."""
    problems = []
    for name, value in values.items():
        if name not in scenario.parameters:
            close = difflib.get_close_matches(name, scenario.parameter_ids, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(
                f"unknown parameter '{name}'{hint}; parameters: {', '.join(scenario.parameter_ids)}"
            )
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"parameter '{name}': {value!r} is not a number")
            continue
        low, high = scenario.parameters[name].distribution.support()
        if not np.isfinite(value) or not low <= value <= high:
            problems.append(
                f"parameter '{name}' = {value:g} is outside its distribution's support "
                f"[{low:g}, {high:g}]"
            )
    if problems:
        raise InputError("; ".join(problems), field="values")
    return tuple((n, float(values[n])) for n in scenario.parameter_ids if n in values)
