"""Estimate the parameters a scenario declares with ``estimate:`` from a
table of observed cases: the Python entry point of ``realpolitik estimate
SCENARIO.yaml --data cases.csv``.

Each parameter declared as a linear predictor (``estimate: {formula: "~ x +
z"}``, see :mod:`realpolitik.scenario.linear`) has coefficients ``b`` with
the parameter ``x_c' b`` in case ``c``; they are estimated by maximum
likelihood of the reported choices under the scenario's agent logit QRE at
its lambda (:mod:`realpolitik.estimation.scenario_likelihood`), with the
optimiser, Hessian, identification check, bootstrap and profiles of the
canonical models (:mod:`realpolitik.estimation.mle`). This is the strategic
statistical model of Signorino (1999) for any realpolitik scenario: a
scenario that is ``egame12`` fits Leblang's data to the same
log-likelihood and coefficients as :func:`realpolitik.estimation.egame12`
with agent errors and the logit link (lambda ``1 / sqrt(2)``, the scale of
``games``' logistic action errors; tests/estimation/test_scenario_fit.py).

Cases (:mod:`realpolitik.run.case_table`): one row each, with a column per
covariate of the formulas, a column per reported choice, and optionally
columns giving other parameters' values per case (others are held at the
scenario's central values). Rows missing a covariate are dropped and
counted, as rows with a missing regressor are in ``games``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.concepts import LAMBDA
from realpolitik.errors import InputError
from realpolitik.estimation.inference import fit_likelihood
from realpolitik.estimation.scenario_likelihood import ScenarioLikelihood
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.run.case_table import CaseTable, read_case_table
from realpolitik.run.observations import Observations
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.scenario.model import Scenario

__all__ = ["estimate_scenario", "prepare_scenario", "with_bootstrap"]

FloatArray = NDArray[np.float64]


def case_parameters(scenario: Scenario, table: CaseTable, skip: set[str]) -> dict[str, FloatArray]:
    """Every parameter but ``skip`` per case, ``(cases, 1)``: the case's own
    value where its column gives one, else the scenario's central value."""
    out: dict[str, FloatArray] = {}
    for pid in scenario.parameter_ids:
        if pid in skip:
            continue
        central = scenario.parameters[pid].central
        column = table.values.get(pid)
        value = (
            np.full(table.n_cases, central)
            if column is None
            else np.where(np.isnan(column), central, column)
        )
        out[pid] = value.reshape(-1, 1)
    return out


def prepare_scenario(
    scenario: ScenarioLike, data: pd.DataFrame | str | Path, *, lam: float | None = None
) -> tuple[ScenarioLikelihood, int]:
    """The likelihood of the cases in ``data`` under ``scenario``, and the
    number of rows dropped for a missing covariate or for reporting nothing.

    Raises
    ------
    InputError
        No parameter to estimate, unknown or missing columns, an action that
        is not one of its move's, a non-numeric value, a case no path of the
        game can produce, too few cases.
    """
    loaded = as_scenario(scenario)
    if not loaded.linear:
        raise InputError(
            f"scenario '{loaded.id}' declares no parameter to estimate: give one an "
            "'estimate: {formula: \"~ x + z\"}' (or calibrate lambda instead)",
            file=loaded.file or None,
        )
    precision = LAMBDA.check(loaded.solve.lam if lam is None else lam, "lambda")
    if precision <= 0:
        raise InputError("estimation needs a lambda > 0 (at 0 play ignores payoffs)")
    compiled = compile_scenario(loaded)
    table = read_case_table(data, compiled)
    Observations.of(table)  # every case possible, before anything is dropped
    covariates = list(dict.fromkeys(c for p in loaded.linear for c in p.columns))
    missing = [c for c in covariates if c not in table.values]
    if missing:
        users = [p.id for p in loaded.linear if set(p.columns) & set(missing)]
        raise InputError(
            f"missing column(s) {', '.join(repr(c) for c in missing)}, used by the formula of "
            f"{', '.join(users)}",
            file=table.source,
        )
    keep = np.ones(table.n_cases, dtype=bool)
    for column in covariates:
        keep &= np.isfinite(table.values[column])
    keep &= (table.observed >= 0).any(axis=1)
    kept = table.take(np.flatnonzero(keep))
    n_dropped = int((~keep).sum())
    skip = {p.id for p in loaded.linear} | {c for p in loaded.linear for c in p.coefficient_ids}
    designs = tuple(
        np.column_stack(
            [
                np.broadcast_to(r, (kept.n_cases, 1))[:, 0]
                for r in p.regressors({c: kept.values[c].reshape(-1, 1) for c in p.columns})
            ]
        )
        for p in loaded.linear
    )
    likelihood = ScenarioLikelihood(
        compiled=compiled,
        observations=Observations.of(kept) if kept.n_cases else Observations.of(table),
        predictors=loaded.linear,
        designs=designs,
        fixed=case_parameters(loaded, kept, skip),
        lam=precision,
    )
    if kept.n_cases <= likelihood.n_params:
        raise InputError(
            f"too few cases: {kept.n_cases} usable (of {table.n_cases}; {n_dropped} missing a "
            f"covariate or reporting no choice) for {likelihood.n_params} coefficients",
            file=table.source,
        )
    return likelihood, n_dropped


#: What makes a scenario's likelihood flat, for the identification warning.
FLAT_CAUSES = (
    "collinear or constant covariates, a choice never observed, separation, or utilities "
    "that only matter together"
)


def estimate_scenario(
    scenario: ScenarioLike,
    data: pd.DataFrame | str | Path,
    *,
    lam: float | None = None,
    start: Sequence[float] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = False,
) -> ScenarioEstimate:
    """Maximum-likelihood estimate of a scenario's ``estimate:`` parameters.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
    data : cases, a DataFrame or a CSV/YAML file (see
        :mod:`realpolitik.run.case_table`).
    lam : the QRE's precision (default: the scenario's ``solve.lambda``).
    start : starting coefficients (default: 0, uniform play).
    bootstrap : bootstrap replicates (0: none); ``seed``, ``workers``,
        ``progress`` as :func:`realpolitik.estimation.fitting.estimate`.

    Returns
    -------
    ScenarioEstimate
    """
    t0 = time.perf_counter()
    likelihood, n_dropped = prepare_scenario(scenario, data, lam=lam)
    theta0 = np.zeros(likelihood.n_params)
    if start is not None:
        theta0 = np.asarray(start, dtype=np.float64)
        if theta0.shape != (likelihood.n_params,):
            raise InputError(
                f"start needs {likelihood.n_params} values, not {theta0.size}", field="start"
            )
    fit = fit_likelihood(
        likelihood, theta0, likelihood.names, flat_causes=FLAT_CAUSES, stacklevel=2
    )
    data_source = str(data) if isinstance(data, str | Path) else None
    result = ScenarioEstimate(
        **{**fit.__dict__, "fit_seconds": time.perf_counter() - t0, "n_dropped": n_dropped},
        scenario=likelihood.compiled.scenario,
        data_source=data_source,
    )
    if bootstrap:
        result = with_bootstrap(result, bootstrap, seed=seed, workers=workers, progress=progress)
    return result


def with_bootstrap(
    result: ScenarioEstimate,
    replicates: int,
    *,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = False,
) -> ScenarioEstimate:
    """The result with ``replicates`` bootstrap refits attached (cases
    resampled with replacement; :mod:`realpolitik.estimation.resampling`)."""
    return result.with_bootstrap(replicates, seed=seed, workers=workers, progress=progress)
