"""Draws of a scenario's parameters: Monte Carlo, Latin hypercube, scrambled Sobol'.

Why this module exists: every forecast is an average over draws, and the
ensemble runner evaluates them in chunks (in-process or as Dask tasks). So a
sampler must be able to produce *any* slice ``[start, stop)`` of its ``n``
draws on its own, with bounded memory, and the slices must join into exactly
the draws a single call would give: for a given seed the forecast is the same
bit for bit whatever the chunk size and executor. :class:`Sampler` is that
object: a pure function of ``(names, distributions, method, n, seed,
correlation)`` and the slice.

How draws are made. Each non-fixed parameter takes one dimension of a uniform
point ``u`` in (0, 1)^d; an optional Gaussian copula correlates the
dimensions; each coordinate then goes through its parameter's inverse CDF
(:meth:`~realpolitik.uncertainty.distributions.Distribution.ppf`). Fixed
parameters take no dimension (their uniform is reported as 0.5).

* ``"mc"``: independent uniforms. Parameter ``j``'s stream is a PCG64 generator
  seeded by ``SeedSequence(seed, spawn_key=(1, key(name_j)))``, advanced to
  ``start`` (``PCG64.advance``, O(log start)). Draws of a parameter depend only
  on the seed, its *name* and the draw index, so adding, removing or reordering
  other parameters leaves them unchanged (common random numbers when two
  analysts' scenarios are compared).
* ``"lhs"``: Latin hypercube (McKay et al. 1979). Draw ``i`` of dimension ``j``
  is ``(pi_j(i) + U_ij) / n`` with ``pi_j`` a permutation of ``[0, n)`` and
  ``U_ij`` uniform jitter. Storing ``d`` permutations of 10^7 draws would take
  gigabytes, so ``pi_j`` is a keyed pseudorandom permutation evaluated on the
  fly: a 6-round Feistel network on the smallest ``4**h >= n`` with cycle
  walking (Black & Rogaway 2002), keyed by the seed and the parameter's name,
  as in Kensler's (2013) on-the-fly stratified sampling. Memory is O(chunk),
  independent of ``n``. Each of the ``n`` equal strata of each dimension holds
  exactly one of the ``n`` draws, for every ``n``. The permutation is
  pseudorandom, not a uniformly random one; the stratification, the only
  property LHS estimates rely on, is exact.
* ``"sobol"``: scrambled Sobol' points (LMS + digital shift, scipy's
  ``qmc.Sobol(d, scramble=True, rng=seed)``), slice taken with
  ``fast_forward(start)``; each point is moved to the centre of its
  2^-30 cell (``+ 2**-31``) so that no coordinate is exactly 0. The balance
  properties need ``n`` to be a power of 2; another ``n`` gives a warning
  when the sampler is built (not per chunk). At most 2^30 draws. The points
  are joint over the ``d`` dimensions, so (unlike MC and LHS) adding or
  reordering parameters changes every parameter's draws.

Correlation (Gaussian copula). ``correlation`` is a k x k matrix over all
parameters in ``names`` order; entries of a fixed parameter must be 0 off the
diagonal. It is validated (square, finite, symmetric within 1e-10, unit
diagonal, entries in [-1, 1], positive semi-definite: smallest eigenvalue >=
-1e-10) and each failure is an :class:`~realpolitik.errors.InputError` giving
the reason. Parameters with a non-zero correlation have their uniforms mapped
to normal scores ``z = Phi^-1(u)``, multiplied by a factor ``L`` with ``L L^T
= C`` (Cholesky; eigen-decomposition when ``C`` is singular) and mapped back
with ``Phi``; others pass through untouched. ``C`` is the Pearson correlation
of the normal scores; the rank (Spearman) correlation of the output is
``(6 / pi) asin(rho / 2)``, slightly smaller in magnitude (0.483 for 0.5), and
the Pearson correlation of the output depends on the marginals. The copula
breaks the exact stratification of LHS and Sobol' in the correlated
dimensions (the first of them in Cholesky order keeps it, up to rounding);
uncorrelated dimensions keep it exactly.

Reproducibility. The products of the copula are accumulated in a fixed order
with elementwise NumPy operations (no BLAS, whose summation order may depend
on the array size), the factor ``L`` is computed once and travels with the
sampler when it is pickled to a worker, and every inverse CDF is elementwise.
So ``draws(a, b)`` stacked over any partition of ``[0, n)`` equals
``draws(0, n)`` bit for bit on a given platform and library version.
:data:`SCHEME` names this scheme in stored records.

References
----------
McKay, M. D., Beckman, R. J., & Conover, W. J. (1979). A comparison of three
    methods for selecting values of input variables in the analysis of output
    from a computer code. *Technometrics* 21(2), 239-245.
Owen, A. B. (1998). Scrambling Sobol' and Niederreiter-Xing points.
    *Journal of Complexity* 14(4), 466-489.
Black, J., & Rogaway, P. (2002). Ciphers with arbitrary finite domains.
    *CT-RSA 2002*, LNCS 2271, 114-130 (cycle walking).
Kensler, A. (2013). Correlated multi-jittered sampling. Pixar Technical
    Memo 13-01 (hash-based permutations for stratified samples on the fly).
Nelsen, R. B. (2006). *An Introduction to Copulas*, 2nd ed., Springer, §5.1
    (Gaussian copula; Spearman's rho of the normal copula).
Steele, G. L., Lea, D., & Flood, C. H. (2014). Fast splittable pseudorandom
    number generators. *OOPSLA 2014*, 453-472 (the SplitMix64 mixer used as
    the Feistel round function).
"""

