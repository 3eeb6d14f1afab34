"""Sobol' indices, Morris screening and tornado against analytical values.

Independent references:
- the Ishigami function's Sobol' indices in closed form (Ishigami and Homma
  1990; Saltelli et al. 2008, "Global Sensitivity Analysis: The Primer"),
  written out below;
- linear models, whose indices, elementary effects and swings are worked out
  by hand in the comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from realpolitik.analysis.sensitivity import (
    fixed_parameters,
    morris_screening,
    sobol_indices,
    tornado,
)
from realpolitik.errors import InputError

# --------------------------------------------------------------------------
# Ishigami: f = sin x1 + a sin^2 x2 + b x3^4 sin x1, x_i ~ U(-pi, pi)
# --------------------------------------------------------------------------
A, B = 7.0, 0.1
PI = math.pi
# Variance decomposition (Ishigami and Homma 1990; Saltelli et al. 2008):
#   V1  = 1/2 (1 + b pi^4 / 5)^2
#   V2  = a^2 / 8
#   V13 = b^2 pi^8 (1/18 - 1/50) = 8 b^2 pi^8 / 225
#   V3 = V12 = V23 = V123 = 0
#   V   = a^2 / 8 + b pi^4 / 5 + b^2 pi^8 / 18 + 1/2
V1 = 0.5 * (1.0 + B * PI**4 / 5.0) ** 2
V2 = A**2 / 8.0
V13 = 8.0 * B**2 * PI**8 / 225.0
V = A**2 / 8.0 + B * PI**4 / 5.0 + B**2 * PI**8 / 18.0 + 0.5
S1_TRUE = np.array([V1 / V, V2 / V, 0.0])  # 0.3139, 0.4424, 0
ST_TRUE = np.array([(V1 + V13) / V, V2 / V, V13 / V])  # 0.5576, 0.4424, 0.2437
S13_TRUE = V13 / V
NAMES = ["x1", "x2", "x3"]


def ishigami(X: np.ndarray) -> np.ndarray:
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


def uniform_pi(u: np.ndarray) -> np.ndarray:
    return PI * (2.0 * u - 1.0)


def test_ishigami_indices_match_analytical_values_within_their_intervals() -> None:
    assert pytest.approx(V1 + V2 + V13) == V  # the decomposition is complete
    df = sobol_indices(ishigami, NAMES, uniform_pi, 2**13, seed=20240601)
    assert list(df.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert df["parameter"].tolist() == NAMES
    assert (df["output"] == "y").all()
    for col, truth in (("S1", S1_TRUE), ("ST", ST_TRUE)):
        est = df[col].to_numpy()
        conf = df[f"{col}_conf"].to_numpy()
        assert np.all(conf > 0) and np.all(conf < 0.05)  # intervals are informative
        assert np.all(np.abs(est - truth) <= conf), (col, est, truth, conf)


def test_ishigami_second_order_x1_x3_interaction() -> None:
    first, second = sobol_indices(
        ishigami, NAMES, uniform_pi, 2**12, seed=7, calc_second_order=True
    )
    assert len(first) == 3
    assert second[["parameter_1", "parameter_2"]].values.tolist() == [
        ["x1", "x2"],
        ["x1", "x3"],
        ["x2", "x3"],
    ]
    truth = np.array([0.0, S13_TRUE, 0.0])
    est = second["S2"].to_numpy()
    assert np.all(np.abs(est - truth) <= second["S2_conf"].to_numpy())


def test_linear_model_with_normal_inputs() -> None:
    # y = x1 + x2, x1 ~ N(0, 1), x2 ~ N(5, 2): Var = 1 + 4, S1 = ST = (1/5, 4/5).
    def ppf(u: np.ndarray) -> np.ndarray:
        return np.column_stack([stats.norm.ppf(u[:, 0]), stats.norm.ppf(u[:, 1], 5.0, 2.0)])

    df = sobol_indices(lambda X: X[:, 0] + X[:, 1], ["x1", "x2"], ppf, 2**12, seed=3)
    np.testing.assert_allclose(df["S1"], [0.2, 0.8], atol=0.03)
    np.testing.assert_allclose(df["ST"], [0.2, 0.8], atol=0.03)


def test_fixed_parameter_costs_nothing_and_gets_zero() -> None:
    rows_seen: list[int] = []

    def model(X: np.ndarray) -> np.ndarray:
        rows_seen.append(X.shape[0])
        return 2.0 * X[:, 0] + X[:, 2]

    def ppf(u: np.ndarray) -> np.ndarray:
        out = u.copy()
        out[:, 1] = 3.5  # fixed parameter
        return out

    assert fixed_parameters(ppf, ["a", "fixed", "c"]).tolist() == [False, True, False]
    df = sobol_indices(model, ["a", "fixed", "c"], ppf, 1024, seed=1)
    # Two free parameters: N (d + 2) = 1024 * 4 evaluations, in one call.
    assert rows_seen == [1024 * 4]
    row = df.set_index("parameter").loc["fixed"]
    assert (row[["S1", "S1_conf", "ST", "ST_conf"]] == 0.0).all()
    # y = 2a + c, a, c ~ U(0, 1): S_a = 4/5, S_c = 1/5.
    np.testing.assert_allclose(
        df.set_index("parameter").loc[["a", "c"], "S1"], [0.8, 0.2], atol=0.03
    )


def test_constant_output_gives_zero_indices_not_nan() -> None:
    def model(X: np.ndarray) -> np.ndarray:
        return np.column_stack([ishigami(X), np.full(X.shape[0], 0.25)])

    df = sobol_indices(model, NAMES, uniform_pi, 256, seed=2, output_names=["war", "peace"])
    assert df["output"].tolist() == ["war"] * 3 + ["peace"] * 3
    assert not df.isna().any().any()
    peace = df[df["output"] == "peace"]
    assert (peace[["S1", "S1_conf", "ST", "ST_conf"]] == 0.0).all().all()
    assert (df[df["output"] == "war"]["ST"] > 0.1).all()


def test_all_parameters_fixed() -> None:
    df = sobol_indices(lambda X: X.sum(axis=1), ["a", "b"], lambda u: np.ones_like(u), 64, seed=0)
    assert (df[["S1", "ST"]] == 0.0).all().all()


def test_same_seed_same_result_and_seed_zero_works() -> None:
    one = sobol_indices(ishigami, NAMES, uniform_pi, 256, seed=0)
    two = sobol_indices(ishigami, NAMES, uniform_pi, 256, seed=0)
    pd.testing.assert_frame_equal(one, two)


@pytest.mark.parametrize("n_base", [1000, 1, 0])
def test_n_base_must_be_a_power_of_two(n_base: int) -> None:
    with pytest.raises(InputError, match="power of two"):
        sobol_indices(ishigami, NAMES, uniform_pi, n_base)


def test_bad_ppf_and_bad_model_are_input_errors() -> None:
    with pytest.raises(InputError, match="ppf returned shape"):
        sobol_indices(ishigami, NAMES, lambda u: u[:, :2], 64)
    with pytest.raises(InputError, match="non-finite values for x2"):
        sobol_indices(ishigami, NAMES, lambda u: u * np.array([1.0, np.inf, 1.0]), 64)
    with pytest.raises(InputError, match="non-finite outputs"):
        sobol_indices(lambda X: np.where(X[:, 0] > 0.5, np.inf, 0.0), NAMES, lambda u: u, 64)
    with pytest.raises(InputError, match="one row per draw"):
        sobol_indices(lambda X: X[:10, 0], NAMES, lambda u: u, 64)
    with pytest.raises(InputError, match="distinct"):
        sobol_indices(ishigami, ["x", "x", "y"], uniform_pi, 64)
    with pytest.raises(InputError, match="output names"):
        sobol_indices(ishigami, NAMES, uniform_pi, 64, output_names=["a", "b"])


# --------------------------------------------------------------------------
# Morris
# --------------------------------------------------------------------------


def test_morris_linear_model_effects_per_unit_quantile() -> None:
    # y = 1 a + 2 b - 3 c with a, b ~ U(0, 1) and c ~ U(2, 6).
    # Per unit of quantile: the effect of a is 1, of b is 2, and of c is
    # -3 * (6 - 2) = -12 (c moves 4 per unit of quantile). Linear, so every
    # elementary effect is the same: mu = effect, mu* = |effect|, sigma = 0.
    def ppf(u: np.ndarray) -> np.ndarray:
        return np.column_stack([u[:, 0], u[:, 1], 2.0 + 4.0 * u[:, 2]])

    df = morris_screening(lambda X: X @ np.array([1.0, 2.0, -3.0]), ["a", "b", "c"], ppf, seed=5)
    assert list(df.columns) == ["output", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]
    np.testing.assert_allclose(df["mu"], [1.0, 2.0, -12.0], atol=1e-9)
    np.testing.assert_allclose(df["mu_star"], [1.0, 2.0, 12.0], atol=1e-9)
    np.testing.assert_allclose(df["sigma"], 0.0, atol=1e-9)


def test_morris_unbounded_fixed_and_constant() -> None:
    def ppf(u: np.ndarray) -> np.ndarray:
        return np.column_stack([stats.norm.ppf(u[:, 0]), np.full(u.shape[0], 2.0), u[:, 2]])

    def model(X: np.ndarray) -> np.ndarray:
        return np.column_stack([X[:, 0] ** 2 + X[:, 2], np.zeros(X.shape[0])])

    df = morris_screening(model, ["n", "fixed", "u"], ppf, n_trajectories=20, seed=1)
    assert not df.isna().any().any()
    assert (df.loc[df["parameter"] == "fixed", ["mu", "mu_star", "sigma"]] == 0.0).all().all()
    assert (df.loc[df["output"] == "y1", ["mu_star", "sigma"]] == 0.0).all().all()
    y0 = df[df["output"] == "y0"].set_index("parameter")
    assert y0.loc["n", "mu_star"] > 0 and y0.loc["n", "sigma"] > 0  # non-linear in n
    assert y0.loc["u", "mu_star"] == pytest.approx(1.0)


def test_morris_levels_must_be_even() -> None:
    with pytest.raises(InputError, match="even"):
        morris_screening(ishigami, NAMES, uniform_pi, num_levels=5)


# --------------------------------------------------------------------------
# Tornado
# --------------------------------------------------------------------------


def test_tornado_hand_computed_swings() -> None:
    # y = 3 a - 2 b + a c, a, b, c ~ U(0, 1), central (0.5, 0.5, 0.5), q = 0.05, 0.95.
    # y_central = 1.5 - 1 + 0.25 = 0.75
    # a: low 0.05 -> 0.15 - 1 + 0.025 = -0.825; high 0.95 -> 2.85 - 1 + 0.475 = 2.325; swing 3.15
    # b: low -> 1.5 - 0.1 + 0.25 = 1.65;  high -> 1.5 - 1.9 + 0.25 = -0.15;  swing 1.8
    # c: low -> 1.5 - 1 + 0.025 = 0.525;  high -> 1.5 - 1 + 0.475 = 0.975;   swing 0.45
    def model(X: np.ndarray) -> np.ndarray:
        return 3.0 * X[:, 0] - 2.0 * X[:, 1] + X[:, 0] * X[:, 2]

    df = tornado(model, ["a", "b", "c"], lambda u: u, [0.5, 0.5, 0.5])
    assert df["parameter"].tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(df["swing"], [3.15, 1.8, 0.45])
    np.testing.assert_allclose(df["y_low"], [-0.825, 1.65, 0.525])
    np.testing.assert_allclose(df["y_high"], [2.325, -0.15, 0.975])
    np.testing.assert_allclose(df["y_central"], 0.75)
    np.testing.assert_allclose(df["low_value"], 0.05)
    np.testing.assert_allclose(df["high_value"], 0.95)


def test_tornado_several_outputs_fixed_parameter_and_median_default() -> None:
    # Outputs (x, -2x, 0) with x ~ N(0, 1) and a fixed second parameter; the
    # central point defaults to the medians (0, 4).
    def ppf(u: np.ndarray) -> np.ndarray:
        return np.column_stack([stats.norm.ppf(u[:, 0]), np.full(u.shape[0], 4.0)])

    def model(X: np.ndarray) -> np.ndarray:
        return np.column_stack([X[:, 0], -2.0 * X[:, 0], np.zeros(X.shape[0])])

    df = tornado(model, ["x", "fixed"], ppf, output_names=["p", "q", "r"], low_q=0.1, high_q=0.9)
    z = stats.norm.ppf(0.9)
    assert df["output"].tolist() == ["p", "p", "q", "q", "r", "r"]
    assert df["parameter"].tolist() == ["x", "fixed", "x", "fixed", "x", "fixed"]
    np.testing.assert_allclose(df["swing"], [2 * z, 0.0, 4 * z, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(df.loc[df["parameter"] == "fixed", "low_value"], 4.0)


def test_tornado_rejects_bad_quantiles_and_central() -> None:
    with pytest.raises(InputError, match="low_q"):
        tornado(ishigami, NAMES, uniform_pi, [0, 0, 0], low_q=0.9, high_q=0.1)
    with pytest.raises(InputError, match="one value per parameter"):
        tornado(ishigami, NAMES, uniform_pi, [0, 0])
    with pytest.raises(InputError, match="finite"):
        tornado(ishigami, NAMES, uniform_pi, [0, np.nan, 0])
