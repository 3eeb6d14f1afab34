"""The log-likelihood of observed choices as a function of the logit
precision lambda and of weights on payoff terms: the model that
:func:`realpolitik.estimation.calibrate.calibrate` maximises.

Case ``c``'s game has the scenario's payoff terms at the case's parameters;
actor ``i``'s payoff is ``sum_k w_ik term_ik`` (``w = 1`` except the weights
fitted) and every mover plays ``p(a) ∝ exp(lambda v(a))``. The agent QRE at
``lambda`` with payoffs ``u`` is the one at 1 with payoffs ``lambda u``, so
the coefficients are ``(log lambda, w...)`` and each evaluation scales the
payoff terms (computed once, at construction) and solves the scaled games at
precision 1 with the vectorised solvers, many coefficient vectors stacked in
one call. Cases that share their parameters and reports are solved once and
counted (multinomial weights), so 10^4 cases of one game cost one game per
report pattern.

Derivatives: the coefficients are few, so the gradient is a central
difference and the Hessian a second difference of the stacked likelihood
(``2 k + 1`` and ``2 k^2 + 1`` coefficient vectors). The object satisfies
:class:`realpolitik.estimation.mle.CaseLikelihood` (it pickles as the
scenario's text), so the optimiser and profiles of the canonical models serve
it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.games.tree import TreeGame
from realpolitik.run.case_table import CaseTable
from realpolitik.run.observations import Observations
from realpolitik.scenario.load import load
from realpolitik.scenario.model import Scenario
from realpolitik.solve.dispatch import solve

__all__ = ["CalibrationLikelihood", "case_parameter_matrix"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Payoff entries solved in one call (bounds a stacked evaluation's memory).
BLOCK_ENTRIES = 4_000_000
#: Relative steps of the gradient and Hessian differences.
FD_STEP = float(np.cbrt(np.finfo(np.float64).eps))
FD_STEP_2 = float(np.finfo(np.float64).eps ** 0.25)


def case_parameter_matrix(scenario: Scenario, table: CaseTable) -> FloatArray:
    """``(cases, k)`` every parameter per case in the scenario's order: the
    case's own value where its column gives one, else the central value."""
    out = np.empty((table.n_cases, len(scenario.parameter_ids)))
    for k, pid in enumerate(scenario.parameter_ids):
        central = scenario.parameters[pid].central
        column = table.values.get(pid)
        out[:, k] = central if column is None else np.where(np.isnan(column), central, column)
    return out


