"""The leave-one-case-out backtests (:mod:`realpolitik.analysis.backtest`, also
``scripts/backtest_case_library.py`` and ``realpolitik backtest``) on one
fold: Iran 2018 held out, the fit on the four other cases.

Checked against: the hand-coded likelihood (``tests/case_library_reference.py``)
fitted on the same four cases and evaluated on the held-out decisions (the
forecast's total log score is the held-out log-likelihood); the base rates
counted from ``data/evidence/cases/decisions.csv`` with the csv module; and the
row of the measured table in ``docs/backtests.md`` (the module reproduces it).
The choice of folds and the checks of a user's cases need no fit.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from case_evidence_counts import baseline_log_scores
from case_library_reference import FragmentLikelihood, judgement_values
from realpolitik.analysis.backtest import (
    BacktestResult,
    CaseScore,
    checked_cases,
    held_out_cases,
    held_out_score,
    training_cases,
)
from realpolitik.errors import InputError
from realpolitik.scenario.case_library import (
    CASE_NAMES,
    case_outcomes,
    fragment_text,
    pooled_outcomes,
)

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = "iran-2018"
OTHERS = [c for c in CASE_NAMES if c != HELD_OUT]


@pytest.fixture(scope="module")
def fold() -> tuple[CaseScore, pd.DataFrame]:
    return held_out_score(HELD_OUT, OTHERS)


@pytest.mark.slow
def test_held_out_log_score_is_the_independent_held_out_likelihood(
    fold: tuple[CaseScore, pd.DataFrame],
) -> None:
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
def test_baselines_are_counted_from_the_evidence(fold: tuple[CaseScore, pd.DataFrame]) -> None:
    row, scored = fold
    logs, uniform = baseline_log_scores(OTHERS, HELD_OUT)
    assert row.choices == len(logs) == len(scored)
    assert row.base_rate_total == pytest.approx(sum(logs), abs=1e-12)
    assert row.uniform_total == pytest.approx(sum(uniform), abs=1e-12)


@pytest.mark.slow
def test_module_reproduces_the_documented_row(fold: tuple[CaseScore, pd.DataFrame]) -> None:
    row, scored = fold
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
    # the table the module prints is the documented line, cell for cell
    result = BacktestResult(rows=(row,), scored=scored, past_only=False, cases=CASE_NAMES)
    printed = result.markdown().splitlines()
    assert printed[0] == lines[start]
    assert printed[2] == line


def test_folds_fit_on_the_other_or_the_earlier_cases() -> None:
    assert training_cases("crimea-2014", CASE_NAMES, past_only=False) == [
        "syria-2011",
        "iran-oil-2012",
        "iran-2018",
        "venezuela-2019",
    ]
    assert training_cases("crimea-2014", CASE_NAMES, past_only=True) == [
        "syria-2011",
        "iran-oil-2012",
    ]
    assert held_out_cases(CASE_NAMES, past_only=False) == list(CASE_NAMES)
    # three earlier cases are needed: Iran 2018 (3) and Venezuela 2019 (4)
    assert held_out_cases(CASE_NAMES, past_only=True) == ["iran-2018", "venezuela-2019"]
    chosen = ("syria-2011", "crimea-2014", "iran-2018", "venezuela-2019")
    assert held_out_cases(chosen, past_only=True) == ["venezuela-2019"]


@pytest.mark.parametrize(
    ("cases", "past_only", "message"),
    [
        (
            ["syria-2011", "iran-2081"],
            False,
            "unknown case 'iran-2081' (did you mean 'iran-2018'?)",
        ),
        (["syria-2011", "syria-2011"], False, "case listed twice: syria-2011"),
        (["syria-2011"], False, "at least two cases"),
        (["syria-2011", "iran-oil-2012", "crimea-2014"], True, "at least 3 earlier cases"),
    ],
)
def test_a_users_cases_are_checked_before_any_fit(
    cases: list[str], past_only: bool, message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        checked_cases(cases, past_only)


def test_cases_are_taken_in_chronological_order() -> None:
    assert checked_cases(["iran-2018", "syria-2011"]) == ("syria-2011", "iran-2018")
    assert checked_cases(None) == CASE_NAMES


@pytest.mark.slow
def test_result_draws_itself_and_shows_its_tables(fold: tuple[CaseScore, pd.DataFrame]) -> None:
    row, scored = fold
    result = BacktestResult(
        rows=(row,), scored=scored.assign(held_out=HELD_OUT), past_only=False, cases=CASE_NAMES
    )
    figure = result.plot()
    assert isinstance(figure, Figure)
    bars = [b.get_height() for c in figure.axes[0].containers for b in c]
    assert bars == pytest.approx([row.forecast_log, row.uniform_log, row.base_rate_log])
    html = result._repr_html_()
    assert f"{row.forecast_log:.4g}" in html and "military_aid" in html
    dims = result.by_dimension()
    assert list(dims["dimension"]) == ["un_stance", "sanctions", "military_aid", "mediation"]
    weighted = (dims["forecast_log"] * dims["choices"]).sum()
    assert weighted == pytest.approx(row.forecast_total, abs=1e-9)
