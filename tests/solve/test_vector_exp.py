"""The belief iteration's ``exp`` (:mod:`realpolitik.solve._vector_exp`)
against the C library's and against exact values: within one ulp, with the
C library's special values."""

from __future__ import annotations

import decimal
import math

import numba
import numpy as np
import pytest

from realpolitik.solve._vector_exp import vexp


@numba.njit(cache=False)
def _vexp_all(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = vexp(x[i])
    return out


@pytest.mark.parametrize(
    ("low", "high"), [(-745.0, 0.0), (-40.0, 0.0), (-1.0, 1.0), (-745.0, 709.7), (-746.0, -708.0)]
)
def test_within_one_ulp_of_the_c_library(low: float, high: float) -> None:
    x = np.random.default_rng(int(high - low)).uniform(low, high, 400_000)
    got = _vexp_all(x)
    want = np.array([math.exp(v) for v in x])
    positive = want > 0
    ulps = np.abs(got - want)[positive] / np.spacing(want[positive])
    assert ulps.max() <= 1.0
    assert np.mean(got == want) > 0.8  # mostly the same bits
    assert (got[~positive] == 0.0).all()


def test_within_one_ulp_of_exact_values() -> None:
    """Exact to 40 digits by Python's decimal module (correctly rounded)."""
    context = decimal.Context(prec=40)
    x = np.random.default_rng(3).uniform(-700.0, 700.0, 3000)
    got = _vexp_all(x)
    for v, g in zip(x, got, strict=True):
        exact = context.exp(decimal.Decimal(float(v)))
        error = abs(decimal.Decimal(float(g)) - exact)
        assert error <= decimal.Decimal(float(np.spacing(g))), v


def test_special_values_are_the_c_librarys() -> None:
    x = np.array(
        [np.nan, -np.inf, np.inf, 0.0, -0.0, 709.78, 709.8, -745.13, -745.2, -746.0, 1e-300]
    )
    got = _vexp_all(x)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    assert np.array_equal(got, want, equal_nan=True)
