"""``rp.estimate``: one entry point for both kinds of strategic statistical
model.

Why a module of its own: the first argument decides what is estimated, as on
the command line (:func:`realpolitik.cli.estimate.resolve_target`): a
canonical model of the R package ``games`` by name, with its formula
(:func:`realpolitik.estimation.fitting.estimate`), or a scenario whose
parameters are declared with ``estimate:``
(:func:`realpolitik.estimation.scenario_fit.estimate_scenario`), whose
formulas are in its file.

Examples
--------
>>> import realpolitik as rp
>>> fit = rp.estimate("egame12", "leblang2003.csv", "y ~ ...", link="logit")  # doctest: +SKIP
>>> fit = rp.estimate("leblang-egame12.yaml", "cases.csv")                     # doctest: +SKIP
>>> print(fit.summary())                                                       # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from realpolitik.errors import InputError
from realpolitik.estimation.canonical import CANONICAL_GAMES
from realpolitik.estimation.fitting import estimate as estimate_canonical
from realpolitik.estimation.result import EstimationResult
from realpolitik.estimation.scenario_fit import estimate_scenario
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.scenario.load import ScenarioLike

__all__ = ["estimate"]


def estimate(
    target: ScenarioLike,
    data: pd.DataFrame | str | Path,
    formula: str | None = None,
    **options: Any,
) -> EstimationResult | ScenarioEstimate:
    """Estimate a canonical model or a scenario's parameters from cases.

    Parameters
    ----------
    target : ``egame12``, ``egame122`` or ``egame123``; or a scenario (loaded,
        a built-in name or a path) with parameters declared ``estimate:``.
    data : the cases: a DataFrame or a file.
    formula : the canonical model's formula (not for a scenario).
    options : the keywords of :func:`realpolitik.estimation.fitting.estimate`
        (canonical models) or of
        :func:`realpolitik.estimation.scenario_fit.estimate_scenario`
        (scenarios: ``lam``, ``start``, ``bootstrap``, ``seed``, ``workers``,
        ``progress``).
    """
    if isinstance(target, str) and target in CANONICAL_GAMES:
        if formula is None:
            raise InputError(
                f"{target} needs a formula, e.g. 'y ~ x1 | 0 | x2 | z'", field="formula"
            )
        return estimate_canonical(target, data, formula, **options)
    if formula is not None:
        raise InputError(
            "a scenario's formulas are in its file (parameters with 'estimate:'); give no formula",
            field="formula",
        )
    return estimate_scenario(target, data, **options)
