"""Distributions against scipy.stats (the peer) and against hand calculations.

Every family's inverse CDF, CDF, mean and support are compared with the
scipy.stats distribution built here from the family's textbook
parameterisation (written out in each case), not from our own code; central
values and means are also checked against numbers worked out by hand in the
comments.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from realpolitik.errors import InputError
from realpolitik.uncertainty.distributions import (
    FAMILIES,
    PERT,
    Beta,
    Discrete,
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    from_spec,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "uncertainty.md"

# (ours, scipy's equivalent built from the textbook definition)
CONTINUOUS: list[tuple[Distribution, Any]] = [
    (Uniform(2, 6), stats.uniform(loc=2, scale=4)),
    # triang's c is the mode's position as a share of the width: (1 - 0) / 4
    (Triangular(0, 1, 4), stats.triang(0.25, loc=0, scale=4)),
    (Triangular(0, 0, 1), stats.triang(0.0, loc=0, scale=1)),
    (Triangular(-2, 3, 3), stats.triang(1.0, loc=-2, scale=5)),
    # PERT shapes: alpha = 1 + 4 (0.3 - 0.1) / 0.5 = 2.6, beta = 1 + 4 (0.6 - 0.3) / 0.5 = 3.4
    (PERT(0.1, 0.3, 0.6), stats.beta(2.6, 3.4, loc=0.1, scale=0.5)),
    # lamb = 6: alpha = 1 + 6 * 2 / 10 = 2.2, beta = 1 + 6 * 8 / 10 = 5.8
    (PERT(0, 2, 10, lamb=6), stats.beta(2.2, 5.8, loc=0, scale=10)),
    # mode at the upper bound: alpha = 5, beta = 1
    (PERT(0, 1, 1), stats.beta(5.0, 1.0)),
    (Normal(1, 2), stats.norm(loc=1, scale=2)),
    (Normal(0, 1, low=0), stats.truncnorm(0.0, np.inf)),
    # standardised bounds: (0 - 5) / 2 = -2.5, (6 - 5) / 2 = 0.5
    (Normal(5, 2, low=0, high=6), stats.truncnorm(-2.5, 0.5, loc=5, scale=2)),
    (Normal(0, 1, high=-1), stats.truncnorm(-np.inf, -1.0)),
    (Beta(2, 5, low=0, high=10), stats.beta(2, 5, loc=0, scale=10)),
    (Beta(0.5, 0.5), stats.beta(0.5, 0.5)),
    # log X ~ N(log 2, 0.5^2): scipy's lognorm(s=sigma, scale=exp(mu) = median)
    (LogNormal(2, 0.5), stats.lognorm(0.5, scale=2.0)),
    (LogNormal.from_mu(1.0, 0.25), stats.lognorm(0.25, scale=math.e)),
]
IDS = [d.describe() for d, _ in CONTINUOUS]
U_GRID = np.array([1e-12, 1e-6, 0.001, 0.02, 0.1, 0.25, 0.5, 0.6, 0.9, 0.99, 1 - 1e-6, 1 - 1e-12])


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_ppf_matches_scipy(dist: Distribution, peer: Any) -> None:
    np.testing.assert_allclose(dist.ppf(U_GRID), peer.ppf(U_GRID), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_cdf_matches_scipy(dist: Distribution, peer: Any) -> None:
    lo, hi = peer.ppf(1e-9), peer.ppf(1 - 1e-9)
    x = np.linspace(lo - 1.0, hi + 1.0, 201)
    np.testing.assert_allclose(dist.cdf(x), peer.cdf(x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_cdf_inverts_ppf(dist: Distribution, peer: Any) -> None:
    np.testing.assert_allclose(dist.cdf(dist.ppf(U_GRID)), U_GRID, rtol=1e-8, atol=1e-14)


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_mean_and_support_match_scipy(dist: Distribution, peer: Any) -> None:
    assert dist.mean() == pytest.approx(float(peer.mean()), rel=1e-10)
    assert dist.support() == pytest.approx(tuple(float(s) for s in peer.support()))


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_central_is_the_median(dist: Distribution, peer: Any) -> None:
    assert dist.central() == pytest.approx(float(peer.median()), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_inverse_transform_sample_passes_ks(dist: Distribution, peer: Any) -> None:
    u = np.random.default_rng(20240601).random(4000)
    assert stats.kstest(dist.ppf(u), peer.cdf).pvalue > 0.01


@pytest.mark.parametrize(("dist", "peer"), CONTINUOUS, ids=IDS)
def test_ppf_ends_and_outside(dist: Distribution, peer: Any) -> None:
    lo, hi = dist.support()
    assert dist.ppf([0.0, 1.0]).tolist() == pytest.approx([lo, hi])
    assert np.isnan(dist.ppf([-0.1, 1.5, np.nan])).all()
    assert dist.ppf(0.5).shape == ()
    assert dist.ppf(np.full((2, 3), 0.5)).shape == (2, 3)


@pytest.mark.parametrize(
    "dist",
    [PERT(0, 0.4, 1), PERT(0, 2, 10, lamb=6), Beta(2.6, 3.4), Beta(0.7, 4.5), Beta(50, 3)],
    ids=lambda d: d.describe(),
)
def test_beta_families_far_lower_tail(dist: Distribution) -> None:
    # scipy's betaincinv (Boost) returns NaN below about 1e-200 for non-integer
    # shapes; the copula can hand us probabilities down to 2.2e-308. The inverse
    # must still be finite and invert the CDF (betainc, a different routine)
    # wherever the answer is a normal float (lower bound 0, so nothing is lost
    # by shifting; a shifted support cannot resolve such tails in float64).
    u = np.logspace(-307, -1, 60)
    x = dist.ppf(u)
    assert np.isfinite(x).all()
    normal = x > 1e-290
    assert normal.sum() >= 30
    np.testing.assert_allclose(dist.cdf(x[normal]), u[normal], rtol=1e-7)


def test_beta_far_tail_closed_forms() -> None:
    # Beta(a, 1): I_x = x^a, so x = u^(1/a); Beta(1, b): x = 1 - (1 - u)^(1/b).
    u = np.logspace(-300, -1, 40)
    np.testing.assert_allclose(Beta(5, 1).ppf(u), u ** (1 / 5), rtol=1e-12)
    np.testing.assert_allclose(Beta(2.5, 1).ppf(u), u ** (1 / 2.5), rtol=1e-12)
    np.testing.assert_allclose(Beta(1, 5).ppf(u), -np.expm1(np.log1p(-u) / 5), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), min_size=2, max_size=30))
def test_ppf_is_non_decreasing(us: list[float]) -> None:
    u = np.sort(np.asarray(us))
    for dist, _ in CONTINUOUS:
        assert (np.diff(dist.ppf(u)) >= 0).all(), dist.describe()


# Hand values: (distribution, central (median), mean), each worked out below.
HAND = [
    # fixed: every value is 3
    (Fixed(3), 3.0, 3.0),
    # uniform on [2, 6]: median = mean = midpoint 4
    (Uniform(2, 6), 4.0, 4.0),
    # triangular(0, 1, 4): F(mode) = 1/4 < 1/2, so the median solves
    # 1 - (4 - x)^2 / (4 * 3) = 1/2  ->  x = 4 - sqrt(6); mean = (0 + 1 + 4) / 3 = 5/3
    (Triangular(0, 1, 4), 4 - math.sqrt(6), 5 / 3),
    # symmetric triangular: median = mean = mode
    (Triangular(0, 5, 10), 5.0, 5.0),
    # PERT mean = (low + 4 mode + high) / 6 = (0.1 + 1.2 + 0.6) / 6
    (PERT(0.1, 0.3, 0.6), None, 1.9 / 6),
    # symmetric PERT: median = mean = mode
    (PERT(0, 5, 10, lamb=6), 5.0, 5.0),
    # normal(1, 2): median = mean = 1
    (Normal(1, 2), 1.0, 1.0),
    # half-normal: median = Phi^-1(0.75) = 0.6744897501960817, mean = sqrt(2 / pi)
    (Normal(0, 1, low=0), 0.6744897501960817, math.sqrt(2 / math.pi)),
    # symmetric truncation keeps median = mean = mu
    (Normal(3, 1, low=1, high=5), 3.0, 3.0),
    # beta(2, 2) is symmetric about 1/2; beta(2, 5) on [0, 10]: mean = 10 * 2 / 7
    (Beta(2, 2), 0.5, 0.5),
    (Beta(2, 5, low=0, high=10), None, 20 / 7),
    # lognormal: median as given, mean = median * exp(sigma^2 / 2) = 2 exp(0.125)
    (LogNormal(2, 0.5), 2.0, 2 * math.exp(0.125)),
    # discrete 0/1 weighted 0.7/0.3: F(0) = 0.7 >= 0.5 so the median is 0; mean 0.3
    (Discrete((0, 1), (0.7, 0.3)), 0.0, 0.3),
    # weights 1, 1, 2 on 10, 20, 30 (normalised 1/4, 1/4, 1/2): F(20) = 1/2, so the
    # (lower) median is 20; mean = (10 + 20 + 60) / 4 = 22.5
    (Discrete((30, 10, 20), (2, 1, 1)), 20.0, 22.5),
]


@pytest.mark.parametrize(("dist", "central", "mean"), HAND, ids=[h[0].describe() for h in HAND])
def test_central_and_mean_by_hand(dist: Distribution, central: float | None, mean: float) -> None:
    if central is not None:
        assert dist.central() == pytest.approx(central, rel=1e-12, abs=1e-12)
    assert dist.mean() == pytest.approx(mean, rel=1e-12)


def test_central_is_median_not_mode_for_skewed_pert() -> None:
    # PERT(0.1, 0.3, 0.6): mode 0.3, mean 0.31667; the median lies between them.
    d = PERT(0.1, 0.3, 0.6)
    assert d.central() == pytest.approx(float(stats.beta(2.6, 3.4, 0.1, 0.5).median()))
    assert d.mode < d.central() < d.mean()


# ---------------------------------------------------------------------------
# Discrete and fixed


DISCRETE = [
    (Discrete((0, 1), (0.7, 0.3)), [0, 1], [0.7, 0.3]),
    (Discrete((30, 10, 20), (2, 1, 1)), [10, 20, 30], [0.25, 0.25, 0.5]),
    (Discrete((-1.5, 2.5, 4.0)), [-1.5, 2.5, 4.0], [1 / 3, 1 / 3, 1 / 3]),
    (Discrete((0, 1, 2), (0.0, 1.0, 3.0)), [0, 1, 2], [0.0, 0.25, 0.75]),
]


@pytest.mark.parametrize(("dist", "xk", "pk"), DISCRETE, ids=[d[0].describe() for d in DISCRETE])
def test_discrete_matches_scipy(dist: Discrete, xk: list[float], pk: list[float]) -> None:
    peer = stats.rv_discrete(values=(xk, pk))
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_array_equal(dist.ppf(u), peer.ppf(u))
    x = np.linspace(min(xk) - 1, max(xk) + 1, 97)
    np.testing.assert_allclose(dist.cdf(x), peer.cdf(x), atol=1e-15)
    assert dist.mean() == pytest.approx(float(peer.mean()))
    # The sampled frequencies match the weights (chi-square, fixed seed).
    draws = dist.ppf(np.random.default_rng(7).random(6000))
    counts = np.array([(draws == v).sum() for v in xk])
    assert counts.sum() == draws.size
    positive = np.asarray(pk) > 0
    assert (counts[~positive] == 0).all()
    expected = np.asarray(pk)[positive] * draws.size
    assert stats.chisquare(counts[positive], expected).pvalue > 0.01


def test_discrete_support_skips_zero_weights() -> None:
    assert Discrete((0, 1, 2, 3), (0, 1, 1, 0)).support() == (1.0, 2.0)
    assert Discrete((5,)).ppf([0.1, 0.9]).tolist() == [5.0, 5.0]


def test_fixed() -> None:
    d = Fixed(3)
    assert d.is_fixed and not Uniform(0, 1).is_fixed
    assert d.ppf([0.1, 0.5, 0.9]).tolist() == [3.0, 3.0, 3.0]
    assert d.cdf([2.9, 3.0, 3.1]).tolist() == [0.0, 1.0, 1.0]
    assert (d.central(), d.mean(), d.support()) == (3.0, 3.0, (3.0, 3.0))


@pytest.mark.parametrize(
    ("dist", "text"),
    [
        (Fixed(3), "Fixed(3)"),
        (Fixed(0.25), "Fixed(0.25)"),
        (Uniform(2, 6.5), "Uniform(2, 6.5)"),
        (Triangular(0, 1, 4), "Triangular(0, 1, 4)"),
        (PERT(0.1, 0.3, 0.6), "PERT(0.1, 0.3, 0.6)"),
        (PERT(0.1, 0.3, 0.6, lamb=6), "PERT(0.1, 0.3, 0.6, lamb=6)"),
        (Normal(0, 1), "Normal(0, 1)"),
        (Normal(0, 1, low=-2), "Normal(0, 1, low=-2)"),
        (Normal(0, 1, low=-2, high=3), "Normal(0, 1, low=-2, high=3)"),
        (Beta(2, 5), "Beta(2, 5)"),
        (Beta(2, 5, low=0, high=10), "Beta(2, 5, low=0, high=10)"),
        (LogNormal(2, 0.5), "LogNormal(median=2, sigma=0.5)"),
        (Discrete((0, 1), (0.7, 0.3)), "Discrete([0, 1], weights=[0.7, 0.3])"),
        (Discrete((1, 2, 3)), "Discrete([1, 2, 3])"),
    ],
)
def test_describe(dist: Distribution, text: str) -> None:
    assert dist.describe() == text
    assert str(dist) == text


# ---------------------------------------------------------------------------
# Bad arguments: each raises InputError saying what is wrong and what to do.

BAD: list[tuple[Any, str]] = [
    (lambda: Uniform(1, 0), r"uniform: needs low < high, got low=1 and high=0; swap them"),
    (lambda: Uniform(1, 1), r"needs low < high, got low=1 and high=1"),
    (lambda: Uniform("0", 1), r"`low` must be a number, got '0' \(text\); remove the quotes"),  # type: ignore[arg-type]
    (lambda: Uniform(0, math.inf), r"`high` must be a finite number, got inf"),
    (lambda: Uniform(0, float("nan")), r"`high` must be a finite number, got nan"),
    (lambda: Fixed(True), r"`value` must be a number, got True \(bool\)"),
    (lambda: Fixed(None), r"`value` must be a number, got None"),  # type: ignore[arg-type]
    (lambda: Triangular(0, 5, 4), r"mode=5 lies outside \[low, high\] = \[0, 4\]"),
    (lambda: Triangular(3, 3, 3), r"triangular: needs low < high"),
    (lambda: PERT(0.1, 0.05, 0.6), r"pert: mode=0.05 lies outside \[low, high\] = \[0.1, 0.6\]"),
    (lambda: PERT(0, 1, 2, lamb=0), r"pert: `lamb` must be > 0, got 0; 4 is the classic PERT"),
    (lambda: Normal(0, 0), r"normal: `sd` must be > 0, got 0; for a known value use dist: fixed"),
    (lambda: Normal(0, -1), r"`sd` must be > 0, got -1"),
    (lambda: Normal(0, 1, low=2, high=1), r"normal: needs low < high, got low=2 and high=1"),
    (lambda: Beta(0, 1), r"beta: shape `a` must be > 0, got 0"),
    (lambda: Beta(1, -2), r"beta: shape `b` must be > 0, got -2"),
    (lambda: Beta(2, 2, low=1, high=0), r"beta: needs low < high"),
    (lambda: LogNormal(0, 1), r"lognormal: `median` must be > 0, got 0; .*use dist: normal"),
    (lambda: LogNormal(1, 0), r"lognormal: `sigma` \(sd of log X\) must be > 0, got 0"),
    (lambda: Discrete(()), r"discrete: `values` is empty"),
    (lambda: Discrete("01"), r"discrete: `values` must be a list of numbers"),  # type: ignore[arg-type]
    (lambda: Discrete((0, 1, 0)), r"discrete: value 0 is listed twice; list each value once"),
    (
        lambda: Discrete((0, 1), (1,)),
        r"discrete: 2 values but 1 weights; give one weight per value",
    ),
    (lambda: Discrete((0, 1), (1, -1)), r"discrete: weights must be >= 0, got -1"),
    (lambda: Discrete((0, 1), (0, 0)), r"discrete: the weights sum to 0"),
    (lambda: Discrete((0, "a")), r"discrete: `values` must be a number, got 'a'"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("make", "message"), BAD, ids=[b[1][:40] for b in BAD])
def test_bad_arguments(make: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        make()
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------
# from_spec: the scenario loader's entry point

GOOD_SPECS: list[tuple[Any, Distribution]] = [
    ({"dist": "fixed", "value": 3}, Fixed(3)),
    (3, Fixed(3)),
    (0.5, Fixed(0.5)),
    ({"dist": "uniform", "low": 0, "high": 1}, Uniform(0, 1)),
    ({"dist": "triangular", "low": 0, "mode": 1, "high": 4}, Triangular(0, 1, 4)),
    ({"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.6}, PERT(0.1, 0.3, 0.6)),
    ({"dist": "PERT", "low": 0.1, "mode": 0.3, "high": 0.6, "lamb": 6}, PERT(0.1, 0.3, 0.6, 6)),
    ({"dist": "normal", "mean": 1, "sd": 2}, Normal(1, 2)),
    ({"dist": "normal", "mean": 1, "sd": 2, "low": 0}, Normal(1, 2, low=0)),
    ({"dist": "normal", "mean": 1, "sd": 2, "low": None, "high": 4}, Normal(1, 2, high=4)),
    ({"dist": "beta", "a": 2, "b": 5}, Beta(2, 5)),
    ({"dist": "beta", "a": 2, "b": 5, "low": 0, "high": 10}, Beta(2, 5, 0, 10)),
    ({"dist": "lognormal", "median": 2, "sigma": 0.5}, LogNormal(2, 0.5)),
    ({"dist": "lognormal", "mu": 0.0, "sigma": 0.5}, LogNormal(1, 0.5)),
    ({"dist": "discrete", "values": [0, 1], "weights": [0.7, 0.3]}, Discrete((0, 1), (0.7, 0.3))),
    ({"dist": "discrete", "values": [1, 2]}, Discrete((1, 2))),
    (
        {"dist": "pert", "low": 0, "mode": 1, "high": 2, "source": "Hung 2022, p. 3"},
        PERT(0, 1, 2),
    ),
]


@pytest.mark.parametrize(("spec", "expected"), GOOD_SPECS, ids=[str(g[0]) for g in GOOD_SPECS])
def test_from_spec_builds(spec: Any, expected: Distribution) -> None:
    assert from_spec(spec, where="parameters.x") == expected


BAD_SPECS: list[tuple[Any, str]] = [
    (
        {"dist": "pret", "low": 0, "mode": 1, "high": 2},
        r"unknown distribution `pret`; did you mean `pert`\?",
    ),
    ({"dist": "gamma", "a": 1}, r"unknown distribution `gamma` \(known: fixed, uniform"),
    (
        {"dist": "pert", "low": 0, "mdoe": 1, "high": 2},
        r"pert: unknown key `mdoe`; did you mean `mode`\?",
    ),
    (
        {"dist": "normal", "mean": 0, "sd": 1, "min": -1},
        r"normal: unknown key `min` \(normal takes mean, sd, low, high\)",
    ),
    ({"dist": "pert", "low": 0, "high": 2}, r"pert: missing `mode`; pert needs low, mode, high"),
    ({"dist": "lognormal", "sigma": 1}, r"lognormal: give one of `median` or `mu`"),
    ({"dist": "lognormal", "median": 1, "mu": 0, "sigma": 1}, r"give only one of `median` or `mu`"),
    (
        {"low": 0, "high": 1},
        r"missing `dist`; name the distribution family, one of: fixed, uniform",
    ),
    ({"dist": 3}, r"`dist` must be a family name such as pert, got 3"),
    (
        {"dist": "uniform", "low": "0.1", "high": 1},
        r"uniform: `low` must be a number, got '0.1' \(text\)",
    ),
    ({"dist": "uniform", "low": None, "high": 1}, r"uniform: `low` is empty; give a number"),
    ({"dist": "uniform", "low": 2, "high": 1}, r"uniform: needs low < high"),
    ([0, 1], r"expected a distribution such as \{dist: pert"),
    (True, r"expected a distribution such as .* got True"),
    ("pert", r"expected a distribution"),
    (math.nan, r"fixed: `value` must be a finite number, got nan"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS, ids=[b[1][:40] for b in BAD_SPECS])
def test_from_spec_rejects(spec: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        from_spec(spec, where="parameters.china_gain")
    err = info.value
    assert err.problems[0].field == "parameters.china_gain"
    assert str(err).startswith("parameters.china_gain: ")
    assert "\n" not in str(err)


def test_from_spec_without_where_has_no_prefix() -> None:
    with pytest.raises(InputError) as info:
        from_spec({"dist": "uniform", "low": 1, "high": 0})
    assert str(info.value).startswith("uniform: needs low < high")


def test_from_spec_extra_keys_are_configurable() -> None:
    spec = {"dist": "fixed", "value": 1, "source": "x", "tag": "y"}
    with pytest.raises(InputError, match="unknown key `tag`"):
        from_spec(spec)
    assert from_spec(spec, extra_keys=("source", "tag")) == Fixed(1)
    with pytest.raises(InputError, match="unknown key `source`"):
        from_spec(spec, extra_keys=())


def test_registry_is_complete_and_consistent() -> None:
    classes = {Fixed, Uniform, Triangular, PERT, Normal, Beta, LogNormal, Discrete}
    assert {f.cls for f in FAMILIES.values()} == classes
    for name, family in FAMILIES.items():
        assert family.name == name == family.cls.family
        assert family.summary
    # Each family's required keys (plus the first alternative) are enough to build it.
    example = {
        "value": 1, "low": 0, "mode": 1, "high": 2, "mean": 0, "sd": 1,
        "a": 2, "b": 3, "median": 1, "mu": 0, "sigma": 1, "values": [0, 1],
    }  # fmt: skip
    for name, family in FAMILIES.items():
        keys = family.required + family.one_of[:1]
        assert isinstance(from_spec({"dist": name, **{k: example[k] for k in keys}}), family.cls)


def test_docs_cover_every_family() -> None:
    text = DOCS.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### `(\w+)`", text, flags=re.MULTILINE))
    assert headings == set(FAMILIES)


# The beta quantile table (``_BetaTable``) behind PERT and Beta: against
# scipy's ``betaincinv`` (the peer) on 200 000 uniforms per shape pair.
# PERT and Beta values moved by up to ~1e-14 when the table replaced direct
# ``betaincinv`` calls (the interpolation error; see distributions.py), so the
# tests above compare with tolerances, never bit for bit.
TABLE_SHAPES = [
    (2.6, 3.4),  # PERT(0.1, 0.3, 0.6)
    (1.0, 5.0),  # PERT with the mode at the low end
    (5.0, 1.0),
    (1.0001, 4.9999),
    (0.5, 0.5),  # U-shaped, infinite density at both ends
    (0.7, 4.5),
    (50.0, 3.0),
    (300.0, 400.0),  # concentrated
    (0.05, 2.0),  # y ~ r**20 underflows: the table falls back on most cells
]


@pytest.mark.parametrize(("a", "b"), TABLE_SHAPES)
def test_beta_table_matches_betaincinv(a: float, b: float) -> None:
    import scipy.special as sc

    from realpolitik.uncertainty.distributions import _BetaTable

    q = np.random.default_rng(7).random(200_000)
    q[:3] = [0.5, 0.25, 2.0**-17]  # nodes of the lower half: exact
    got = _BetaTable.of(a, b).ppf(q)
    want = sc.betaincinv(a, b, q)
    assert np.array_equal(got[:3], want[:3])
    # lower half: relative accuracy, deep into the tail; upper half (computed
    # as 1 - y for the mirrored beta): absolute accuracy on [0, 1]
    low = q <= 0.5
    np.testing.assert_allclose(got[low], want[low], rtol=1e-13, atol=0)
    np.testing.assert_allclose(got[~low], want[~low], rtol=0, atol=1e-14)


def test_beta_table_tails_and_edges_fall_back_to_the_exact_routine() -> None:
    import scipy.special as sc

    from realpolitik.uncertainty.distributions import _BetaTable

    table = _BetaTable.of(2.6, 3.4)
    q = np.array([0.0, 1.0, 1e-90, 1e-9, 2.0**-18, 1 - 2.0**-18, 1 - 1e-12])
    got = table.ppf(q)
    assert got[0] == 0.0 and got[1] == 1.0
    np.testing.assert_allclose(got[2:], sc.betaincinv(2.6, 3.4, q[2:]), rtol=1e-12)
    # elementwise: a value does not depend on the rest of the array
    u = np.random.default_rng(3).random(5000)
    whole = table.ppf(u)
    assert np.array_equal(np.concatenate([table.ppf(u[:1]), table.ppf(u[1:])]), whole)
    assert table.ppf(u.reshape(50, 100)).shape == (50, 100)


def test_pert_central_is_the_tables_value_at_one_half() -> None:
    d = PERT(0.1, 0.3, 0.6)
    assert d.central() == float(d.ppf(0.5))
    b = Beta(2, 5, low=0, high=10)
    assert b.central() == float(b.ppf(0.5))
