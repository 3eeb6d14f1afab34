"""One entry for every bargaining input (:mod:`realpolitik.bargaining.bargain`):
a BDM file runs the chosen model on the file's problem; a scenario's issue
runs at the central values, or over draws with the same draws as a forecast;
options that do not apply to an input are refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.bargaining.bargain import bargain, is_scenario
from realpolitik.bargaining.data import read_problem
from realpolitik.bargaining.eum import run_eum
from realpolitik.bargaining.scenario_issues import IssueEnsemble, run_issue
from realpolitik.bargaining.smp import run_smp
from realpolitik.bargaining.types import BargainingRun
from realpolitik.errors import InputError

BDM = "Actor,Capability,Position,Salience\nA,1,0,0.5\nB,2,50,0.25\nC,1.5,100,1\n"


@pytest.fixture
def bdm(tmp_path: Path) -> Path:
    path = tmp_path / "three.csv"
    path.write_text(BDM, encoding="utf-8")
    return path


def test_a_file_runs_the_chosen_model_on_its_problem(bdm: Path) -> None:
    problem = read_problem(bdm)
    eum = bargain(bdm, model="eum", rounds=4)
    assert isinstance(eum, BargainingRun)
    np.testing.assert_array_equal(eum.forecast, run_eum(problem, rounds=4).forecast)
    smp = bargain(bdm, model="smp")
    assert isinstance(smp, BargainingRun)
    np.testing.assert_array_equal(smp.forecast, run_smp(problem).forecast)


def test_a_scenario_issue_at_the_centre_and_over_draws(flagship: rp.Scenario) -> None:
    central = bargain(LEGACY_FLAGSHIP, model="smp")
    assert isinstance(central, BargainingRun)
    np.testing.assert_array_equal(central.forecast, run_issue(flagship, model="smp").forecast)
    over = bargain(flagship, model="eum", draws=50, seed=2)
    assert isinstance(over, IssueEnsemble) and over.forecast.shape == (50,)


def test_inputs_are_told_apart(bdm: Path, flagship: rp.Scenario) -> None:
    assert is_scenario(flagship) and is_scenario(LEGACY_FLAGSHIP)
    assert is_scenario("mine.yaml") and not is_scenario(bdm)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"draws": 10}, "--draws applies to scenarios"),
        ({"values": {"x": 1.0}}, "--set applies to scenarios"),
        ({"rounds": -1}, "--rounds must be >= 0"),
        ({"tol": -0.1}, "--tol must be >= 0"),
        ({"model": "smp", "tol": 0.1}, "--tol applies to the EUM only"),
        ({"model": "kt"}, "unknown model 'kt'"),
    ],
)
def test_options_that_do_not_apply_are_refused(bdm: Path, options: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        bargain(bdm, **options)
