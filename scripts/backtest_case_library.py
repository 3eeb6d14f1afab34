"""Leave-one-case-out backtests of the case library (issue 14, part 4).

For each case: fit the third state's coefficients on the decisions of the
other cases (``rp.estimate`` on the held-out case's own scenario, whose game
is the shared fragment, with the others' outcomes), write the fit into that
scenario (``fitted_scenario()``, the ``--write`` format), forecast the
held-out decisions at their own covariates and score them (``rp.score``: the
log and Brier score of every reported dimension given the dimensions reported
before it). Beside the forecast: a uniform guess over each dimension's levels,
and the base rate of the other cases (each level's frequency among the
training decisions reporting the dimension, plus one: Laplace's rule).

Decisions without their covariates (the E3 in Iran 2018) are left out of both
fit and score. Run from the repository root::

    python scripts/backtest_case_library.py [--cases a,b,c] [--past-only] [--json FILE]

prints the table of docs/backtests.md (mean log score and Brier score per
reported choice, and the total log score, per held-out case). About a minute
per case on one core. ``--past-only`` fits each fold on the earlier cases only
(a real-time test; only cases with three earlier cases are held out).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import Progress

import realpolitik as rp
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.scenario.case_library import (
    CASE_NAMES,
    COVARIATES,
    case_outcomes,
    case_scenario_text,
    pooled_outcomes,
)
from realpolitik.scenario.load import load

DIMENSIONS = ("un_stance", "sanctions", "military_aid", "mediation")
LEVELS = {
    "un_stance": ("condemn", "abstain", "back_target"),
    "sanctions": ("join", "abide", "help_evade"),
    "military_aid": ("none", "dual_use", "lethal"),
    "mediation": ("none", "offer"),
}


@dataclass(frozen=True)
class CaseScore:
    """The scores of one held-out case."""

    case: str
    decisions: int
    choices: int
    train_decisions: int
    log_likelihood_train: float
    forecast_log: float  # mean log score per reported choice
    uniform_log: float
    base_rate_log: float
    forecast_brier: float
    uniform_brier: float
    base_rate_brier: float
    forecast_total: float  # total log score (the held-out log-likelihood)
    uniform_total: float
    base_rate_total: float


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """The decisions with every covariate."""
    return frame.dropna(subset=list(COVARIATES)).reset_index(drop=True)


def base_rates(train: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Each dimension's level frequencies among the training decisions
    reporting it, with one added to every level (Laplace's rule)."""
    out = {}
    for dim, levels in LEVELS.items():
        column = train[f"alignment.{dim}"]
        seen = column[column != ""]
        counts = np.array([(seen == level).sum() for level in levels], dtype=float)
        p = (counts + 1.0) / (counts.sum() + len(levels))
        out[dim] = dict(zip(levels, p.tolist(), strict=True))
    return out


def held_out_score(case: str, others: list[str]) -> tuple[CaseScore, pd.DataFrame]:
    """Fit on ``others``, score ``case``: the summary row and the per-choice frame."""
    train = complete(pooled_outcomes(others))
    scenario = load(text=case_scenario_text(case), name=f"{case}.yaml")
    fit = rp.estimate(scenario, train)
    assert isinstance(fit, ScenarioEstimate)
    fitted = load(text=fit.fitted_scenario(), name=f"{case}-fitted.yaml")
    test = complete(case_outcomes(case))
    scored = rp.score(fitted, test).observations
    scored = scored[scored["scored"]].copy()
    rates = base_rates(train)
    dims = [str(c).split(".", 1)[1] for c in scored["choice"]]
    p_base = np.array(
        [rates[d][o] for d, o in zip(dims, scored["observed"], strict=True)], dtype=float
    )
    scored["others_base_rate_log_score"] = np.log(p_base)
    scored["others_base_rate_brier"] = [
        sum((p - (level == o)) ** 2 for level, p in rates[d].items())
        for d, o in zip(dims, scored["observed"], strict=True)
    ]
    n = len(scored)
    row = CaseScore(
        case=case,
        decisions=len(test),
        choices=n,
        train_decisions=fit.n,
        log_likelihood_train=fit.log_likelihood,
        forecast_log=float(scored["log_score"].mean()),
        uniform_log=float(scored["uniform_log_score"].mean()),
        base_rate_log=float(scored["others_base_rate_log_score"].mean()),
        forecast_brier=float(scored["brier"].mean()),
        uniform_brier=float(scored["uniform_brier"].mean()),
        base_rate_brier=float(scored["others_base_rate_brier"].mean()),
        forecast_total=float(scored["log_score"].sum()),
        uniform_total=float(scored["uniform_log_score"].sum()),
        base_rate_total=float(scored["others_base_rate_log_score"].sum()),
    )
    return row, scored


