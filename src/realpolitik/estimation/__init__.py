"""Strategic statistical models: maximum-likelihood estimation of the payoffs
of extensive-form crisis games from observed outcomes, one row per case.

The canonical games of the R package ``games`` (Kenkel and Signorino 2014):
``egame12``, ``egame122``, ``egame123``, with agent-error (logit or probit
quantal response; Signorino 1999) or private-information (probit; Signorino
2003, Lewis and Schultz 2003) errors, utilities and error scales linear in
data columns. The fitting machinery (:mod:`~realpolitik.estimation.mle`,
bootstrap, profile, Vuong and Clarke tests) works for any likelihood of
independent cases. See docs/estimation.md.
"""

from __future__ import annotations

from realpolitik.estimation.bootstrap import BootstrapResult, bootstrap
from realpolitik.estimation.canonical import CANONICAL_GAMES, CanonicalGame
from realpolitik.estimation.estimate import (
    ConvergenceWarning,
    IdentificationWarning,
    egame12,
    egame122,
    egame123,
    estimate,
    read_cases,
    with_bootstrap,
)
from realpolitik.estimation.mle import CaseLikelihood, MLEFit, maximize
from realpolitik.estimation.nonnested import NonNestedTest, clarke, vuong
from realpolitik.estimation.predict import PredictedProbabilities, predicted_probabilities
from realpolitik.estimation.profile import LikelihoodProfile, profile_likelihood
from realpolitik.estimation.result import EstimationResult

__all__ = [
    "CANONICAL_GAMES",
    "BootstrapResult",
    "CanonicalGame",
    "CaseLikelihood",
    "ConvergenceWarning",
    "EstimationResult",
    "IdentificationWarning",
    "LikelihoodProfile",
    "MLEFit",
    "NonNestedTest",
    "PredictedProbabilities",
    "bootstrap",
    "clarke",
    "egame12",
    "egame122",
    "egame123",
    "estimate",
    "maximize",
    "predicted_probabilities",
    "profile_likelihood",
    "read_cases",
    "vuong",
    "with_bootstrap",
]
