"""Probability distributions for a scenario's uncertain parameters.

Why this module exists: an analyst states what is known about a parameter (the
value of the Russia partnership to China, the chance that covert help is
detected) as a distribution with a cited source. Everything downstream works on
draws, and every sampler in :mod:`realpolitik.uncertainty.sampling` turns
uniform numbers into draws through one function of each distribution, its
inverse CDF (:meth:`Distribution.ppf`). Keeping the families here, each a small
frozen dataclass with the same six methods, lets the scenario loader, the
samplers and the documentation share one table (:data:`FAMILIES`).

The families and the peers they match (checked in the tests):

============  ==================================  =================================
family        parameters                          scipy.stats equivalent
============  ==================================  =================================
fixed         value                               (a point mass)
uniform       low, high                           ``uniform(low, high - low)``
triangular    low, mode, high                     ``triang(c, low, high - low)``
pert          low, mode, high, lamb=4             ``beta(1 + lamb c, 1 + lamb (1 - c),
                                                  low, high - low)``
normal        mean, sd, low=None, high=None       ``norm`` / ``truncnorm``
beta          a, b, low=0, high=1                 ``beta(a, b, low, high - low)``
lognormal     median (or mu), sigma               ``lognorm(sigma, scale=median)``
discrete      values, weights                     ``rv_discrete``
============  ==================================  =================================

(``c = (mode - low) / (high - low)``.)

The central value. Every family reports one number as "the" value of the
parameter, used for the single central solve (``explain`` on the central
scenario) and for the tornado baseline. The rule is the same for every family:
**the median**, ``ppf(0.5)``. Reasons: every family has one (the uniform has no
mode, the mode of a U-shaped beta is at a bound); it is the analyst's 50 % point,
unchanged by re-expressing the parameter on another monotone scale (odds, logs);
for a discrete parameter it is one of the listed values (the mean of a 0/1
switch weighted 0.7/0.3 is 0.3, which is not a state the model can be in); and
for the symmetric families it equals both the mean and the mode. For triangular
and PERT it is *not* the mode the analyst typed: it lies between the mode and
the mean (for PERT(0.1, 0.3, 0.6) the median is 0.3127, the mode 0.3, the mean
0.3167); :meth:`Distribution.describe` always shows what was typed.

References
----------
Malcolm, D. G., Roseboom, J. H., Clark, C. E., & Fazar, W. (1959). Application
    of a technique for research and development program evaluation.
    *Operations Research* 7(5), 646-669 (the PERT beta).
Vose, D. (2008). *Risk Analysis: A Quantitative Guide*, 3rd ed., Wiley, ch. 9
    (the modified PERT with shape ``lamb``; mean ``(low + lamb mode + high) /
    (lamb + 2)``).
Johnson, N. L., Kotz, S., & Balakrishnan, N. (1994-95). *Continuous Univariate
    Distributions*, vols. 1-2, Wiley (truncated normal, lognormal, beta moments).
"""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import scipy.special as sc
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from realpolitik.errors import InputError

FloatArray = NDArray[np.float64]

__all__ = [
    "FAMILIES",
    "PARAMETER_METADATA_KEYS",
    "PERT",
    "Beta",
    "Discrete",
    "Distribution",
    "Family",
    "Fixed",
    "LogNormal",
    "Normal",
    "Triangular",
    "Uniform",
    "from_spec",
]


