"""How much of each forecast probability is noise (the logit precision
lambda) rather than payoffs.

Why: under the agent logit QRE a probability of 0.3 may mean "the payoffs
favour this option in 30% of the plausible worlds" or "the payoffs always
favour another option, but choices are noisy". Two numbers tell them apart:

- **QRE beside best response.** On the same draws, each action's mean
  probability under the forecast's concept and under best responses: the
  subgame-perfect equilibrium (backward induction) where the tree allows it,
  else (information sets that are not simultaneous stages: private types,
  signals) the limiting logit equilibrium (``logit-limit``, the principal
  QRE branch at lambda -> infinity, a sequential equilibrium;
  :mod:`realpolitik.solve.logit_limit`) on the first
  :data:`LIMIT_DRAWS` of the compared draws, averaged over the draws whose
  trace converged (the JSON says which concept and how many draws; where
  some were left out, the note says in which action the forecast differs
  most between them and the draws used: they are not left out by chance).
  Where they agree, the probability comes from the payoffs' uncertainty;
  the gap is what noise adds or takes away.
- **The share of the variance due to lambda.** When lambda is drawn
  (``solve: {lambda: {dist: ...}}``), the first-order Sobol' index of lambda
  for each action's probability, with the other parameters taken together as
  one group (SALib's grouped Sobol' design, Saltelli 2002; ``N (G + 2)`` rows
  for ``G = 2`` groups, evaluated as one batch; an estimate, which can
  fall slightly below 0 when lambda's true share is small, reported with
  SALib's 95% confidence half-width of draws through the run
  layer). It is the share of the variance across draws explained by lambda
  alone; like every Sobol' index here, it treats the parameters as
  independent.

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute
sensitivity indices. Computer Physics Communications 145, 280-297.
Herman, J., Usher, W. (2017). SALib: an open-source Python library for
sensitivity analysis. Journal of Open Source Software 2(9).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from realpolitik.analysis.forecast_summary import json_number
from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.concepts import LAMBDA, uses_lambda
from realpolitik.errors import GameClassError
from realpolitik.run.evaluate import block_actions, evaluate_draws
from realpolitik.run.links import central_row, run_sampler
from realpolitik.run.outcomes import OutcomeLayout
from realpolitik.run.settings import Settings
from realpolitik.solve.logit_limit import CONCEPT as LOGIT_LIMIT

FloatArray = NDArray[np.float64]

#: Most draws of a run compared with best responses (the run's first ones).
NOISE_DRAWS = 2048
#: Base sample size of the grouped Sobol' design (rows: 4 x this).
SOBOL_BASE = 1024
#: Most draws compared with the logit limit where there is no SPE (the limit
#: costs about 65 ms per draw of the flagship on one core, against microseconds
#: for backward induction).
LIMIT_DRAWS = 128


@dataclass(frozen=True, eq=False)
class NoiseShares:
    """QRE against best response per action, and lambda's Sobol' index.

    ``table``: one row per action (``name`` ``actor:move:action``):
    ``forecast`` (mean probability under the forecast's concept on the
    compared draws), ``best_response`` (under ``best_response_concept``,
    on ``best_response_draws`` of them), ``gap`` (the forecast's mean on
    those same draws less the best response's),
    ``lambda_s1`` and ``lambda_s1_conf`` (NaN when lambda is not drawn).
    """

    concept: str
    draws: int
    lambda_drawn: bool
    sobol_base: int
    table: pd.DataFrame
    note: str = ""
    best_response_concept: str | None = "spe"
    best_response_draws: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "draws": self.draws,
            "best_response_concept": self.best_response_concept,
            "best_response_draws": self.best_response_draws,
            "lambda_drawn": self.lambda_drawn,
            "sobol_rows": self.sobol_base * 4 if self.lambda_drawn else 0,
            "note": self.note or None,
            "actions": [
                {
                    "name": str(r["name"]),
                    "forecast": float(r["forecast"]),
                    "best_response": json_number(r["best_response"]),
                    "gap": json_number(r["gap"]),
                    "lambda_s1": json_number(r["lambda_s1"]) if self.lambda_drawn else None,
                    "lambda_s1_conf": (
                        json_number(r["lambda_s1_conf"]) if self.lambda_drawn else None
                    ),
                }
                for r in self.table.to_dict("records")
            ],
        }


def noise_shares(
    compiled: CompiledScenario,
    settings: Settings,
    layout: OutcomeLayout | None = None,
    *,
    draws: int = NOISE_DRAWS,
    sobol_base: int = SOBOL_BASE,
    solved: Callable[[int], FloatArray | None] | None = None,
) -> NoiseShares | None:
    """The noise shares of a forecast's actions (module docstring); None for
    a concept without a precision (the SPE).

    ``solved(n)``: the forecast's own ``(n, actions)`` action probabilities
    of its first ``n`` draws, or None if it did not keep them; the rows
    compared are those draws, so they are used rather than solved again
    (the same numbers: a draw's solution does not depend on the others)."""
    scenario = compiled.scenario
    if not uses_lambda(settings.concept, scenario.solve.mixture):
        return None
    layout = layout or OutcomeLayout.of(compiled)
    if settings.draws == 0:
        rows = central_row(scenario, settings)
    else:
        n = min(draws, settings.draws)
        with warnings.catch_warnings():  # the forecast's own sampler said it already
            warnings.simplefilter("ignore", UserWarning)
            rows = run_sampler(scenario, settings).draws(0, n)
    concept, lam = settings.concept, settings.lam
    kept = solved(rows.shape[0]) if solved is not None and settings.draws > 0 else None
    if kept is not None:
        forecast = kept
    else:
        forecast = block_actions(compiled, layout, concept, lam, rows, first_draw=0)
    mean_forecast = forecast.mean(axis=0)
    mean_best, best_concept, used, note = _best_response(compiled, layout, rows)
    note += _left_out(forecast, used, best_concept, layout)
    # the gap on the very draws of the best response (paired: where that is
    # a subset, the forecast's mean over all rows would add sampling noise)
    gap = forecast[used].mean(axis=0) - mean_best if len(used) else mean_best
    held = dict(settings.values)
    drawn = (
        settings.draws > 0
        and settings.lam is None
        and scenario.solve.lam_varies
        and LAMBDA.name not in held
    )
    s1 = np.full(len(layout.keys), np.nan)
    s1_conf = np.full(len(layout.keys), np.nan)
    if drawn:
        s1, s1_conf = _lambda_first_order(compiled, settings, layout, sobol_base)
    table = pd.DataFrame(
        {
            "name": [f"{k.actor}:{k.move}:{k.action}" for k in layout.keys],
            "forecast": mean_forecast,
            "best_response": mean_best,
            "gap": gap,
            "lambda_s1": s1,
            "lambda_s1_conf": s1_conf,
        }
    )
    return NoiseShares(
        settings.concept,
        int(rows.shape[0]),
        drawn,
        sobol_base,
        table,
        note,
        best_concept,
        len(used),
    )


def _best_response(
    compiled: CompiledScenario, layout: OutcomeLayout, rows: FloatArray
) -> tuple[FloatArray, str | None, NDArray[np.int64], str]:
    """Mean action probabilities under best responses on ``rows``: the SPE,
    or where the tree has information sets that backward induction cannot
    solve, the logit limit on the first :data:`LIMIT_DRAWS` rows, averaged
    over the draws that converged. Returns the means, the concept used, the
    rows averaged and a note (empty when nothing needs saying)."""
    try:
        best = block_actions(compiled, layout, "spe", None, rows, first_draw=0)
        return best.mean(axis=0), "spe", np.arange(rows.shape[0]), ""
    except GameClassError:
        pass
    part = rows[:LIMIT_DRAWS]
    with warnings.catch_warnings():  # non-converged draws are counted in the note
        warnings.simplefilter("ignore", UserWarning)
        # at most LIMIT_DRAWS rows, one block: the solution says which converged
        limit = evaluate_draws(compiled, layout, LOGIT_LIMIT, None, part)
    residual = limit.solution.residual
    converged = np.ones(part.shape[0], dtype=bool) if residual is None else np.isfinite(residual)
    used = int(converged.sum())
    note = (
        f"best response: the logit limit (the game has information sets, no SPE), "
        f"on {used} of the first {part.shape[0]} draws"
    )
    if used < part.shape[0]:
        note += f" ({part.shape[0] - used} draws whose trace did not converge left out)"
    if used == 0:
        return np.full(len(layout.keys), np.nan), LOGIT_LIMIT, np.zeros(0, np.int64), note
    mean: FloatArray = limit.outcomes.action_probability[converged].mean(axis=0)
    return mean, LOGIT_LIMIT, np.flatnonzero(converged), note


def _left_out(
    forecast: FloatArray, used: NDArray[np.int64], concept: str | None, layout: OutcomeLayout
) -> str:
    """Where the logit limit left draws out of the best response, the
    action whose forecast probability differs most between those draws and
    the ones used, as a clause of the note ("" otherwise).

    Why: a draw is left out because its trace did not converge, which is not
    chance: on the flagship (26 of 512 draws) those draws' limits mix, and
    the forecast's mean probability of the West's secondary sanctions is
    0.064 on them against 0.034 on the others. The clause says which way
    the best-response column may lean."""
    if concept != LOGIT_LIMIT or len(used) == 0:
        return ""
    compared = min(LIMIT_DRAWS, forecast.shape[0])
    left = np.setdiff1d(np.arange(compared), used)
    if len(left) == 0:
        return ""
    on_left = forecast[left].mean(axis=0)
    on_used = forecast[used].mean(axis=0)
    a = int(np.argmax(np.abs(on_left - on_used)))
    k = layout.keys[a]
    return (
        f"; on the draws left out the forecast differs most in {k.actor}:{k.move}:{k.action} "
        f"({on_left[a]:.3f} against {on_used[a]:.3f} on the draws used)"
    )


def _lambda_first_order(
    compiled: CompiledScenario, settings: Settings, layout: OutcomeLayout, base: int
) -> tuple[FloatArray, FloatArray]:
    """First-order Sobol' index of lambda against all other varied
    parameters as one group, per action, from one batch of ``4 base`` rows."""
    scenario = compiled.scenario
    held = dict(settings.values)
    ids = scenario.parameter_ids
    varied = [n for n in ids if n not in held and not scenario.parameters[n].distribution.is_fixed]
    central = central_row(scenario, settings)[0]
    groups = ["lambda" if n == LAMBDA.name else "payoffs" for n in varied]
    n_actions = len(layout.keys)
    if len(set(groups)) == 1:  # lambda alone varies: it explains all the variance
        return np.ones(n_actions), np.zeros(n_actions)
    problem = {
        "num_vars": len(varied),
        "names": varied,
        "bounds": [[0.0, 1.0]] * len(varied),
        "groups": groups,
    }
    seed = int(settings.seed or 0) % (2**32)
    U = sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
    U = np.clip(U, 1e-12, 1 - 1e-12)  # the design's 0 and 1 map to infinite tails
    full = np.tile(central, (U.shape[0], 1))
    for j, name in enumerate(varied):  # parameters are few; each column is vectorised
        full[:, ids.index(name)] = scenario.parameters[name].distribution.ppf(U[:, j])
    Y = block_actions(compiled, layout, settings.concept, settings.lam, full)
    s1 = np.full(n_actions, np.nan)
    conf = np.full(n_actions, np.nan)
    position = sorted(set(groups), key=groups.index).index("lambda")
    for a in range(n_actions):  # one SALib analysis per output, as SALib takes them
        y = Y[:, a]
        if float(np.var(y)) <= 0.0:
            continue
        result = sobol_analyze.analyze(
            problem, y, calc_second_order=False, seed=seed, print_to_console=False
        )
        s1[a] = float(result["S1"][position])
        conf[a] = float(result["S1_conf"][position])
    return s1, conf
