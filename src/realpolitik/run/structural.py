"""Structural assumptions evaluated per draw: the logit precision drawn like a
parameter, and a forecast that is a declared mixture of solution concepts.

Why a module of its own: lambda and the concept are assumptions as big as
any parameter (``docs/scenario-format.md``, "Structural uncertainty"). A
drawn lambda reaches the solvers as one precision per draw; a mixture such
as ``{qre: 0.8, spe: 0.2}`` solves every draw under each concept and
forecasts, per draw, the weighted mixture of the concepts' outcomes (action
and path probabilities; the metrics' expectations follow from the paths).
The mixture is the forecaster's model uncertainty over concepts, not a
solution concept of its own: no player plays it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.concepts import LAMBDA
from realpolitik.games.tree import TreeGame
from realpolitik.run.outcomes import DrawOutcomes, MetricPart, OutcomeLayout, draw_outcomes
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
#: A precision: one for every draw, ``(draws,)`` one per draw, or None.
Precision = float | FloatArray | None


def draw_precision(
    scenario: Scenario, params: Mapping[str, FloatArray], lam: Precision
) -> Precision:
    """The precision to solve with: ``lam`` when given (a user's
    ``--lambda``), else the drawn parameter ``lambda`` of a scenario whose
    ``solve.lambda`` is a distribution (one per draw), else None."""
    if lam is not None:
        return lam
    if scenario.solve.lam_varies:
        column: FloatArray = np.ascontiguousarray(params[LAMBDA.name][:, 0])
        return column
    return None


@dataclass(frozen=True, eq=False)
class MixedSolution:
    """Each concept of a mixture solved on the same draws.

    ``solution`` is the heaviest concept's (first on ties): the one an
    explanation, which decomposes one solution's values, reads.
    """

    weights: tuple[tuple[str, float], ...]
    solutions: tuple[TreeSolution, ...]
    outcomes: DrawOutcomes

    @property
    def solution(self) -> TreeSolution:
        heaviest = int(np.argmax([w for _, w in self.weights]))
        return self.solutions[heaviest]


def mix_outcomes(
    layout: OutcomeLayout, parts: Sequence[tuple[float, DrawOutcomes]]
) -> DrawOutcomes:
    """Per draw, the weighted sum of outcomes (weights summing to 1), added
    in the order given."""
    weight, first = parts[0]
    action = weight * first.action_probability
    path = weight * first.path_probability
    for weight, part in parts[1:]:
        action = action + weight * part.action_probability
        path = path + weight * part.path_probability
    return DrawOutcomes(layout, action, path, first.metric_parts)


def solve_mixture(
    game: TreeGame,
    layout: OutcomeLayout,
    weights: Sequence[tuple[str, float]],
    lam: Precision,
    metrics: Mapping[str, MetricPart],
) -> MixedSolution:
    """Solve ``game`` under each concept of ``weights`` and mix the outcomes."""
    solutions = tuple(solve(game, concept, lam) for concept, _ in weights)
    parts = [
        (weight, draw_outcomes(layout, solution, metrics))
        for (_, weight), solution in zip(weights, solutions, strict=True)
    ]
    return MixedSolution(tuple(weights), solutions, mix_outcomes(layout, parts))