def _fmt(x: float) -> str:
    """A number as an analyst would type it: ``3`` not ``3.0``, ``0.1`` not ``0.1000``."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _number(name: str, value: object, family: str) -> float:
    """``value`` as a finite float, or an :class:`InputError` saying what it was."""
    if isinstance(value, bool) or not isinstance(value, Real):
        kind = "text" if isinstance(value, str) else type(value).__name__
        hint = "; remove the quotes" if isinstance(value, str) else ""
        raise InputError(f"{family}: `{name}` must be a number, got {value!r} ({kind}){hint}")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{family}: `{name}` must be a finite number, got {out!r}")
    return out


_BETA_TAIL = 1e-100
_TINY = float(np.finfo(np.float64).tiny)
"""Below this probability Boost's ``betaincinv`` (behind scipy's) may give NaN
for non-integer shapes; :func:`_beta_ppf` solves the lower tail itself."""


def _beta_ppf(a: float, b: float, q: FloatArray) -> FloatArray:
    """Inverse of the regularised incomplete beta ``I_x(a, b)``, elementwise.

    ``scipy.special.betaincinv`` for ``q >= 1e-100``. Below, where it can fail,
    Newton's method on ``log I_x = log q`` in ``log x`` (where the function is
    nearly linear, slope ``a``), started from the leading term of the series
    ``I_x ~ x**a / (a B(a, b))`` and run a fixed 8 steps; starts below 1e-300
    are kept as they are (their relative error is of the order of ``x``), as
    are subnormal ``q`` (whose ``I_x`` cannot be evaluated to relative accuracy).
    """
    tail = q < _BETA_TAIL
    if not tail.any():
        out: FloatArray = sc.betaincinv(a, b, q)
        return out
    out = sc.betaincinv(a, b, np.where(tail, 0.5, q))
    qt = q[tail]
    log_beta = float(sc.betaln(a, b))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        t = (np.log(qt) + math.log(a) + log_beta) / a
        refine = (t > -690.0) & (qt >= _TINY)
        start = t[refine]
        tr, log_q = start, np.log(qt[refine])
        for _ in range(8):
            x = np.exp(tr)
            log_i = np.log(sc.betainc(a, b, x))
            slope = np.exp(a * tr + (b - 1.0) * np.log1p(-x) - log_beta - log_i)
            tr = tr - (log_i - log_q) / slope
        t[refine] = np.where(np.isfinite(tr), tr, start)
        out[tail] = np.exp(t)
    return out


# ---------------------------------------------------------------------------
# Fast inverse of the regularised incomplete beta function.
#
# scipy's ``betaincinv`` costs 1-3 us per value; the flagship scenario has 33
# PERT parameters, so 10^6 draws spent ~60 s in it. ``_BetaTable`` replaces it
# by a table of quintic Hermite pieces built once per shape pair, evaluated in
# ~20 ns per value, and falls back to the exact routine wherever the table is
# not provably accurate.

_TABLE_MANTISSA_BITS = 6
"""Cells per binade of the table (2**6 = 64): cell width is 1/64 of its position."""
_TABLE_LOWEST_BINADE = -17
"""The table covers ``r`` in ``[2**-17, 1/2]``; smaller ``r`` (a share 1.5e-5 of
uniform draws) use the exact routine."""
_TABLE_TOLERANCE = 1e-14
"""Largest relative error accepted at a cell's midpoint (else the cell falls back)."""
_TABLE_SHIFT = 52 - _TABLE_MANTISSA_BITS
_TABLE_CELLS = (-1 - _TABLE_LOWEST_BINADE) << _TABLE_MANTISSA_BITS
_TABLE_BASE = int(np.float64(2.0**_TABLE_LOWEST_BINADE).view(np.int64)) >> _TABLE_SHIFT
_TABLE_LOW_MASK = (1 << _TABLE_SHIFT) - 1


def _half_table(a: float, b: float) -> FloatArray:
    """Coefficients ``(cells + 2, 6)`` of ``y(r) = I^-1_r(a, b)`` for ``r`` in
    ``[2**-17, 1/2]``: row 0 is all NaN (``r`` below the table: exact routine),
    rows ``1 .. cells`` are the quintic pieces in the local coordinate ``t``,
    the last row holds ``y(1/2)`` exactly."""
    j = np.arange(_TABLE_CELLS + 1, dtype=np.int64)
    r = ((_TABLE_BASE + j) << _TABLE_SHIFT).view(np.float64)  # the nodes, exact
    h = np.diff(r)
    mid = r[:-1] + 0.5 * h  # exact too
    with np.errstate(all="ignore"):
        y = sc.betaincinv(a, b, r)
        log_pdf = (a - 1.0) * np.log(y) + (b - 1.0) * np.log1p(-y) - sc.betaln(a, b)
        pdf = np.exp(log_pdf)
        dy = 1.0 / pdf  # dy/dr
        d2y = -((a - 1.0) / y - (b - 1.0) / (1.0 - y)) / (pdf * pdf)  # d2y/dr2 = -f'/f^3
        p0, p1 = y[:-1], y[1:]
        d0, d1 = dy[:-1] * h, dy[1:] * h
        s0, s1 = d2y[:-1] * h * h, d2y[1:] * h * h
        step = p1 - p0
        coef = np.empty((_TABLE_CELLS + 2, 6))
        piece = coef[1:-1]
        piece[:, 0] = p0
        piece[:, 1] = d0
        piece[:, 2] = 0.5 * s0
        piece[:, 3] = 10.0 * step - 6.0 * d0 - 4.0 * d1 - 0.5 * (3.0 * s0 - s1)
        piece[:, 4] = -15.0 * step + 8.0 * d0 + 7.0 * d1 + 0.5 * (3.0 * s0 - 2.0 * s1)
        piece[:, 5] = 6.0 * step - 3.0 * (d0 + d1) - 0.5 * (s0 - s1)
        at_mid = piece[:, 5]
        for k in (4, 3, 2, 1, 0):
            at_mid = at_mid * 0.5 + piece[:, k]
        exact = sc.betaincinv(a, b, mid)
        good = np.abs(at_mid - exact) <= _TABLE_TOLERANCE * exact
    piece[~good] = np.nan
    coef[0] = np.nan
    coef[-1] = (y[-1], 0.0, 0.0, 0.0, 0.0, 0.0)
    return coef


