"""Evaluate a block of parameter draws: parameters -> game -> solution ->
metrics -> per-draw outcomes, every draw at once.

Why one function: the forecast (central values and ensembles), the
explanation, the sensitivity and discovery runs and the web API all solve
blocks of draws; written once, the chain cannot differ between them (it was
once written three times). Memory is bounded by the caller's block size;
:func:`draw_blocks` gives the blocks of a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.run.outcomes import DrawOutcomes, OutcomeLayout, draw_outcomes
from realpolitik.solve.dispatch import solve
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]

#: Draws solved at once by default: bounds memory for any number of draws.
DEFAULT_BLOCK = 8192


@dataclass(frozen=True, eq=False)
class EvaluatedDraws:
    """A block of draws, solved.

    Attributes
    ----------
    first_draw : the index of the block's first draw in its run, or None for
        the central values (numbers draws in error messages).
    parameters : ``(D, k)`` the parameter values, in the scenario's order.
    solution : the solved game (with payoff terms if asked for).
    outcomes : the per-draw outcomes (actions, paths, metrics).
    """

    first_draw: int | None
    parameters: FloatArray
    solution: TreeSolution
    outcomes: DrawOutcomes


def evaluate_draws(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    concept: str,
    lam: float | None,
    parameters: FloatArray,
    *,
    first_draw: int | None = 0,
    terms: bool = False,
) -> EvaluatedDraws:
    """Solve the scenario on ``(D, k)`` parameter values.

    Parameters
    ----------
    compiled : the compiled scenario; ``layout`` its outcome layout.
    concept, lam : the solution concept and its precision (see
        :func:`realpolitik.solve.dispatch.solve`).
    parameters : ``(D, k)`` values, columns in the scenario's parameter order.
    first_draw : index of the first row in its run (None: the central values).
    terms : keep each payoff term apart through solving (for explanations).
    """
    params = compiled.parameter_values(parameters)
    game = compiled.game(params, terms=terms, first_draw=first_draw)
    solution = solve(game, concept, lam)
    metrics = compiled.metric_values(params, first_draw=first_draw)
    outcomes = draw_outcomes(layout, solution, metrics)
    return EvaluatedDraws(first_draw, parameters, solution, outcomes)
