"""realpolitik: model how states choose sides in an international crisis.

The data flow (see docs/ and DESIGN.md): a scenario file is compiled into a
game tree; parameter draws give payoffs as arrays with a leading draws axis;
solvers return per-draw strategies and outcome probabilities; analysis turns
them into forecasts, explanations, sensitivities and discoveries.

>>> import realpolitik as rp
>>> scenario = rp.load("china-russia-2022")
>>> result = rp.forecast(scenario, concept="spe")
>>> result.actions.set_index("action").loc["neutral", "probability"]
np.float64(1.0)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from realpolitik.analysis.explain import Explanation
    from realpolitik.analysis.forecast import Forecast
    from realpolitik.scenario.model import Scenario


def load(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path."""
    from realpolitik.scenario.load import resolve

    return resolve(name_or_path)


def forecast(scenario: Scenario | str | Path, **options: Any) -> Forecast:
    """Forecast a scenario; see :func:`realpolitik.analysis.forecast.forecast`."""
    from realpolitik.analysis.forecast import forecast as run
    from realpolitik.scenario.model import Scenario

    return run(scenario if isinstance(scenario, Scenario) else load(scenario), **options)


def explain(scenario: Scenario | str | Path, **options: Any) -> Explanation:
    """Explain a scenario's decisions; see :func:`realpolitik.analysis.explain.explain`."""
    from realpolitik.analysis.explain import explain as run
    from realpolitik.scenario.model import Scenario

    return run(scenario if isinstance(scenario, Scenario) else load(scenario), **options)


__all__ = ["__version__", "explain", "forecast", "load"]
