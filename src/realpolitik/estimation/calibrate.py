"""Calibrate a scenario's logit precision lambda (and optionally a weight per
payoff term) on observed choices: maximum likelihood of the reported choices
under the agent logit QRE (Gambit calls it logit estimation: McKelvey and
Palfrey 1995, 1998; Bland and Turocy 2023).

The model. Case ``c``'s game has the scenario's payoff terms at the case's
parameters (its own columns, else the scenario's central values); actor
``i``'s payoff is ``sum_k w_ik term_ik`` with ``w = 1`` except the weights
being fitted, and every mover plays ``p(a) ∝ exp(lambda v(a))``. Because the
agent QRE at ``lambda`` with payoffs ``u`` is the agent QRE at 1 with payoffs
``lambda u``, the coefficients are ``(log lambda, w...)`` and each evaluation
solves the scaled games at precision 1 with the vectorised solvers. The
likelihood of a case is that of :mod:`realpolitik.run.observations` (reported
choices, the rest marginalised by the tree).

Identification: lambda multiplies every payoff, so it is not identified when
every term of every moving actor has a free weight; that is refused. Cases
that share their parameters and reports are solved once and counted
(multinomial weights), so 10^4 cases of one game cost one game per report
pattern.

Inference: the Hessian by second differences of the stacked likelihood (the
coefficients are few), Wald intervals (lambda's on the log scale, so it stays
positive), the likelihood-ratio interval of lambda from its profile, and the
test of lambda = 0 (uniform play) against the fit. The estimate is written
for the scenario's ``solve:`` section as a lognormal distribution of lambda
(median the estimate, ``sigma`` the standard error of ``log lambda``), the
form in which sensitivity and forecasts over draws vary lambda.

Checked against pygambit's ``logit_estimate`` on a small game and by recovery
of a known lambda on simulated choices (tests/estimation/test_calibrate.py).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import optimize, stats

from realpolitik.compiler.scenario_tree import CompiledScenario, compile_scenario
from realpolitik.errors import InputError
from realpolitik.estimation.calibration_likelihood import (
    CalibrationLikelihood,
    case_parameter_matrix,
)
from realpolitik.estimation.fitting import ConvergenceWarning, IdentificationWarning
from realpolitik.estimation.inference import coefficient_lines, finite_or_none
from realpolitik.estimation.mle import covariance, flat_directions, maximize
from realpolitik.run.case_table import read_case_table
from realpolitik.run.observations import Observations
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.scenario.model import Scenario

__all__ = ["LambdaCalibration", "calibrate", "lr_bound"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The coefficient of lambda (on the log scale).
LOG_LAMBDA = "log(lambda)"
#: The id under which a calibration is cited.
CALIBRATION_SOURCE = "calibrated_lambda"


@dataclass
class LambdaCalibration:
    """A calibrated logit precision (and term weights).

    Attributes
    ----------
    scenario : the scenario.
    names : coefficient names: ``log(lambda)``, then ``w(actor.term)``.
    estimates : the coefficients.
    vcov : their covariance (inverse negative Hessian).
    loglik_cases : each case's log-likelihood at the estimate.
    loglik_uniform : the log-likelihood at lambda = 0 (uniform play).
    profile_interval : lambda's likelihood-ratio 95% interval (profile).
    converged, iterations, fit_seconds, warnings : of the fit.
    likelihood : the likelihood (for profiles and the bootstrap).
    """

    scenario: Scenario
    names: tuple[str, ...]
    estimates: FloatArray
    vcov: FloatArray
    loglik_cases: FloatArray
    loglik_uniform: float
    profile_interval: tuple[float, float]
    converged: bool
    iterations: int
    fit_seconds: float
    warnings: list[str]
    likelihood: CalibrationLikelihood = field(repr=False)

    @property
    def n(self) -> int:
        return int(self.loglik_cases.shape[0])

    @property
    def log_likelihood(self) -> float:
        return float(np.sum(self.loglik_cases))

    @property
    def lam(self) -> float:
        """The calibrated lambda."""
        return float(np.exp(self.estimates[0]))

    @property
    def log_lambda_se(self) -> float:
        """Standard error of ``log lambda``."""
        return float(np.sqrt(self.vcov[0, 0]))

    @property
    def lambda_se(self) -> float:
        """Standard error of lambda (delta method: ``lambda * se(log lambda)``)."""
        return self.lam * self.log_lambda_se

    def lambda_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Wald interval of lambda on the log scale (always positive)."""
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        lo = self.estimates[0] - z * self.log_lambda_se
        hi = self.estimates[0] + z * self.log_lambda_se
        return float(np.exp(lo)), float(np.exp(hi))

    @property
    def lr_uniform(self) -> tuple[float, float]:
        """Likelihood-ratio test of lambda = 0: statistic and p-value
        (chi-squared with 1 degree of freedom; on the boundary, conservative)."""
        stat = max(0.0, 2.0 * (self.log_likelihood - self.loglik_uniform))
        return stat, float(stats.chi2.sf(stat, 1))

    @property
    def coefficients(self) -> pd.DataFrame:
        """Estimate, standard error, z and p of every coefficient, and lambda."""
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(self.vcov))
            z = self.estimates / se
        table = pd.DataFrame(
            {"estimate": self.estimates, "std_error": se, "z": z, "p": 2 * stats.norm.sf(abs(z))},
            index=pd.Index(list(self.names), name="coefficient"),
        )
        return table

    @property
    def weights(self) -> dict[str, float]:
        """The fitted term weights, ``actor.term -> weight``."""
        return {n[2:-1]: float(v) for n, v in zip(self.names[1:], self.estimates[1:], strict=True)}

    def solve_spec(self) -> dict[str, Any]:
        """lambda for a scenario's ``solve:`` section, as a distribution:
        ``{"lambda": {"dist": "lognormal", "median": ..., "sigma": ...,
        "source": "calibrated_lambda"}}`` (median the estimate, ``sigma`` the
        standard error of ``log lambda``)."""
        return {
            "lambda": {
                "dist": "lognormal",
                "median": self.lam,
                "sigma": self.log_lambda_se,
                "source": CALIBRATION_SOURCE,
            }
        }

    def solve_yaml(self) -> str:
        """:meth:`solve_spec` as the YAML lines to paste into the scenario,
        with the citation to add under ``sources:``."""
        spec = self.solve_spec()["lambda"]
        lo, hi = self.lambda_interval()
        return "\n".join(
            [
                "solve:",
                "  concept: qre",
                f"  lambda: {{dist: lognormal, median: {spec['median']!r}, "
                f"sigma: {spec['sigma']!r}, source: {CALIBRATION_SOURCE}}}",
                "sources:",
                f'  {CALIBRATION_SOURCE}: {{cite: "lambda calibrated on {self.n} cases by '
                f'maximum likelihood: {self.lam:.6g} (95% interval {lo:.6g} to {hi:.6g})"}}',
            ]
        )

    def summary(self) -> str:
        """The estimate, its intervals and the test against uniform play."""
        lo, hi = self.lambda_interval()
        plo, phi = self.profile_interval
        stat, p = self.lr_uniform
        lines = [
            f"{self.scenario.id}: lambda calibrated by maximum likelihood (agent logit QRE)",
            "",
            "Coefficients:",
            *coefficient_lines(self.coefficients),
            "",
            f"lambda: {self.lam:.6g} (std. error {self.lambda_se:.4g})",
            f"  95% interval (Wald, log scale): {lo:.6g} to {hi:.6g}",
            f"  95% interval (likelihood ratio): {_text(plo)} to {_text(phi)}",
            f"Log-likelihood: {self.log_likelihood:.7g} (uniform play: "
            f"{self.loglik_uniform:.7g}; LR {stat:.4g}, p {p:.4g})",
            f"No. observations: {self.n}",
        ]
        lines += [f"Warning: {m}" for m in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self) -> dict[str, Any]:
        """A strict-JSON document."""
        table = self.coefficients
        lo, hi = self.lambda_interval()
        stat, p = self.lr_uniform
        return {
            "scenario": self.scenario.id,
            "lambda": finite_or_none(self.lam),
            "lambda_std_error": finite_or_none(self.lambda_se),
            "log_lambda_std_error": finite_or_none(self.log_lambda_se),
            "lambda_interval_wald": [finite_or_none(lo), finite_or_none(hi)],
            "lambda_interval_profile": [finite_or_none(v) for v in self.profile_interval],
            "weights": self.weights,
            "coefficients": {
                str(name): {k: finite_or_none(float(row[k])) for k in table.columns}
                for name, row in table.iterrows()
            },
            "n": self.n,
            "log_likelihood": finite_or_none(self.log_likelihood),
            "log_likelihood_uniform": finite_or_none(self.loglik_uniform),
            "lr_uniform": {"statistic": finite_or_none(stat), "p": finite_or_none(p)},
            "converged": self.converged,
            "iterations": self.iterations,
            "fit_seconds": self.fit_seconds,
            "solve": self.solve_spec(),
            "warnings": list(self.warnings),
        }


