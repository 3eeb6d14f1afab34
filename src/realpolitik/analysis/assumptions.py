"""What a forecast rests on, attached to it: the judgement share of each
number (:mod:`realpolitik.analysis.judgement`) and the noise share of each
probability (:mod:`realpolitik.analysis.noise`).

Why a module of its own: a forecast computed now, one resumed and one read
back from a results store must say the same thing (their JSON documents are
equal), so all three attach these the same way.
"""

from __future__ import annotations

from realpolitik.analysis.forecast_summary import Forecast, ForecastAccumulator
from realpolitik.analysis.judgement import judgement_shares
from realpolitik.analysis.noise import noise_shares
from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.run.outcomes import OutcomeLayout


def with_assumptions(
    result: Forecast,
    compiled: CompiledScenario,
    on: bool = True,
    accumulator: ForecastAccumulator | None = None,
) -> Forecast:
    """``result`` with what rests on assumptions: the judgement share of each
    number (:mod:`realpolitik.analysis.judgement`) and the noise share of each
    probability (:mod:`realpolitik.analysis.noise`), in ``extra``; the
    forecast's ``accumulator``, if given, lends the noise note the draws it
    has already solved."""
    if on:
        # the forecast's own layout, whose cached parts (path labels) are built
        layout = accumulator.layout if accumulator is not None else OutcomeLayout.of(compiled)
        result.extra["judgement"] = judgement_shares(compiled, result.settings, layout)
        solved = None if accumulator is None else accumulator.first_actions
        noise = noise_shares(compiled, result.settings, layout, solved=solved)
        if noise is not None:
            result.extra["noise"] = noise
    return result
