"""Linked parameters evaluated: each draw's value of a parameter taken from
another scenario's outcome (see :mod:`realpolitik.scenario.links`).

Why in the run layer: the upstream scenario must be compiled and solved on
the same draws as the downstream one, which the scenario layer (pure data)
cannot do. Draw ``i`` of the downstream run takes the upstream outcome of
draw ``i`` of the upstream's own sampler with the same number of draws, seed
and method; parameters the two scenarios share by name get the same values
there (Monte Carlo and Latin hypercube draws are keyed by parameter name),
so common causes stay common. At the central values the upstream is solved
at its own central values.

:class:`ScenarioSampler` is the sampler every run uses: the scenario's
distributions and correlations (:mod:`realpolitik.run.sampling`) with the
linked columns filled in, draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.errors import InputError
from realpolitik.run.evaluate import evaluate_draws
from realpolitik.run.outcomes import DrawOutcomes, OutcomeLayout
from realpolitik.run.sampling import scenario_sampler
from realpolitik.run.settings import Settings
from realpolitik.scenario.model import Link, Scenario
from realpolitik.uncertainty.sampling import Sampler

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class _Upstream:
    """One link's upstream scenario, compiled, with its sampler."""

    link: Link
    compiled: CompiledScenario
    layout: OutcomeLayout
    settings: Settings
    sampler: ScenarioSampler | None

    def value(self, outcomes: DrawOutcomes) -> FloatArray:
        """``(D,)`` the linked outcome of each draw."""
        parts = self.link.take.split(":")
        if parts[0] == "metric":
            ids = [m.id for m in self.compiled.scenario.metrics]
            return np.asarray(outcomes.metric_expectation[:, ids.index(parts[1])])
        if parts[0] == "belief":
            return self._belief(outcomes, parts[1], *parts[2].split("=", 1))
        if parts[0] == "posterior":
            return self._posterior(outcomes, *parts[1].split("=", 1))
        columns = [
            k
            for k, key in enumerate(self.layout.keys)
            if key.actor == parts[0]
            and key.action == parts[-1]
            and (len(parts) == 2 or key.move == parts[1])
        ]
        out: FloatArray = outcomes.action_probability[:, columns].sum(axis=1)
        return out

    def _at(self, subject: str, level: str) -> NDArray[np.bool_]:
        """``(terminals,)`` whether each terminal's path has ``subject == level``."""
        move_id, actor, dimension = self.compiled.subjects[subject]
        move = self.compiled.scenario.move(move_id)
        levels = (
            move.dimensions[actor][dimension].level_ids()
            if dimension >= 0
            else move.action_ids(actor)
        )
        at: NDArray[np.bool_] = self.compiled.terminal_actions[subject][0] == levels.index(level)
        return at

    def _posterior(self, outcomes: DrawOutcomes, subject: str, level: str) -> FloatArray:
        """An outside observer's posterior for ``subject == level`` after
        seeing only ``given`` (Bayes' rule on the path probabilities)."""
        seen = np.ones(outcomes.path_probability.shape[1], dtype=bool)
        for s, lv in self.link.given:
            seen &= self._at(s, lv)
        p = outcomes.path_probability
        evidence = p[:, seen].sum(axis=1)
        joint = p[:, seen & self._at(subject, level)].sum(axis=1)
        never = np.flatnonzero(evidence <= 0)
        if never.size:
            shown = ", ".join(f"{a} = {b}" for a, b in self.link.given)
            raise InputError(
                f"{self.link.take}: what the observer sees ({shown}) has probability 0 in "
                f"{self.compiled.scenario.id} at draw {int(never[0])}, so the posterior is "
                "undefined; observe something that can happen under its solution concept",
                line=self.link.line,
            )
        out: FloatArray = joint / evidence
        return out

    def _belief(self, outcomes: DrawOutcomes, actor: str, subject: str, level: str) -> FloatArray:
        extras = self.layout.extras
        beliefs = () if extras is None else extras.beliefs
        given = tuple(self.link.given)
        matches = [
            k
            for k, b in enumerate(beliefs)
            if b.actor == actor
            and b.subject == subject
            and b.level == level
            and b.observed == given
        ]
        if not matches or extras is None or outcomes.extra is None:
            seen = sorted({b.observed for b in beliefs if b.actor == actor})
            raise InputError(
                f"{self.link.take}: {actor} never observes exactly {list(map(list, given))} "
                f"while unsure of {subject} in {self.compiled.scenario.id}; where it is unsure it "
                f"observes: {'; '.join(str(list(map(list, s))) for s in seen) or 'nothing'}",
                line=self.link.line,
            )
        offset, n = len(extras.edge_lists), len(beliefs)
        numerator = outcomes.extra[:, offset + matches[0]]
        reach = outcomes.extra[:, offset + n + matches[0]]
        return np.divide(numerator, reach, out=np.full_like(numerator, np.nan), where=reach > 0)