@dataclass
class CalibrationLikelihood:
    """Log-likelihood of cases as a function of ``(log lambda, weights)``.

    Parameters
    ----------
    compiled : the compiled scenario.
    observations : the distinct cases (parameters and reports).
    expand : ``(cases,)`` the distinct case of each case.
    terms : ``(distinct, terminals, players, terms)`` payoff terms.
    chance : ``(distinct, chance edges)`` chance probabilities, or None.
    free : the ``(player, term)`` entries whose weight is fitted.
    names : coefficient names (``log(lambda)``, then ``w(actor.term)``).
    """

    compiled: CompiledScenario
    observations: Observations
    expand: IntArray
    terms: FloatArray
    chance: FloatArray | None
    free: tuple[tuple[int, int], ...]
    names: tuple[str, ...]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        scenario = self.compiled.scenario
        state["compiled"] = (scenario.source_text, scenario.file)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        text, name = state["compiled"]
        state["compiled"] = compile_scenario(load(text=text, name=name))
        self.__dict__.update(state)

    @property
    def n_cases(self) -> int:
        return int(self.expand.shape[0])

    @property
    def n_params(self) -> int:
        return 1 + len(self.free)

    def weights_matrix(self, theta: FloatArray) -> FloatArray:
        """``(players, terms)`` the term weights at ``theta`` (lambda excluded)."""
        w = np.ones(self.terms.shape[2:])
        for k, (p, t) in enumerate(self.free):
            w[p, t] = theta[1 + k]
        return w

    def loglik_distinct(self, thetas: FloatArray) -> FloatArray:
        """``(m, distinct)`` log-likelihood of each distinct case under each
        of ``m`` coefficient vectors (stacked, in bounded blocks)."""
        thetas = np.atleast_2d(thetas)
        n, t, p, _ = self.terms.shape
        out = np.empty((thetas.shape[0], n))
        case_block = max(1, min(n, BLOCK_ENTRIES // (t * p)))
        for lo in range(0, n, case_block):
            rows = np.arange(lo, min(n, lo + case_block))
            per_call = max(1, BLOCK_ENTRIES // (t * p * rows.size))
            for a in range(0, thetas.shape[0], per_call):
                part = thetas[a : a + per_call]
                scaled = np.stack(
                    [
                        np.exp(th[0])
                        * np.einsum("rtpk,pk->rtp", self.terms[rows], self.weights_matrix(th))
                        for th in part
                    ]
                ).reshape(-1, t, p)
                chance = (
                    None if self.chance is None else np.tile(self.chance[rows], (part.shape[0], 1))
                )
                game = TreeGame(self.compiled.tree, scaled, chance_probs=chance)
                reach = solve(game, "qre", 1.0).terminal_reach
                ll = self.observations.log_probability(reach, np.tile(rows, part.shape[0]))
                out[a : a + part.shape[0], rows] = ll.reshape(part.shape[0], rows.size)
        return out

    def distinct_weights(self, weights: FloatArray | None) -> FloatArray:
        w = np.ones(self.n_cases) if weights is None else np.asarray(weights, dtype=np.float64)
        counts = np.bincount(self.expand, weights=w, minlength=self.terms.shape[0])
        return np.asarray(counts, dtype=np.float64)

    def loglik_cases(self, theta: FloatArray) -> FloatArray:
        """Log-likelihood of each case at ``theta``."""
        result: FloatArray = self.loglik_distinct(np.asarray(theta)[None])[0][self.expand]
        return result

    def _steps(self, theta: FloatArray, step: float) -> FloatArray:
        return (theta + step * np.maximum(1.0, np.abs(theta))) - theta

    def value_and_gradient(
        self, theta: FloatArray, weights: FloatArray | None = None
    ) -> tuple[float, FloatArray]:
        """Weighted log-likelihood and its central-difference gradient."""
        theta = np.asarray(theta, dtype=np.float64)
        h = self._steps(theta, FD_STEP)
        shifts = np.diag(h)
        totals = self.loglik_distinct(np.vstack([theta, theta + shifts, theta - shifts]))
        totals = totals @ self.distinct_weights(weights)
        k = theta.size
        if not np.isfinite(totals[0]):
            return float(totals[0]), np.zeros(k)
        return float(totals[0]), (totals[1 : k + 1] - totals[k + 1 :]) / (2.0 * h)

    def hessian(self, theta: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        """Hessian of the weighted log-likelihood by second differences."""
        theta = np.asarray(theta, dtype=np.float64)
        k = theta.size
        h = self._steps(theta, FD_STEP_2)
        e = np.diag(h)
        pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
        rows = [theta, *(theta + e), *(theta - e)]
        for i, j in pairs:
            rows += [theta + e[i] + e[j], theta + e[i] - e[j], theta - e[i] + e[j]]
            rows += [theta - e[i] - e[j]]
        f = self.loglik_distinct(np.array(rows)) @ self.distinct_weights(weights)
        out = np.empty((k, k))
        for i in range(k):
            out[i, i] = (f[1 + i] - 2.0 * f[0] + f[1 + k + i]) / h[i] ** 2
        for n, (i, j) in enumerate(pairs):
            a, b, c, d = f[1 + 2 * k + 4 * n : 5 + 2 * k + 4 * n]
            out[i, j] = out[j, i] = (a - b - c + d) / (4.0 * h[i] * h[j])
        return out