class _BetaTable:
    """``I^-1_q(a, b)`` (the beta quantile), fast and elementwise.

    Method: ``q <= 1/2`` is looked up as ``y(q)`` for Beta(a, b) and
    ``q > 1/2`` as ``1 - y(1 - q)`` for Beta(b, a) (``1 - q`` is exact there),
    so each half only ever sees ``r = min(q, 1 - q)`` in (0, 1/2]. The range
    ``[2**-17, 1/2]`` is cut at ``2**e (1 + k/64)``: 64 cells per binade, so a
    cell's width is at most 1/64 of its distance from the singular end and the
    power-law tail ``y ~ (a B(a, b) r)**(1/a)`` is as smooth per cell deep in
    the tail as in the middle. The cell and the position ``t`` in it come from
    the bits of ``r`` (exponent and top 6 mantissa bits; the rest is ``t``).
    On each cell ``y`` is the quintic Hermite interpolant of ``y, y', y''`` at
    both ends (``y' = 1/f(y)``, ``y'' = -f'(y)/f(y)**3`` with the beta density
    ``f``), exact at the nodes (so ``ppf(1/2)`` is exactly scipy's median).
    Every cell is checked at its midpoint, where the interpolation error
    ``~ t**3 (1 - t)**3 y(xi) / 6!`` peaks, against ``betaincinv``: a
    cell off by more than 1e-14 relative, and ``r < 2**-17``, give NaN and are
    recomputed with :func:`_beta_ppf` (on average fewer than 2 in 10^5 draws).
    So the lower half is accurate to about 1e-14 relative, deep into the
    tail; the upper half, computed as ``1 - y``, to about 1e-14 absolute on
    [0, 1] (checked against ``betaincinv`` on 200 000 draws per shape in the
    tests; typical errors are 2-4e-15).

    Building costs ~4000 ``betaincinv`` calls (5-15 ms); tables are cached per
    shape pair for the life of the process. Evaluation is elementwise, so a
    value never depends on the other entries of the array.

    References
    ----------
    Hoermann, W., & Leydold, J. (2003). Continuous random variate generation by
    fast numerical inversion. *ACM TOMACS* 13(4), 347-362 (tables of Hermite
    interpolants of the inverse CDF with a guaranteed u-error).
    """

    _cache: ClassVar[dict[tuple[float, float], _BetaTable]] = {}

    def __init__(self, a: float, b: float) -> None:
        self.a = a
        self.b = b
        lower = _half_table(a, b)
        upper = _half_table(b, a)
        self.stride = lower.shape[0]
        self.coef = np.ascontiguousarray(np.vstack([lower, upper]))

    @classmethod
    def of(cls, a: float, b: float) -> _BetaTable:
        """The (cached) table for shapes ``(a, b)``."""
        key = (float(a), float(b))
        table = cls._cache.get(key)
        if table is None:
            table = cls._cache[key] = cls(*key)
        return table

    def ppf(self, q: FloatArray) -> FloatArray:
        """The quantile at each ``q`` in [0, 1]."""
        q = np.asarray(q, dtype=np.float64)
        shape = q.shape
        q = q.reshape(-1)
        lower = q <= 0.5
        r = np.where(lower, q, 1.0 - q)
        bits = r.view(np.int64)
        cell = (bits >> _TABLE_SHIFT) - _TABLE_BASE
        np.clip(cell, -1, _TABLE_CELLS, out=cell)
        cell += 1
        cell += np.where(lower, 0, self.stride)
        t = (bits & _TABLE_LOW_MASK).astype(np.float64)
        t *= 2.0**-_TABLE_SHIFT
        c = np.take(self.coef, cell, axis=0)
        y = c[:, 5] * t
        for k in (4, 3, 2, 1):
            y += c[:, k]
            y *= t
        y += c[:, 0]
        out: FloatArray = np.where(lower, y, 1.0 - y)
        missing = np.isnan(out)
        if missing.any():
            out[missing] = _beta_ppf(self.a, self.b, q[missing])
        return out.reshape(shape)


class Distribution(ABC):
    """One uncertain parameter's distribution.

    Subclasses are frozen dataclasses; construction validates the arguments and
    raises :class:`~realpolitik.errors.InputError` saying what is wrong and how
    to fix it. Every method is vectorised and elementwise: the value for one
    ``u`` never depends on the other entries of the array, which is what makes
    the samplers' chunking reproducible bit for bit.
    """

    family: ClassVar[str]

    @property
    def is_fixed(self) -> bool:
        """True for a point mass (it takes no dimension in a sampler)."""
        return False

    def ppf(self, u: ArrayLike) -> FloatArray:
        """Inverse CDF: the smallest ``x`` with ``cdf(x) >= u``, elementwise.

        Parameters
        ----------
        u : probabilities, any shape. Values in (0, 1) map into the support;
            0 and 1 map to its ends (possibly infinite); anything else (or NaN)
            gives NaN.

        Returns
        -------
        float64 array of ``u``'s shape.
        """
        q = np.asarray(u, dtype=np.float64)
        outside = ~((q >= 0.0) & (q <= 1.0))
        if outside.any():
            out = self._ppf(np.where(outside, 0.5, q))
            return np.where(outside, np.nan, out)
        return self._ppf(q)

    def cdf(self, x: ArrayLike) -> FloatArray:
        """``P(X <= x)``, elementwise, as a float64 array of ``x``'s shape."""
        return self._cdf(np.asarray(x, dtype=np.float64))

    def central(self) -> float:
        """The central value: the median ``ppf(0.5)`` (see the module docstring)."""
        return float(self._ppf(np.asarray(0.5)))

    @abstractmethod
    def mean(self) -> float:
        """The expected value."""

    @abstractmethod
    def support(self) -> tuple[float, float]:
        """``(lo, hi)``: the smallest interval holding all the probability."""

    @abstractmethod
    def describe(self) -> str:
        """The distribution as the analyst wrote it, e.g. ``PERT(0.1, 0.3, 0.6)``."""

    @abstractmethod
    def _ppf(self, q: FloatArray) -> FloatArray:
        """Inverse CDF for ``q`` in [0, 1]."""

    @abstractmethod
    def _cdf(self, x: FloatArray) -> FloatArray:
        """CDF."""

    def __str__(self) -> str:
        return self.describe()