#: A past-only fold needs this many earlier cases (fewer separate the formulas).
MIN_PAST = 3


def training_cases(case: str, cases: tuple[str, ...], past_only: bool) -> list[str]:
    """The cases a fold fits on: all the others, or (``past_only``) those
    before ``case`` in the order of ``CASE_NAMES`` (chronological)."""
    if not past_only:
        return [c for c in cases if c != case]
    return [c for c in cases if CASE_NAMES.index(c) < CASE_NAMES.index(case)]


def backtest(
    cases: tuple[str, ...] = CASE_NAMES, past_only: bool = False
) -> tuple[list[CaseScore], pd.DataFrame]:
    """Leave each of ``cases`` out in turn (the fit uses the rest of ``cases``,
    or with ``past_only`` only the earlier ones, for cases with at least
    ``MIN_PAST`` earlier cases): the summary rows and every scored choice
    (with its held-out case)."""
    held = [c for c in cases if not past_only or len(training_cases(c, cases, True)) >= MIN_PAST]
    rows = []
    frames = []
    with Progress() as bar:
        task = bar.add_task("leave-one-case-out", total=len(held))
        for case in held:
            row, scored = held_out_score(case, training_cases(case, cases, past_only))
            rows.append(row)
            frames.append(scored.assign(held_out=case))
            bar.advance(task)
    return rows, pd.concat(frames, ignore_index=True)


def by_dimension(scored: pd.DataFrame) -> str:
    """Mean log score per reported choice, by held-out case and dimension."""
    lines = [
        "| held-out case | dimension | choices | forecast | uniform | others' base rate |",
        "|---|---|---|---|---|---|",
    ]
    for (case, choice), part in scored.groupby(["held_out", "choice"], sort=False):
        lines.append(
            f"| {case} | {str(choice).split('.', 1)[1]} | {len(part)} | "
            f"{part['log_score'].mean():.3f} | {part['uniform_log_score'].mean():.3f} | "
            f"{part['others_base_rate_log_score'].mean():.3f} |"
        )
    return "\n".join(lines)


def table(rows: list[CaseScore]) -> str:
    """The markdown table of docs/backtests.md."""
    lines = [
        "| held-out case | decisions (choices) | log score: forecast | uniform | others' base rate "
        "| Brier: forecast | uniform | others' base rate | total log score: forecast "
        "| uniform | others' base rate | beats both (log) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        beats = r.forecast_log > r.uniform_log and r.forecast_log > r.base_rate_log
        lines.append(
            f"| {r.case} | {r.decisions} ({r.choices}) | {r.forecast_log:.3f} | "
            f"{r.uniform_log:.3f} | {r.base_rate_log:.3f} | {r.forecast_brier:.3f} | "
            f"{r.uniform_brier:.3f} | {r.base_rate_brier:.3f} | {r.forecast_total:.2f} | "
            f"{r.uniform_total:.2f} | {r.base_rate_total:.2f} | {'yes' if beats else 'no'} |"
        )
    n = sum(r.choices for r in rows)
    pooled = [
        sum(getattr(r, f) for r in rows) / n
        for f in ("forecast_total", "uniform_total", "base_rate_total")
    ]
    lines.append(
        f"| all held-out choices | {sum(r.decisions for r in rows)} ({n}) | {pooled[0]:.3f} | "
        f"{pooled[1]:.3f} | {pooled[2]:.3f} | "
        + " | ".join(
            f"{sum(getattr(r, f) * r.choices for r in rows) / n:.3f}"
            for f in ("forecast_brier", "uniform_brier", "base_rate_brier")
        )
        + f" | {sum(r.forecast_total for r in rows):.2f} | {sum(r.uniform_total for r in rows):.2f}"
        f" | {sum(r.base_rate_total for r in rows):.2f} | |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASE_NAMES), help="cases, comma-separated")
    parser.add_argument("--json", type=Path, default=None, help="write the rows as JSON here")
    parser.add_argument(
        "--past-only", action="store_true", help="fit each fold on the earlier cases only"
    )
    args = parser.parse_args(argv)
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    rows, scored = backtest(cases, args.past_only)
    print(table(rows))
    print()
    print(by_dimension(scored))
    if args.json is not None:
        data = [
            {
                k: (v if not isinstance(v, float) or math.isfinite(v) else None)
                for k, v in asdict(r).items()
            }
            for r in rows
        ]
        args.json.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