@dataclass(frozen=True, eq=False)
class ScenarioSampler:
    """A run's draws of a scenario's parameters: the distributions'
    (``base``) with each linked parameter's column computed from its
    upstream scenario on the same draws."""

    scenario: Scenario
    base: Sampler
    draws_total: int
    seed: int
    method: str

    @cached_property
    def links(self) -> dict[int, _Upstream]:
        """Column -> its upstream (empty for a scenario without links)."""
        out: dict[int, _Upstream] = {}
        for column, pid in enumerate(self.scenario.parameter_ids):
            link = self.scenario.parameters[pid].link
            if link is None:
                continue
            upstream = link.scenario
            settings = Settings.resolve(
                upstream, draws=self.draws_total, seed=self.seed, method=self.method
            )
            compiled = compile_scenario(upstream)
            sampler = (
                linked_sampler(upstream, self.draws_total, method=self.method, seed=self.seed)
                if self.draws_total
                else None
            )
            out[column] = _Upstream(link, compiled, OutcomeLayout.of(compiled), settings, sampler)
        return out

    def draws(self, start: int, stop: int) -> FloatArray:
        """``(stop - start, k)`` draws ``start .. stop - 1``."""
        values = self.base.draws(start, stop)
        for column, up in self.links.items():
            assert up.sampler is not None
            rows = up.sampler.draws(start, stop)
            solved = evaluate_draws(
                up.compiled, up.layout, up.settings.concept, up.settings.lam, rows, first_draw=start
            )
            values[:, column] = up.value(solved.outcomes)
        return values

    def record(self) -> dict[str, Any]:
        """The base sampler's record, with the links named."""
        out = self.base.record()
        if self.links:
            out["links"] = {
                self.scenario.parameter_ids[c]: {
                    "scenario": up.compiled.scenario.id,
                    "take": up.link.take,
                    "given": [list(g) for g in up.link.given],
                }
                for c, up in self.links.items()
            }
        return out


def linked_sampler(
    scenario: Scenario,
    draws: int,
    *,
    method: str = "mc",
    seed: int = 0,
    held: dict[str, float] | None = None,
) -> ScenarioSampler:
    """The sampler of ``draws`` draws of the scenario, links included."""
    base = scenario_sampler(scenario, draws, method=method, seed=seed, held=held)
    return ScenarioSampler(scenario, base, draws, seed, method)


def run_sampler(scenario: Scenario, settings: Settings) -> ScenarioSampler:
    """The sampler of a run over draws (its held values fixed, links included)."""
    return linked_sampler(
        scenario,
        settings.draws,
        method=settings.method,
        seed=settings.seed if settings.seed is not None else 0,
        held=dict(settings.values),
    )


def central_row(scenario: Scenario, settings: Settings) -> FloatArray:
    """``(1, k)`` the central values (held values in their place), each linked
    parameter's the upstream's outcome at its own central values."""
    row = settings.central_row(scenario)
    held = dict(settings.values)
    for column, pid in enumerate(scenario.parameter_ids):
        link = scenario.parameters[pid].link
        if link is None or pid in held:
            continue
        upstream = link.scenario
        up_settings = Settings.resolve(upstream)
        compiled = compile_scenario(upstream)
        layout = OutcomeLayout.of(compiled)
        solved = evaluate_draws(
            compiled,
            layout,
            up_settings.concept,
            up_settings.lam,
            central_row(upstream, up_settings),
            first_draw=None,
        )
        up = _Upstream(link, compiled, layout, up_settings, None)
        row[0, column] = float(up.value(solved.outcomes)[0])
    return row