def _profiled(lik: CalibrationLikelihood, theta: FloatArray, log_lam: float) -> float:
    """The log-likelihood with lambda held at ``exp(log_lam)``, the weights
    refitted."""
    start = theta.copy()
    start[0] = log_lam
    if lik.n_params == 1:
        return float(lik.loglik_distinct(start[None])[0] @ lik.distinct_weights(None))
    free = np.ones(lik.n_params, dtype=bool)
    free[0] = False
    return maximize(lik, start, free, polish=False).loglik


def lr_bound(
    lik: CalibrationLikelihood,
    theta: FloatArray,
    loglik: float,
    se: float,
    direction: float,
    level: float = 0.95,
) -> float:
    """One end of lambda's likelihood-ratio interval: where the profile
    log-likelihood falls ``chi2(1, level) / 2`` below its maximum (Venzon and
    Moolgavkar 1988), found by walking out from the estimate in steps of its
    standard error and bisecting (Brent's method). 0 or infinity when it does
    not fall that far before lambda reaches 1e-8 or 1e8."""
    cut = loglik - float(stats.chi2.ppf(level, 1)) / 2.0

    def gap(x: float) -> float:
        return _profiled(lik, theta, x) - cut

    step = se if math.isfinite(se) and se > 0 else 1.0
    inner = float(theta[0])
    outer = inner + direction * step
    while gap(outer) > 0:
        inner, outer = outer, outer + direction * step
        step *= 2.0
        if abs(outer) > math.log(1e8):
            return 0.0 if direction < 0 else math.inf
    root = optimize.brentq(gap, min(inner, outer), max(inner, outer), xtol=1e-10)
    return float(np.exp(root))


