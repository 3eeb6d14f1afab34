"""Models the data cannot identify get a clear warning naming the
coefficients involved (or, for the structural case ``games`` refuses, an
error): collinear regressors, a scale estimated beside free utilities,
separation, an outcome never observed."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from realpolitik.errors import InputError
from realpolitik.estimation import EstimationResult, IdentificationWarning, estimate
from realpolitik.estimation.simulate import simulate

WAR = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + regime2"


def _fit_warning(*args: object, **kwargs: object) -> tuple[EstimationResult, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = estimate(*args, **kwargs)  # type: ignore[arg-type]
    return fit, [str(w.message) for w in caught if issubclass(w.category, IdentificationWarning)]


def test_well_identified_model_is_quiet(reference_dir: Path) -> None:
    fit, messages = _fit_warning("egame12", reference_dir / "war1800.csv", WAR)
    assert messages == [] and fit.flat == [] and fit.locally_identified


def test_collinear_regressors_are_named(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "war1800.csv")
    data["balanc_copy"] = 2.0 * data["balanc"]
    formula = "esc + war ~ s_wt_re1 + revis1 | 0 | regime1 | balanc + balanc_copy + regime2"
    fit, messages = _fit_warning("egame12", data, formula)
    assert len(messages) == 1
    assert "u2(esc,war):balanc " in messages[0] and "u2(esc,war):balanc_copy" in messages[0]
    named = {name for name, _ in fit.flat[0]}
    assert named == {"u2(esc,war):balanc", "u2(esc,war):balanc_copy"}


def test_scale_beside_free_utilities_is_not_identified(reference_dir: Path) -> None:
    # only utilities divided by the error scale enter the likelihood
    fit, messages = _fit_warning("egame12", reference_dir / "war1800.csv", WAR, sd_formula="~ 1")
    assert messages
    named = {name for direction in fit.flat for name, _ in direction}
    assert "log(sigma)" in named


def test_separation_is_named() -> None:
    rng = np.random.default_rng(3)
    n = 400
    data = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    truth = [0.0, 1.0, 0.0, 0.0, 0.5]  # u11: 1, x; u14: 1; u24: 1, z
    data = simulate("egame12", data, "y ~ x | 0 | 1 | z", truth, seed=4)
    # player 2 fights exactly when z > 0: z separates its choice
    data["z"] = np.where(data["y"] == 2, 1.0, np.where(data["y"] == 1, -1.0, data["z"]))
    fit, messages = _fit_warning("egame12", data, "y ~ x | 0 | 1 | z")
    assert messages
    named = {name for direction in fit.flat for name, _ in direction}
    assert "u2(2):z" in named


def test_outcome_never_observed(reference_dir: Path) -> None:
    data = pd.read_csv(reference_dir / "war1800.csv")
    data = data[~((data["esc"] == 1) & (data["war"] == 1))]
    _, messages = _fit_warning("egame12", data, "esc + war ~ s_wt_re1 | 0 | 1 | balanc")
    assert any("never observed: esc,war" in m for m in messages)


@pytest.mark.parametrize(
    ("formula", "named"),
    [
        ("esc + war ~ balanc | balanc | balanc + s_wt_re1 | balanc", "balanc"),
        ("esc + war ~ 1 | 1 | 1 | balanc", "(Intercept)"),
    ],
)
def test_regressor_in_all_of_a_players_equations_is_refused(
    reference_dir: Path, formula: str, named: str
) -> None:
    with pytest.raises(InputError, match="identification problem") as err:
        estimate("egame12", reference_dir / "war1800.csv", formula)
    assert named in str(err.value) and "player 1" in str(err.value)
