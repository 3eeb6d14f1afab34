"""Estimate a strategic model from observed outcomes: the Python entry point.

Why a module of its own: it is the one path from a data set and a formula to
an :class:`~realpolitik.estimation.result.EstimationResult` (read, check,
specify, start, fit, standard errors, diagnostics, bootstrap), shared by the
Python API (``realpolitik.estimation.estimate`` and ``egame12`` etc.) and the
command line. It reproduces ``games::egame12``, ``egame122`` and ``egame123``
(Kenkel and Signorino 2014) with the same model definitions, coefficient
names and defaults (probit link, agent error).

Examples
--------
Kenkel and Signorino (2014, sec. 4), replicating Leblang (2003)::

    >>> from realpolitik.estimation import egame12
    >>> fit = egame12(
    ...     "outcome ~ capcont + lreserves + overval + creditgrow + USinterest"
    ...     " + service + contagion + prioratt - 1 | 1 | 1 | unifgov + lexports"
    ...     " + preelec + postelec + rightgov + realinterest + capcont + lreserves",
    ...     "leblang2003.csv", link="probit", errors="private",
    ...     levels=["no attack", "devaluation", "defense"])   # doctest: +SKIP
    >>> round(fit.log_likelihood, 4)                           # doctest: +SKIP
    -482.0155
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from realpolitik.errors import InputError
from realpolitik.estimation.inference import (
    FLAT_CAUSES,
    ConvergenceWarning,
    IdentificationWarning,
    fit_likelihood,
)
from realpolitik.estimation.model import PreparedData, prepare
from realpolitik.estimation.result import EstimationResult
from realpolitik.estimation.start_values import sbi_start
from realpolitik.limits import memory_budget

__all__ = [
    "ConvergenceWarning",
    "IdentificationWarning",
    "egame12",
    "egame122",
    "egame123",
    "estimate",
    "fit_prepared",
    "read_cases",
    "with_bootstrap",
]


def read_cases(path: str | Path) -> pd.DataFrame:
    """Read a CSV of cases, one row per case, refusing files larger than the
    memory budget. Empty cells and ``NA`` are missing values."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"no such file: {file}")
    size = file.stat().st_size
    if size * 8 > memory_budget():
        raise InputError(f"{file} is {size / 1024**3:.2f} GiB, too large to read into memory")
    try:
        frame = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"cannot read the cases: {first}", file=str(file)) from None
    if frame.empty:
        raise InputError("the file holds no cases", file=str(file))
    return frame


def fit_prepared(
    prepared: PreparedData,
    *,
    start: Sequence[float] | None = None,
    fixed: Mapping[str, float] | None = None,
) -> EstimationResult:
    """Fit a prepared model: SBI start, BFGS, Hessian, diagnostics.

    ``fixed`` holds extra coefficients at given values (by name).
    """
    model = prepared.model
    t0 = time.perf_counter()
    lik = model.likelihood(prepared.frame, prepared.outcome)
    free = model.free.copy()
    if start is not None:
        theta0 = np.asarray(start, dtype=np.float64)
        if theta0.shape != (lik.n_params,):
            raise InputError(f"start needs {lik.n_params} values, not {theta0.size}", field="start")
    else:
        theta0 = np.zeros(lik.n_params)
        if model.fixed_utils is None:
            theta0[: sum(x.shape[1] for x in lik.utility_designs)] = np.concatenate(
                [*sbi_start(lik.tree, lik.link, lik.utility_designs, lik.outcome), np.zeros(0)]
            )
    if model.fixed_utils is not None:
        theta0[: len(model.fixed_utils)] = model.fixed_utils
    for name, value in (fixed or {}).items():
        if name not in model.names:
            raise InputError(f"unknown coefficient {name!r}", field="fixed")
        k = model.names.index(name)
        theta0[k] = float(value)
        free[k] = False
    fit = fit_likelihood(lik, theta0, model.names, free, flat_causes=FLAT_CAUSES, stacklevel=3)
    seconds = time.perf_counter() - t0
    messages = list(fit.warnings)
    never = [
        lev for t, lev in enumerate(model.levels) if not np.any(prepared.outcome.terminal == t)
    ]
    if never:
        messages.append(f"outcome(s) never observed: {', '.join(never)}")
        warnings.warn(messages[-1], IdentificationWarning, stacklevel=3)
    return EstimationResult(
        **{
            **fit.__dict__,
            "fit_seconds": seconds,
            "warnings": messages,
            "n_dropped": prepared.n_dropped,
        },
        model=model,
        frame=prepared.frame,
        outcome=prepared.outcome,
    )