def _check_range(family: str, low: float, high: float) -> None:
    if not low < high:
        raise InputError(
            f"{family}: needs low < high, got low={_fmt(low)} and high={_fmt(high)}; "
            "swap them, or use dist: fixed for a known value"
        )


def _check_mode(family: str, low: float, mode: float, high: float) -> None:
    _check_range(family, low, high)
    if not low <= mode <= high:
        raise InputError(
            f"{family}: mode={_fmt(mode)} lies outside [low, high] = "
            f"[{_fmt(low)}, {_fmt(high)}]; the most likely value must be inside the range"
        )


@dataclass(frozen=True)
class Fixed(Distribution):
    """A known value: every draw equals ``value``.

    Parameters
    ----------
    value : the value.

    Examples
    --------
    >>> Fixed(3).central(), Fixed(3).describe()
    (3.0, 'Fixed(3)')
    """

    value: float
    family: ClassVar[str] = "fixed"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _number("value", self.value, self.family))

    @property
    def is_fixed(self) -> bool:
        return True

    def _ppf(self, q: FloatArray) -> FloatArray:
        return np.full(q.shape, self.value)

    def _cdf(self, x: FloatArray) -> FloatArray:
        return (x >= self.value).astype(np.float64)

    def central(self) -> float:
        return self.value

    def mean(self) -> float:
        return self.value

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def describe(self) -> str:
        return f"Fixed({_fmt(self.value)})"


@dataclass(frozen=True)
class Uniform(Distribution):
    """Every value in ``[low, high]`` equally likely.

    The analyst's choice when only a range is defensible ("between 2 % and 8 %
    of GDP") and no value inside it is more plausible than another.

    Parameters
    ----------
    low, high : the range, ``low < high``.

    Examples
    --------
    >>> Uniform(2, 6).ppf([0.25, 0.5]).tolist()
    [3.0, 4.0]
    """

    low: float
    high: float
    family: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        for name in ("low", "high"):
            object.__setattr__(self, name, _number(name, getattr(self, name), self.family))
        _check_range(self.family, self.low, self.high)

    def _ppf(self, q: FloatArray) -> FloatArray:
        return self.low + q * (self.high - self.low)

    def _cdf(self, x: FloatArray) -> FloatArray:
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"Uniform({_fmt(self.low)}, {_fmt(self.high)})"


@dataclass(frozen=True)
class Triangular(Distribution):
    """Density rising linearly from ``low`` to a peak at ``mode``, falling to ``high``.

    For a three-point estimate (worst, most likely, best) when the analyst wants
    the extremes to keep real weight; it puts more probability near the ends
    than PERT with the same three points.

    Parameters
    ----------
    low, mode, high : ``low <= mode <= high``, ``low < high``.

    Examples
    --------
    >>> round(Triangular(0, 1, 4).mean(), 4)
    1.6667
    """

    low: float
    mode: float
    high: float
    family: ClassVar[str] = "triangular"

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high"):
            object.__setattr__(self, name, _number(name, getattr(self, name), self.family))
        _check_mode(self.family, self.low, self.mode, self.high)

    def _ppf(self, q: FloatArray) -> FloatArray:
        width = self.high - self.low
        c = (self.mode - self.low) / width
        left = self.low + np.sqrt(q * width * (self.mode - self.low))
        right = self.high - np.sqrt((1.0 - q) * width * (self.high - self.mode))
        return np.where(q < c, left, right)

    def _cdf(self, x: FloatArray) -> FloatArray:
        width = self.high - self.low
        xc = np.clip(x, self.low, self.high)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = (xc - self.low) ** 2 / (width * (self.mode - self.low))
            right = 1.0 - (self.high - xc) ** 2 / (width * (self.high - self.mode))
        return np.where(xc <= self.mode, np.where(xc > self.low, left, 0.0), right)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"Triangular({_fmt(self.low)}, {_fmt(self.mode)}, {_fmt(self.high)})"


