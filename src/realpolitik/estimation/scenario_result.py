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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from realpolitik.errors import InputError
from realpolitik.estimation.inference import LikelihoodFit
from realpolitik.estimation.scenario_likelihood import ScenarioLikelihood
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.write_back import FittedPredictor, write_estimates
from realpolitik.version import __version__

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ScenarioEstimate"]


#: The id under which a fit is cited in the scenario it is written into.
FIT_SOURCE = "estimated_fit"


@dataclass(kw_only=True)
class ScenarioEstimate(LikelihoodFit):
    """A scenario's estimated parameters: the fit of
    :class:`~realpolitik.estimation.inference.LikelihoodFit` (coefficients
    named ``parameter:term``, covariance, warnings, bootstrap, profiles, R's
    table layout) with the scenario it writes back into.

    Attributes (besides those of ``LikelihoodFit``)
    ----------
    scenario : the scenario fitted.
    likelihood : the scenario's likelihood (for profiles, the bootstrap,
        predictions).
    data_source : the cases' file, if read from one.
    """

    scenario: Scenario
    likelihood: ScenarioLikelihood = field(repr=False)
    data_source: str | None = None

    dropped_reason: ClassVar[str] = ": a missing covariate or no reported choice"

    @property
    def lam(self) -> float:
        """The QRE precision the coefficients were estimated at."""
        return self.likelihood.lam

    def header(self) -> list[str]:
        """The scenario, the concept and the formulas."""
        return [
            f"{self.scenario.id}: agent logit QRE at lambda = {self.lam:.6g}",
            *(f"{p.id} {p.formula}" for p in self.scenario.linear),
        ]

    def to_json(self, use_bootstrap: bool = True) -> dict[str, Any]:
        """A strict-JSON document (non-finite numbers become ``null``)."""
        return {
            "scenario": self.scenario.id,
            "concept": "qre",
            "lambda": self.lam,
            "formulas": {p.id: p.formula for p in self.scenario.linear},
            "n_dropped": self.n_dropped,
            **self.fit_json(use_bootstrap),
        }

    def plot(self, level: float = 0.95) -> Figure:
        """Coefficients with their confidence intervals."""
        title = (
            f"{self.scenario.id}: log-likelihood {self.log_likelihood:.4f}, n = {self.n}, "
            f"lambda = {self.lam:.4g}"
        )
        return self.plot_coefficients(title, level)

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
            f"{self.se_source()} standard errors), realpolitik {__version__}, {when}"
        )
        return write_estimates(
            self.scenario,
            fits,
            pairs,
            source_id=FIT_SOURCE,
            citation=citation,
            new_parameters=added,
        )
