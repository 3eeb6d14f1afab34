"""One-at-a-time flip thresholds against flip points solved by hand.

Quantiles are checked against scipy.stats' CDFs (an independent computation:
the module only ever calls the inverse CDF).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from realpolitik.analysis.thresholds import flip_thresholds
from realpolitik.errors import InputError

ACTIONS = np.array(["join", "neutral", "help"])


def most_likely_choice(X: np.ndarray) -> np.ndarray:
    """A third state's best option from three utilities over parameters
    (exposure e, partnership value v, detection risk r, a fixed cost c):

        u_join    = 1.0 - 2.0 v
        u_neutral = 0.2
        u_help    = v - 0.5 e - r + c - 0.2

    At the centre (e, v, r, c) = (0.4, 0.3, 0.1, 0.1): u = (0.4, 0.2, -0.1),
    so join. Hand-solved flips:
    - v alone: join = 1 - 2 v, neutral = 0.2, help = v - 0.4. join = neutral
      at v = 0.4; help = neutral at v = 0.6 (join is -0.2 there). So join ->
      neutral at 0.4, neutral -> help at 0.6.
    - e alone (v = 0.3): join 0.4 > neutral 0.2 > help = -0.5 e: no flip.
    - r alone: help = -r < join: no flip. c is fixed: no flip.
    """
    e, v, r, c = X[:, 0], X[:, 1], X[:, 2], X[:, 3]
    u = np.column_stack([1.0 - 2.0 * v, np.full(X.shape[0], 0.2), v - 0.5 * e - r + c - 0.2])
    return ACTIONS[np.argmax(u, axis=1)]


def uniform_ppf(u: np.ndarray) -> np.ndarray:
    out = u.copy()
    out[:, 3] = 0.1  # c is fixed
    return out


def test_flip_points_of_a_most_likely_choice() -> None:
    df = flip_thresholds(
        most_likely_choice, ["e", "v", "r", "c"], uniform_ppf, [0.4, 0.3, 0.1, 0.1]
    )
    assert list(df.columns) == [
        "parameter",
        "value",
        "quantile",
        "from_label",
        "to_label",
        "value_low",
        "value_high",
        "side",
    ]
    assert df["parameter"].tolist() == ["v", "v"]
    np.testing.assert_allclose(df["value"], [0.4, 0.6], atol=1e-6)
    np.testing.assert_allclose(df["quantile"], [0.4, 0.6], atol=1e-6)  # U(0, 1): quantile = value
    assert df[["from_label", "to_label"]].values.tolist() == [
        ["join", "neutral"],
        ["neutral", "help"],
    ]
    assert df["side"].tolist() == ["above", "above"]
    assert (df["value_low"] < df["value_high"]).all()
    assert ((df["value_high"] - df["value_low"]) <= 1e-6 * 0.998 + 1e-15).all()


def test_normal_and_discrete_parameters_and_tolerance() -> None:
    # a ~ N(1, 2): label flips at a = 2.0, quantile Phi((2 - 1) / 2).
    # k ~ Poisson(3): label flips between 3 and 4; the flip's quantile is P(k <= 3).
    # z ~ U(0, 1) irrelevant.
    def ppf(u: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [stats.norm.ppf(u[:, 0], 1.0, 2.0), stats.poisson.ppf(u[:, 1], 3.0), u[:, 2]]
        )

    def g(X: np.ndarray) -> np.ndarray:
        return (X[:, 0] > 2.0).astype(int) + 10 * (X[:, 1] >= 4).astype(int)

    tol = 1e-7
    df = flip_thresholds(g, ["a", "k", "z"], ppf, [0.0, 1.0, 0.5], tol=tol)
    assert df["parameter"].tolist() == ["a", "k"]
    a, k = df.iloc[0], df.iloc[1]
    swept = stats.norm.ppf(0.999, 1, 2) - stats.norm.ppf(0.001, 1, 2)
    assert abs(a["value"] - 2.0) <= tol * swept
    assert a["quantile"] == pytest.approx(stats.norm.cdf(0.5), abs=1e-6)
    assert (a["from_label"], a["to_label"], a["side"]) == (0, 1, "above")
    assert (k["value_low"], k["value_high"], k["value"]) == (3.0, 4.0, 3.5)
    assert k["quantile"] == pytest.approx(stats.poisson.cdf(3, 3.0), abs=1e-9)
    assert (k["from_label"], k["to_label"]) == (0, 10)


def test_two_flips_inside_one_grid_cell_are_both_found() -> None:
    # Labels A < 0.25 <= B < 0.3 <= C; with 5 grid points (0.001, 0.25075, ...)
    # A and C are neighbours on the grid with B hidden between them.
    def g(X: np.ndarray) -> np.ndarray:
        return np.where(X[:, 0] < 0.25, "A", np.where(X[:, 0] < 0.3, "B", "C"))

    df = flip_thresholds(g, ["x"], lambda u: u, [0.9], n_grid=5)
    assert df[["from_label", "to_label"]].values.tolist() == [["A", "B"], ["B", "C"]]
    np.testing.assert_allclose(df["value"], [0.25, 0.3], atol=1e-6)
    assert df["side"].tolist() == ["below", "below"]


def test_long_string_labels_met_only_by_bisection_are_not_truncated() -> None:
    def g(X: np.ndarray) -> np.ndarray:
        return np.where(X[:, 0] < 0.25, "a", np.where(X[:, 0] < 0.3, "overt support", "b"))

    df = flip_thresholds(g, ["x"], lambda u: u, [0.5], n_grid=5)
    assert df["to_label"].tolist() == ["overt support", "b"]


def test_no_flip_gives_an_empty_table_with_the_columns() -> None:
    df = flip_thresholds(lambda X: np.zeros(X.shape[0]), ["x", "y"], lambda u: u, [0.5, 0.5])
    assert df.empty
    assert list(df.columns) == [
        "parameter",
        "value",
        "quantile",
        "from_label",
        "to_label",
        "value_low",
        "value_high",
        "side",
    ]


def test_whole_sweep_is_one_classifier_call_plus_bisection_rounds() -> None:
    calls: list[int] = []

    def g(X: np.ndarray) -> np.ndarray:
        calls.append(X.shape[0])
        return X[:, 0] + X[:, 1] > 1.0

    flip_thresholds(g, ["a", "b", "c"], lambda u: u, [0.5, 0.5, 0.5], n_grid=101, tol=1e-6)
    assert calls[0] == 3 * 101  # the grid sweep of all three parameters in one call
    assert max(calls[1:]) == 2  # then both flips bisected together
    assert len(calls) < 40


def test_input_errors() -> None:
    g = most_likely_choice
    with pytest.raises(InputError, match="low_q"):
        flip_thresholds(g, ["e", "v", "r", "c"], uniform_ppf, low_q=0.5, high_q=0.5)
    with pytest.raises(InputError, match="n_grid"):
        flip_thresholds(g, ["e", "v", "r", "c"], uniform_ppf, n_grid=1)
    with pytest.raises(InputError, match="one label per row"):
        flip_thresholds(lambda X: X, ["e", "v", "r", "c"], uniform_ppf)
    with pytest.raises(InputError, match="one value per parameter"):
        flip_thresholds(g, ["e", "v", "r", "c"], uniform_ppf, [0.1, 0.2])
