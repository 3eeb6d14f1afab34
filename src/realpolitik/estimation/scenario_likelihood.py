"""The log-likelihood of observed cases under a scenario whose payoffs (or
chance probabilities) depend on parameters estimated from data.

A case's likelihood is the probability, under the scenario's agent logit QRE
at precision lambda, of the choices it reports, the unreported ones (chance
moves, missing actions) marginalised by the tree
(:mod:`realpolitik.run.observations`). The cases play the part of parameter
draws: every case's parameters are ``(cases, 1)`` arrays (its estimated
parameters ``x_c' b`` from its covariates, the others from its columns or the
scenario's central values), so one call of the compiled scenario's payoff
evaluation and of the vectorised QRE solver gives every case's game at once.

Derivatives. A case's likelihood depends on the coefficients only through
its ``m`` estimated parameters, ``p_jc = x_jc' b_j``, so by the chain rule

    d ll_c / d b_j = (d ll_c / d p_jc) x_jc,
    d2 ll_c / d b_i d b_j' = (d2 ll_c / d p_ic d p_jc) x_ic x_jc'.

The derivatives in the ``m`` parameters are central finite differences of
the vectorised likelihood, every case's parameter shifted at once: the
gradient stacks ``2 m + 1`` copies of the cases' games and solves them in one
call (in bounded blocks), the Hessian ``2 m^2 + 1`` (second differences),
whatever the number of coefficients (Leblang's 19 coefficients live in 4
parameters: 9 copies per gradient instead of the 39 of differencing each
coefficient). Why not analytic: the scenario's expressions and the
general-tree solvers (information sets, belief iteration) have no adjoint.
Steps ``eps^(1/3) max(1, |p|)`` (gradient) and ``eps^(1/4) max(1, |p|)``
(Hessian): on Leblang's data the gradient is within 2.4e-10 (relative to its
largest entry) of ``egame12``'s exact gradient and the Hessian within 3.5e-8
of the differences of that exact gradient (tests/estimation/test_scenario_fit.py).

The object satisfies :class:`realpolitik.estimation.mle.CaseLikelihood`, so
the optimiser, Hessian, bootstrap and profiles of the canonical models serve
it unchanged; it pickles as the scenario's text (the compiled tree is rebuilt
in worker processes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.run.observations import Observations
from realpolitik.scenario.load import load
from realpolitik.scenario.model import LinearPredictor
from realpolitik.solve.dispatch import solve

__all__ = ["ScenarioLikelihood"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Payoff entries (rows x terminals x players) solved in one call: bounds the
#: memory of a gradient's stacked games (about 40 bytes per entry in all).
BLOCK_ENTRIES = 4_000_000
#: Relative finite-difference steps of the gradient (eps^(1/3)) and Hessian (eps^(1/4)).
FD_STEP = float(np.cbrt(np.finfo(np.float64).eps))
FD_STEP_2 = float(np.finfo(np.float64).eps ** 0.25)


@dataclass
class ScenarioLikelihood:
    """Log-likelihood of cases under a scenario with estimated parameters.

    Parameters
    ----------
    compiled : the compiled scenario.
    observations : the cases' reports, as terminal masks.
    predictors : the parameters estimated, in coefficient order.
    designs : each predictor's regressors, ``(cases, k_j)``.
    fixed : every other parameter, ``(cases, 1)`` (a case's own value, or
        the scenario's central value).
    lam : the QRE's logit precision.
    """

    compiled: CompiledScenario
    observations: Observations
    predictors: tuple[LinearPredictor, ...]
    designs: tuple[FloatArray, ...]
    fixed: Mapping[str, FloatArray]
    lam: float
    _offsets: tuple[int, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        sizes = [x.shape[1] for x in self.designs]
        self._offsets = tuple(int(v) for v in np.concatenate([[0], np.cumsum(sizes)]))

    # pickling: the compiled scenario holds read-only mappings; send the text
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
        return int(self.observations.pattern.shape[0])

    @property
    def n_params(self) -> int:
        return self._offsets[-1]

    @property
    def names(self) -> tuple[str, ...]:
        """Coefficient names, ``parameter:term`` (as ``games`` names them)."""
        return tuple(n for p in self.predictors for n in p.coefficient_ids)

    def linear_values(self, theta: FloatArray) -> FloatArray:
        """``(cases, m)`` every case's estimated parameters at ``theta``."""
        theta = np.asarray(theta, dtype=np.float64)
        return np.column_stack(
            [x @ theta[self._offsets[j] : self._offsets[j + 1]] for j, x in enumerate(self.designs)]
        )

    def reach(self, linear: FloatArray, cases: IntArray) -> FloatArray:
        """``(s * len(cases), terminals)`` terminal probabilities of the
        cases' games with their estimated parameters at ``linear`` (``(s,
        len(cases), m)``: ``s`` stacked copies, copy by copy)."""
        copies = linear.shape[0]
        values = {name: np.tile(v[cases], (copies, 1)) for name, v in self.fixed.items()}
        for j, predictor in enumerate(self.predictors):
            values[predictor.id] = linear[:, :, j].reshape(-1, 1)
        game = self.compiled.game(values, terms=False, first_draw=None)
        return solve(game, "qre", self.lam).terminal_reach

    def shifted_loglik(self, theta: FloatArray, shifts: FloatArray, step: float) -> FloatArray:
        """``(s, cases)`` log-likelihood of every case with its estimated
        parameters moved by ``shifts[s] * step * max(1, |p|)`` (``shifts``
        is ``(s, m)``), solved in blocks of at most :data:`BLOCK_ENTRIES`
        payoff entries."""
        base = self.linear_values(theta)
        scale = self._scale(theta, step)
        tree = self.compiled.tree
        per_case = tree.n_terminals * tree.n_players
        n = self.n_cases
        out = np.empty((shifts.shape[0], n))
        case_block = max(1, min(n, BLOCK_ENTRIES // per_case))
        for lo in range(0, n, case_block):
            cases = np.arange(lo, min(n, lo + case_block))
            per_call = max(1, BLOCK_ENTRIES // (per_case * cases.size))
            for a in range(0, shifts.shape[0], per_call):
                part = shifts[a : a + per_call]
                linear = base[cases][None] + part[:, None, :] * scale[cases][None]
                reach = self.reach(linear, cases)
                rows = np.tile(cases, part.shape[0])
                out[a : a + part.shape[0], cases] = self.observations.log_probability(
                    reach, rows
                ).reshape(part.shape[0], cases.size)
        return out

    def _scale(self, theta: FloatArray, step: float) -> FloatArray:
        """``(cases, m)`` steps ``step * max(1, |p|)``, rounded so that
        ``p + h - p == h`` exactly (the step taken is the step divided by)."""
        base = self.linear_values(theta)
        return (base + step * np.maximum(1.0, np.abs(base))) - base

    def loglik_cases(self, theta: FloatArray) -> FloatArray:
        """Log-likelihood of each case at ``theta``."""
        m = len(self.predictors)
        result: FloatArray = self.shifted_loglik(theta, np.zeros((1, m)), 0.0)[0]
        return result

    def _expand(self, per_parameter: FloatArray) -> FloatArray:
        """``(n_params,)`` from ``(m, cases)`` derivatives in the parameters:
        ``sum_c d_jc x_jc`` per block."""
        return np.concatenate([x.T @ per_parameter[j] for j, x in enumerate(self.designs)])

    def value_and_gradient(
        self, theta: FloatArray, weights: FloatArray | None = None
    ) -> tuple[float, FloatArray]:
        """Weighted log-likelihood and its gradient (central differences in
        the estimated parameters, chain rule to the coefficients)."""
        m = len(self.predictors)
        eye = np.eye(m)
        ll = self.shifted_loglik(theta, np.vstack([np.zeros((1, m)), eye, -eye]), FD_STEP)
        w = np.ones(self.n_cases) if weights is None else np.asarray(weights, dtype=np.float64)
        value = float(ll[0] @ w)
        if not np.isfinite(value):
            return value, np.zeros(self.n_params)
        scale = self._scale(theta, FD_STEP).T  # (m, cases)
        d_parameter = (ll[1 : m + 1] - ll[m + 1 :]) / (2.0 * scale) * w
        return value, self._expand(d_parameter)

    def hessian(self, theta: FloatArray, weights: FloatArray | None = None) -> FloatArray:
        """Hessian of the weighted log-likelihood: second differences in the
        estimated parameters (``2 m^2 + 1`` stacked copies), chain rule to
        the coefficients."""
        m = len(self.predictors)
        eye = np.eye(m)
        pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
        shifts = [np.zeros(m), *eye, *(-eye)]
        for i, j in pairs:
            shifts += [eye[i] + eye[j], eye[i] - eye[j], -eye[i] + eye[j], -eye[i] - eye[j]]
        ll = self.shifted_loglik(theta, np.array(shifts), FD_STEP_2)
        h = self._scale(theta, FD_STEP_2).T  # (m, cases)
        w = np.ones(self.n_cases) if weights is None else np.asarray(weights, dtype=np.float64)
        second = np.empty((m, m, self.n_cases))
        for i in range(m):
            second[i, i] = (ll[1 + i] - 2.0 * ll[0] + ll[1 + m + i]) / h[i] ** 2
        for k, (i, j) in enumerate(pairs):
            a, b, c, d = ll[1 + 2 * m + 4 * k : 5 + 2 * m + 4 * k]
            second[i, j] = second[j, i] = (a - b - c + d) / (4.0 * h[i] * h[j])
        out = np.empty((self.n_params, self.n_params))
        for i, xi in enumerate(self.designs):
            for j, xj in enumerate(self.designs):
                block = (xi * (second[i, j] * w)[:, None]).T @ xj
                out[
                    self._offsets[i] : self._offsets[i + 1], self._offsets[j] : self._offsets[j + 1]
                ] = block
        return np.asarray(0.5 * (out + out.T), dtype=np.float64)

    def subset(self, rows: IntArray) -> ScenarioLikelihood:
        """The likelihood of the cases ``rows`` only."""
        return ScenarioLikelihood(
            compiled=self.compiled,
            observations=Observations.of(self.observations.table.take(rows)),
            predictors=self.predictors,
            designs=tuple(x[rows] for x in self.designs),
            fixed={k: v[rows] for k, v in self.fixed.items()},
            lam=self.lam,
        )