@dataclass(frozen=True)
class PERT(Distribution):
    """Beta-PERT: a beta distribution on ``[low, high]`` shaped by a most likely value.

    Shapes ``alpha = 1 + lamb (mode - low) / (high - low)`` and
    ``beta = 1 + lamb (high - mode) / (high - low)``; mean
    ``(low + lamb mode + high) / (lamb + 2)``. The usual choice for an expert's
    three-point estimate: smooth, bounded, with most weight near the mode.
    ``lamb`` (Vose's modified PERT) sets the concentration: 4 is the classic
    PERT, larger is more confident, smaller flatter (``lamb -> 0`` is uniform).

    Parameters
    ----------
    low, mode, high : ``low <= mode <= high``, ``low < high``.
    lamb : shape, ``> 0`` (default 4).

    References
    ----------
    Malcolm et al. (1959); Vose (2008), ch. 9.

    Examples
    --------
    >>> round(PERT(0.1, 0.3, 0.6).mean(), 4)
    0.3167
    """

    low: float
    mode: float
    high: float
    lamb: float = 4.0
    family: ClassVar[str] = "pert"

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high", "lamb"):
            object.__setattr__(self, name, _number(name, getattr(self, name), self.family))
        _check_mode(self.family, self.low, self.mode, self.high)
        if not self.lamb > 0:
            raise InputError(
                f"pert: `lamb` must be > 0, got {_fmt(self.lamb)}; 4 is the classic PERT, "
                "larger values concentrate the distribution around the mode"
            )

    @property
    def shapes(self) -> tuple[float, float]:
        """The beta shapes ``(alpha, beta)``."""
        width = self.high - self.low
        return (
            1.0 + self.lamb * (self.mode - self.low) / width,
            1.0 + self.lamb * (self.high - self.mode) / width,
        )

    def _ppf(self, q: FloatArray) -> FloatArray:
        a, b = self.shapes
        out: FloatArray = self.low + (self.high - self.low) * _BetaTable.of(a, b).ppf(q)
        return out

    def central(self) -> float:
        # the median straight from betaincinv: the table's value at 1/2 is
        # this same number, but a single value is not worth building a table
        a, b = self.shapes
        return float(self.low + (self.high - self.low) * _beta_ppf(a, b, np.asarray(0.5)))

    def _cdf(self, x: FloatArray) -> FloatArray:
        a, b = self.shapes
        z = np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)
        out: FloatArray = sc.betainc(a, b, z)
        return out

    def mean(self) -> float:
        return (self.low + self.lamb * self.mode + self.high) / (self.lamb + 2.0)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        extra = "" if self.lamb == 4.0 else f", lamb={_fmt(self.lamb)}"
        return f"PERT({_fmt(self.low)}, {_fmt(self.mode)}, {_fmt(self.high)}{extra})"


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mu`` and standard deviation ``sd``, optionally truncated.

    With ``low`` and/or ``high`` the normal is truncated to that interval and
    renormalised (``scipy.stats.truncnorm``); ``mu`` and ``sd`` then describe
    the normal *before* truncation, so the truncated mean (:meth:`mean`)
    differs from ``mu`` when the cut is asymmetric. For a quantity estimated
    with a symmetric error (a survey share, a regression coefficient) that must
    stay in a range. In scenario files the keys are ``mean`` and ``sd`` (the
    attribute is ``mu`` only because ``mean()`` is the method every family has).

    Parameters
    ----------
    mu : mean of the untruncated normal (scenario key ``mean``).
    sd : its standard deviation, ``> 0``.
    low, high : optional truncation bounds, ``low < high`` when both given.

    Examples
    --------
    >>> round(Normal(0, 1, low=0).mean(), 4)   # half-normal: sqrt(2 / pi)
    0.7979
    """

    mu: float
    sd: float
    low: float | None = None
    high: float | None = None
    family: ClassVar[str] = "normal"
    _a: float = field(init=False, repr=False, compare=False, default=-math.inf)
    _b: float = field(init=False, repr=False, compare=False, default=math.inf)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mu", _number("mean", self.mu, self.family))
        object.__setattr__(self, "sd", _number("sd", self.sd, self.family))
        for name in ("low", "high"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _number(name, value, self.family))
        if not self.sd > 0:
            raise InputError(
                f"normal: `sd` must be > 0, got {_fmt(self.sd)}; for a known value use dist: fixed"
            )
        if self.low is not None and self.high is not None:
            _check_range(self.family, self.low, self.high)
        a = -math.inf if self.low is None else (self.low - self.mu) / self.sd
        b = math.inf if self.high is None else (self.high - self.mu) / self.sd
        object.__setattr__(self, "_a", a)
        object.__setattr__(self, "_b", b)

    @property
    def truncated(self) -> bool:
        """True when at least one bound is given."""
        return self.low is not None or self.high is not None

    def _ppf(self, q: FloatArray) -> FloatArray:
        if not self.truncated:
            out: FloatArray = self.mu + self.sd * sc.ndtri(q)
            return out
        res = stats.truncnorm.ppf(q, self._a, self._b, loc=self.mu, scale=self.sd)
        return np.asarray(res, dtype=np.float64)

    def _cdf(self, x: FloatArray) -> FloatArray:
        if not self.truncated:
            out: FloatArray = sc.ndtr((x - self.mu) / self.sd)
            return out
        res = stats.truncnorm.cdf(x, self._a, self._b, loc=self.mu, scale=self.sd)
        return np.asarray(res, dtype=np.float64)

    def mean(self) -> float:
        if not self.truncated:
            return self.mu
        with np.errstate(all="ignore"):  # scipy computes skewness alongside; irrelevant here
            return float(stats.truncnorm.mean(self._a, self._b, loc=self.mu, scale=self.sd))

    def support(self) -> tuple[float, float]:
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        return (lo, hi)

    def describe(self) -> str:
        bounds = ""
        if self.low is not None:
            bounds += f", low={_fmt(self.low)}"
        if self.high is not None:
            bounds += f", high={_fmt(self.high)}"
        return f"Normal({_fmt(self.mu)}, {_fmt(self.sd)}{bounds})"


@dataclass(frozen=True)
class Beta(Distribution):
    """Beta distribution with shapes ``a``, ``b``, rescaled to ``[low, high]``.

    For a share or probability whose uncertainty is best stated as pseudo-counts:
    ``a - 1`` "successes" and ``b - 1`` "failures" seen (``a = 3, b = 9`` for
    "about 2 in 10, from a dozen comparable cases"). Mean
    ``low + (high - low) a / (a + b)``.

    Parameters
    ----------
    a, b : shapes, both ``> 0``.
    low, high : the range (default 0 and 1), ``low < high``.

    Examples
    --------
    >>> round(Beta(2, 5, low=0, high=10).mean(), 4)
    2.8571
    """

    a: float
    b: float
    low: float = 0.0
    high: float = 1.0
    family: ClassVar[str] = "beta"

    def __post_init__(self) -> None:
        for name in ("a", "b", "low", "high"):
            object.__setattr__(self, name, _number(name, getattr(self, name), self.family))
        for name in ("a", "b"):
            if not getattr(self, name) > 0:
                raise InputError(
                    f"beta: shape `{name}` must be > 0, got {_fmt(getattr(self, name))}; "
                    "a = b = 1 is uniform, larger values concentrate the distribution"
                )
        _check_range(self.family, self.low, self.high)

    def _ppf(self, q: FloatArray) -> FloatArray:
        table = _BetaTable.of(self.a, self.b)
        out: FloatArray = self.low + (self.high - self.low) * table.ppf(q)
        return out

    def central(self) -> float:
        # betaincinv's median, equal to the table's value at 1/2 (see PERT.central)
        return float(self.low + (self.high - self.low) * _beta_ppf(self.a, self.b, np.asarray(0.5)))

    def _cdf(self, x: FloatArray) -> FloatArray:
        z = np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)
        out: FloatArray = sc.betainc(self.a, self.b, z)
        return out

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def describe(self) -> str:
        scale = ""
        if (self.low, self.high) != (0.0, 1.0):
            scale = f", low={_fmt(self.low)}, high={_fmt(self.high)}"
        return f"Beta({_fmt(self.a)}, {_fmt(self.b)}{scale})"


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal: ``log X`` is normal with mean ``log(median)`` and sd ``sigma``.

    Parameterised by the **median** (the analyst's 50 % point, in the
    parameter's own units) and ``sigma``, the standard deviation of ``log X``.
    ``exp(sigma)`` is the multiplicative spread: about 68 % of draws fall in
    ``[median / exp(sigma), median * exp(sigma)]`` and 95 % within a factor
    ``exp(1.96 sigma)``. Scenario files may give ``mu`` (the mean of ``log X``)
    instead of ``median``; ``median = exp(mu)`` (see :meth:`from_mu`). For a
    positive quantity known to within a factor (trade volumes, costs, GDP
    losses). Mean ``median * exp(sigma**2 / 2)``. Matches
    ``scipy.stats.lognorm(sigma, scale=median)``.

    Parameters
    ----------
    median : ``> 0``.
    sigma : ``> 0``.

    Examples
    --------
    >>> d = LogNormal(median=2, sigma=0.5)
    >>> d.central(), round(d.mean(), 4)
    (2.0, 2.2663)
    """

    median: float
    sigma: float
    family: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        for name in ("median", "sigma"):
            object.__setattr__(self, name, _number(name, getattr(self, name), self.family))
        if not self.median > 0:
            raise InputError(
                f"lognormal: `median` must be > 0, got {_fmt(self.median)}; a lognormal "
                "quantity is positive (for a signed quantity use dist: normal)"
            )
        if not self.sigma > 0:
            raise InputError(
                f"lognormal: `sigma` (sd of log X) must be > 0, got {_fmt(self.sigma)}; "
                "for a known value use dist: fixed"
            )

    @classmethod
    def from_mu(cls, mu: float, sigma: float) -> LogNormal:
        """The lognormal whose log has mean ``mu`` and sd ``sigma``."""
        return cls(math.exp(_number("mu", mu, cls.family)), sigma)

    @property
    def mu(self) -> float:
        """Mean of ``log X``: ``log(median)``."""
        return math.log(self.median)

    def _ppf(self, q: FloatArray) -> FloatArray:
        out: FloatArray = self.median * np.exp(self.sigma * sc.ndtri(q))
        return out

    def _cdf(self, x: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log(np.where(x > 0, x, 1.0) / self.median) / self.sigma
        out: FloatArray = np.where(x > 0, sc.ndtr(z), 0.0)
        return out

    def central(self) -> float:
        return self.median

    def mean(self) -> float:
        return self.median * math.exp(0.5 * self.sigma**2)

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def describe(self) -> str:
        return f"LogNormal(median={_fmt(self.median)}, sigma={_fmt(self.sigma)})"


@dataclass(frozen=True)
class Discrete(Distribution):
    """A finite set of numeric values with weights (normalised to sum to 1).

    For a parameter that is one of a few states (0/1 switches, "the West
    imposes 0, 1 or 2 rounds of sanctions") or a set of expert estimates. The
    inverse CDF sorts the values: ``ppf(u)`` is the smallest value whose
    cumulative weight reaches ``u``; the central value is therefore the lower
    median, always one of the listed values.

    Parameters
    ----------
    values : distinct finite numbers.
    weights : one non-negative weight per value, summing to more than 0
        (default: equal weights). Normalised internally.

    Examples
    --------
    >>> d = Discrete((0, 1), (0.7, 0.3))
    >>> d.central(), round(d.mean(), 10)
    (0.0, 0.3)
    """

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    family: ClassVar[str] = "discrete"
    _sorted: FloatArray = field(init=False, repr=False, compare=False)
    _cum: FloatArray = field(init=False, repr=False, compare=False)
    _prob: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        raw_values: object = self.values
        if isinstance(raw_values, str | bytes) or not isinstance(raw_values, Sequence):
            raise InputError(
                f"discrete: `values` must be a list of numbers, got {raw_values!r}; "
                "e.g. values: [0, 1]"
            )
        values = tuple(_number("values", v, self.family) for v in raw_values)
        if not values:
            raise InputError("discrete: `values` is empty; list at least one value")
        if len(set(values)) != len(values):
            dup = next(v for i, v in enumerate(values) if v in values[:i])
            raise InputError(
                f"discrete: value {_fmt(dup)} is listed twice; list each value once "
                "and add up its weights"
            )
        if self.weights is None:
            weights = tuple(1.0 for _ in values)
        else:
            raw_weights: object = self.weights
            if isinstance(raw_weights, str | bytes) or not isinstance(raw_weights, Sequence):
                raise InputError(
                    f"discrete: `weights` must be a list of numbers, got {raw_weights!r}"
                )
            weights = tuple(_number("weights", w, self.family) for w in raw_weights)
            if len(weights) != len(values):
                raise InputError(
                    f"discrete: {len(values)} values but {len(weights)} weights; "
                    "give one weight per value"
                )
            if any(w < 0 for w in weights):
                raise InputError(
                    f"discrete: weights must be >= 0, got {min(weights)!r}; "
                    "a weight is a relative probability"
                )
            if not sum(weights) > 0:
                raise InputError("discrete: the weights sum to 0; give at least one weight > 0")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "weights", weights if self.weights is not None else None)
        order = np.argsort(np.asarray(values), kind="stable")
        w = np.asarray(weights, dtype=np.float64)[order]
        prob = w / w.sum()
        cum = np.cumsum(prob)
        cum[-1] = 1.0
        for array in (prob, cum):
            array.setflags(write=False)
        ordered = np.asarray(values, dtype=np.float64)[order]
        ordered.setflags(write=False)
        object.__setattr__(self, "_sorted", ordered)
        object.__setattr__(self, "_prob", prob)
        object.__setattr__(self, "_cum", cum)

    @property
    def probabilities(self) -> dict[float, float]:
        """Value -> normalised probability, values ascending."""
        return {float(v): float(p) for v, p in zip(self._sorted, self._prob, strict=True)}

    def _ppf(self, q: FloatArray) -> FloatArray:
        index = np.searchsorted(self._cum, q, side="left")
        out: FloatArray = self._sorted[np.minimum(index, self._sorted.size - 1)]
        return out

    def _cdf(self, x: FloatArray) -> FloatArray:
        index = np.searchsorted(self._sorted, x, side="right")
        cum0 = np.concatenate(([0.0], self._cum))
        out: FloatArray = cum0[index]
        return out

    def mean(self) -> float:
        return float(np.dot(self._prob, self._sorted))

    def support(self) -> tuple[float, float]:
        nonzero = self._sorted[self._prob > 0]
        return (float(nonzero[0]), float(nonzero[-1]))

    def describe(self) -> str:
        vals = ", ".join(_fmt(v) for v in self.values)
        if self.weights is None:
            return f"Discrete([{vals}])"
        wts = ", ".join(_fmt(w) for w in self.weights)
        return f"Discrete([{vals}], weights=[{wts}])"


