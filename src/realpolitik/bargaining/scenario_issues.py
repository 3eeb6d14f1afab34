"""Bargaining issues declared in a crisis scenario, under its uncertainty.

A scenario's ``issues:`` section gives, for each actor, a position on the
issue's scale, a capability and a salience as expressions of the scenario's
parameters (see ``docs/scenario-format.md``). Evaluated on the scenario's
parameter draws, they give one bargaining problem per draw, so uncertain
stances run through exactly the same draws as the crisis model.

Every model of :data:`~realpolitik.bargaining.models.BARGAINING_MODELS` runs
all draws at once: the expected-utility model's rounds and KTAB's spatial
model (:func:`~realpolitik.bargaining.smp_batch.run_smp_batch`, the same
forecasts as running each draw alone) are vectorised over a leading batch
axis, the latter in chunks of draws so that memory stays bounded whatever the
number of draws. The draws come from the run layer's sampler, so they are
the draws of a forecast with the same seed and held values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import NDArray

from realpolitik.bargaining.baselines import weighted_mean, weighted_median
from realpolitik.bargaining.models import ModelOptions, bargaining_model
from realpolitik.bargaining.types import BargainingProblem, BargainingRun
from realpolitik.errors import InputError
from realpolitik.plots.bargaining_plots import plot_forecast_draws
from realpolitik.plots.notebook import result_html
from realpolitik.run.links import central_row, run_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.scenario.model import Issue, Scenario

FloatArray = NDArray[np.float64]


def find_issue(scenario: Scenario, issue_id: str | None) -> Issue:
    """The issue named ``issue_id`` (or the only one), with a clear error."""
    names = [i.id for i in scenario.issues]
    if not names:
        raise InputError(f"scenario {scenario.id} declares no bargaining issues (no 'issues:')")
    if issue_id is None:
        if len(names) == 1:
            return scenario.issues[0]
        raise InputError(
            f"scenario {scenario.id} has several issues; pick one with --issue: {', '.join(names)}"
        )
    for issue in scenario.issues:
        if issue.id == issue_id:
            return issue
    raise InputError(f"unknown issue '{issue_id}' in {scenario.id}; issues: {', '.join(names)}")


@dataclass(frozen=True, eq=False)
class IssueDraws:
    """An issue's stances for ``D`` draws: ``(D, N)`` arrays, actors in the
    issue's order."""

    issue: Issue
    actors: tuple[str, ...]
    position: FloatArray
    capability: FloatArray
    salience: FloatArray

    def problem(self, draw: int, name: str = "") -> BargainingProblem:
        """One draw as a :class:`BargainingProblem` on the issue's scale."""
        return BargainingProblem(
            actors=self.actors,
            capability=self.capability[draw].copy(),
            position=self.position[draw][:, None].copy(),
            salience=self.salience[draw][:, None].copy(),
            dimensions=(self.issue.id,),
            scale=self.issue.scale,
            name=name or self.issue.id,
            description=self.issue.description,
        )


def issue_draws(
    scenario: Scenario, issue: Issue, parameters: Mapping[str, FloatArray], *, file: str = ""
) -> IssueDraws:
    """Evaluate an issue's stances on parameter values ``name -> (D, 1)``,
    checking capabilities > 0, saliences in [0, 1] and positions within the
    scale at every draw (errors name the field, line and draw)."""
    n = max((int(np.shape(v)[0]) for v in parameters.values()), default=1)
    columns: dict[str, list[FloatArray]] = {"position": [], "capability": [], "salience": []}
    lo, hi = issue.scale
    for member in issue.actors:
        for field_name in columns:
            expr = getattr(member, field_name)
            value = np.broadcast_to(
                np.asarray(expr.evaluate(parameters, {}), dtype=np.float64).reshape(-1), (n,)
            )
            where = f"issues.{issue.id}.actors.{member.actor}.{field_name}"
            bad = ~np.isfinite(value)
            if field_name == "capability":
                bad |= value <= 0
                rule = "must be a positive number"
            elif field_name == "salience":
                bad |= (value < 0) | (value > 1)
                rule = "must lie in [0, 1]"
            else:
                bad |= (value < lo) | (value > hi)
                rule = f"must lie on the issue's scale [{lo:g}, {hi:g}]"
            if bad.any():
                draw = int(np.argmax(bad))
                raise InputError(
                    f"{field_name} {value[draw]:.6g} {rule} (draw {draw})",
                    file=file or scenario.file,
                    line=member.line,
                    field=where,
                )
            columns[field_name].append(np.array(value))
    stack = {k: np.stack(v, axis=1) for k, v in columns.items()}
    return IssueDraws(
        issue,
        tuple(m.actor for m in issue.actors),
        stack["position"],
        stack["capability"],
        stack["salience"],
    )


