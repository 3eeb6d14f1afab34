"""Leave-one-case-out backtests of the case library (issue 14): how well the
third state's fitted model forecasts a past crisis it was not fitted on.

For each held-out case: fit the third state's coefficients on the decisions
of the other cases (:func:`realpolitik.estimation.api.estimate` on the
held-out case's own scenario, whose game is the shared fragment, with the
others' outcomes), write the fit into that scenario
(:meth:`~realpolitik.estimation.scenario_result.ScenarioEstimate.fitted_scenario`,
the ``--write`` format), forecast the held-out decisions at their own
covariates and score them (:func:`realpolitik.analysis.score.score`: the log
and Brier score of every reported dimension given the dimensions reported
before it, so a decision's log scores add up to its log-likelihood).
Beside the forecast, two baselines per reported dimension: a **uniform**
guess over its levels, and the **base rate of the other cases** (each
level's frequency among the training decisions reporting the dimension,
with one added to every count: Laplace's rule of succession, so no level has
probability 0). Scoring rules: the logarithmic score (Good 1952) and the
Brier score (Brier 1950).

``draws`` scores the forecast as :func:`realpolitik.forecast` makes it from
the written-back fit: the fitted coefficients are normal distributions with
their correlations (the estimate's covariance), and each held-out choice's
probability is the mixture over that many draws of them (the predictive
distribution, which is how the flagship uses the pooled fit); ``draws = 0``
(the default, the design fixed before any score was seen) scores the point
estimates, so a decision's log score is its held-out log-likelihood.

``past_only`` fits each fold on the earlier cases only (in the order of
:data:`~realpolitik.scenario.case_library.CASE_NAMES`, chronological): a
real-time test; only cases with :data:`MIN_PAST` earlier cases are held out
(fewer separate the formulas). Decisions without their covariates (the E3 in
Iran 2018) are left out of both fit and score. Results and their reading:
docs/backtests.md.

Why a module of its own: one concept, the cross-validation of the case
library, shared by the command line (``realpolitik backtest``), the Python
API (``rp.backtest``) and ``scripts/backtest_case_library.py``. Each fold is
a maximum-likelihood fit (about a minute of CPU): the folds are a loop over
cases by nature, each fit vectorised over its decisions. Progress is
reported through a callback; the library prints nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from realpolitik.analysis.score import score
from realpolitik.errors import InputError
from realpolitik.estimation.api import estimate
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.plots.figure import new_figure
from realpolitik.plots.notebook import result_html
from realpolitik.scenario.case_library import (
    CASE_NAMES,
    COVARIATES,
    case_outcomes,
    case_scenario_text,
    pooled_outcomes,
)
from realpolitik.scenario.load import load

__all__ = [
    "DIMENSIONS",
    "LEVELS",
    "MIN_PAST",
    "BacktestResult",
    "CaseScore",
    "backtest",
    "base_rates",
    "case_summaries",
    "held_out_cases",
    "held_out_score",
    "training_cases",
]

#: The third state's compound choice: its dimensions and their levels, as in
#: the case scenarios' ``alignment`` move (notes/TEMPLATE.md).
LEVELS: dict[str, tuple[str, ...]] = {
    "un_stance": ("condemn", "abstain", "back_target"),
    "sanctions": ("join", "abide", "help_evade"),
    "military_aid": ("none", "dual_use", "lethal"),
    "mediation": ("none", "offer"),
}
DIMENSIONS = tuple(LEVELS)

#: A past-only fold needs this many earlier cases (fewer separate the formulas).
MIN_PAST = 3

#: Called with ``(folds done, folds)``: before the first fold and after each.
Progress = Callable[[int, int], None]

#: The three forecasters, in the order of the tables.
FORECASTERS = ("forecast", "uniform", "base_rate")


@dataclass(frozen=True)
class CaseScore:
    """The scores of one held-out case (log scores: higher is better; Brier:
    lower is better).

    Attributes
    ----------
    case : the held-out case.
    decisions, choices : its decisions with covariates, and their reported
        dimensions (each scored).
    train_decisions, log_likelihood_train : the fit on the other cases.
    forecast_log, uniform_log, base_rate_log : mean log score per choice.
    forecast_brier, uniform_brier, base_rate_brier : mean Brier score per choice.
    forecast_total, uniform_total, base_rate_total : total log score (the
        forecast's is the held-out log-likelihood).
    """

    case: str
    decisions: int
    choices: int
    train_decisions: int
    log_likelihood_train: float
    forecast_log: float
    uniform_log: float
    base_rate_log: float
    forecast_brier: float
    uniform_brier: float
    base_rate_brier: float
    forecast_total: float
    uniform_total: float
    base_rate_total: float

    @property
    def beats_both(self) -> bool:
        """The forecast's mean log score beats uniform and the base rate."""
        return self.forecast_log > self.uniform_log and self.forecast_log > self.base_rate_log


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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


def held_out_score(
    case: str, others: Sequence[str], draws: int = 0, seed: int | None = None
) -> tuple[CaseScore, pd.DataFrame]:
    """Fit on ``others``, score ``case``: the summary row and the frame of
    every scored choice (the columns of
    :attr:`realpolitik.analysis.score.ScoreResult.observations`, plus
    ``others_base_rate_log_score`` and ``others_base_rate_brier``).
    ``draws`` and ``seed``: the fitted coefficients' draws the forecast
    mixes over (0: their point estimates)."""
    train = complete(pooled_outcomes(list(others)))
    scenario = load(text=case_scenario_text(case), name=f"{case}.yaml")
    fit = estimate(scenario, train)
    if not isinstance(fit, ScenarioEstimate):  # a scenario's fit is always one
        raise TypeError(f"expected a scenario estimate, got {type(fit).__name__}")
    fitted = load(text=fit.fitted_scenario(), name=f"{case}-fitted.yaml")
    test = complete(case_outcomes(case))
    scored = score(fitted, test, draws=draws, seed=seed).observations
    scored = scored[scored["scored"]].copy()
    rates = base_rates(train)
    dims = [str(c).split(".", 1)[1] for c in scored["choice"]]
    observed = list(scored["observed"])
    p_base = np.array([rates[d][o] for d, o in zip(dims, observed, strict=True)], dtype=float)
    scored["others_base_rate_log_score"] = np.log(p_base)
    scored["others_base_rate_brier"] = [
        sum((p - (level == o)) ** 2 for level, p in rates[d].items())
        for d, o in zip(dims, observed, strict=True)
    ]
    row = CaseScore(
        case=case,
        decisions=len(test),
        choices=len(scored),
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


def training_cases(case: str, cases: Sequence[str], past_only: bool) -> list[str]:
    """The cases a fold fits on: all the others of ``cases``, or
    (``past_only``) those before ``case`` in the order of ``CASE_NAMES``."""
    if not past_only:
        return [c for c in cases if c != case]
    return [c for c in cases if CASE_NAMES.index(c) < CASE_NAMES.index(case)]


def held_out_cases(cases: Sequence[str], past_only: bool) -> list[str]:
    """The cases a backtest holds out: all of ``cases``, or (``past_only``)
    those with at least :data:`MIN_PAST` earlier cases among them."""
    if not past_only:
        return list(cases)
    return [c for c in cases if len(training_cases(c, cases, True)) >= MIN_PAST]


def checked_cases(cases: Sequence[str] | None, past_only: bool = False) -> tuple[str, ...]:
    """``cases`` (default: all) checked: known names (an unknown one gets a
    suggestion), no repeats, at least two, and at least one fold to run."""
    chosen = tuple(CASE_NAMES if cases is None else cases)
    for name in chosen:
        case_scenario_text(name)  # raises InputError with the closest name
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        raise InputError(f"case listed twice: {', '.join(repeated)}", field="cases")
    if len(chosen) < 2:
        raise InputError("a backtest needs at least two cases (one to hold out, one to fit on)")
    if past_only and not held_out_cases(chosen, True):
        raise InputError(
            f"--past-only holds out only cases with at least {MIN_PAST} earlier cases among "
            f"those chosen ({', '.join(chosen)}); add earlier cases or drop --past-only",
            field="cases",
        )
    return tuple(sorted(chosen, key=CASE_NAMES.index))


def _mean_cells(rows: Sequence[CaseScore], total: str) -> float:
    return float(sum(getattr(r, total) for r in rows)) / sum(r.choices for r in rows)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Leave-one-case-out scores of the case library.

    Attributes
    ----------
    rows : one :class:`CaseScore` per held-out case, in chronological order.
    scored : every scored choice, with its ``held_out`` case (the frame of
        :func:`held_out_score`).
    past_only : each fold was fitted on the earlier cases only.
    cases : the cases the backtest drew on (held out or fitted on).
    draws, seed : the fitted coefficients' draws each forecast mixes over
        (0: their point estimates) and their seed.
    """

    rows: tuple[CaseScore, ...]
    scored: pd.DataFrame
    past_only: bool
    cases: tuple[str, ...]
    draws: int = 0
    seed: int | None = None

    @property
    def forecast_kind(self) -> str:
        """What the forecast column scores: the point estimates, or the
        mixture over draws of the fitted coefficients."""
        if self.draws == 0:
            return "the fitted coefficients' point estimates"
        return f"the mixture over {self.draws} draws of the fitted coefficients (seed {self.seed})"

    @property
    def pooled(self) -> dict[str, float]:
        """Over all held-out choices: mean log and Brier scores per choice
        (Brier weighted by each case's choices) and total log scores."""
        n = sum(r.choices for r in self.rows)
        out: dict[str, float] = {
            "decisions": sum(r.decisions for r in self.rows),
            "choices": n,
        }
        for who in FORECASTERS:
            out[f"{who}_log"] = _mean_cells(self.rows, f"{who}_total")
            out[f"{who}_brier"] = sum(getattr(r, f"{who}_brier") * r.choices for r in self.rows) / n
            out[f"{who}_total"] = sum(getattr(r, f"{who}_total") for r in self.rows)
        return out

    def table(self) -> pd.DataFrame:
        """One row per held-out case (the fields of :class:`CaseScore` and
        ``beats_both``)."""
        frame = pd.DataFrame(
            [asdict(r) for r in self.rows], columns=[f.name for f in fields(CaseScore)]
        )
        frame["beats_both"] = [r.beats_both for r in self.rows]
        return frame

    def by_dimension(self) -> pd.DataFrame:
        """Mean log score per reported choice, by held-out case and dimension."""
        rows = []
        for (case, choice), part in self.scored.groupby(["held_out", "choice"], sort=False):
            rows.append(
                {
                    "case": case,
                    "dimension": str(choice).split(".", 1)[1],
                    "choices": len(part),
                    "forecast_log": float(part["log_score"].mean()),
                    "uniform_log": float(part["uniform_log_score"].mean()),
                    "base_rate_log": float(part["others_base_rate_log_score"].mean()),
                }
            )
        return pd.DataFrame(rows)

    def summary_cells(self) -> tuple[list[str], list[list[str]]]:
        """The headers and formatted rows of the table of docs/backtests.md
        (the last row: all held-out choices)."""
        base = "earlier cases' base rate" if self.past_only else "others' base rate"
        headers = [
            "held-out case",
            "decisions (choices)",
            "log score: forecast",
            "uniform",
            base,
            "Brier: forecast",
            "uniform",
            base,
            "total log score: forecast",
            "uniform",
            base,
            "beats both (log)",
        ]
        lines = []
        for r in self.rows:
            lines.append(
                [
                    r.case,
                    f"{r.decisions} ({r.choices})",
                    *(f"{getattr(r, f'{w}_log'):.3f}" for w in FORECASTERS),
                    *(f"{getattr(r, f'{w}_brier'):.3f}" for w in FORECASTERS),
                    *(f"{getattr(r, f'{w}_total'):.2f}" for w in FORECASTERS),
                    "yes" if r.beats_both else "no",
                ]
            )
        p = self.pooled
        lines.append(
            [
                "all held-out choices",
                f"{p['decisions']:.0f} ({p['choices']:.0f})",
                *(f"{p[f'{w}_log']:.3f}" for w in FORECASTERS),
                *(f"{p[f'{w}_brier']:.3f}" for w in FORECASTERS),
                *(f"{p[f'{w}_total']:.2f}" for w in FORECASTERS),
                "",
            ]
        )
        return headers, lines

    def dimension_cells(self) -> tuple[list[str], list[list[str]]]:
        """The headers and formatted rows of the per-dimension table."""
        base = "earlier cases' base rate" if self.past_only else "others' base rate"
        headers = ["held-out case", "dimension", "choices", "forecast", "uniform", base]
        lines = [
            [
                str(row.case),
                str(row.dimension),
                str(row.choices),
                *(f"{getattr(row, f'{w}_log'):.3f}" for w in FORECASTERS),
            ]
            for row in self.by_dimension().itertuples(index=False)
        ]
        return headers, lines

    def markdown(self, by_dimension: bool = False) -> str:
        """The table of docs/backtests.md (and the per-dimension table)."""
        parts = [_markdown(*self.summary_cells())]
        if by_dimension:
            parts.append(_markdown(*self.dimension_cells()))
        return "\n\n".join(parts)

    def to_json(self, by_dimension: bool = False) -> dict[str, Any]:
        """A JSON-ready document (non-finite numbers as null)."""
        data: dict[str, Any] = {
            "past_only": self.past_only,
            "cases": list(self.cases),
            "draws": self.draws,
            "seed": self.seed,
            "held_out": [
                {**{k: _finite(v) for k, v in asdict(r).items()}, "beats_both": r.beats_both}
                for r in self.rows
            ],
            "all": {k: _finite(v) for k, v in self.pooled.items()},
        }
        if by_dimension:
            data["by_dimension"] = [
                {k: _finite(v) for k, v in row.items()}
                for row in self.by_dimension().to_dict(orient="records")
            ]
        return data

    def plot(self) -> Figure:
        """Mean log score per choice of each held-out case: the forecast
        beside the two baselines (higher is better)."""
        fig = new_figure(figsize=(1.6 + 1.4 * len(self.rows), 4.0))
        ax = fig.add_subplot()
        x = np.arange(len(self.rows))
        width = 0.27
        labels = {"forecast": "forecast", "uniform": "uniform", "base_rate": "base rate"}
        for i, who in enumerate(FORECASTERS):
            values = [getattr(r, f"{who}_log") for r in self.rows]
            ax.bar(x + (i - 1) * width, values, width, label=labels[who])
        ax.set_xticks(x, [r.case for r in self.rows])
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_ylabel("mean log score per choice (higher is better)")
        kind = "past-only" if self.past_only else "leave-one-case-out"
        mixed = "point estimates" if self.draws == 0 else f"mixture over {self.draws} draws"
        ax.set_title(f"Case library backtest ({kind})\nforecast: {mixed}", fontsize=10)
        ax.set_xlabel("held-out case")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, frameon=False)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        kind = "each fold fitted on the earlier cases" if self.past_only else "leave one case out"
        return result_html(
            f"Backtest of the case library ({kind})",
            [
                f"Forecast: {self.forecast_kind}.",
                "Log scores: higher is better; Brier scores: lower is better.",
            ],
            {"By held-out case": self.table(), "By dimension": self.by_dimension()},
        )


def _markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["|" + "|".join(f" {cell} " if cell else " " for cell in row) + "|" for row in rows]
    return "\n".join(lines)


def backtest(
    cases: Sequence[str] | None = None,
    past_only: bool = False,
    progress: Progress | None = None,
    draws: int = 0,
    seed: int | None = None,
) -> BacktestResult:
    """Leave each case out in turn and score its forecast.

    Parameters
    ----------
    cases : the cases to draw on (default: all of ``CASE_NAMES``); each fold
        fits on the other chosen cases.
    past_only : fit each fold on the earlier chosen cases only, holding out
        only cases with at least :data:`MIN_PAST` of them.
    progress : called with ``(folds done, folds)`` before the first fold and
        after each (a fold is a fit: about a minute of CPU).
    draws, seed : score the mixture over this many draws of each fold's
        fitted coefficients (with their covariance), as a forecast of the
        written-back fit makes it; 0 (default): their point estimates.

    Returns
    -------
    BacktestResult : the rows per held-out case and every scored choice.

    Raises
    ------
    InputError : an unknown or repeated case, fewer than two cases, or no
        fold to run.
    """
    chosen = checked_cases(cases, past_only)
    held = held_out_cases(chosen, past_only)
    rows = []
    frames = []
    if progress is not None:
        progress(0, len(held))
    for done, case in enumerate(held, start=1):
        row, scored = held_out_score(
            case, training_cases(case, chosen, past_only), draws=draws, seed=seed
        )
        rows.append(row)
        frames.append(scored.assign(held_out=case))
        if progress is not None:
            progress(done, len(held))
    return BacktestResult(
        rows=tuple(rows),
        scored=pd.concat(frames, ignore_index=True),
        past_only=past_only,
        cases=chosen,
        draws=draws,
        seed=seed,
    )


def case_summaries() -> pd.DataFrame:
    """The cases a backtest can hold out, in chronological order: ``case``,
    ``as_of`` (the scenario's information date), ``decisions`` (third states'
    decisions in its outcomes file), ``with_covariates`` (those the fits and
    scores use) and ``title``."""
    rows = []
    for name in CASE_NAMES:
        scenario = load(text=case_scenario_text(name), name=f"{name}.yaml")
        outcomes = case_outcomes(name)
        rows.append(
            {
                "case": name,
                "as_of": scenario.as_of,
                "decisions": len(outcomes),
                "with_covariates": len(complete(outcomes)),
                "title": scenario.title,
            }
        )
    return pd.DataFrame(rows)
