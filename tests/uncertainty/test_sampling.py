"""Samplers: marginals (against scipy.stats), stratification, scipy's own Sobol'
sequence, copula correlations (against the requested matrix and Nelsen's
Spearman formula), chunk invariance bit for bit, determinism and bad input.
"""

from __future__ import annotations

import itertools
import json
import math
import pickle
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats import qmc

from realpolitik.errors import InputError
from realpolitik.uncertainty.distributions import (
    PERT,
    Beta,
    Discrete,
    Distribution,
    Fixed,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from realpolitik.uncertainty.sampling import (
    METHODS,
    SCHEME,
    Sampler,
    _permute,
    correlation_matrix,
    validate_correlation,
)

# Every family, with scipy's equivalent from the textbook parameterisation
# (as in test_distributions.py). None marks the fixed and discrete ones.
PARAMETERS: dict[str, tuple[Distribution, Any]] = {
    "uniform": (Uniform(2, 6), stats.uniform(2, 4)),
    "fixed": (Fixed(3), None),
    "triangular": (Triangular(0, 1, 4), stats.triang(0.25, 0, 4)),
    # alpha = 1 + 4 * 0.2 / 0.5 = 2.6, beta = 1 + 4 * 0.3 / 0.5 = 3.4
    "pert": (PERT(0.1, 0.3, 0.6), stats.beta(2.6, 3.4, 0.1, 0.5)),
    "normal": (Normal(1, 2), stats.norm(1, 2)),
    # standardised bounds (0 - 5) / 2 and (6 - 5) / 2
    "truncnormal": (Normal(5, 2, low=0, high=6), stats.truncnorm(-2.5, 0.5, 5, 2)),
    "beta": (Beta(2, 5, low=0, high=10), stats.beta(2, 5, 0, 10)),
    "lognormal": (LogNormal(2, 0.5), stats.lognorm(0.5, scale=2)),
    "discrete": (Discrete((0, 1, 2), (0.5, 0.3, 0.2)), None),
}
NAMES = tuple(PARAMETERS)
DISTS = tuple(d for d, _ in PARAMETERS.values())


def sampler(
    method: str,
    n: int,
    seed: int = 12345,
    correlation: Any = None,
    names: tuple[str, ...] = NAMES,
    dists: tuple[Distribution, ...] = DISTS,
) -> Sampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sobol with n not a power of 2
        return Sampler(names, dists, n, method, seed, correlation)


# A valid correlation among some of the parameters (others untouched).
CORR = correlation_matrix(
    NAMES,
    {
        ("uniform", "pert"): 0.6,
        ("pert", "normal"): -0.4,
        ("uniform", "normal"): -0.2,
        ("lognormal", "discrete"): 0.5,
    },
)


# ---------------------------------------------------------------------------
# Marginals


@pytest.mark.parametrize("correlated", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_marginals_pass_ks(method: str, correlated: bool) -> None:
    n = 4096
    s = sampler(method, n, seed=2024, correlation=CORR if correlated else None)
    x = s.draws(0, n)
    assert x.shape == (n, len(NAMES)) and x.dtype == np.float64
    for j, (name, (_dist, peer)) in enumerate(PARAMETERS.items()):
        if peer is not None:
            assert stats.kstest(x[:, j], peer.cdf).pvalue > 0.01, (method, name)
    assert (x[:, NAMES.index("fixed")] == 3.0).all()
    # Discrete: frequencies against the weights (chi-square).
    col = x[:, NAMES.index("discrete")]
    counts = np.array([(col == v).sum() for v in (0, 1, 2)])
    assert counts.sum() == n
    assert stats.chisquare(counts, np.array([0.5, 0.3, 0.2]) * n).pvalue > 0.01


@pytest.mark.parametrize("method", METHODS)
def test_uniforms_are_in_the_open_interval(method: str) -> None:
    for corr in (None, CORR):
        u = sampler(method, 2048, correlation=corr).uniforms(0, 2048)
        varying = [j for j, d in enumerate(DISTS) if not d.is_fixed]
        assert (u[:, varying] > 0).all() and (u[:, varying] < 1).all()
        assert (u[:, NAMES.index("fixed")] == 0.5).all()


def test_lhs_discrete_frequencies_are_exact() -> None:
    # With one draw per stratum of width 1/n, exactly floor or ceil of 0.5 n draws
    # fall below u = 0.5 (-> value 0), and so on: counts within 1 of n p.
    n = 3001
    x = sampler("lhs", n).draws(0, n)[:, NAMES.index("discrete")]
    counts = np.array([(x == v).sum() for v in (0, 1, 2)])
    assert np.abs(counts - np.array([0.5, 0.3, 0.2]) * n).max() <= 1.0


# ---------------------------------------------------------------------------
# Latin hypercube stratification


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 100, 1000, 1024, 1025])
def test_lhs_each_stratum_holds_one_draw(n: int) -> None:
    u = sampler("lhs", n, seed=n).uniforms(0, n)
    for j, dist in enumerate(DISTS):
        if dist.is_fixed:
            continue
        # Exact: the stratum of u is floor(u * n), computed in rational arithmetic.
        strata = sorted(math.floor(Fraction(float(v)) * n) for v in u[:, j])
        assert strata == list(range(n)), NAMES[j]