# ---------------------------------------------------------------------------
# The family table shared by the scenario loader and the documentation.


@dataclass(frozen=True)
class Family:
    """How a family is written in a scenario file.

    Attributes
    ----------
    name : the ``dist:`` value.
    cls : the dataclass.
    required : keys that must be present.
    optional : keys that may be present.
    one_of : keys of which exactly one must be present (lognormal's
        ``median``/``mu``).
    summary : one line for the docs and ``--help``.
    """

    name: str
    cls: type[Distribution]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()
    summary: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key the family accepts, besides ``dist``."""
        return self.required + self.one_of + self.optional


FAMILIES: Mapping[str, Family] = MappingProxyType(
    {
        f.name: f
        for f in (
            Family("fixed", Fixed, ("value",), summary="a known value"),
            Family("uniform", Uniform, ("low", "high"), summary="any value in a range"),
            Family(
                "triangular",
                Triangular,
                ("low", "mode", "high"),
                summary="three-point estimate, linear density",
            ),
            Family(
                "pert",
                PERT,
                ("low", "mode", "high"),
                ("lamb",),
                summary="three-point estimate, smooth beta (Vose)",
            ),
            Family(
                "normal",
                Normal,
                ("mean", "sd"),
                ("low", "high"),
                summary="symmetric error, optionally truncated to [low, high]",
            ),
            Family("beta", Beta, ("a", "b"), ("low", "high"), summary="a share, as pseudo-counts"),
            Family(
                "lognormal",
                LogNormal,
                ("sigma",),
                one_of=("median", "mu"),
                summary="a positive quantity known within a factor",
            ),
            Family(
                "discrete",
                Discrete,
                ("values",),
                ("weights",),
                summary="one of a few values, with weights",
            ),
        )
    }
)
"""Family name -> :class:`Family`, in the order of the documentation."""

PARAMETER_METADATA_KEYS: tuple[str, ...] = ("source", "description", "unit", "label", "notes")
"""Keys of a parameter's mapping that describe it rather than its distribution;
:func:`from_spec` ignores them by default (the scenario loader reads them)."""


def _did_you_mean(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def from_spec(
    spec: Mapping[str, Any] | float | object,
    *,
    where: str = "",
    extra_keys: Collection[str] = PARAMETER_METADATA_KEYS,
) -> Distribution:
    """Build a distribution from one parameter's mapping in a scenario file.

    Parameters
    ----------
    spec : the parsed YAML value (any type is accepted and checked): a mapping
        such as ``{"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.6}``,
        ``{"dist": "fixed", "value": 3}`` or ``{"dist": "discrete", "values":
        [0, 1], "weights": [0.7, 0.3]}``; a bare number is shorthand for
        ``fixed``.
    where : the field path of the parameter ("parameters.russia_value"); it
        becomes the ``field`` of the :class:`InputError`, so messages read
        ``parameters.russia_value: pert: ...``. The loader adds file and line.
    extra_keys : keys that are allowed and ignored (the parameter's metadata,
        such as ``source``).

    Returns
    -------
    The distribution.

    Raises
    ------
    InputError
        For an unknown family or key (with a did-you-mean), a missing key, a
        value that is not a number, or arguments the family rejects.

    Examples
    --------
    >>> from_spec({"dist": "pert", "low": 0.1, "mode": 0.3, "high": 0.6})
    PERT(low=0.1, mode=0.3, high=0.6, lamb=4.0)
    >>> from_spec(3)
    Fixed(value=3.0)
    """
    field_ = where or None

    def fail(message: str) -> InputError:
        return InputError(message, field=field_)

    if not isinstance(spec, bool) and isinstance(spec, Real):
        try:
            return Fixed(float(spec))
        except InputError as exc:
            raise fail(exc.problems[0].message) from None
    if not isinstance(spec, Mapping):
        raise fail(
            f"expected a distribution such as {{dist: pert, low: 0.1, mode: 0.3, high: 0.6}} "
            f"or a number, got {spec!r}"
        )
    if "dist" not in spec:
        names = ", ".join(FAMILIES)
        raise fail(f"missing `dist`; name the distribution family, one of: {names}")
    name = spec["dist"]
    if not isinstance(name, str):
        raise fail(f"`dist` must be a family name such as pert, got {name!r}")
    family = FAMILIES.get(name.strip().lower())
    if family is None:
        raise fail(
            f"unknown distribution `{name}`{_did_you_mean(name.strip().lower(), FAMILIES)} "
            f"(known: {', '.join(FAMILIES)})"
        )
    allowed = {"dist", *family.keys, *extra_keys}
    unknown = [str(k) for k in spec if k not in allowed]
    if unknown:
        first = unknown[0]
        raise fail(
            f"{family.name}: unknown key `{first}`{_did_you_mean(first, family.keys)} "
            f"({family.name} takes {', '.join(family.keys)})"
        )
    missing = [k for k in family.required + family.one_of if k in spec and spec[k] is None]
    if missing:
        raise fail(f"{family.name}: `{missing[0]}` is empty; give a number")
    missing = [k for k in family.required if k not in spec]
    if missing:
        raise fail(
            f"{family.name}: missing `{missing[0]}`; {family.name} needs "
            f"{', '.join(family.required + family.one_of[:1])}"
        )
    chosen = [k for k in family.one_of if k in spec]
    if family.one_of and len(chosen) != 1:
        options = " or ".join(f"`{k}`" for k in family.one_of)
        verb = "give one of" if not chosen else "give only one of"
        raise fail(f"{family.name}: {verb} {options}")
    kwargs = {k: spec[k] for k in family.keys if k in spec and spec[k] is not None}
    try:
        if family.cls is LogNormal:
            if "mu" in kwargs:
                return LogNormal.from_mu(kwargs["mu"], kwargs["sigma"])
            return LogNormal(kwargs["median"], kwargs["sigma"])
        if family.cls is Normal:
            return Normal(
                kwargs["mean"], kwargs["sd"], low=kwargs.get("low"), high=kwargs.get("high")
            )
        return family.cls(**kwargs)
    except InputError as exc:
        raise fail(exc.problems[0].message) from None
