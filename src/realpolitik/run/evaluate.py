"""Evaluate a block of parameter draws: parameters -> game -> solution ->
metrics -> per-draw outcomes, every draw at once.

Why one function: the forecast (central values and ensembles), the
explanation, the sensitivity and discovery runs and the web API all solve
blocks of draws; written once, the chain cannot differ between them (it was
once written three times). Memory is bounded by the caller's block size;
:func:`realpolitik.run.blocks.draw_blocks` gives the blocks of a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.concepts import MIXTURE
from realpolitik.run.outcomes import DrawOutcomes, OutcomeLayout, draw_outcomes
from realpolitik.run.structural import draw_precision, solve_mixture
from realpolitik.solve.dispatch import solve
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]

#: Draws solved at once at most: bounds memory for any number of draws.
DEFAULT_BLOCK = 8192
#: Values the largest array of a block (the payoffs ``(D, terminals,
#: players)``, or the payoff terms with ``terms``) holds at most: 8 Mi
#: doubles, 64 MiB. Measured on the flagship (2048 terminals, 4 players):
#: blocks of 8192 draws (512 MiB of payoffs, each expression's temporaries
#: 128 MiB) spent as much time in page faults as in solving; 1024 draws ran
#: 10^4 draws in 11.3 s against 27.8 s, 256 draws in 17.7 s (Python's cost
#: per block returns).
BLOCK_VALUES = 1 << 23


def block_draws(compiled: CompiledScenario, *, terms: bool = False, multiple: int = 1) -> int:
    """Draws per block for this scenario: as many as keep the block's payoff
    array within :data:`BLOCK_VALUES` values, at most :data:`DEFAULT_BLOCK`,
    a multiple of ``multiple`` (at least one multiple)."""
    width = compiled.tree.n_terminals * len(compiled.players)
    if terms:
        width *= max(1, len(compiled.scenario.terms))
    fit = min(DEFAULT_BLOCK, max(1, BLOCK_VALUES // width))
    return max(multiple, fit // multiple * multiple)


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
    lam: float | FloatArray | None,
    parameters: FloatArray,
    *,
    first_draw: int | None = 0,
    terms: bool = False,
    term_weights: FloatArray | None = None,
    mixture: Sequence[tuple[str, float]] | None = None,
    payoffs_out: FloatArray | None = None,
    terms_out: FloatArray | None = None,
) -> EvaluatedDraws:
    """Solve the scenario on ``(D, k)`` parameter values.

    Parameters
    ----------
    compiled : the compiled scenario; ``layout`` its outcome layout.
    concept, lam : the solution concept and its precision (see
        :func:`realpolitik.solve.dispatch.solve`): one precision, one per
        draw ``(D,)``, or None to use the scenario's drawn ``lambda`` column
        (:func:`realpolitik.run.structural.draw_precision`). The concept
        ``"mixture"`` mixes the outcomes of the concepts of ``mixture``
        (default: the scenario's ``solve.mixture``) per draw.
    parameters : ``(D, k)`` values, columns in the scenario's parameter order.
    first_draw : index of the first row in its run (None: the central values).
    terms : keep each payoff term apart through solving (for explanations).
    term_weights : ``(D or 1, len(scenario.terms))`` multipliers of the
        payoff terms per draw (a view's weights), or None.
    payoffs_out : ``(D, terminals, players)`` float64, C-contiguous: the
        array the payoffs are written into (without ``terms``), for a caller
        that evaluates slice after slice; the returned solution's game holds
        it (see :meth:`~realpolitik.compiler.scenario_tree.CompiledScenario.game`).
    terms_out : with ``terms``, ``(at least D, terminals, players, terms)``
        float64, C-contiguous, zero outside each term's own column (as it is
        after a call with the same scenario): its first ``D`` rows receive
        the payoff terms (the same use as ``payoffs_out``).
    """
    params = compiled.parameter_values(parameters)
    precision = draw_precision(compiled.scenario, params, lam)
    derived = compiled.with_derived(params, first_draw=first_draw)  # once for both
    game = compiled.game(
        params,
        terms=terms,
        first_draw=first_draw,
        term_weights=term_weights,
        derived=derived,
        payoffs_out=None if terms else payoffs_out,
        terms_out=None if terms_out is None or not terms else terms_out[: len(parameters)],
    )
    metrics = compiled.metric_parts(params, first_draw=first_draw, derived=derived)
    if concept == MIXTURE:
        mixed = solve_mixture(
            game, layout, mixture or compiled.scenario.solve.mixture, precision, metrics
        )
        return EvaluatedDraws(first_draw, parameters, mixed.solution, mixed.outcomes)
    solution = solve(game, concept, precision)
    outcomes = draw_outcomes(layout, solution, metrics)
    return EvaluatedDraws(first_draw, parameters, solution, outcomes)


def block_outcomes(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    concept: str,
    lam: float | FloatArray | None,
    parameters: FloatArray,
    *,
    first_draw: int | None = None,
) -> tuple[FloatArray, FloatArray]:
    """``(D, actions)`` action probabilities and ``(D, metrics)`` expected
    metrics on ``(D, k)`` parameter values, solved in blocks of
    :func:`block_draws` rows, so that memory stays bounded whatever ``D``
    (a Sobol' design of 4096 rows of the flagship, solved at once, peaked at
    1.6 GB). Arguments as :func:`evaluate_draws`; a per-draw ``lam`` is
    sliced with the rows."""
    actions, metrics = _solved_in_blocks(
        compiled, layout, concept, lam, parameters, first_draw, with_metrics=True
    )
    assert metrics is not None
    return actions, metrics


def block_actions(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    concept: str,
    lam: float | FloatArray | None,
    parameters: FloatArray,
    *,
    first_draw: int | None = None,
) -> FloatArray:
    """The action probabilities of :func:`block_outcomes` alone, for a
    caller that reads no metric: the flagship's metrics at every terminal,
    stacked per block, took 0.05 s per 1024 draws."""
    actions, _ = _solved_in_blocks(
        compiled, layout, concept, lam, parameters, first_draw, with_metrics=False
    )
    return actions


def _solved_in_blocks(
    compiled: CompiledScenario,
    layout: OutcomeLayout,
    concept: str,
    lam: float | FloatArray | None,
    parameters: FloatArray,
    first_draw: int | None,
    *,
    with_metrics: bool,
) -> tuple[FloatArray, FloatArray | None]:
    size = block_draws(compiled)
    n = parameters.shape[0]
    actions = np.empty((n, len(layout.keys)))
    metrics = np.empty((n, len(compiled.scenario.metrics))) if with_metrics else None
    for lo in range(0, n, size):
        hi = min(lo + size, n)
        outcomes = evaluate_draws(
            compiled,
            layout,
            concept,
            lam[lo:hi] if isinstance(lam, np.ndarray) and lam.ndim == 1 else lam,
            parameters[lo:hi],
            first_draw=None if first_draw is None else first_draw + lo,
        ).outcomes
        actions[lo:hi] = outcomes.action_probability
        if metrics is not None:
            metrics[lo:hi] = outcomes.metric_expectation
    return actions, metrics
