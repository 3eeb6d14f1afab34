"""The result of estimating a strategic model: coefficients, standard errors,
fit statistics, and the means to predict, profile and compare.

Why a module of its own: one object carries what a user reads (``summary()``
laid out like R's ``summary.game``, the ``coefficients`` table, ``to_json()``
for the command line) and what later steps need (the likelihood and the data
recipe, for profiles, predicted probabilities, Vuong and Clarke tests).
Standard errors come from the inverse Hessian, or, once a bootstrap has been
run, from the bootstrap replicates (``games``' ``useboot = TRUE``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from realpolitik.estimation.design import Outcome
from realpolitik.estimation.inference import profile_fit
from realpolitik.estimation.likelihood import GameLikelihood
from realpolitik.estimation.model import StrategicModel
from realpolitik.estimation.plots import plot_coefficients
from realpolitik.estimation.profile import LikelihoodProfile
from realpolitik.estimation.tree import tree_forward

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["EstimationResult"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_ERRORS_TEXT = {"agent": "agent error", "private": "private information"}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _stars(p: float) -> str:
    if not math.isfinite(p):
        return ""
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return mark
    return ""


@dataclass
class EstimationResult:
    """A fitted strategic model.

    Attributes
    ----------
    model : the specification (game, link, errors, equations, names).
    estimates : every coefficient (fixed ones at their values), in ``games``' order.
    vcov : covariance of the free coefficients (inverse negative Hessian).
    loglik_cases : log-likelihood of each case at the estimate.
    n_dropped : rows dropped for a missing value in a used column.
    converged : the optimiser's gradient test passed.
    iterations : BFGS iterations.
    fit_seconds : wall time of the fit and its Hessian (not of reading data).
    locally_identified : the Hessian is negative definite.
    flat : flat directions of the likelihood, each as (coefficient, loading) pairs.
    warnings : messages issued during the fit.
    likelihood : the likelihood (for bootstrap, profile and tests).
    frame : the rows and columns used.
    outcome : observed outcomes.
    hessian : Hessian of the log-likelihood over the free coefficients.
    free_mask : which coefficients were estimated.
    bootstrap : bootstrap replicates of the free coefficients, if run.
    bootstrap_seed : the seed that made them.
    """

    model: StrategicModel
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
    likelihood: GameLikelihood = field(repr=False)
    frame: pd.DataFrame = field(repr=False)
    outcome: Outcome = field(repr=False)
    hessian: FloatArray = field(repr=False)
    free_mask: BoolArray = field(repr=False)
    bootstrap: FloatArray | None = None
    bootstrap_seed: int | None = None
    bootstrap_seconds: float | None = None

    # -- basic statistics -------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return self.model.names

    @property
    def free(self) -> BoolArray:
        """Which coefficients were estimated (not fixed)."""
        return self.free_mask

    @property
    def n(self) -> int:
        """Cases used."""
        return int(self.loglik_cases.shape[0])

    @property
    def n_free(self) -> int:
        return int(self.free.sum())

    @property
    def log_likelihood(self) -> float:
        return float(np.sum(self.loglik_cases))

    @property
    def aic(self) -> float:
        return -2.0 * self.log_likelihood + 2.0 * self.n_free

    @property
    def bic(self) -> float:
        return -2.0 * self.log_likelihood + math.log(self.n) * self.n_free

    @property
    def free_names(self) -> list[str]:
        return [n for n, f in zip(self.names, self.free, strict=True) if f]

    def covariance(self, use_bootstrap: bool = True) -> FloatArray:
        """Covariance of the free coefficients: of the bootstrap replicates
        when there are any (and ``use_bootstrap``), else the inverse Hessian."""
        if use_bootstrap and self.bootstrap is not None and self.bootstrap.shape[0] > 1:
            return np.atleast_2d(np.cov(self.bootstrap, rowvar=False))
        return self.vcov

    @property
    def se_source(self) -> str:
        return (
            "bootstrap"
            if self.bootstrap is not None and self.bootstrap.shape[0] > 1
            else ("inverse Hessian")
        )

    def coefficient_table(self, use_bootstrap: bool = True) -> pd.DataFrame:
        """Estimate, standard error, z and two-sided p of every free coefficient."""
        est = self.estimates[self.free]
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(self.covariance(use_bootstrap)))
            z = est / se
        p = 2.0 * stats.norm.sf(np.abs(z))
        return pd.DataFrame(
            {"estimate": est, "std_error": se, "z": z, "p": p},
            index=pd.Index(self.free_names, name="coefficient"),
        )

    @property
    def coefficients(self) -> pd.DataFrame:
        """The coefficient table (bootstrap standard errors when available)."""
        return self.coefficient_table()

    @property
    def fixed_terms(self) -> dict[str, float]:
        return {
            n: float(v)
            for n, v, f in zip(self.names, self.estimates, self.free, strict=True)
            if not f
        }

    # -- reports ------------------------------------------------------------
    def summary(self, use_bootstrap: bool = True) -> str:
        """A text table laid out like R's ``summary.game``."""
        table = self.coefficient_table(use_bootstrap)
        width = max([len(n) for n in table.index] + [11])
        lines = [
            f"{self.model.game.name}: {_ERRORS_TEXT[self.model.errors]}, {self.model.link} link",
            f"formula: {self.model.formula}",
        ]
        if self.model.sd_formula is not None:
            lines.append(
                f"scale formula: ~ {self.model.sd_formula.lstrip('~ ').strip()}"
                + ("  (by player)" if self.model.sd_by_player else "")
            )
        lines += ["", "Coefficients:"]
        header = (
            f"{'':<{width}} {'Estimate':>10} {'Std. Error':>10} {'z value':>8} {'Pr(>|z|)':>10}"
        )
        lines.append(header)
        for name, row in table.iterrows():
            p = float(row["p"])
            p_text = "< 2e-16" if p < 2e-16 else f"{p:.4g}"
            lines.append(
                f"{name!s:<{width}} {row['estimate']:>10.6f} {row['std_error']:>10.6f} "
                f"{row['z']:>8.4f} {p_text:>10} {_stars(p)}"
            )
        lines.append("---")
        lines.append("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1")
        lines.append("")
        source = self.se_source if use_bootstrap else "inverse Hessian"
        lines.append(f"Standard errors estimated from {source}")
        if self.bootstrap is not None:
            lines.append(
                f"Bootstrap replicates: {self.bootstrap.shape[0]} (seed {self.bootstrap_seed})"
            )
        if self.fixed_terms:
            lines.append("")
            lines.append("Fixed terms:")
            for name, value in self.fixed_terms.items():
                lines.append(f"  {name:<{width}} {value:g}")
        lines += [
            "",
            f"Log-likelihood: {self.log_likelihood:.7g}",
            f"AIC: {self.aic:.7g}",
            f"No. observations: {self.n}"
            + (f" ({self.n_dropped} rows dropped for missing values)" if self.n_dropped else ""),
        ]
        if not self.converged:
            lines.append("Warning: the optimiser did not converge")
        for message in self.warnings:
            lines.append(f"Warning: {message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self, use_bootstrap: bool = True) -> dict[str, Any]:
        """A strict-JSON document (no NaN or infinity: those become ``null``)."""
        table = self.coefficient_table(use_bootstrap)
        coefficients = {
            str(name): {
                "estimate": _finite_or_none(float(row["estimate"])),
                "std_error": _finite_or_none(float(row["std_error"])),
                "z": _finite_or_none(float(row["z"])),
                "p": _finite_or_none(float(row["p"])),
            }
            for name, row in table.iterrows()
        }
        doc: dict[str, Any] = {
            "model": self.model.game.name,
            "link": self.model.link,
            "errors": self.model.errors,
            "formula": self.model.formula,
            "sd_formula": self.model.sd_formula,
            "sd_by_player": self.model.sd_by_player,
            "outcomes": list(self.model.levels),
            "n": self.n,
            "n_dropped": self.n_dropped,
            "log_likelihood": _finite_or_none(self.log_likelihood),
            "aic": _finite_or_none(self.aic),
            "converged": self.converged,
            "locally_identified": self.locally_identified,
            "iterations": self.iterations,
            "fit_seconds": self.fit_seconds,
            "std_error_source": self.se_source if use_bootstrap else "inverse Hessian",
            "coefficients": coefficients,
            "fixed_terms": self.fixed_terms,
            "warnings": list(self.warnings),
        }
        if self.bootstrap is not None:
            doc["bootstrap"] = {
                "replicates": int(self.bootstrap.shape[0]),
                "seed": self.bootstrap_seed,
                "seconds": self.bootstrap_seconds,
            }
        return doc

    def plot(self, level: float = 0.95) -> Figure:
        """Coefficients with their confidence intervals, one row per
        coefficient, grouped by equation."""
        model = self.model
        title = (
            f"{model.game.name}, {model.errors} errors, {model.link} link: "
            f"log-likelihood {self.log_likelihood:.4f}, n = {self.n}"
        )
        return plot_coefficients(
            self.coefficient_table(), title=title, se_source=self.se_source, level=level
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
        """Profile likelihood of ``which`` coefficients (default all free ones);
        see :func:`realpolitik.estimation.profile.profile_likelihood`."""
        return profile_fit(
            self,
            free=self.free,
            which=which,
            steps=steps,
            dist=dist,
            workers=workers,
            progress=progress,
        )

    # -- predictions --------------------------------------------------------
    def predict(self, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """Outcome probabilities for each row of ``data`` (default: the
        estimation rows), one column ``Pr(<outcome>)`` per terminal node."""
        theta = self.estimates
        if data is None:
            probs = self.likelihood.outcome_probabilities(theta)
            index = self.frame.index
        else:
            util, scale = self.model.designs(data)
            fwd = _forward_on(self.likelihood, theta, util, scale)
            probs = fwd.T
            index = data.index
        return pd.DataFrame(probs, index=index, columns=[f"Pr({lev})" for lev in self.model.levels])


def _forward_on(
    lik: GameLikelihood,
    theta: FloatArray,
    util: tuple[FloatArray, ...],
    scale: tuple[FloatArray, ...],
) -> FloatArray:
    """Outcome probabilities ``(terminals, rows)`` for new regressors."""
    fwd = tree_forward(
        lik.tree, lik.link, lik.errors, lik.utilities(theta, util), lik.scales(theta, scale)
    )
    return fwd.terminal_probs(lik.tree)
