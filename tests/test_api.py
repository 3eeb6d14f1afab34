"""The top-level API covers what the command line does, and every result
draws itself (``.plot()``, matplotlib figures) and shows itself in a notebook
(``_repr_html_``) with the values of its own tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from flip_scenario import FLIP
from realpolitik.cli.main import COMMANDS

#: Each command and the public names that do its work in Python.
API_OF_COMMAND = {
    "scenarios": ("scenarios", "scenario_summaries"),
    "examples": ("EXAMPLES", "example_path", "copy_examples"),
    "new": ("new_scenario", "scenario_schema"),
    "validate": ("load",),
    "forecast": ("forecast", "Forecast"),
    "explain": ("explain", "Explanation"),
    "pathways": ("forecast",),
    "report": ("report", "build_report"),
    "export-gambit": ("export_gambit", "write_efg"),
    "solve": ("read_game", "solve_game", "profiles_frame"),
    "sensitivity": ("sensitivity", "SensitivityResult"),
    "discover": ("discover", "DiscoveryResult"),
    "run": ("forecast", "resume"),
    "runs": ("Store", "from_store", "stored_draws"),
    "bargain": ("bargain", "BargainingRun", "IssueEnsemble", "evaluate_bargaining"),
    "serve": ("create_app",),
    "align": ("align", "AlignmentResult"),
    "align-fit": ("fit_alignment", "VoteEstimate"),
    "estimate": ("estimate",),
    "compare": ("compare", "Comparison"),
    "calibrate": ("calibrate",),
    "score": ("score", "simulate_cases"),
    "backtest": ("backtest", "BacktestResult"),
    "cases": ("case_summaries",),
}


def test_every_command_has_its_api() -> None:
    assert set(API_OF_COMMAND) == set(COMMANDS)
    for command, names in API_OF_COMMAND.items():
        for name in names:
            assert name in rp.__all__, (command, name)
            assert getattr(rp, name) is not None


@pytest.fixture(scope="module")
def flip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "flip.yaml"
    path.write_text(FLIP, encoding="utf-8")
    return path


def test_a_forecast_plots_itself_and_shows_its_tables() -> None:
    result = rp.forecast(LEGACY_FLAGSHIP)
    figures = result.plot()
    assert set(figures) == {"forecast", "pathways"}
    assert all(isinstance(f, Figure) for f in figures.values())
    html = result._repr_html_()
    neutral = result.actions.set_index("action").loc["neutral"]
    assert f"{neutral['probability']:.4g}" in html and f"{neutral['conditional']:.4g}" in html
    assert "conditional" in html and "marginal" in html


def test_an_explanation_plots_itself_and_labels_its_probabilities() -> None:
    why = rp.explain(LEGACY_FLAGSHIP)
    assert isinstance(why.plot(), Figure)
    html = why._repr_html_()
    assert "conditional on reaching the decision" in html
    assert "China chooses neutral" in html


def test_sensitivity_and_discovery_results_draw_themselves(flip: Path) -> None:
    sens = rp.sensitivity(flip, ["a:left"], samples=64, trajectories=4, seed=1)
    figures = sens.plot()
    assert {"sobol", "morris", "tornado"} <= set(figures)
    assert "x" in sens._repr_html_()
    found = rp.discover(flip, ["a:left"], draws=400, seed=2, resamples=0)
    assert set(found.plot()) == {"tradeoff", "box"}
    assert "PRIM box" in found._repr_html_()


def test_bargaining_results_draw_themselves() -> None:
    run = rp.bargain(rp.example_path("ec-emissions.csv"))
    assert isinstance(run, rp.BargainingRun)
    assert isinstance(run.plot(), Figure)
    assert f"{float(run.forecast[0]):.4g}" in run._repr_html_()
    ensemble = rp.bargain(LEGACY_FLAGSHIP, draws=30, seed=1)
    assert isinstance(ensemble, rp.IssueEnsemble)
    assert isinstance(ensemble.plot(), Figure)
    assert f"{ensemble.summary()['forecast']['mean']:.4g}" in ensemble._repr_html_()