def _text(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else "(beyond the profiled range)"


def _free_terms(
    scenario: Scenario, compiled: CompiledScenario, weights: Sequence[str]
) -> tuple[tuple[int, int], ...]:
    players = compiled.players
    term_ids = scenario.term_ids
    owned = {(t.actor, t.id) for t in scenario.terms}
    out: list[tuple[int, int]] = []
    for name in weights:
        actor, _, term = name.partition(".")
        if (actor, term) not in owned:
            known = ", ".join(f"{a}.{t}" for a, t in sorted(owned))
            raise InputError(
                f"unknown payoff term {name!r}; terms are written actor.term: {known}",
                field="weights",
            )
        pair = (players.index(actor), term_ids.index(term))
        if pair in out:
            raise InputError(f"term {name!r} is listed twice", field="weights")
        out.append(pair)
    movers = {a for m in scenario.moves for a in m.actors if a != "chance"}
    free = {(players[p], term_ids[t]) for p, t in out}
    if weights and all({(a, t.id) for t in scenario.terms_of(a)} <= free for a in movers):
        raise InputError(
            "lambda is not identified when every term of every actor that moves has a free "
            "weight: leave at least one term of one mover at weight 1",
            field="weights",
        )
    return tuple(out)


def calibrate(
    scenario: ScenarioLike,
    data: pd.DataFrame | str | Path,
    *,
    weights: Sequence[str] = (),
    start: float | None = None,
    values: Mapping[str, float] | None = None,
) -> LambdaCalibration:
    """Fit lambda (and the weights of ``weights`` terms) to observed cases.

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
    data : cases (see :mod:`realpolitik.run.case_table`): reported choices,
        and parameter values per case where known.
    weights : payoff terms (``actor.term``) whose weight is fitted too.
    start : starting lambda (default: the scenario's, or 1 if it is 0).
    values : parameters held at these values in every case (instead of the
        central values; a case's own column still wins).

    Returns
    -------
    LambdaCalibration
    """
    t0 = time.perf_counter()
    loaded = as_scenario(scenario)
    compiled = compile_scenario(loaded)
    table = read_case_table(data, compiled)
    Observations.of(table)
    reported = (table.observed >= 0).any(axis=1)
    table = table.take(np.flatnonzero(reported))
    free = _free_terms(loaded, compiled, weights)
    if table.n_cases <= 1 + len(free):
        raise InputError(
            f"too few cases: {table.n_cases} reporting a choice for {1 + len(free)} coefficients",
            file=table.source,
        )
    matrix = case_parameter_matrix(loaded, table)
    for name, value in (values or {}).items():
        if name not in loaded.parameters:
            raise InputError(f"unknown parameter {name!r}", field="values")
        k = loaded.parameter_ids.index(name)
        column = table.values.get(name)
        matrix[:, k] = value if column is None else np.where(np.isnan(column), value, column)
    key = np.column_stack([matrix, table.observed.astype(np.float64)])
    _, first, expand = np.unique(key, axis=0, return_index=True, return_inverse=True)
    distinct = table.take(np.asarray(first, dtype=np.int64))
    params = compiled.parameter_values(matrix[first])
    rows = len(first)
    # a scenario without parameters evaluates to one row: one per distinct case
    terms = compiled.payoff_terms(params, first_draw=None)
    terms = np.ascontiguousarray(np.broadcast_to(terms, (rows, *terms.shape[1:])))
    chance = None
    if len(compiled.tree.chance_edge):
        chance = compiled.chance_probabilities(params, first_draw=None)
        chance = np.ascontiguousarray(np.broadcast_to(chance, (rows, chance.shape[1])))
    names = (LOG_LAMBDA, *(f"w({compiled.players[p]}.{loaded.term_ids[t]})" for p, t in free))
    lik = CalibrationLikelihood(
        compiled=compiled,
        observations=Observations.of(distinct),
        expand=np.asarray(expand, dtype=np.int64).reshape(-1),
        terms=terms,
        chance=chance,
        free=free,
        names=names,
    )
    lam0 = start if start is not None else (loaded.solve.lam or 1.0)
    if not (math.isfinite(lam0) and lam0 > 0):
        raise InputError(f"the starting lambda must be > 0, got {lam0}", field="start")
    theta0 = np.concatenate([[math.log(lam0)], np.ones(len(free))])
    fit = maximize(lik, theta0)
    hess = fit.hessian if fit.hessian is not None else lik.hessian(fit.theta)
    vcov, definite = covariance(hess)
    messages: list[str] = []
    if not fit.converged:
        messages.append(
            f"the optimiser did not converge ({fit.message.strip()}; largest gradient per "
            f"case {fit.gradient_max:.2g})"
        )
        warnings.warn(messages[-1], ConvergenceWarning, stacklevel=2)
    for direction in flat_directions(hess, list(names)):
        involved = ", ".join(n for n, _ in direction)
        messages.append(f"the log-likelihood is flat along a direction involving {involved}")
        warnings.warn(messages[-1], IdentificationWarning, stacklevel=2)
    if not definite:
        messages.append("the Hessian is not negative definite at the estimate")
    uniform = fit.theta.copy()
    uniform[0] = -np.inf  # lambda = 0: every payoff scaled to 0, uniform play
    ll_uniform = float(lik.loglik_distinct(uniform[None])[0] @ lik.distinct_weights(None))
    se = float(np.sqrt(vcov[0, 0]))
    interval = (
        lr_bound(lik, fit.theta, fit.loglik, se, -1.0),
        lr_bound(lik, fit.theta, fit.loglik, se, 1.0),
    )
    return LambdaCalibration(
        scenario=loaded,
        names=names,
        estimates=fit.theta,
        vcov=vcov,
        loglik_cases=lik.loglik_cases(fit.theta),
        loglik_uniform=ll_uniform,
        profile_interval=interval,
        converged=fit.converged,
        iterations=fit.iterations,
        fit_seconds=time.perf_counter() - t0,
        warnings=messages,
        likelihood=lik,
    )
