"""Score a scenario's forecast against observed outcomes: the log score and
the Brier score of every reported choice, beside a uniform guess and a
base-rate baseline, with intervals over parameter draws.

What is scored. Each case of the outcomes file (:mod:`realpolitik.run.case_table`:
one row per case, a column per reported choice, columns of parameter values
known for the case) is forecast by the scenario at the case's parameters
(its own columns; the other parameters at their central values, or drawn).
Every reported choice is scored by the forecast of that choice given the
choices reported before it (Bayes' rule on the path, unreported moves
marginalised: :mod:`realpolitik.run.observations`), so that a case's log
scores add up to its log-likelihood:

- **log score**: ``log p(observed)``, higher is better (0 for certainty
  that came true), the proper local scoring rule (Good 1952);
- **Brier score**: ``sum_a (p(a) - [a observed])^2`` over the choice's
  actions, lower is better (0 to 2; Brier 1950).

Over draws the forecast is the mixture of the draws' forecasts: ``p(a |
earlier) = mean_d P_d(earlier, a) / mean_d P_d(earlier)`` (the predictive
probability under parameter uncertainty, whose logs also add up over a case);
the interval is the 5th to 95th percentile over draws of the mean score each
draw's forecast alone would get. Baselines: a **uniform** guess over the
choice's actions, and the **base rate**: each action's frequency among the
other cases reporting that choice, with one added to every count (Laplace's
rule, so no action has probability 0; leaving the case out keeps the
baseline from seeing the outcome it is scored on).

Backtests (issue 14) score a case library with parameters fitted on the
other cases; the format holds many cases of one scenario in one file
(docs/scoring.md).

Why a module of its own: scoring reads per-case forecasts through the same
evaluate chain as forecasts (:func:`realpolitik.run.evaluate.evaluate_draws`)
and reduces them to scores; nothing else does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.case_table import CaseTable, read_case_table
from realpolitik.run.evaluate import evaluate_draws
from realpolitik.run.links import central_row, run_sampler
from realpolitik.run.observations import Observations
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import ScenarioLike, as_scenario

__all__ = ["ScoreResult", "score"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: (cases x draws) games solved at once: bounds memory.
BLOCK_ROWS = 8192
#: The interval over draws.
INTERVAL = (5.0, 95.0)
FORECASTERS = ("forecast", "uniform", "base_rate")


def _none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Scores of a forecast against observed choices.

    Attributes
    ----------
    scenario : the scenario's id.
    settings : how the forecast was computed.
    observations : one row per reported choice: ``case``, ``choice``,
        ``observed``, ``levels`` (how many actions), ``probability`` (the
        forecast of the observed action), ``log_score``, ``brier``, the same
        for ``uniform_*`` and ``base_rate_*``, ``scored`` (the forecast is
        defined: see :attr:`scored`), and ``forecast`` (action ->
        probability).
    draw_log_score, draw_brier : ``(draws,)`` the mean scores under each
        draw's forecast alone (one entry at the central values).
    """

    scenario: str
    settings: Settings
    observations: pd.DataFrame
    draw_log_score: FloatArray
    draw_brier: FloatArray

    @property
    def n_cases(self) -> int:
        return int(self.observations["case"].nunique())

    @property
    def scored(self) -> pd.DataFrame:
        """The observations whose forecast is defined: all but those after an
        earlier report to which the forecast gives probability 0 (possible
        under the SPE), whose forecast is 0 / 0. Every score, the baselines'
        too, is a mean over these."""
        return self.observations[self.observations["scored"]]

    @property
    def scores(self) -> pd.DataFrame:
        """Mean log and Brier scores of the forecast and the baselines, with
        the forecast's interval over draws (NaN at the central values)."""
        obs = self.scored
        rows = []
        for who in FORECASTERS:
            prefix = "" if who == "forecast" else f"{who}_"
            rows.append(
                {
                    "forecaster": who,
                    "log_score": float(obs[f"{prefix}log_score"].mean()),
                    "brier": float(obs[f"{prefix}brier"].mean()),
                    "total_log_score": float(obs[f"{prefix}log_score"].sum()),
                }
            )
        table = pd.DataFrame(rows).set_index("forecaster")
        for name, values in (("log_score", self.draw_log_score), ("brier", self.draw_brier)):
            lo = hi = float("nan")
            finite = values[np.isfinite(values)] if name == "brier" else values
            if self.settings.draws and finite.size:
                lo, hi = (float(v) for v in np.percentile(finite, INTERVAL, method="inverted_cdf"))
            table[f"{name}_low"] = [lo, np.nan, np.nan]
            table[f"{name}_high"] = [hi, np.nan, np.nan]
        return table

    @property
    def by_choice(self) -> pd.DataFrame:
        """Mean scores per reported choice (column of the outcomes file)."""
        cols = ["log_score", "brier", "uniform_log_score", "uniform_brier"]
        cols += ["base_rate_log_score", "base_rate_brier"]
        grouped = self.scored.groupby("choice", sort=False)
        out = grouped[cols].mean()
        out.insert(0, "n", grouped.size())
        return out

    def summary(self) -> str:
        """The scores as a text table."""
        table = self.scores
        s = self.settings
        how = f"{s.draws} draws ({s.method}, seed {s.seed})" if s.draws else "the central values"
        lam = f", lambda {s.lam:g}" if s.lam is not None else ""
        lines = [
            f"{self.scenario}: {len(self.observations)} reported choices in {self.n_cases} cases",
            f"forecast: {s.concept}{lam}, at {how}",
            "",
            f"{'':<10} {'log score':>10} {'Brier':>8}   (log: higher is better; Brier: lower)",
        ]
        for who, row in table.iterrows():
            interval = ""
            if who == "forecast" and s.draws:
                interval = (
                    f"   over draws: log {row['log_score_low']:.4f} to {row['log_score_high']:.4f}"
                    f", Brier {row['brier_low']:.4f} to {row['brier_high']:.4f}"
                )
            lines.append(f"{who!s:<10} {row['log_score']:>10.4f} {row['brier']:>8.4f}{interval}")
        zero = int((self.observations["probability"] <= 0).sum())
        if zero:
            lines.append(
                f"Warning: the forecast gave probability 0 to {zero} observed choice(s): "
                "its log score is minus infinity"
            )
        undefined = int((~self.observations["scored"]).sum())
        if undefined:
            lines.append(
                f"Warning: {undefined} reported choice(s) follow an earlier report the forecast "
                "gives probability 0; their forecast is undefined and they are not scored (by "
                "the baselines either)"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self) -> dict[str, Any]:
        """A strict-JSON document (minus infinity and NaN as ``null``)."""
        s = self.settings
        table = self.scores
        return {
            "scenario": self.scenario,
            "concept": s.concept,
            "lambda": s.lam,
            "draws": s.draws,
            "seed": s.seed,
            "method": s.method,
            "values": dict(s.values),
            "n_cases": self.n_cases,
            "n_observations": len(self.observations),
            "n_scored": len(self.scored),
            "scores": {
                str(who): {k: _none(float(v)) for k, v in row.items()}
                for who, row in table.iterrows()
            },
            "by_choice": {
                str(choice): {k: _none(float(v)) for k, v in row.items()}
                for choice, row in self.by_choice.iterrows()
            },
            "observations": [
                {
                    "case": row["case"],
                    "choice": row["choice"],
                    "observed": row["observed"],
                    "scored": bool(row["scored"]),
                    "forecast": {k: _none(v) for k, v in row["forecast"].items()},
                    **{
                        k: _none(float(row[k]))
                        for k in (
                            "probability",
                            "log_score",
                            "brier",
                            "uniform_log_score",
                            "uniform_brier",
                            "base_rate_log_score",
                            "base_rate_brier",
                        )
                    },
                }
                for row in self.observations.to_dict(orient="records")
            ],
        }


