"""The leave-one-case-out backtest driver (``scripts/backtest_case_library.py``)
on one fold: Iran 2018 held out, the fit on the four other cases.

Checked against: the hand-coded likelihood (``tests/case_library_reference.py``)
fitted on the same four cases and evaluated on the held-out decisions (the
forecast's total log score is the held-out log-likelihood); the base rates
counted from ``data/evidence/cases/decisions.csv`` with the csv module; and the
row of the measured table in ``docs/backtests.md`` (the driver reproduces it).
"""

from __future__ import annotations

import csv
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from case_library_reference import FragmentLikelihood, judgement_values
from realpolitik.scenario.case_library import (
    CASE_NAMES,
    case_outcomes,
    fragment_text,
    pooled_outcomes,
)

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = "iran-2018"
OTHERS = [c for c in CASE_NAMES if c != HELD_OUT]


def _driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "backtest_case_library", REPO / "scripts" / "backtest_case_library.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fold() -> tuple[Any, Any]:
    driver = _driver()
    return driver.held_out_score(HELD_OUT, OTHERS)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_held_out_log_score_is_the_independent_held_out_likelihood(fold: tuple[Any, Any]) -> None:
    row, scored = fold
    values = judgement_values(fragment_text())
    train = FragmentLikelihood(pooled_outcomes(OTHERS), values)
    beta, loglik, _ = train.fit()
    assert row.log_likelihood_train == pytest.approx(loglik, abs=1e-5)
    test_data = case_outcomes(HELD_OUT).dropna(subset=["pact_us"]).reset_index(drop=True)
    held = FragmentLikelihood(test_data, values).loglik(beta)
    assert row.decisions == len(test_data) == 5
    assert row.forecast_total == pytest.approx(held.sum(), abs=1e-5)
    per_decision = scored.groupby("case", sort=False)["log_score"].sum()
    np.testing.assert_allclose(per_decision.loc[test_data["case"]], held, atol=1e-5)


@pytest.mark.slow
def test_baselines_are_counted_from_the_evidence(fold: tuple[Any, Any]) -> None:
    row, scored = fold
    with (REPO / "data" / "evidence" / "cases" / "decisions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    others = {c.replace("-", "_") for c in OTHERS}
    train = [r for r in rows if r["case"] in others and r["defense_pact_with_us"] != ""]
    held = [r for r in rows if r["case"] == "iran_2018" and r["defense_pact_with_us"] != ""]
    levels = {
        "un_stance": ["condemn", "abstain", "back_target"],
        "sanctions": ["join", "abide", "help_evade"],
        "military_aid": ["none", "dual_use", "lethal"],
        "mediation": ["none", "offer"],
    }
    logs, uniform = [], []
    for dim, options in levels.items():
        seen = [r[dim] for r in train if r[dim] in options]
        for r in held:
            if r[dim] in options:
                p = (seen.count(r[dim]) + 1) / (len(seen) + len(options))
                logs.append(math.log(p))
                uniform.append(-math.log(len(options)))
    assert row.choices == len(logs) == len(scored)
    assert row.base_rate_total == pytest.approx(sum(logs), abs=1e-12)
    assert row.uniform_total == pytest.approx(sum(uniform), abs=1e-12)


@pytest.mark.slow
def test_driver_reproduces_the_documented_row(fold: tuple[Any, Any]) -> None:
    row, _ = fold
    text = (REPO / "docs" / "backtests.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("| held-out case | decisions"))
    line = next(x for x in lines[start:] if x.startswith(f"| {HELD_OUT} | "))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == f"{row.decisions} ({row.choices})"
    documented = [float(c) for c in cells[2:11]]
    measured = [
        row.forecast_log,
        row.uniform_log,
        row.base_rate_log,
        row.forecast_brier,
        row.uniform_brier,
        row.base_rate_brier,
        row.forecast_total,
        row.uniform_total,
        row.base_rate_total,
    ]
    digits = [3, 3, 3, 3, 3, 3, 2, 2, 2]
    for doc, got, d in zip(documented, measured, digits, strict=True):
        assert doc == round(got, d)
