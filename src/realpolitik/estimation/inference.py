"""One maximum-likelihood fit of any model of independent cases, and what it
reports: the coefficient table with Hessian or bootstrap standard errors,
fit statistics, the warnings, the bootstrap and likelihood profiles.

Why a module of its own: every model the project estimates (the canonical
games, a scenario's ``estimate:`` parameters, lambda calibration, the
alignment game of the UN members) is a
:class:`~realpolitik.estimation.mle.CaseLikelihood`, and its fit runs the
same steps: maximise (:func:`~realpolitik.estimation.mle.maximize`), invert
the negative Hessian, look for flat directions (coefficients the data do not
pin down), say in plain words what went wrong, and later attach a bootstrap
(:mod:`~realpolitik.estimation.resampling`) or profiles
(:mod:`~realpolitik.estimation.profile`). :func:`fit_likelihood` is those
steps once; :class:`LikelihoodFit` holds their result and reads as R's
``summary.game`` does (Kenkel and Signorino 2014), so that a model only adds
its own header and metadata.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from realpolitik.errors import InputError
from realpolitik.estimation.mle import CaseLikelihood, covariance, flat_directions, maximize
from realpolitik.estimation.plots import plot_coefficients
from realpolitik.estimation.profile import LikelihoodProfile, profile_likelihood
from realpolitik.estimation.resampling import MAX_REPLICATES
from realpolitik.estimation.resampling import bootstrap as run_bootstrap

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "ConvergenceWarning",
    "IdentificationWarning",
    "LikelihoodFit",
    "coefficient_lines",
    "finite_or_none",
    "fit_likelihood",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: What typically makes a likelihood flat, for the warning's text.
FLAT_CAUSES = "collinear or constant regressors, an outcome never observed, or separation"


class IdentificationWarning(UserWarning):
    """The likelihood is flat along some direction: the coefficients named
    are not (or barely) identified by the data."""


class ConvergenceWarning(UserWarning):
    """The optimiser stopped before the gradient vanished."""


def finite_or_none(value: float) -> float | None:
    """``value``, or None where it is not finite (strict JSON)."""
    return float(value) if math.isfinite(value) else None


def _stars(p: float) -> str:
    if not math.isfinite(p):
        return ""
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return mark
    return ""


def coefficient_lines(table: pd.DataFrame) -> list[str]:
    """R's coefficient table (``summary.game``) of a table with
    ``estimate``, ``std_error``, ``z``, ``p`` indexed by name."""
    width = max([len(str(n)) for n in table.index] + [11])
    lines = [f"{'':<{width}} {'Estimate':>10} {'Std. Error':>10} {'z value':>8} {'Pr(>|z|)':>10}"]
    for name, row in table.iterrows():
        p = float(row["p"])
        p_text = "< 2e-16" if p < 2e-16 else f"{p:.4g}"
        lines.append(
            f"{name!s:<{width}} {row['estimate']:>10.6f} {row['std_error']:>10.6f} "
            f"{row['z']:>8.4f} {p_text:>10} {_stars(p)}"
        )
    lines.append("---")
    lines.append("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1")
    return lines


@dataclass
class LikelihoodFit:
    """A fitted model of independent cases.

    Attributes
    ----------
    likelihood : the model (for the bootstrap and profiles).
    names : every coefficient's name, in the model's order.
    estimates : every coefficient (fixed ones at their values).
    free_mask : which coefficients were estimated.
    vcov : covariance of the free coefficients (inverse negative Hessian).
    hessian : Hessian of the maximised objective over the free coefficients.
    loglik_cases : each case's log-likelihood at the estimate.
    converged : the optimiser's gradient test passed.
    iterations : BFGS iterations.
    fit_seconds : wall time of the fit and its Hessian.
    locally_identified : the Hessian is negative definite.
    flat : flat directions, each as (coefficient, loading) pairs.
    warnings : messages issued during the fit.
    bootstrap : bootstrap replicates of the free coefficients, if run.
    bootstrap_seed, bootstrap_seconds : the seed that made them, their time.
    n_dropped : rows of the data left out of the fit (a model says why in
        ``dropped_reason``).
    """

    likelihood: CaseLikelihood = field(repr=False)
    names: tuple[str, ...]
    estimates: FloatArray
    free_mask: BoolArray
    vcov: FloatArray
    hessian: FloatArray = field(repr=False)
    loglik_cases: FloatArray = field(repr=False)
    converged: bool
    iterations: int
    fit_seconds: float
    locally_identified: bool
    flat: list[list[tuple[str, float]]]
    warnings: list[str]
    bootstrap: FloatArray | None = field(default=None, repr=False)
    bootstrap_seed: int | None = None
    bootstrap_seconds: float | None = None
    n_dropped: int = 0

    #: Why rows were dropped, as the summary says it right after "rows dropped"
    #: (from its first character: " for missing values", ": ...").
    dropped_reason: ClassVar[str] = ""

    @property
    def n(self) -> int:
        """Cases used."""
        return int(self.loglik_cases.shape[0])

    @property
    def n_free(self) -> int:
        return int(self.free_mask.sum())

    @property
    def free_names(self) -> list[str]:
        return [n for n, f in zip(self.names, self.free_mask, strict=True) if f]

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
    def fixed_terms(self) -> dict[str, float]:
        """Coefficients held at given values, by name."""
        return {
            n: float(v)
            for n, v, f in zip(self.names, self.estimates, self.free_mask, strict=True)
            if not f
        }

    @property
    def has_bootstrap(self) -> bool:
        return self.bootstrap is not None and self.bootstrap.shape[0] > 1

    def covariance(self, use_bootstrap: bool = True) -> FloatArray:
        """Covariance of the free coefficients: of the bootstrap replicates when
        there are any (and ``use_bootstrap``), else the inverse Hessian."""
        if use_bootstrap and self.bootstrap is not None and self.has_bootstrap:
            return np.atleast_2d(np.cov(self.bootstrap, rowvar=False))
        return self.vcov

    def se_source(self, use_bootstrap: bool = True) -> str:
        """Where the standard errors come from, as the summary says it."""
        return "bootstrap" if use_bootstrap and self.has_bootstrap else "inverse Hessian"

    def coefficient_table(self, use_bootstrap: bool = True) -> pd.DataFrame:
        """Estimate, standard error, z and two-sided p of every free coefficient."""
        est = self.estimates[self.free_mask]
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(np.diag(self.covariance(use_bootstrap)))
            z = est / se
        return pd.DataFrame(
            {"estimate": est, "std_error": se, "z": z, "p": 2.0 * stats.norm.sf(np.abs(z))},
            index=pd.Index(self.free_names, name="coefficient"),
        )

    @property
    def coefficients(self) -> pd.DataFrame:
        """The coefficient table (bootstrap standard errors when available)."""
        return self.coefficient_table()

    def coefficients_json(self, use_bootstrap: bool = True) -> dict[str, dict[str, float | None]]:
        """``{name: {estimate, std_error, z, p}}``, non-finite numbers as None."""
        table = self.coefficient_table(use_bootstrap)
        return {
            str(name): {k: finite_or_none(float(row[k])) for k in table.columns}
            for name, row in table.iterrows()
        }

    def bootstrap_json(self) -> dict[str, Any] | None:
        """How many replicates, their seed and time (None without a bootstrap)."""
        if self.bootstrap is None:
            return None
        return {
            "replicates": int(self.bootstrap.shape[0]),
            "seed": self.bootstrap_seed,
            "seconds": self.bootstrap_seconds,
        }

    def with_bootstrap(
        self,
        replicates: int,
        *,
        seed: int = 0,
        workers: int | None = None,
        progress: bool = False,
    ) -> Self:
        """Attach ``replicates`` bootstrap refits (:func:`attach_bootstrap`)
        and return the fit."""
        return attach_bootstrap(
            self, replicates, free=self.free_mask, seed=seed, workers=workers, progress=progress
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
        """Profile likelihood of ``which`` coefficients (default every free
        one); see :func:`realpolitik.estimation.profile.profile_likelihood`."""
        return profile_fit(
            self,
            free=self.free_mask,
            which=which,
            steps=steps,
            dist=dist,
            workers=workers,
            progress=progress,
        )

    # -- what a reader sees: a model adds its header, statistics and title --
    def header(self) -> list[str]:
        """Lines above the coefficient table: what was fitted."""
        return []

    def statistics(self) -> list[str]:
        """Fit statistics below the table (log-likelihood, AIC, cases)."""
        return [
            f"Log-likelihood: {self.log_likelihood:.7g}",
            f"AIC: {self.aic:.7g}",
            f"No. observations: {self.n}" + self._dropped_text(),
        ]

    def _dropped_text(self) -> str:
        if not self.n_dropped:
            return ""
        return f" ({self.n_dropped} rows dropped{self.dropped_reason})"

    def summary(self, use_bootstrap: bool = True) -> str:
        """A text table laid out like R's ``summary.game``."""
        lines = [*self.header(), "", "Coefficients:"]
        lines += coefficient_lines(self.coefficient_table(use_bootstrap))
        lines += ["", f"Standard errors estimated from {self.se_source(use_bootstrap)}"]
        if self.bootstrap is not None:
            lines.append(
                f"Bootstrap replicates: {self.bootstrap.shape[0]} (seed {self.bootstrap_seed})"
            )
        fixed = self.fixed_terms
        if fixed:
            width = max(len(name) for name in fixed)
            lines += ["", "Fixed terms:", *(f"  {n:<{width}} {v:g}" for n, v in fixed.items())]
        lines += ["", *self.statistics()]
        lines += [f"Warning: {m}" for m in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def fit_json(self, use_bootstrap: bool = True) -> dict[str, Any]:
        """The fit's part of a strict-JSON document (a model adds its own keys)."""
        doc: dict[str, Any] = {
            "n": self.n,
            "log_likelihood": finite_or_none(self.log_likelihood),
            "aic": finite_or_none(self.aic),
            "converged": self.converged,
            "locally_identified": self.locally_identified,
            "iterations": self.iterations,
            "fit_seconds": self.fit_seconds,
            "std_error_source": self.se_source(use_bootstrap),
            "coefficients": self.coefficients_json(use_bootstrap),
            "fixed_terms": self.fixed_terms,
            "warnings": list(self.warnings),
        }
        boot = self.bootstrap_json()
        if boot is not None:
            doc["bootstrap"] = boot
        return doc

    def plot_coefficients(self, title: str, level: float = 0.95) -> Figure:
        """Free coefficients with their ``level`` intervals (bootstrap
        standard errors when available)."""
        return plot_coefficients(
            self.coefficients, title=title, se_source=self.se_source(), level=level
        )


def fit_likelihood(
    lik: CaseLikelihood,
    start: FloatArray,
    names: Sequence[str],
    free: BoolArray | None = None,
    *,
    flat_causes: str = FLAT_CAUSES,
    stacklevel: int = 2,
) -> LikelihoodFit:
    """Maximise ``lik`` from ``start`` over the ``free`` coefficients; take
    the covariance from the Hessian; warn (and record) non-convergence, flat
    directions and a Hessian that is not negative definite.

    Parameters
    ----------
    lik : the model.
    start : starting coefficients (fixed ones hold their values).
    names : every coefficient's name.
    free : which coefficients to estimate (default all).
    flat_causes : what typically makes this model's likelihood flat, for the
        warning's text.
    stacklevel : passed to :func:`warnings.warn` (the caller's caller by default).

    Returns
    -------
    LikelihoodFit
    """
    t0 = time.perf_counter()
    mask = np.ones(lik.n_params, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    fit = maximize(lik, np.asarray(start, dtype=np.float64), mask)
    hess = fit.hessian if fit.hessian is not None else np.zeros((0, 0))
    vcov, definite = covariance(hess)
    free_names = [n for n, f in zip(names, mask, strict=True) if f]
    flat = flat_directions(hess, free_names)
    messages: list[str] = []
    level = stacklevel + 1
    if not fit.converged:
        messages.append(
            f"the optimiser did not converge ({fit.message.strip()}; largest gradient per "
            f"case {fit.gradient_max:.2g})"
        )
        warnings.warn(messages[-1], ConvergenceWarning, stacklevel=level)
    for direction in flat:
        parts = ", ".join(f"{name} ({loading:+.2f})" for name, loading in direction)
        messages.append(
            f"the log-likelihood is flat along a direction involving {parts}: these "
            f"coefficients are not identified by the data ({flat_causes})"
        )
        warnings.warn(messages[-1], IdentificationWarning, stacklevel=level)
    if not definite and not flat:
        messages.append(
            "the Hessian is not negative definite: the estimate may not be a strict local maximum"
        )
        warnings.warn(messages[-1], IdentificationWarning, stacklevel=level)
    return LikelihoodFit(
        likelihood=lik,
        names=tuple(names),
        estimates=fit.theta,
        free_mask=mask,
        vcov=vcov,
        hessian=hess,
        loglik_cases=lik.loglik_cases(fit.theta),
        converged=fit.converged,
        iterations=fit.iterations,
        fit_seconds=time.perf_counter() - t0,
        locally_identified=definite,
        flat=flat,
        warnings=messages,
    )


class Bootstrappable(Protocol):
    """What :func:`attach_bootstrap` reads and writes: every fit result
    (canonical models, scenario fits, :class:`LikelihoodFit`) has it."""

    likelihood: Any
    estimates: FloatArray
    hessian: FloatArray
    bootstrap: FloatArray | None
    bootstrap_seed: int | None
    bootstrap_seconds: float | None


FitT = TypeVar("FitT", bound=Bootstrappable)


def attach_bootstrap(
    fit: FitT,
    replicates: int,
    *,
    free: NDArray[np.bool_] | None = None,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = False,
) -> FitT:
    """``fit`` with ``replicates`` bootstrap refits attached (cases resampled
    with replacement, refitted from the estimates; only ``free`` coefficients
    move: :func:`realpolitik.estimation.resampling.bootstrap`). One place for
    every kind of fit, so the bound, the seed and the timing are the same."""
    if not 1 <= replicates <= MAX_REPLICATES:
        raise InputError(
            f"bootstrap replicates must be between 1 and {MAX_REPLICATES}", field="bootstrap"
        )
    boot = run_bootstrap(
        fit.likelihood,
        fit.estimates,
        replicates,
        free=free,
        seed=seed,
        hessian=fit.hessian,
        workers=workers,
        progress=progress,
    )
    fit.bootstrap = boot.replicates
    fit.bootstrap_seed = seed
    fit.bootstrap_seconds = boot.seconds
    return fit


class Profileable(Protocol):
    """What :func:`profile_fit` reads of a fit."""

    likelihood: Any
    estimates: FloatArray
    hessian: FloatArray

    @property
    def names(self) -> Any: ...

    @property
    def vcov(self) -> FloatArray: ...


def profile_fit(
    fit: Profileable,
    *,
    free: NDArray[np.bool_] | None = None,
    which: Sequence[str] | None = None,
    steps: int = 5,
    dist: float = 3.0,
    workers: int = 1,
    progress: bool = False,
) -> LikelihoodProfile:
    """Profile likelihood of ``which`` coefficients of a fit (default every
    ``free`` one; all when ``free`` is None), its grid scaled by the Hessian
    standard errors: :func:`realpolitik.estimation.profile.profile_likelihood`
    for every kind of fit."""
    se = np.sqrt(np.diag(fit.vcov))
    if free is not None:
        full = np.full(fit.estimates.size, np.nan)
        full[free] = se
        se = full
    return profile_likelihood(
        fit.likelihood,
        fit.estimates,
        list(fit.names),
        se,
        which=which,
        free=free,
        hessian=fit.hessian,
        steps=steps,
        dist=dist,
        workers=workers,
        progress=progress,
    )
