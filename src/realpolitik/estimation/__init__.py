"""Strategic statistical models: maximum-likelihood estimation of the payoffs
of extensive-form crisis games from observed outcomes, one row per case.

Any scenario's parameters declared with ``estimate:`` (``estimate_scenario``),
its logit precision (``calibrate``), and the canonical games of the R package
``games`` (Kenkel and Signorino 2014):
``egame12``, ``egame122``, ``egame123``, with agent-error (logit or probit
quantal response; Signorino 1999) or private-information (probit; Signorino
2003, Lewis and Schultz 2003) errors, utilities and error scales linear in
data columns. The fitting machinery (:mod:`~realpolitik.estimation.mle`,
bootstrap, profile, Vuong and Clarke tests) works for any likelihood of
independent cases. See docs/estimation.md.

Names are imported on first use (PEP 562), so that the bootstrap's worker
processes, which need only the likelihood and the optimiser, start without
loading pandas and the formula parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from realpolitik.estimation.calibrate import LambdaCalibration, calibrate
    from realpolitik.estimation.canonical import CANONICAL_GAMES, CanonicalGame
    from realpolitik.estimation.fitting import (
        ConvergenceWarning,
        IdentificationWarning,
        egame12,
        egame122,
        egame123,
        estimate,
        read_cases,
        with_bootstrap,
    )
    from realpolitik.estimation.inference import LikelihoodFit, fit_likelihood
    from realpolitik.estimation.mle import CaseLikelihood, MLEFit, maximize
    from realpolitik.estimation.nonnested import NonNestedTest, clarke, vuong
    from realpolitik.estimation.predict import PredictedProbabilities, predicted_probabilities
    from realpolitik.estimation.profile import LikelihoodProfile, profile_likelihood
    from realpolitik.estimation.resampling import BootstrapResult, bootstrap
    from realpolitik.estimation.result import EstimationResult
    from realpolitik.estimation.scenario_fit import estimate_scenario
    from realpolitik.estimation.scenario_result import ScenarioEstimate
    from realpolitik.estimation.scenario_simulate import simulate_cases

_HOME = {
    "LambdaCalibration": "calibrate",
    "calibrate": "calibrate",
    "estimate_scenario": "scenario_fit",
    "ScenarioEstimate": "scenario_result",
    "simulate_cases": "scenario_simulate",
    "BootstrapResult": "resampling",
    "bootstrap": "resampling",
    "CANONICAL_GAMES": "canonical",
    "CanonicalGame": "canonical",
    "ConvergenceWarning": "fitting",
    "IdentificationWarning": "fitting",
    "egame12": "fitting",
    "egame122": "fitting",
    "egame123": "fitting",
    "estimate": "fitting",
    "read_cases": "fitting",
    "with_bootstrap": "fitting",
    "LikelihoodFit": "inference",
    "fit_likelihood": "inference",
    "CaseLikelihood": "mle",
    "MLEFit": "mle",
    "maximize": "mle",
    "NonNestedTest": "nonnested",
    "clarke": "nonnested",
    "vuong": "nonnested",
    "PredictedProbabilities": "predict",
    "predicted_probabilities": "predict",
    "LikelihoodProfile": "profile",
    "profile_likelihood": "profile",
    "EstimationResult": "result",
}

__all__ = [
    "CANONICAL_GAMES",
    "BootstrapResult",
    "CanonicalGame",
    "CaseLikelihood",
    "ConvergenceWarning",
    "EstimationResult",
    "IdentificationWarning",
    "LambdaCalibration",
    "LikelihoodFit",
    "LikelihoodProfile",
    "MLEFit",
    "NonNestedTest",
    "PredictedProbabilities",
    "ScenarioEstimate",
    "bootstrap",
    "calibrate",
    "clarke",
    "egame12",
    "egame122",
    "egame123",
    "estimate",
    "estimate_scenario",
    "fit_likelihood",
    "maximize",
    "predicted_probabilities",
    "profile_likelihood",
    "read_cases",
    "simulate_cases",
    "vuong",
    "with_bootstrap",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'realpolitik.estimation' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"realpolitik.estimation.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))