def _brier(p: FloatArray, level: int) -> FloatArray:
    """``sum_a (p_a - [a == level])^2`` along the last axis."""
    target = np.zeros(p.shape[-1])
    target[level] = 1.0
    out: FloatArray = ((p - target) ** 2).sum(axis=-1)
    return out


def _base_rates(table: CaseTable) -> tuple[FloatArray, FloatArray]:
    """``(cases, subjects)`` base-rate log and Brier scores of every report
    (leave-one-out frequencies among the cases reporting the choice, plus one)."""
    log = np.full(table.observed.shape, np.nan)
    brier = np.full(table.observed.shape, np.nan)
    for j, subject in enumerate(table.subjects):
        column = table.observed[:, j]
        seen = np.flatnonzero(column >= 0)
        n_levels = len(subject.levels)
        counts = np.bincount(column[seen], minlength=n_levels).astype(np.float64)
        # leave each case out: its own report is taken off its counts
        own = np.zeros((seen.size, n_levels))
        own[np.arange(seen.size), column[seen]] = 1.0
        p = (counts[None, :] - own + 1.0) / (seen.size - 1 + n_levels)
        log[seen, j] = np.log(p[np.arange(seen.size), column[seen]])
        brier[seen, j] = ((p - own) ** 2).sum(axis=1)
    return log, brier


_AT_DRAW = re.compile(r"at draw (\d+)")


