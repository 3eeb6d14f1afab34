"""realpolitik: model how states choose sides in an international crisis.

The data flow (see docs/architecture.md): a scenario file is compiled into a
game tree; parameter draws give payoffs as arrays with a leading draws axis;
solvers return per-draw strategies and outcome probabilities; analysis turns
them into forecasts, explanations, sensitivities and discoveries.

>>> import realpolitik as rp
>>> scenario = rp.load("china-russia-2022")
>>> result = rp.forecast(scenario, concept="spe")
>>> result.actions.set_index("action").loc["neutral", "probability"]
np.float64(1.0)

Every public function takes a loaded scenario, a built-in name or a path.
The names below are loaded on first use (PEP 562), so that ``import
realpolitik`` and the command line start without importing the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from realpolitik.version import __version__

#: public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    # scenarios
    "load": ("realpolitik.scenario.load", "resolve"),
    "scenarios": ("realpolitik.scenario.load", "builtin_names"),
    "scenario_summaries": ("realpolitik.scenario.catalog", "builtin_summaries"),
    "new_scenario": ("realpolitik.scenario.catalog", "write_template"),
    "scenario_schema": ("realpolitik.scenario.schema", "scenario_schema"),
    "Scenario": ("realpolitik.scenario.model", "Scenario"),
    # example inputs that ship with the package
    "EXAMPLES": ("realpolitik.examples", "EXAMPLES"),
    "example_path": ("realpolitik.examples", "example_path"),
    "copy_examples": ("realpolitik.examples", "copy_examples"),
    # crisis analyses
    "forecast": ("realpolitik.analysis.forecast", "forecast"),
    "Forecast": ("realpolitik.analysis.forecast_summary", "Forecast"),
    "explain": ("realpolitik.analysis.explain", "explain"),
    "Explanation": ("realpolitik.analysis.explain", "Explanation"),
    "sensitivity": ("realpolitik.analysis.scenario_sensitivity", "scenario_sensitivity"),
    "SensitivityResult": ("realpolitik.analysis.scenario_sensitivity", "SensitivityResult"),
    "discover": ("realpolitik.analysis.scenario_discovery", "scenario_discovery"),
    "DiscoveryResult": ("realpolitik.analysis.scenario_discovery", "DiscoveryResult"),
    "report": ("realpolitik.report.html_report", "report"),
    "build_report": ("realpolitik.report.html_report", "build_report"),
    "compare": ("realpolitik.analysis.compare", "compare"),
    "Comparison": ("realpolitik.analysis.compare", "Comparison"),
    # stored runs
    "Store": ("realpolitik.store.duckdb_store", "Store"),
    "resume": ("realpolitik.analysis.forecast_runs", "resume"),
    "from_store": ("realpolitik.analysis.forecast_runs", "from_store"),
    "stored_draws": ("realpolitik.analysis.forecast_runs", "stored_draws"),
    # games in Gambit's formats
    "read_game": ("realpolitik.games.gambit_io", "read_game"),
    "write_efg": ("realpolitik.games.gambit_io", "write_efg"),
    "export_gambit": ("realpolitik.compiler.gambit_export", "gambit_text"),
    "solve_game": ("realpolitik.solve.equilibria", "solve_game"),
    "profiles_frame": ("realpolitik.solve.equilibria", "profiles_frame"),
    "CONCEPTS": ("realpolitik.concepts", "CONCEPTS"),
    # strategic statistical models, calibration and scoring
    "estimate": ("realpolitik.estimation.api", "estimate"),
    "calibrate": ("realpolitik.estimation.calibrate", "calibrate"),
    "simulate_cases": ("realpolitik.estimation.scenario_simulate", "simulate_cases"),
    "score": ("realpolitik.analysis.score", "score"),
    "backtest": ("realpolitik.analysis.backtest", "backtest"),
    "BacktestResult": ("realpolitik.analysis.backtest", "BacktestResult"),
    "case_summaries": ("realpolitik.analysis.backtest", "case_summaries"),
    # bargaining
    "bargain": ("realpolitik.bargaining.bargain", "bargain"),
    "BargainingRun": ("realpolitik.bargaining.types", "BargainingRun"),
    "IssueEnsemble": ("realpolitik.bargaining.scenario_issues", "IssueEnsemble"),
    "evaluate_bargaining": ("realpolitik.bargaining.evaluate", "evaluate_file"),
    "BARGAINING_MODELS": ("realpolitik.bargaining.models", "BARGAINING_MODELS"),
    # many states choosing sides
    "align": ("realpolitik.alignment.forecast", "align"),
    "AlignmentResult": ("realpolitik.alignment.forecast", "AlignmentResult"),
    "fit_alignment": ("realpolitik.alignment.fit", "fit_scenario"),
    "VoteEstimate": ("realpolitik.alignment.fit", "VoteEstimate"),
    # the dashboard and its JSON API
    "create_app": ("realpolitik.web.app", "create_app"),
    # errors a user can cause
    "RealpolitikError": ("realpolitik.errors", "RealpolitikError"),
    "InputError": ("realpolitik.errors", "InputError"),
}

__all__ = [
    "BARGAINING_MODELS",
    "CONCEPTS",
    "EXAMPLES",
    "AlignmentResult",
    "BacktestResult",
    "BargainingRun",
    "Comparison",
    "DiscoveryResult",
    "Explanation",
    "Forecast",
    "InputError",
    "IssueEnsemble",
    "RealpolitikError",
    "Scenario",
    "SensitivityResult",
    "Store",
    "VoteEstimate",
    "__version__",
    "align",
    "backtest",
    "bargain",
    "build_report",
    "calibrate",
    "case_summaries",
    "compare",
    "copy_examples",
    "create_app",
    "discover",
    "estimate",
    "evaluate_bargaining",
    "example_path",
    "explain",
    "export_gambit",
    "fit_alignment",
    "forecast",
    "from_store",
    "load",
    "new_scenario",
    "profiles_frame",
    "read_game",
    "report",
    "resume",
    "scenario_schema",
    "scenario_summaries",
    "scenarios",
    "score",
    "sensitivity",
    "simulate_cases",
    "solve_game",
    "stored_draws",
    "write_efg",
]

if TYPE_CHECKING:
    from realpolitik.alignment.fit import VoteEstimate
    from realpolitik.alignment.fit import fit_scenario as fit_alignment
    from realpolitik.alignment.forecast import AlignmentResult, align
    from realpolitik.analysis.backtest import BacktestResult, backtest, case_summaries
    from realpolitik.analysis.compare import Comparison, compare
    from realpolitik.analysis.explain import Explanation, explain
    from realpolitik.analysis.forecast import forecast
    from realpolitik.analysis.forecast_runs import from_store, resume, stored_draws
    from realpolitik.analysis.forecast_summary import Forecast
    from realpolitik.analysis.scenario_discovery import DiscoveryResult
    from realpolitik.analysis.scenario_discovery import scenario_discovery as discover
    from realpolitik.analysis.scenario_sensitivity import SensitivityResult
    from realpolitik.analysis.scenario_sensitivity import scenario_sensitivity as sensitivity
    from realpolitik.analysis.score import score
    from realpolitik.bargaining.bargain import bargain
    from realpolitik.bargaining.evaluate import evaluate_file as evaluate_bargaining
    from realpolitik.bargaining.models import BARGAINING_MODELS
    from realpolitik.bargaining.scenario_issues import IssueEnsemble
    from realpolitik.bargaining.types import BargainingRun
    from realpolitik.compiler.gambit_export import gambit_text as export_gambit
    from realpolitik.concepts import CONCEPTS
    from realpolitik.errors import InputError, RealpolitikError
    from realpolitik.estimation.api import estimate
    from realpolitik.estimation.calibrate import calibrate
    from realpolitik.estimation.scenario_simulate import simulate_cases
    from realpolitik.examples import EXAMPLES, copy_examples, example_path
    from realpolitik.games.gambit_io import read_game, write_efg
    from realpolitik.report.html_report import build_report, report
    from realpolitik.scenario.catalog import builtin_summaries as scenario_summaries
    from realpolitik.scenario.catalog import write_template as new_scenario
    from realpolitik.scenario.load import builtin_names as scenarios
    from realpolitik.scenario.load import resolve as load
    from realpolitik.scenario.model import Scenario
    from realpolitik.scenario.schema import scenario_schema
    from realpolitik.solve.equilibria import profiles_frame, solve_game
    from realpolitik.store.duckdb_store import Store
    from realpolitik.web.app import create_app


def __getattr__(name: str) -> object:
    """Load a public name on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'realpolitik' has no attribute '{name}'")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