def estimate(
    model: str,
    data: pd.DataFrame | str | Path,
    formula: str,
    *,
    link: str = "probit",
    errors: str = "agent",
    levels: Sequence[str] | None = None,
    sd_formula: str | None = None,
    sd_by_player: bool = False,
    fixed_utils: Sequence[float] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = False,
    start: Sequence[float] | None = None,
    fixed: Mapping[str, float] | None = None,
) -> EstimationResult:
    """Maximum-likelihood estimate of a canonical strategic model.

    Parameters
    ----------
    model : ``egame12``, ``egame122`` or ``egame123``.
    data : a DataFrame, or the path of a CSV file, one row per case.
    formula : ``OUTCOME ~ EQ1 | EQ2 | ...``, one equation per utility (see
        :mod:`realpolitik.estimation.formula`).
    link : ``probit`` (default) or ``logit``.
    errors : ``agent`` (default) or ``private``.
    levels : outcome names in tree order when the outcome is a text column.
    sd_formula : scale equation(s), e.g. ``"~ balanc - 1"``.
    sd_by_player : one scale equation per player.
    fixed_utils : fix every utility at these values and estimate scales only.
    bootstrap : number of bootstrap replicates (0: none).
    seed : seed of the bootstrap.
    workers : processes for the bootstrap (default: the cores available).
    progress : show a progress bar for the bootstrap.
    start : starting coefficients (default: statistical backward induction).
    fixed : further coefficients held at given values, by name.

    Returns
    -------
    EstimationResult
    """
    source = str(data) if isinstance(data, str | Path) else None
    frame = read_cases(data) if isinstance(data, str | Path) else data
    if not isinstance(frame, pd.DataFrame):
        raise InputError("data must be a DataFrame or the path of a CSV file", field="data")
    prepared = prepare(
        model,
        frame,
        formula,
        link=link,
        errors=errors,
        levels=levels,
        sd_formula=sd_formula,
        sd_by_player=sd_by_player,
        fixed_utils=fixed_utils,
        source=source,
    )
    result = fit_prepared(prepared, start=start, fixed=fixed)
    if bootstrap:
        result = with_bootstrap(result, bootstrap, seed=seed, workers=workers, progress=progress)
    return result


def with_bootstrap(
    result: EstimationResult,
    replicates: int,
    *,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = False,
) -> EstimationResult:
    """The result with ``replicates`` bootstrap refits attached."""
    return result.with_bootstrap(replicates, seed=seed, workers=workers, progress=progress)


def egame12(formula: str, data: pd.DataFrame | str | Path, **options: Any) -> EstimationResult:
    """``games::egame12``: player 1 ends the game or passes to player 2, who
    chooses between two outcomes (3 outcomes). Options as :func:`estimate`."""
    return estimate("egame12", data, formula, **options)


def egame122(formula: str, data: pd.DataFrame | str | Path, **options: Any) -> EstimationResult:
    """``games::egame122``: player 1 chooses a side, player 2 chooses on either
    side (4 outcomes). Options as :func:`estimate`."""
    return estimate("egame122", data, formula, **options)


def egame123(formula: str, data: pd.DataFrame | str | Path, **options: Any) -> EstimationResult:
    """``games::egame123``: players 1, 2 and 3 each end the game or pass it on
    (4 outcomes). Options as :func:`estimate`."""
    return estimate("egame123", data, formula, **options)
