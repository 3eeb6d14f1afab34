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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.estimation.design import Outcome
from realpolitik.estimation.inference import LikelihoodFit
from realpolitik.estimation.likelihood import GameLikelihood
from realpolitik.estimation.model import StrategicModel
from realpolitik.estimation.tree import tree_forward

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["EstimationResult"]

FloatArray = NDArray[np.float64]

_ERRORS_TEXT = {"agent": "agent error", "private": "private information"}


@dataclass(kw_only=True)
class EstimationResult(LikelihoodFit):
    """A fitted strategic model: the fit of
    :class:`~realpolitik.estimation.inference.LikelihoodFit` (coefficients,
    covariance, warnings, bootstrap, profiles, R's table layout) with what a
    canonical game adds.

    Attributes (besides those of ``LikelihoodFit``)
    ----------
    model : the specification (game, link, errors, equations, names).
    likelihood : the game's likelihood (for bootstrap, profile, predictions).
    frame : the rows and columns used.
    outcome : observed outcomes.
    """

    model: StrategicModel
    likelihood: GameLikelihood = field(repr=False)
    frame: pd.DataFrame = field(repr=False)
    outcome: Outcome = field(repr=False)

    dropped_reason: ClassVar[str] = " for missing values"

    # -- reports ------------------------------------------------------------
    def header(self) -> list[str]:
        """The game, its errors and link, and its formulas."""
        lines = [
            f"{self.model.game.name}: {_ERRORS_TEXT[self.model.errors]}, {self.model.link} link",
            f"formula: {self.model.formula}",
        ]
        if self.model.sd_formula is not None:
            lines.append(
                f"scale formula: ~ {self.model.sd_formula.lstrip('~ ').strip()}"
                + ("  (by player)" if self.model.sd_by_player else "")
            )
        return lines

    def to_json(self, use_bootstrap: bool = True) -> dict[str, Any]:
        """A strict-JSON document (no NaN or infinity: those become ``null``)."""
        return {
            "model": self.model.game.name,
            "link": self.model.link,
            "errors": self.model.errors,
            "formula": self.model.formula,
            "sd_formula": self.model.sd_formula,
            "sd_by_player": self.model.sd_by_player,
            "outcomes": list(self.model.levels),
            "n_dropped": self.n_dropped,
            **self.fit_json(use_bootstrap),
        }

    def plot(self, level: float = 0.95) -> Figure:
        """Coefficients with their confidence intervals, one row per
        coefficient, grouped by equation."""
        model = self.model
        title = (
            f"{model.game.name}, {model.errors} errors, {model.link} link: "
            f"log-likelihood {self.log_likelihood:.4f}, n = {self.n}"
        )
        return self.plot_coefficients(title, level)

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
