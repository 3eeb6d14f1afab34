"""The result of estimating a scenario's parameters from cases: coefficients,
standard errors, fit statistics, and the fitted scenario to write back.

Why a module of its own: what a user reads (``summary()``, the
``coefficients`` table, ``to_json()``) and what later steps need (the
likelihood, for profiles and the bootstrap; the scenario, for the write-back
of :mod:`realpolitik.scenario.write_back`) travel together, as for the
canonical models' :class:`~realpolitik.estimation.result.EstimationResult`
(whose table layout, R's ``summary.game``, this follows).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from realpolitik.errors import InputError
from realpolitik.estimation.inference import coefficient_lines, finite_or_none, profile_fit
from realpolitik.estimation.plots import plot_coefficients
from realpolitik.estimation.profile import LikelihoodProfile
from realpolitik.estimation.scenario_likelihood import ScenarioLikelihood
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.write_back import FittedPredictor, write_estimates
from realpolitik.version import __version__

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ScenarioEstimate", "coefficient_lines", "finite_or_none"]

FloatArray = NDArray[np.float64]

#: The id under which a fit is cited in the scenario it is written into.
FIT_SOURCE = "estimated_fit"


@dataclass
class ScenarioEstimate:
    """A scenario's estimated parameters.

    Attributes
    ----------
    scenario : the scenario fitted.
    names : coefficient names, ``parameter:term``.
    estimates : the coefficients.
    vcov : their covariance (inverse negative Hessian).
    loglik_cases : each case's log-likelihood at the estimate.
    n_dropped : rows dropped (a missing covariate, or no reported choice).
    converged, iterations, fit_seconds, locally_identified, flat, warnings :
        as :class:`~realpolitik.estimation.result.EstimationResult`.
    likelihood : the likelihood (for profiles, the bootstrap, predictions).
    hessian : Hessian of the log-likelihood at the estimate.
    data_source : the cases' file, if read from one.
    bootstrap : bootstrap replicates of the coefficients, if run.
    """

    scenario: Scenario
    names: tuple[str, ...]
    estimates: FloatArray
    vcov: FloatArray
    loglik_cases: FloatArray
    n_dropped: int
    converged: bool
    iterations: int
    fit_seconds: float
    locally_identified: bool
    flat: list[list[tuple[str, float]]]
    warnings: list[str]
    likelihood: ScenarioLikelihood = field(repr=False)
    hessian: FloatArray = field(repr=False)
    data_source: str | None = None
    bootstrap: FloatArray | None = None
    bootstrap_seed: int | None = None
    bootstrap_seconds: float | None = None

    @property
    def n(self) -> int:
        """Cases used."""
        return int(self.loglik_cases.shape[0])

    @property
    def lam(self) -> float:
        """The QRE precision the coefficients were estimated at."""
        return self.likelihood.lam

    @property
    def log_likelihood(self) -> float:
        return float(np.sum(self.loglik_cases))

    @property
    def aic(self) -> float:
        return -2.0 * self.log_likelihood + 2.0 * len(self.names)

    @property
    def se_source(self) -> str:
        return (
            "bootstrap"
            if self.bootstrap is not None and self.bootstrap.shape[0] > 1
            else "inverse Hessian"
        )

    def covariance(self, use_bootstrap: bool = True) -> FloatArray:
        """Covariance of the coefficients: of the bootstrap replicates when
        there are any (and ``use_bootstrap``), else the inverse Hessian."""
        if use_bootstrap and self.bootstrap is not None and self.bootstrap.shape[0] > 1:
            return np.atleast_2d(np.cov(self.bootstrap, rowvar=False))
        return self.vcov

    def coefficient_table(self, use_bootstrap: bool = True) -> pd.DataFrame:
        """Estimate, standard error, z and two-sided p of every coefficient."""
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(self.covariance(use_bootstrap)))
            z = self.estimates / se
        return pd.DataFrame(
            {"estimate": self.estimates, "std_error": se, "z": z, "p": 2 * stats.norm.sf(abs(z))},
            index=pd.Index(list(self.names), name="coefficient"),
        )

    @property
    def coefficients(self) -> pd.DataFrame:
        """The coefficient table (bootstrap standard errors when available)."""
        return self.coefficient_table()

    def summary(self) -> str:
        """A text table laid out like R's ``summary.game``."""
        lines = [
            f"{self.scenario.id}: agent logit QRE at lambda = {self.lam:.6g}",
            *(f"{p.id} {p.formula}" for p in self.scenario.linear),
            "",
            "Coefficients:",
            *coefficient_lines(self.coefficients),
            "",
            f"Standard errors estimated from {self.se_source}",
        ]
        if self.bootstrap is not None:
            lines.append(
                f"Bootstrap replicates: {self.bootstrap.shape[0]} (seed {self.bootstrap_seed})"
            )
        dropped = f" ({self.n_dropped} rows dropped)" if self.n_dropped else ""
        lines += [
            f"Log-likelihood: {self.log_likelihood:.7g}",
            f"AIC: {self.aic:.7g}",
            f"No. observations: {self.n}{dropped}",
        ]
        lines += [f"Warning: {m}" for m in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self) -> dict[str, Any]:
        """A strict-JSON document (non-finite numbers become ``null``)."""
        table = self.coefficients
        return {
            "scenario": self.scenario.id,
            "concept": "qre",
            "lambda": self.lam,
            "formulas": {p.id: p.formula for p in self.scenario.linear},
            "n": self.n,
            "n_dropped": self.n_dropped,
            "log_likelihood": finite_or_none(self.log_likelihood),
            "aic": finite_or_none(self.aic),
            "converged": self.converged,
            "locally_identified": self.locally_identified,
            "iterations": self.iterations,
            "fit_seconds": self.fit_seconds,
            "std_error_source": self.se_source,
            "coefficients": {
                str(name): {k: finite_or_none(float(row[k])) for k in table.columns}
                for name, row in table.iterrows()
            },
            "warnings": list(self.warnings),
        }

    def plot(self, level: float = 0.95) -> Figure:
        """Coefficients with their confidence intervals."""
        title = (
            f"{self.scenario.id}: log-likelihood {self.log_likelihood:.4f}, n = {self.n}, "
            f"lambda = {self.lam:.4g}"
        )
        return plot_coefficients(
            self.coefficients, title=title, se_source=self.se_source, level=level
        )

    def profile(
        self,
        which: Sequence[str] | None = None,
        *,
        steps: int = 5,
        dist: float = 3.0,
        workers: int = 1,
        progress: bool = False,
    ) -> LikelihoodProfile:
        """Profile likelihood of ``which`` coefficients (default all)."""
        return profile_fit(
            self,
            free=None,
            which=which,
            steps=steps,
            dist=dist,
            workers=workers,
            progress=progress,
        )

    def fitted_scenario(self) -> str:
        """The scenario's text with the fit written in (see
        :mod:`realpolitik.scenario.write_back`): each estimated parameter's
        coefficients as normal distributions, their correlations, formula
        columns not yet parameters added as fixed parameters (at the cases'
        mean, or median for a 0/1 column: replace them by the case to
        forecast), and the fit cited as the source ``estimated_fit``."""
        cov = self.covariance()
        se = np.sqrt(np.diag(cov))
        if not np.all(np.isfinite(se)) or not np.all(se > 0):
            raise InputError(
                "the fit has no finite standard errors (see its warnings): it cannot be written "
                "back as distributions"
            )
        fits = []
        k = 0
        for predictor in self.scenario.linear:
            size = len(predictor.terms)
            fits.append(
                FittedPredictor(
                    predictor.id,
                    predictor.formula,
                    predictor.names,
                    tuple(float(v) for v in self.estimates[k : k + size]),
                    tuple(float(v) for v in se[k : k + size]),
                )
            )
            k += size
        corr = cov / np.outer(se, se)
        pairs = [
            (self.names[i], self.names[j], float(np.clip(corr[i, j], -1.0, 1.0)))
            for i in range(len(self.names))
            for j in range(i + 1, len(self.names))
            if corr[i, j] != 0.0
        ]
        table = self.likelihood.observations.table
        added = {}
        for predictor in self.scenario.linear:
            for column in predictor.columns:
                if column in self.scenario.parameters or column in added:
                    continue
                values = table.values[column]
                binary = bool(np.isin(values, (0.0, 1.0)).all())
                value = float(np.median(values) if binary else np.mean(values))
                how = "median" if binary else "mean"
                added[column] = (
                    value,
                    f"the {how} over the {self.n} fitted cases; set it to the case forecast",
                )
        when = datetime.date.today().isoformat()
        data = f" on {Path(self.data_source).name}" if self.data_source else ""
        citation = (
            f"Maximum-likelihood fit{data} ({self.n} cases, log-likelihood "
            f"{self.log_likelihood:.6f}, agent logit QRE at lambda {self.lam:.6g}; "
            f"{self.se_source} standard errors), realpolitik {__version__}, {when}"
        )
        return write_estimates(
            self.scenario,
            fits,
            pairs,
            source_id=FIT_SOURCE,
            citation=citation,
            new_parameters=added,
        )