@pytest.mark.parametrize("n", [1, 2, 5, 17, 1000, 4096, 65537, 100003])
def test_lhs_permutation_is_a_bijection(n: int) -> None:
    keys = np.asarray(np.random.SeedSequence(n).generate_state(6, np.uint64), dtype=np.uint64)
    image = _permute(np.arange(n, dtype=np.uint64), n, keys)
    assert image.dtype == np.uint64
    np.testing.assert_array_equal(np.sort(image), np.arange(n, dtype=np.uint64))
    # A chunk of the permutation equals the same slice of the whole.
    part = _permute(np.arange(n // 3, n // 2, dtype=np.uint64), n, keys)
    np.testing.assert_array_equal(part, image[n // 3 : n // 2])


def test_lhs_dimensions_are_not_aligned() -> None:
    # The permutations of different parameters differ (rank correlation near 0).
    n = 2000
    u = sampler("lhs", n).uniforms(0, n)
    rho = stats.spearmanr(u[:, 0], u[:, 2]).statistic
    assert abs(rho) < 4 / math.sqrt(n)


# ---------------------------------------------------------------------------
# Sobol'


@pytest.mark.parametrize("seed", [0, 7, 2**62 + 11])
def test_sobol_is_scipys_scrambled_sequence(seed: int) -> None:
    n = 1024
    u = sampler("sobol", n, seed=seed).uniforms(0, n)
    varying = [j for j, d in enumerate(DISTS) if not d.is_fixed]
    expected = qmc.Sobol(len(varying), scramble=True, rng=seed).random(n)
    # Ours is scipy's point moved to the centre of its 2^-30 cell.
    np.testing.assert_array_equal(u[:, varying], expected + 2.0**-31)


def test_sobol_warns_once_for_n_not_a_power_of_two() -> None:
    with pytest.warns(UserWarning, match=r"power of 2 \(e\.g\. 512 or 1024\)"):
        s = Sampler(NAMES, DISTS, 1000, "sobol", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.draws(0, 1000)
        s.draws(0, 333)
        s.draws(333, 1000)
        Sampler(NAMES, DISTS, 1024, "sobol", 1)


# ---------------------------------------------------------------------------
# Chunk invariance


PARTITION_N = {"mc": 3001, "lhs": 3001, "sobol": 2048}
SAMPLERS = {
    (method, corr): sampler(
        method, PARTITION_N[method], seed=99, correlation=CORR if corr else None
    )
    for method in METHODS
    for corr in (False, True)
}
WHOLE = {key: s.draws(0, s.n) for key, s in SAMPLERS.items()}


@st.composite
def partitions(draw: Callable[..., Any]) -> tuple[str, bool, list[int]]:
    method = draw(st.sampled_from(METHODS))
    corr = draw(st.booleans())
    n = PARTITION_N[method]
    cuts = draw(st.lists(st.integers(1, n - 1), max_size=12, unique=True))
    return method, corr, [0, *sorted(cuts), n]


@settings(max_examples=60, deadline=None)
@given(partitions())
def test_any_partition_gives_the_same_draws_bit_for_bit(case: tuple[str, bool, list[int]]) -> None:
    method, corr, cuts = case
    s = SAMPLERS[(method, corr)]
    parts = [s.draws(a, b) for a, b in itertools.pairwise(cuts)]
    joined = np.concatenate(parts)
    assert joined.tobytes() == WHOLE[(method, corr)].tobytes()


@pytest.mark.parametrize("method", ["mc", "lhs"])
def test_far_slices_match_the_whole(method: str) -> None:
    # Streams advanced deep into the sequence equal the same rows of one long call.
    n = 300_000
    names, dists = ("a", "b"), (Uniform(0, 1), Normal(0, 1))
    s = sampler(method, n, names=names, dists=dists, correlation=[[1, 0.3], [0.3, 1]])
    whole = s.uniforms(0, n)
    for start, stop in [(0, 1), (65535, 65537), (123_456, 123_460), (n - 3, n)]:
        assert s.uniforms(start, stop).tobytes() == whole[start:stop].tobytes()


@pytest.mark.parametrize("method", METHODS)
def test_pickled_sampler_and_threads_give_the_same_draws(method: str) -> None:
    s = SAMPLERS[(method, True)]
    clone = pickle.loads(pickle.dumps(s))
    assert clone.draws(0, s.n).tobytes() == WHOLE[(method, True)].tobytes()
    with ThreadPoolExecutor(max_workers=3) as pool:
        parts = list(pool.map(lambda ab: s.draws(*ab), s.chunks(257)))
    assert np.concatenate(parts).tobytes() == WHOLE[(method, True)].tobytes()


def test_chunks_cover_the_range() -> None:
    s = sampler("mc", 10)
    assert list(s.chunks(4)) == [(0, 4), (4, 8), (8, 10)]
    assert list(s.chunks(100)) == [(0, 10)]
    with pytest.raises(ValueError, match="chunk size"):
        list(s.chunks(0))


# ---------------------------------------------------------------------------
# Determinism and seeds


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_draws_other_seed_other_draws(method: str) -> None:
    a = sampler(method, 512, seed=5).draws(0, 512)
    b = sampler(method, 512, seed=5).draws(0, 512)
    c = sampler(method, 512, seed=6).draws(0, 512)
    assert a.tobytes() == b.tobytes()
    varying = [j for j, d in enumerate(DISTS) if not d.is_fixed and j != NAMES.index("discrete")]
    assert (a[:, varying] != c[:, varying]).all(axis=0).all()


def test_missing_seed_is_drawn_and_recorded() -> None:
    s1 = Sampler(NAMES, DISTS, 100)
    s2 = Sampler(NAMES, DISTS, 100, seed=None)  # type: ignore[arg-type]
    assert isinstance(s1.seed, int) and 0 <= s1.seed < 2**63
    assert s1.seed != s2.seed
    again = Sampler(NAMES, DISTS, 100, seed=s1.seed)
    assert again.draws(0, 100).tobytes() == s1.draws(0, 100).tobytes()
    via_mapping = Sampler.from_mapping(dict(zip(NAMES, DISTS, strict=True)), 100)
    assert isinstance(via_mapping.seed, int)


@pytest.mark.parametrize("method", ["mc", "lhs"])
def test_draws_of_a_parameter_depend_on_its_name_not_its_neighbours(method: str) -> None:
    # Common random numbers: adding, removing or reordering other parameters
    # leaves a parameter's draws unchanged (MC and LHS, uncorrelated ones).
    n = 500
    base = Sampler(("x", "y"), (Uniform(0, 1), PERT(0, 1, 3)), n, method, 8)
    more = Sampler(
        ("z", "y", "w", "x"), (Normal(0, 1), PERT(0, 1, 3), Fixed(1), Uniform(0, 1)), n, method, 8
    )
    np.testing.assert_array_equal(base.draws(0, n)[:, [0, 1]], more.draws(0, n)[:, [3, 1]])


def test_uncorrelated_parameters_unchanged_by_a_correlation_elsewhere() -> None:
    for method in METHODS:
        plain = SAMPLERS[(method, False)].uniforms(0, 200)
        corr = SAMPLERS[(method, True)].uniforms(0, 200)
        for name in ("triangular", "truncnormal", "beta"):
            j = NAMES.index(name)
            assert plain[:, j].tobytes() == corr[:, j].tobytes()


def test_central_and_record() -> None:
    s = sampler("lhs", 64, seed=3, correlation=CORR)
    assert s.central().tolist() == [d.central() for d in DISTS]
    rec = s.record()
    assert json.loads(json.dumps(rec)) == rec
    assert rec["scheme"] == SCHEME and rec["seed"] == 3 and rec["method"] == "lhs"
    assert rec["distributions"][NAMES.index("pert")] == "PERT(0.1, 0.3, 0.6)"
    assert rec["correlation"] == CORR.tolist()
    assert (s.k, s.d) == (len(NAMES), len(NAMES) - 1)


# ---------------------------------------------------------------------------
# Gaussian copula


@pytest.mark.parametrize("method", METHODS)
def test_normal_scores_have_the_requested_correlation(method: str) -> None:
    n = 16384
    names = ("a", "b", "c", "d")
    dists = (Uniform(0, 1), PERT(0, 1, 5), LogNormal(1, 1), Beta(2, 2))
    c = np.array(
        [[1.0, 0.7, -0.3, 0.2], [0.7, 1.0, 0.0, 0.4], [-0.3, 0.0, 1.0, 0.1], [0.2, 0.4, 0.1, 1.0]]
    )
    s = sampler(method, n, seed=11, correlation=c, names=names, dists=dists)
    z = sc.ndtri(s.uniforms(0, n))
    # Standard error of a sample correlation: (1 - rho^2) / sqrt(n); allow 4 of them.
    tol = 4 * (1 - c**2) / math.sqrt(n) + 1e-12
    assert (np.abs(np.corrcoef(z, rowvar=False) - c) <= tol).all()
    # Spearman's rho of the output: (6 / pi) asin(rho / 2) (Nelsen 2006, §5.1.2).
    x = s.draws(0, n)
    rho_s = stats.spearmanr(x).statistic
    expected = 6 / math.pi * np.arcsin(c / 2)
    assert (np.abs(rho_s - expected) <= tol).all()


def test_singular_correlation_is_accepted() -> None:
    # a and b perfectly correlated, both 0.3 with c: positive semi-definite,
    # singular (Cholesky fails, the eigen-decomposition is used).
    c = [[1, 1, 0.3], [1, 1, 0.3], [0.3, 0.3, 1]]
    names, dists = ("a", "b", "c"), (Normal(0, 1), Normal(0, 1), Normal(0, 1))
    n = 8192
    s = sampler("mc", n, correlation=c, names=names, dists=dists)
    x = s.draws(0, n)
    np.testing.assert_allclose(x[:, 0], x[:, 1], atol=1e-7)
    assert np.corrcoef(x[:, 0], x[:, 2])[0, 1] == pytest.approx(0.3, abs=4 / math.sqrt(n))
    cuts = [0, 100, 5000, n]
    joined = np.concatenate([s.draws(a, b) for a, b in itertools.pairwise(cuts)])
    assert joined.tobytes() == x.tobytes()


def test_correlation_matrix_from_pairs() -> None:
    c = correlation_matrix(["a", "b", "c"], {("a", "c"): 0.5, ("c", "a"): 0.5})
    assert c.tolist() == [[1, 0, 0.5], [0, 1, 0], [0.5, 0, 1]]
    with pytest.raises(InputError, match=r"unknown parameter `bb`; did you mean `b`\?"):
        correlation_matrix(["a", "b"], {("a", "bb"): 0.1})
    with pytest.raises(InputError, match=r"correlation of a with itself is always 1"):
        correlation_matrix(["a", "b"], {("a", "a"): 0.1})
    with pytest.raises(InputError, match=r"given twice \(0.1 and 0.2\)"):
        correlation_matrix(["a", "b"], {("a", "b"): 0.1, ("b", "a"): 0.2})


def test_from_mapping_accepts_pairs() -> None:
    params = {"a": Uniform(0, 1), "b": Uniform(0, 1)}
    s = Sampler.from_mapping(params, 64, method="lhs", seed=1, correlation={("a", "b"): 0.5})
    assert s.correlation is not None and s.correlation[0, 1] == 0.5
    t = Sampler(
        ("a", "b"), (Uniform(0, 1), Uniform(0, 1)), 64, "lhs", 1, np.array([[1, 0.5], [0.5, 1]])
    )
    assert s.draws(0, 64).tobytes() == t.draws(0, 64).tobytes()


THREE = ("a", "b", "c")
NOT_PSD = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]


def test_not_positive_semidefinite_is_rejected_with_the_smallest_eigenvalue() -> None:
    smallest = float(np.linalg.eigvalsh(np.array(NOT_PSD))[0])  # -0.8 for this matrix
    assert smallest < 0
    with pytest.raises(InputError) as info:
        Sampler(THREE, (Uniform(0, 1),) * 3, 10, correlation=np.array(NOT_PSD))
    message = str(info.value)
    assert "not positive semi-definite" in message
    assert f"smallest eigenvalue {smallest:.3g}" in message
    assert "a, b, c" in message or "contradict" in message


BAD_CORRELATIONS: list[tuple[Any, str]] = [
    (
        [[1, 0.5], [0.5, 1]],
        r"correlation matrix is 2 x 2; it must be 3 x 3, one row and one column per "
        r"parameter in the order a, b, c",
    ),
    ([1, 0, 0], r"correlation matrix is 3; it must be 3 x 3"),
    ([[1, 0, 0], [0, 1], [0, 0, 1]], r"must be a 3 x 3 table of numbers"),
    ([[1, 0, "x"], [0, 1, 0], [0, 0, 1]], r"must be a 3 x 3 table of numbers"),
    ([[1, 0, np.nan], [0, 1, 0], [np.nan, 0, 1]], r"correlation between a and c is nan"),
    (
        [[1, 0, 0], [0, 0.9, 0], [0, 0, 1]],
        r"has 0.9 on the diagonal for b; a parameter's correlation with itself is 1",
    ),
    ([[1, 0.3, 0], [0.2, 1, 0], [0, 0, 1]], r"not symmetric: \(a, b\) is 0.3 but \(b, a\) is 0.2"),
    (
        [[1, 1.2, 0], [1.2, 1, 0], [0, 0, 1]],
        r"correlation between a and b is 1.2, outside \[-1, 1\]",
    ),
    (NOT_PSD, r"not positive semi-definite \(smallest eigenvalue -0.8 < 0\)"),
]


@pytest.mark.parametrize(
    ("matrix", "message"), BAD_CORRELATIONS, ids=[m for _, m in BAD_CORRELATIONS]
)
def test_bad_correlation_matrices(matrix: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        validate_correlation(matrix, THREE)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=message):
        Sampler(THREE, (Uniform(0, 1),) * 3, 10, correlation=matrix)


def test_fixed_parameter_cannot_be_correlated() -> None:
    c = np.array([[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]])
    with pytest.raises(InputError, match=r"a is fixed, so it cannot be correlated \(with b: 0.5\)"):
        Sampler(THREE, (Fixed(1), Uniform(0, 1), Uniform(0, 1)), 10, correlation=c)
    # Zero correlations with a fixed parameter are fine.
    Sampler(THREE, (Uniform(0, 1), Uniform(0, 1), Fixed(1)), 10, correlation=c)


def test_validate_correlation_cleans_rounding() -> None:
    c = np.array([[1, 0.5 + 5e-11, 0], [0.5, 1 - 5e-11, 0], [0, 0, 1]])
    out = validate_correlation(c, THREE)
    assert (out == out.T).all() and (np.diag(out) == 1).all()
    assert not out.flags.writeable


# ---------------------------------------------------------------------------
# Bad arguments

BAD_SAMPLERS: list[tuple[dict[str, Any], str]] = [
    ({"n": 0}, r"number of draws must be a whole number >= 1, got 0"),
    ({"n": 2.5}, r"number of draws must be a whole number >= 1, got 2.5"),
    ({"n": True}, r"number of draws must be a whole number >= 1, got True"),
    (
        {"method": "sobel"},
        r"unknown sampling method 'sobel'; did you mean 'sobol'\? \(use one of mc, lhs, sobol\)",
    ),
    ({"method": "random"}, r"unknown sampling method 'random' \(use one of"),
    ({"seed": -1}, r"seed must be a whole number in \[0, 2\*\*63\), got -1"),
    ({"seed": 2**63}, r"seed must be a whole number in \[0, 2\*\*63\)"),
    ({"seed": "1"}, r"seed must be a whole number in \[0, 2\*\*63\), got '1'"),
    ({"names": ("a", "b", "a")}, r"parameter name 'a' is used twice; names must be unique"),
    ({"names": ("a", "b")}, r"2 parameter names but 3 distributions; give one each"),
    ({"names": ("a", "", "c")}, r"parameter names must be non-empty text, got ''"),
    ({"names": ("a", 2, "c")}, r"parameter names must be non-empty text, got 2"),
    ({"dists": (Uniform(0, 1), 3, Uniform(0, 1))}, r"b: expected a distribution, got 3"),
    (
        {"method": "sobol", "n": 2**30 + 1},
        r"sobol gives at most 2\*\*30 = 1073741824 draws, asked for 1073741825; "
        r"use method lhs or mc",
    ),
    ({"method": "lhs", "n": 2**40 + 1}, r"lhs gives at most 2\*\*40 draws"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_SAMPLERS, ids=[m[:40] for _, m in BAD_SAMPLERS])
def test_bad_sampler_arguments(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "names": THREE,
        "dists": (Uniform(0, 1),) * 3,
        "n": 16,
        "method": "mc",
        "seed": 1,
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        Sampler(args["names"], args["dists"], args["n"], args["method"], args["seed"])


def test_slices_outside_the_range_are_a_programming_error() -> None:
    s = sampler("mc", 10)
    for start, stop in [(-1, 3), (3, 2), (0, 11)]:
        with pytest.raises(ValueError, match=r"not within \[0, 10\)"):
            s.draws(start, stop)
    assert s.draws(4, 4).shape == (0, len(NAMES))
    assert s.uniforms(10, 10).shape == (0, len(NAMES))


def test_all_fixed_parameters() -> None:
    for method in METHODS:
        s = Sampler(("a", "b"), (Fixed(1), Fixed(2.5)), 8, method, 1)
        assert s.d == 0
        assert s.draws(0, 8).tolist() == [[1.0, 2.5]] * 8
