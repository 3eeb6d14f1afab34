"""The library of past cases (issue 14): third states choosing between a
sanctioning coalition and its target, each case a scenario with the decisions
its third states took.

Why a module of its own: the cases are shipped as data beside the built-in
scenarios (``scenario/library/cases``: a scenario and an outcomes file per
case; ``scenario/library/fits``: the case-free fragment and the pooled fit),
and the fit, the backtests and the tests all read them the same way. The case
scenarios are not built-in scenarios: their third state's terms are declared
``estimate:`` (linear predictors without coefficients), so they can be fitted
and scored, not forecast, until a fit is written into them.

The files are built from ``data/evidence`` by ``scripts/build_case_library.py``
(docs/backtests.md: every coding choice).
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import pandas as pd

from realpolitik.errors import InputError
from realpolitik.scenario.checker import suggest

__all__ = [
    "CASE_NAMES",
    "COVARIATES",
    "case_outcomes",
    "case_scenario_text",
    "fit_text",
    "fragment_text",
    "pooled_outcomes",
]

LIBRARY_PACKAGE = "realpolitik.scenario.library"

#: The cases, in the order of their decisions.
CASE_NAMES = ("syria-2011", "iran-oil-2012", "crimea-2014", "iran-2018", "venezuela-2019")

#: Covariates of every decision (0/1; notes/TEMPLATE.md).
COVARIATES = ("pact_us", "pact_target", "tie_target", "threat")

#: The case-free fragment, and its pooled fit (the ``--write`` output).
FRAGMENT = "third-state.yaml"
FIT = "third-state-cases.yaml"


def _folder(name: str) -> Traversable:
    return resources.files(LIBRARY_PACKAGE).joinpath(name)


def _check(name: str) -> None:
    if name not in CASE_NAMES:
        hint = suggest(name, list(CASE_NAMES))
        raise InputError(f"unknown case '{name}'{hint}; cases: {', '.join(CASE_NAMES)}")


def case_scenario_text(name: str) -> str:
    """The YAML text of a case's scenario (load it with ``rp.load(text=...)``)."""
    _check(name)
    return _folder("cases").joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def fragment_text() -> str:
    """The YAML text of the case-free fragment the pooled fit is made on."""
    return _folder("fits").joinpath(FRAGMENT).read_text(encoding="utf-8")


def fit_text() -> str:
    """The YAML text of the pooled fit over all the cases (the fragment with
    the fitted coefficients written in)."""
    return _folder("fits").joinpath(FIT).read_text(encoding="utf-8")


def case_outcomes(name: str) -> pd.DataFrame:
    """A case's outcomes: one row per third state, the four dimensions of its
    choice (empty where not observed), the covariates (floats, NaN where
    missing), and the note, sources and dates."""
    _check(name)
    with _folder("cases").joinpath(f"{name}.csv").open(encoding="utf-8") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    for column in COVARIATES:
        frame[column] = pd.to_numeric(frame[column].replace("", None)).astype(float)
    return frame


def pooled_outcomes(names: tuple[str, ...] | list[str] = CASE_NAMES) -> pd.DataFrame:
    """The outcomes of several cases in one table, each decision's id
    prefixed by its case (``crimea-2014:CHN``)."""
    frames = []
    for name in names:
        frame = case_outcomes(name)
        frame["case"] = name + ":" + frame["case"]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