def central_parameters(
    scenario: Scenario, values: Mapping[str, float] | None = None
) -> dict[str, FloatArray]:
    """``name -> (1, 1)`` the central values, with ``values`` (checked as in
    :func:`realpolitik.forecast`) in their place."""
    settings = Settings.resolve(scenario, values=values)
    row = central_row(scenario, settings)
    return {pid: row[:, k : k + 1] for k, pid in enumerate(scenario.parameter_ids)}


def run_issue(
    scenario: ScenarioLike,
    issue_id: str | None = None,
    *,
    model: str = "eum",
    variant: str | None = None,
    rounds: int | None = None,
    values: Mapping[str, float] | None = None,
) -> BargainingRun:
    """Run a model of :data:`~realpolitik.bargaining.models.BARGAINING_MODELS`
    on an issue at the parameters' central values (with ``values`` held by
    hand instead, as in :func:`realpolitik.forecast`)."""
    scenario = as_scenario(scenario)
    found = bargaining_model(model)
    issue = find_issue(scenario, issue_id)
    params = central_parameters(scenario, values)
    problem = issue_draws(scenario, issue, params).problem(0, scenario.id)
    return found.run(problem, ModelOptions(variant=variant, rounds=rounds))


@dataclass(frozen=True, eq=False)
class IssueEnsemble:
    """A model's forecast of an issue over parameter draws."""

    scenario: Scenario
    issue: Issue
    model: str
    n_draws: int
    seed: int
    forecast: FloatArray  # (D,)
    weighted_mean: FloatArray  # (D,)
    weighted_median: FloatArray  # (D,)

    def plot(self) -> Figure:
        """The forecast and both baselines over draws (histograms)."""
        return plot_forecast_draws(
            {
                f"{self.model} forecast": self.forecast,
                "weighted mean": self.weighted_mean,
                "weighted median": self.weighted_median,
            },
            title=f"{self.scenario.title}: {self.issue.id} over {self.n_draws} draws",
        )

    def _repr_html_(self) -> str:
        summary = self.summary()
        rows = [("forecast", summary["forecast"]), *summary["baselines"].items()]
        frame = pd.DataFrame([{"": name, **stats} for name, stats in rows])
        return result_html(
            f"{self.scenario.title}: {self.issue.id} ({self.model}, {self.n_draws} draws, "
            f"seed {self.seed})",
            [],
            {"Over draws": frame},
        )

    def summary(self) -> dict[str, Any]:
        """Mean and 90% interval of the forecast and the baselines."""

        def describe(x: FloatArray) -> dict[str, float]:
            return {
                "mean": float(x.mean()),
                "p05": float(np.percentile(x, 5)),
                "p50": float(np.percentile(x, 50)),
                "p95": float(np.percentile(x, 95)),
            }

        return {
            "scenario": self.scenario.id,
            "issue": self.issue.id,
            "model": self.model,
            "draws": self.n_draws,
            "seed": self.seed,
            "forecast": describe(self.forecast),
            "baselines": {
                "weighted_mean": describe(self.weighted_mean),
                "weighted_median": describe(self.weighted_median),
            },
        }


def run_issue_draws(
    scenario: ScenarioLike,
    issue_id: str | None = None,
    *,
    draws: int,
    seed: int,
    model: str = "eum",
    variant: str | None = None,
    rounds: int | None = None,
    method: str = "mc",
    values: Mapping[str, float] | None = None,
) -> IssueEnsemble:
    """Forecast an issue over ``draws`` parameter draws (the scenario's sampler,
    correlations included, the same draws as a forecast with this seed). Every
    model runs every draw at once (the SMP in chunks of draws, memory
    bounded, each draw's forecast equal to ``run_smp`` on that draw alone)."""
    scenario = as_scenario(scenario)
    found = bargaining_model(model)
    issue = find_issue(scenario, issue_id)
    settings = Settings.resolve(scenario, draws=draws, seed=seed, method=method, values=values)
    sample = run_sampler(scenario, settings).draws(0, draws)
    params = {n: sample[:, k : k + 1] for k, n in enumerate(scenario.parameter_ids)}
    stances = issue_draws(scenario, issue, params)
    weight = stances.capability * stances.salience
    forecast = found.run_batch(
        stances.capability,
        stances.position,
        stances.salience,
        issue.scale,
        ModelOptions(variant=variant, rounds=rounds),
    )
    return IssueEnsemble(
        scenario,
        issue,
        found.name,
        draws,
        seed,
        forecast,
        weighted_mean(stances.position, weight),
        weighted_median(stances.position, weight),
    )