from __future__ import annotations

import difflib
import hashlib
import secrets
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.special as sc
from numpy.typing import ArrayLike, NDArray
from scipy.stats import qmc

from realpolitik.errors import InputError
from realpolitik.limits import require_bytes
from realpolitik.uncertainty.correlation import correlation_matrix, validate_correlation
from realpolitik.uncertainty.distributions import Distribution

FloatArray = NDArray[np.float64]
UIntArray = NDArray[np.uint64]

__all__ = [
    "LHS_MAX_N",
    "METHODS",
    "SCHEME",
    "SOBOL_MAX_N",
    "Sampler",
    "correlation_matrix",
    "fresh_seed",
    "validate_correlation",
]

METHODS: tuple[str, ...] = ("mc", "lhs", "sobol")
"""The sampling methods."""

SCHEME = "realpolitik-sampling-1"
"""Name of the algorithm mapping ``(seed, index)`` to draws; stored with runs.
Changed whenever a change would alter draws for the same inputs."""

SOBOL_MAX_N = 2**30
"""Most draws a Sobol' sampler gives (scipy's default 30 bits)."""

LHS_MAX_N = 2**40
"""Most draws a Latin hypercube gives (jitter keeps >= 11 bits below a stratum)."""

SEED_BITS = 63
"""Seeds are integers in ``[0, 2**63)``: they fit a signed 64-bit column."""


_TAG_MC = 1
_TAG_LHS_PERMUTATION = 2
_TAG_LHS_JITTER = 3
_FEISTEL_ROUNDS = 6
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_LARGEST_BELOW_ONE = 1.0 - 2.0**-53


def fresh_seed() -> int:
    """A new seed from the operating system's entropy, in ``[0, 2**63)``."""
    return secrets.randbits(SEED_BITS)