def _locate(error: InputError, table: CaseTable, cases: IntArray, draws: int) -> InputError:
    """An evaluation error of a (case x draw) row, restated for the case."""
    problem = error.problems[0]
    found = _AT_DRAW.search(problem.message)
    if not found:
        return error
    row = int(found.group(1))
    case = int(cases[row // max(draws, 1)])
    where = f"in {table.where(case)}" + (f", draw {row % draws}" if draws else "")
    message = _AT_DRAW.sub(where, problem.message, count=1)
    return InputError(message, file=problem.file, line=problem.line, field=problem.field)


def score(
    scenario: ScenarioLike,
    outcomes: pd.DataFrame | str | Path,
    *,
    concept: str | None = None,
    lam: float | None = None,
    draws: int = 0,
    seed: int | None = None,
    method: str = "mc",
    values: Mapping[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScoreResult:
    """Score ``scenario``'s forecast on the cases of ``outcomes``.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
    outcomes : the observed cases (a CSV or YAML file, or a DataFrame; see
        :mod:`realpolitik.run.case_table`).
    concept, lam, draws, seed, method, values : how to forecast, as
        :func:`realpolitik.forecast` (a case's own parameter columns win over
        ``values`` and the draws).
    progress : called with ``(cases done, cases)`` after each block.

    Returns
    -------
    ScoreResult
    """
    loaded = as_scenario(scenario)
    settings = Settings.resolve(loaded, concept, lam, draws, seed, method, values)
    compiled = compile_scenario(loaded)
    layout = OutcomeLayout.of(compiled)
    table = read_case_table(outcomes, compiled)
    observations = Observations.of(table)
    # the forecast's own draws (linked parameters included), as rp.forecast takes them
    base = (
        central_row(loaded, settings)
        if settings.draws == 0
        else run_sampler(loaded, settings).draws(0, settings.draws)
    )
    n_draws = base.shape[0]
    columns = {
        k: table.values[pid] for k, pid in enumerate(loaded.parameter_ids) if pid in table.values
    }
    parts: list[dict[str, Any]] = []
    draw_log = np.zeros(n_draws)
    draw_brier = np.zeros(n_draws)
    draw_count = np.zeros(n_draws)
    per_block = max(1, BLOCK_ROWS // n_draws)
    n = table.n_cases
    for lo in range(0, n, per_block):
        cases = np.arange(lo, min(n, lo + per_block))
        rows = np.tile(base, (cases.size, 1))
        for k, column in columns.items():
            own = np.repeat(column[cases], n_draws)
            rows[:, k] = np.where(np.isnan(own), rows[:, k], own)
        try:
            evaluated = evaluate_draws(compiled, layout, settings.concept, settings.lam, rows)
        except InputError as error:
            raise _locate(error, table, cases, settings.draws) from None
        solved = evaluated.solution.terminal_reach  # one row when nothing varies
        reach = np.broadcast_to(solved, (rows.shape[0], solved.shape[1])).reshape(
            cases.size, n_draws, -1
        )
        for positions, step, sums in observations.step_sums(reach, cases):
            mean = sums.mean(axis=1)  # (cases, levels): the mixture over draws
            with np.errstate(invalid="ignore", divide="ignore"):
                predictive = mean / mean.sum(axis=1, keepdims=True)
                per_draw = sums / sums.sum(axis=2, keepdims=True)  # (cases, draws, levels)
                log_draw = np.log(per_draw[..., step.level])
            brier_draw = _brier(per_draw, step.level)
            defined = np.isfinite(brier_draw)
            draw_log += np.where(defined, log_draw, 0.0).sum(axis=0)
            draw_brier += np.where(defined, brier_draw, 0.0).sum(axis=0)
            draw_count += defined.sum(axis=0)
            with np.errstate(divide="ignore"):
                log_mean = np.log(predictive[:, step.level])
            brier_mean = _brier(predictive, step.level)
            parts.append(
                {
                    "case_index": cases[positions],
                    "subject": np.full(positions.size, step.subject),
                    "level": np.full(positions.size, step.level),
                    "probability": predictive[:, step.level],
                    "log_score": log_mean,
                    "brier": brier_mean,
                    "forecast": list(predictive),
                }
            )
        if progress is not None:
            progress(int(cases[-1]) + 1, n)
    joined = {
        key: np.concatenate([part[key] for part in parts])
        for key in ("case_index", "subject", "level", "probability", "log_score", "brier")
    }
    order = np.lexsort((joined["subject"], joined["case_index"]))
    case_index, subject_index, level = (
        joined[k][order] for k in ("case_index", "subject", "level")
    )
    forecasts = [f for part in parts for f in part["forecast"]]
    names = np.array([s.name for s in table.subjects], dtype=object)
    n_levels = np.array([len(s.levels) for s in table.subjects], dtype=np.float64)
    base_log, base_brier = _base_rates(table)
    frame = pd.DataFrame(
        {
            "case": np.array(table.ids, dtype=object)[case_index],
            "choice": names[subject_index],
            "observed": [
                table.subjects[j].levels[v] for j, v in zip(subject_index, level, strict=True)
            ],
            "levels": n_levels[subject_index].astype(np.int64),
            "probability": joined["probability"][order],
            "log_score": joined["log_score"][order],
            "brier": joined["brier"][order],
            "uniform_log_score": -np.log(n_levels[subject_index]),
            "uniform_brier": 1.0 - 1.0 / n_levels[subject_index],
            "base_rate_log_score": base_log[case_index, subject_index],
            "base_rate_brier": base_brier[case_index, subject_index],
            "scored": np.isfinite(joined["probability"][order]),
            "forecast": [
                dict(zip(table.subjects[j].levels, (float(v) for v in forecasts[k]), strict=True))
                for j, k in zip(subject_index, order, strict=True)
            ],
        }
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_log = np.where(draw_count > 0, draw_log / draw_count, np.nan)
        mean_brier = np.where(draw_count > 0, draw_brier / draw_count, np.nan)
    return ScoreResult(loaded.id, settings, frame, mean_log, mean_brier)
