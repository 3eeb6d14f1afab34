"""Which results rest on judgement: the share of each forecast number's
one-at-a-time swing that comes from parameters marked as judgement.

Why: a scenario marks each number as sourced or as the analyst's judgement
(``judgement: "why"``, see ``docs/scenario-format.md``); a reader of the
forecast needs to know which probabilities move with the sourced numbers and
which only with the judged ones.

The measure (cheap, and exact for what it is): at the central values (with
any values held by hand), each parameter in turn is set to its 5th and 95th
percentiles while the others stay central (the tornado of
:func:`realpolitik.analysis.sensitivity.tornado`; all ``2 k + 1`` rows are one
batch of draws through the run layer). The swing of an output is ``|y(q95) -
y(q05)|``; its **judgement share** is the sum of the swings of judgement
parameters over the sum of all swings (None when nothing moves it).

What it means: a share of 1 says that, one at a time over their 5-95% ranges,
only judged numbers move this probability; 0 that only sourced numbers do.
What it does not mean: it is local (around the central values) and
one-at-a-time, so interactions, effects that peak inside a range, and
declared correlations are not seen (Sobol' indices, ``realpolitik
sensitivity``, see those); it weighs ranges as written, so a judged number
given a narrow range counts little; and it says nothing about whether a
judgement is good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.analysis.sensitivity import tornado
from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.run.evaluate import block_outcomes
from realpolitik.run.links import central_row
from realpolitik.run.outcomes import OutcomeLayout, level_probabilities
from realpolitik.run.settings import Settings

FloatArray = NDArray[np.float64]

#: Quantiles of the swing.
LOW_Q, HIGH_Q = 0.05, 0.95
#: A result whose judgement share is at least this rests on judgement alone.
JUDGEMENT_ALONE = 0.99


@dataclass(frozen=True, eq=False)
class JudgementShares:
    """The judgement share of every action probability, compound-move level
    (the marginal of the joint actions that choose it) and expected metric.

    ``table`` has one row per output: ``kind`` ("action", "level" or
    "metric"), ``name`` (``actor:move:action``,
    ``actor:move:dimension=level`` or the metric id), ``value`` at the
    central values, ``swing`` (the sum of all swings), ``judgement_swing``,
    ``share`` (NaN when the swing is 0) and ``top_judgement`` (the judgement
    parameter with the largest swing).
    """

    judgement_parameters: tuple[str, ...]
    varied_parameters: tuple[str, ...]
    table: pd.DataFrame

    def resting_on_judgement(self, threshold: float = JUDGEMENT_ALONE) -> pd.DataFrame:
        """The rows whose share is at least ``threshold``."""
        return self.table[self.table["share"] >= threshold]

    def to_json(self) -> dict[str, Any]:
        rows = []
        for r in self.table.to_dict("records"):
            share = float(r["share"])
            rows.append(
                {
                    "kind": str(r["kind"]),
                    "name": str(r["name"]),
                    "value": float(r["value"]),
                    "swing": float(r["swing"]),
                    "judgement_share": share if np.isfinite(share) else None,
                    "top_judgement_parameter": str(r["top_judgement"]) or None,
                }
            )
        return {
            "measure": "share of the one-at-a-time 5-95% swing that comes from judgement "
            "parameters, at the central values",
            "judgement_parameters": list(self.judgement_parameters),
            "resting_on_judgement_alone": [
                str(n) for n in self.resting_on_judgement()["name"].tolist()
            ],
            "threshold": JUDGEMENT_ALONE,
            "outputs": rows,
        }


def judgement_shares(
    compiled: CompiledScenario, settings: Settings, layout: OutcomeLayout | None = None
) -> JudgementShares:
    """The judgement share of every output (module docstring)."""
    scenario = compiled.scenario
    layout = layout or OutcomeLayout.of(compiled)
    held = dict(settings.values)
    ids = scenario.parameter_ids
    varied = tuple(
        n for n in ids if n not in held and not scenario.parameters[n].distribution.is_fixed
    )
    judged = tuple(n for n in ids if scenario.parameters[n].is_judgement)
    central = central_row(scenario, settings)[0]
    columns = [ids.index(n) for n in varied]
    keys = layout.keys
    levels = layout.levels
    names = (
        [f"{k.actor}:{k.move}:{k.action}" for k in keys]
        + [f"{k.actor}:{k.move}:{k.dimension}={k.level}" for k in levels]
        + [m.id for m in scenario.metrics]
    )
    kinds = ["action"] * len(keys) + ["level"] * len(levels) + ["metric"] * len(scenario.metrics)

    def model(X: FloatArray) -> FloatArray:
        full = np.tile(central, (X.shape[0], 1))
        full[:, columns] = X
        actions, metrics = block_outcomes(compiled, layout, settings.concept, settings.lam, full)
        out: FloatArray = np.hstack([actions, level_probabilities(layout, actions), metrics])
        return out

    central_values = model(central[columns][None, :])[0]
    if not varied:
        swings = pd.DataFrame(columns=["output", "parameter", "swing"])
    else:

        def ppf(u: FloatArray) -> FloatArray:
            out = np.empty_like(u)
            for j, n in enumerate(varied):  # parameters are few; each column is vectorised
                out[:, j] = scenario.parameters[n].distribution.ppf(u[:, j])
            return out

        swings = tornado(
            model,
            varied,
            ppf,
            central[columns],
            low_q=LOW_Q,
            high_q=HIGH_Q,
            output_names=names,
        )
    judged_set = set(judged)
    rows = []
    for k, name in enumerate(names):
        part = swings[swings["output"] == name]
        total = float(part["swing"].sum())
        mine = part[part["parameter"].isin(judged_set)]
        judged_total = float(mine["swing"].sum())
        top = ""
        if len(mine) and float(mine["swing"].max()) > 0:
            top = str(
                mine.sort_values("swing", ascending=False, kind="stable")["parameter"].iloc[0]
            )
        rows.append(
            {
                "kind": kinds[k],
                "name": name,
                "value": float(central_values[k]),
                "swing": total,
                "judgement_swing": judged_total,
                "share": judged_total / total if total > 0 else np.nan,
                "top_judgement": top,
            }
        )
    return JudgementShares(judged, varied, pd.DataFrame(rows))