def _name_key(name: str) -> tuple[int, int]:
    """Two 32-bit words identifying a parameter name, stable across runs and
    machines (BLAKE2b; Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")


def _raw_stream(seed: int, tag: int, name: str, start: int, count: int) -> UIntArray:
    """Raw 64-bit outputs ``start .. start + count`` of the stream for (seed, tag, name)."""
    bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(tag, *_name_key(name))))
    if start:
        bits.advance(start)
    out: UIntArray = bits.random_raw(count)
    return out


def _open_unit(raw: UIntArray) -> FloatArray:
    """Uniforms in the open interval (0, 1) from raw 64-bit words: the top 52
    bits ``x`` give ``(x + 1/2) / 2**52``, exact in float64."""
    top = (raw >> np.uint64(12)).astype(np.float64)
    out: FloatArray = (top + 0.5) * 2.0**-52
    return out


def _mix64(x: UIntArray) -> UIntArray:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a 64-bit bijective mixer."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    out: UIntArray = x ^ (x >> np.uint64(31))
    return out


def _feistel(x: UIntArray, half_bits: int, keys: UIntArray) -> UIntArray:
    """A keyed bijection of ``[0, 4**half_bits)``: a balanced Feistel network."""
    shift = np.uint64(half_bits)
    mask = np.uint64((1 << half_bits) - 1)
    left = x >> shift
    right = x & mask
    for key in keys:
        left, right = right, left ^ (_mix64(right ^ key) & mask)
    out: UIntArray = (left << shift) | right
    return out


def _permute(index: UIntArray, n: int, keys: UIntArray) -> UIntArray:
    """``pi(index)`` for a keyed pseudorandom permutation ``pi`` of ``[0, n)``.

    The Feistel bijection of the smallest ``4**h >= n`` is applied again to any
    result ``>= n`` (cycle walking) until it falls in ``[0, n)``; this restricts
    the bijection to ``[0, n)``. Fewer than 4 applications on average.
    """
    half_bits = max(1, ((n - 1).bit_length() + 1) // 2)
    out = _feistel(index, half_bits, keys)
    limit = np.uint64(n)
    pending = np.flatnonzero(out >= limit)
    while pending.size:
        out[pending] = _feistel(out[pending], half_bits, keys)
        pending = pending[out[pending] >= limit]
    return out


def _factor(c: FloatArray) -> FloatArray:
    """A lower-triangular ``L`` with ``L L^T = c`` (Cholesky), or for a singular
    ``c`` a square root from the eigen-decomposition with rows rescaled to unit
    length so that the diagonal of ``L L^T`` is exactly 1."""
    try:
        factor = np.asarray(np.linalg.cholesky(c), dtype=np.float64)
    except np.linalg.LinAlgError:
        eigenvalues, vectors = np.linalg.eigh(c)
        factor = np.asarray(vectors * np.sqrt(np.clip(eigenvalues, 0.0, None)), np.float64)
        factor /= np.linalg.norm(factor, axis=1, keepdims=True)
    factor.setflags(write=False)
    return factor


@dataclass(frozen=True, eq=False)
class Sampler:
    """Draws of ``k`` named parameters, any slice on demand, reproducible bit for bit.

    Parameters
    ----------
    names : parameter names (unique), k of them.
    distributions : one :class:`Distribution` per name.
    n : total number of draws.
    method : ``"mc"``, ``"lhs"`` or ``"sobol"`` (see the module docstring).
    seed : integer in ``[0, 2**63)``; omitted or ``None``, one is drawn from
        the operating system and stored here, so ``sampler.seed`` always tells
        how to repeat the run.
    correlation : optional k x k correlation matrix over all parameters in the
        order of ``names`` (Gaussian copula; see the module docstring).

    Raises
    ------
    InputError
        For a bad ``n``, ``method``, ``seed``, duplicate names, or a
        correlation matrix that is malformed or not positive semi-definite.

    Examples
    --------
    >>> from realpolitik.uncertainty.distributions import PERT, Fixed, Uniform
    >>> s = Sampler(("a", "b", "c"), (PERT(0, 0.3, 1), Fixed(2), Uniform(0, 1)),
    ...             n=1024, method="sobol", seed=7)
    >>> s.draws(0, 1024).shape
    (1024, 3)
    >>> bool((s.draws(0, 1024)[:, 1] == 2).all())
    True
    >>> import numpy as np
    >>> whole = s.draws(0, 1024)
    >>> parts = np.vstack([s.draws(a, b) for a, b in s.chunks(100)])
    >>> bool(np.array_equal(whole, parts))
    True
    """

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    n: int
    method: str = "mc"
    seed: int = field(default_factory=fresh_seed)
    correlation: FloatArray | None = None
    _varying: tuple[int, ...] = field(init=False, repr=False)
    _coupled: tuple[int, ...] = field(init=False, repr=False)
    _factor: FloatArray | None = field(init=False, repr=False)
    _lhs_keys: tuple[UIntArray, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        names = tuple(self.names)
        dists = tuple(self.distributions)
        set_(self, "names", names)
        set_(self, "distributions", dists)
        if len(names) != len(dists):
            raise InputError(
                f"{len(names)} parameter names but {len(dists)} distributions; give one each"
            )
        for name in names:
            if not isinstance(name, str) or not name:
                raise InputError(f"parameter names must be non-empty text, got {name!r}")
        repeated = sorted({x for i, x in enumerate(names) if x in names[:i]})
        if repeated:
            raise InputError(f"parameter name {repeated[0]!r} is used twice; names must be unique")
        for name, dist in zip(names, dists, strict=True):
            if not isinstance(dist, Distribution):
                raise InputError(f"{name}: expected a distribution, got {dist!r}")
        if isinstance(self.n, bool) or not isinstance(self.n, int | np.integer) or self.n < 1:
            raise InputError(f"number of draws must be a whole number >= 1, got {self.n!r}")
        set_(self, "n", int(self.n))
        if self.method not in METHODS:
            close = difflib.get_close_matches(str(self.method), METHODS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"unknown sampling method {self.method!r}{hint} (use one of {', '.join(METHODS)})"
            )
        seed: object = self.seed
        if seed is None:
            seed = fresh_seed()
        if (
            isinstance(seed, bool)
            or not isinstance(seed, int | np.integer)
            or not 0 <= int(seed) < 2**SEED_BITS
        ):
            raise InputError(f"seed must be a whole number in [0, 2**63), got {seed!r}")
        set_(self, "seed", int(seed))

        varying = tuple(i for i, d in enumerate(dists) if not d.is_fixed)
        set_(self, "_varying", varying)
        if self.method == "sobol":
            if self.n > SOBOL_MAX_N:
                raise InputError(
                    f"sobol gives at most 2**30 = {SOBOL_MAX_N} draws, asked for {self.n}; "
                    "use method lhs or mc"
                )
            if len(varying) > qmc.Sobol.MAXDIM:
                raise InputError(
                    f"sobol handles at most {qmc.Sobol.MAXDIM} uncertain parameters, "
                    f"got {len(varying)}; use method lhs or mc"
                )
            if self.n & (self.n - 1):
                low = 1 << (self.n.bit_length() - 1)
                warnings.warn(
                    f"sobol with n = {self.n} draws: the balance properties of scrambled "
                    f"Sobol' points need a power of 2 (e.g. {low} or {2 * low}); the "
                    "estimates stay valid but converge more slowly",
                    UserWarning,
                    stacklevel=3,
                )
        if self.method == "lhs" and self.n > LHS_MAX_N:
            raise InputError(f"lhs gives at most 2**40 draws, asked for {self.n}; use method mc")
        keys: tuple[UIntArray, ...] = ()
        if self.method == "lhs":
            keys = tuple(
                np.asarray(
                    np.random.SeedSequence(
                        self.seed, spawn_key=(_TAG_LHS_PERMUTATION, *_name_key(names[i]))
                    ).generate_state(_FEISTEL_ROUNDS, np.uint64),
                    dtype=np.uint64,
                )
                for i in varying
            )
        set_(self, "_lhs_keys", keys)

        coupled: tuple[int, ...] = ()
        factor = None
        if self.correlation is not None:
            c = validate_correlation(self.correlation, names, [d.is_fixed for d in dists])
            set_(self, "correlation", c)
            sub = c[np.ix_(varying, varying)]
            off = (sub != 0.0) & ~np.eye(len(varying), dtype=bool)
            coupled = tuple(int(x) for x in np.flatnonzero(off.any(axis=1)))
            if coupled:
                factor = _factor(sub[np.ix_(coupled, coupled)])
        set_(self, "_coupled", coupled)
        set_(self, "_factor", factor)

    @classmethod
    def from_mapping(
        cls,
        parameters: Mapping[str, Distribution],
        n: int,
        *,
        method: str = "mc",
        seed: int | None = None,
        correlation: ArrayLike | Mapping[tuple[str, str], float] | None = None,
    ) -> Sampler:
        """A sampler over ``{name: distribution}``, in the mapping's order.

        ``correlation`` may be a k x k matrix or pairs ``{(a, b): rho}``.
        """
        names = tuple(parameters)
        matrix: FloatArray | None = None
        if isinstance(correlation, Mapping):
            matrix = correlation_matrix(names, correlation)
        elif correlation is not None:
            matrix = validate_correlation(correlation, names)
        return cls(
            names,
            tuple(parameters.values()),
            n,
            method,
            fresh_seed() if seed is None else seed,
            matrix,
        )

    # ------------------------------------------------------------------
    @property
    def k(self) -> int:
        """Number of parameters."""
        return len(self.names)

    @property
    def d(self) -> int:
        """Number of non-fixed parameters (dimensions of the uniform point)."""
        return len(self._varying)

    def central(self) -> FloatArray:
        """(k,) each parameter's central value (its median; see distributions)."""
        return np.array([dist.central() for dist in self.distributions], dtype=np.float64)

    def chunks(self, size: int) -> Iterator[tuple[int, int]]:
        """``(start, stop)`` slices of ``[0, n)`` of at most ``size`` draws."""
        if size < 1:
            raise ValueError(f"chunk size must be >= 1, got {size}")
        for start in range(0, self.n, size):
            yield start, min(start + size, self.n)

    def uniforms(self, start: int, stop: int) -> FloatArray:
        """(stop - start, k) the uniforms fed to the inverse CDFs, copula applied.

        Entries lie in the open interval (0, 1); fixed parameters' columns are
        0.5. Like :meth:`draws`, the array is column-major.
        """
        m = self._check_slice(start, stop)
        require_bytes("uniforms of one chunk", (m, self.k), hint="use a smaller chunk size")
        out = np.full((self.k, m), 0.5)
        if m and self.d:
            out[list(self._varying)] = self._varying_uniforms(start, stop)
        return out.T

    def draws(self, start: int, stop: int) -> FloatArray:
        """(stop - start, k) parameter values for draws ``start .. stop - 1``.

        Concatenating ``draws`` over any partition of ``[0, n)`` gives exactly
        ``draws(0, n)``. The array is column-major (Fortran order): each
        parameter's column is contiguous, which is how the payoff kernels read
        it (``draws[:, j]``).
        """
        m = self._check_slice(start, stop)
        require_bytes("draws of one chunk", (m, self.k), hint="use a smaller chunk size")
        out = np.empty((self.k, m))
        u = self._varying_uniforms(start, stop) if (m and self.d) else np.empty((self.d, m))
        row = {j: c for c, j in enumerate(self._varying)}
        for j, dist in enumerate(self.distributions):
            if dist.is_fixed:
                out[j] = dist.central()
            else:
                out[j] = dist.ppf(u[row[j]])
        return out.T

    def record(self) -> dict[str, Any]:
        """What a results store keeps to repeat the draws (JSON-ready)."""
        return {
            "scheme": SCHEME,
            "method": self.method,
            "n": self.n,
            "seed": self.seed,
            "names": list(self.names),
            "distributions": [d.describe() for d in self.distributions],
            "correlation": None if self.correlation is None else self.correlation.tolist(),
        }

    # ------------------------------------------------------------------
    def _check_slice(self, start: int, stop: int) -> int:
        if not 0 <= start <= stop <= self.n:
            raise ValueError(f"slice [{start}, {stop}) is not within [0, {self.n})")
        return int(stop) - int(start)

    def _varying_uniforms(self, start: int, stop: int) -> FloatArray:
        """(d, m) uniforms of the non-fixed parameters, copula applied, one row each."""
        m = stop - start
        if self.method == "sobol":
            u = self._sobol(start, m)
        else:
            u = np.empty((self.d, m))
            for c, j in enumerate(self._varying):
                if self.method == "mc":
                    u[c] = _open_unit(_raw_stream(self.seed, _TAG_MC, self.names[j], start, m))
                else:
                    u[c] = self._lhs_column(c, self.names[j], start, stop)
        if self._coupled:
            rows = list(self._coupled)
            u[rows] = self._copula(u[rows])
        return u

    def _sobol(self, start: int, m: int) -> FloatArray:
        """(d, m) scipy's scrambled Sobol' points ``start .. start + m - 1``, centred."""
        engine = qmc.Sobol(self.d, scramble=True, rng=self.seed)
        if start == 0:
            # random(1) then random(m - 1) gives the same points as random(m)
            # without scipy's per-call power-of-2 warning (given once in __init__).
            first = engine.random(1)
            points = np.vstack([first, engine.random(m - 1)]) if m > 1 else first
        else:
            engine.fast_forward(start)
            points = engine.random(m)
        out: FloatArray = np.add(np.asarray(points, dtype=np.float64).T, 2.0**-31, order="C")
        return out

    def _lhs_column(self, c: int, name: str, start: int, stop: int) -> FloatArray:
        n = self.n
        index = np.arange(start, stop, dtype=np.uint64)
        stratum = _permute(index, n, self._lhs_keys[c])
        # Jitter of `bits` bits so that stratum * 2**(bits+1) + odd < 2**52 is exact.
        bits = 51 - (n - 1).bit_length()
        jitter = _raw_stream(self.seed, _TAG_LHS_JITTER, name, start, stop - start)
        jitter >>= np.uint64(64 - bits)
        numerator = (stratum << np.uint64(bits + 1)) | ((jitter << np.uint64(1)) | np.uint64(1))
        out: FloatArray = numerator.astype(np.float64) / (float(n) * 2.0 ** (bits + 1))
        return out

    def _copula(self, u: FloatArray) -> FloatArray:
        """Correlate uniforms (one row per parameter) through normal scores:
        ``Phi(L Phi^-1(u))``.

        The product is accumulated term by term with elementwise operations, in
        a fixed order, so that each draw's result does not depend on the other
        draws in the chunk (chunk invariance; a BLAS product may not guarantee it).
        """
        factor = self._factor
        if factor is None:
            return u
        z = sc.ndtri(u)
        out = np.empty_like(z)
        for i in range(factor.shape[0]):
            terms = [j for j in range(factor.shape[1]) if factor[i, j] != 0.0]
            acc = z[terms[0]] * factor[i, terms[0]]
            for j in terms[1:]:
                acc = acc + z[j] * factor[i, j]
            out[i] = acc
        result: FloatArray = np.clip(sc.ndtr(out), np.finfo(np.float64).tiny, _LARGEST_BELOW_ONE)
        return result
