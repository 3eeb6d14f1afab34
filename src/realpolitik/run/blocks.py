"""The blocks of a run: its draws (links included), a block at a time, and
each block solved through :func:`realpolitik.run.evaluate.evaluate_draws`.
Memory is bounded by the block size, for any number of draws."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.run.evaluate import EvaluatedDraws, evaluate_draws
from realpolitik.run.links import central_row, run_sampler
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.settings import Settings

FloatArray = NDArray[np.float64]


def draw_blocks(
    compiled: CompiledScenario, settings: Settings, *, block: int, start: int = 0
) -> Iterator[tuple[int | None, FloatArray]]:
    """The parameter values of a run, block by block: ``(first_draw,
    (D, k) values)``; one block ``(None, central row)`` when
    ``settings.draws == 0``."""
    if settings.draws == 0:
        yield None, central_row(compiled.scenario, settings)
        return
    sampler = run_sampler(compiled.scenario, settings)
    for lo in range(start, settings.draws, block):
        yield lo, sampler.draws(lo, min(lo + block, settings.draws))


def evaluate_settings(
    compiled: CompiledScenario,
    settings: Settings,
    *,
    block: int,
    terms: bool = False,
    layout: OutcomeLayout | None = None,
) -> Iterator[EvaluatedDraws]:
    """Every block of a run, solved (see :func:`draw_blocks`). With
    ``terms``, every block's payoff terms go into one array, so a block's
    game holds them only until the next block is asked for."""
    layout = layout or OutcomeLayout.of(compiled)
    terms_out = None
    if terms:
        players, tree = len(compiled.players), compiled.tree
        rows = min(block, settings.draws) if settings.draws else 1
        terms_out = np.zeros((rows, tree.n_terminals, players, len(compiled.scenario.term_ids)))
    for first, values in draw_blocks(compiled, settings, block=block):
        yield evaluate_draws(
            compiled,
            layout,
            settings.concept,
            settings.lam,
            values,
            first_draw=first,
            terms=terms,
            terms_out=terms_out,
        )
