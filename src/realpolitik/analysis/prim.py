"""Scenario discovery with PRIM: find a box of parameter space, described by a
few parameter ranges, where the cases of interest concentrate.

Why this module exists: ``realpolitik discover`` must say under which
conditions a choice flips ("China overtly supports Russia when the value of the
partnership exceeds 0.6 and the sanctions exposure is below 0.3"). The Patient
Rule Induction Method (Friedman and Fisher 1999) finds such boxes; Bryant and
Lempert (2010) made it the standard tool of scenario discovery, with the
vocabulary used here: **coverage** (share of all cases of interest that lie in
the box), **density** (share of the points in the box that are cases of
interest), **mass** (share of all points in the box) and interpretability (how
many parameters the box restricts).

This is our own implementation (the GPL ``prim`` package and the EMA Workbench
are not dependencies), vectorised over points and dimensions:

- **Peeling.** From the box holding all points, each step considers, for every
  dimension at once, removing the ``ceil(alpha n_box)`` points with the lowest
  values of that dimension, or those with the highest (one ``np.partition``
  of the box's points for the order statistics of all dimensions, then
  boolean masks; no loop over points). It takes the candidate whose remaining
  box has the highest density (Friedman and Fisher's criterion; ties go to the
  larger remaining box) and stops when every candidate would leave less than
  ``min_mass`` of the points, or when the density is 1. Each step costs
  O(n_box k); there are about ``log(min_mass) / log(1 - alpha)`` steps over
  geometrically shrinking boxes, so O(n k / alpha) in all.
- **Ordered discrete inputs** (integer levels, ties): when a cut would remove
  nothing because of ties at the box's edge, the candidate removes the whole
  edge level instead. **Categorical inputs** (strings, pandas categories,
  objects) are rejected: their order is arbitrary, so a range over them means
  nothing; encode them as 0/1 indicator columns first.
- **Limits.** A box restricts ``lower[j] <= x[j] <= upper[j]``; a side that was
  never peeled is infinite, and a dimension is *restricted* when either side is
  finite. A peeled side's limit is the smallest (largest) value left in the
  box, so the box holds exactly the points the trajectory counts.
- **Box selection** (:func:`select_box`), the documented rule: among the boxes
  of the trajectory that restrict at most ``max_restricted`` parameters and
  have coverage at least ``min_coverage``, find the densest, D*; then take the
  box with the *highest coverage* whose density is at least
  ``D* - tolerance``, the default tolerance being one binomial standard error
  of D*, ``sqrt(D* (1 - D*) / n*)``. This is the one-standard-error rule of
  CART (Breiman et al. 1984) applied to PRIM: density differences smaller than
  the sampling noise are not worth the coverage lost by shrinking the box
  further, whereas the strictly densest box overfits label noise (its density
  is the maximum of many noisy candidates). ``density_tolerance=0`` gives the
  strictly densest box. Defaults: ``max_restricted=3`` (boxes of two or three
  parameters are what people can read and act on, Bryant and Lempert's
  interpretability criterion) and ``min_coverage=0.5`` (a box should account
  for at least half of the cases of interest). The whole-space box (coverage
  1, nothing restricted) is always eligible, so a selection always exists.
- **Pruning.** Then every restriction whose quasi-p-value (below) exceeds
  ``max_quasi_p`` (default 0.05) is dropped, one side at a time, the least
  significant first, recomputing the values after each drop: the statistical
  counterpart of Bryant and Lempert's advice to remove restrictions that add
  little density. ``max_quasi_p=None`` keeps the selected box as it is.
- **Pasting** (Friedman and Fisher 1999): finally the box is enlarged along
  one restricted side at a time by the ``ceil(alpha n_box)`` nearest points
  outside that side, taking the enlargement with the highest density, as long
  as it does not lower the density (Friedman and Fisher paste while the density
  rises; an equal density, which in practice happens only in a region of
  cases alone, adds coverage at no cost, so it is accepted too).
- **Quasi-p-values** (Bryant and Lempert 2010): for each restricted parameter,
  the one-sided binomial probability of at least as many cases of interest in
  the box if its density were that of the box without this parameter's
  restriction (per side: without that side's limit only). Large values flag a
  restriction that may be noise.
- **Stability** (:func:`prim_stability`): PRIM on random subsamples (or
  bootstrap resamples); how often each parameter is restricted and the spread
  of its limits.

References
----------
Friedman, J. H., Fisher, N. I. (1999). Bump hunting in high-dimensional data.
Statistics and Computing 9:123-143.
Bryant, B. P., Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting &
Social Change 77:34-49.
Breiman, L., Friedman, J. H., Olshen, R. A., Stone, C. J. (1984).
Classification and Regression Trees. Wadsworth (the one-standard-error
rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.stats import binom

from realpolitik.errors import InputError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class PrimResult:
    """A PRIM run: the peeling trajectory and the selected (pasted) box.

    Attributes
    ----------
    names : the ``k`` parameter names.
    trajectory : one row per peeling step (step 0 is the whole space):
        ``step, n_points, mass, coverage, density, n_restricted, restricted``
        (the restricted names, comma-separated), then ``lower_<name>`` and
        ``upper_<name>`` for every parameter (infinite when not restricted).
    lower, upper : ``(steps, k)`` the same limits as arrays.
    selected_step : the trajectory step chosen by :func:`select_box`.
    box : the final box (the selected one, pruned and pasted as asked):
        ``parameter, lower, upper, restricted, quasi_p, quasi_p_lower,
        quasi_p_upper`` for every parameter (quasi-p-values are 1 for an
        unrestricted parameter or an open side).
    coverage, density, mass, n_points, n_restricted : the final box's figures.
    base_density : share of all points that are cases of interest (the
        density of the whole space).
    pasted : whether pasting changed the selected box.
    dropped : restrictions of the selected box dropped for a quasi-p-value
        above ``max_quasi_p``, in the order dropped.
    """

    names: tuple[str, ...]
    trajectory: pd.DataFrame
    lower: FloatArray
    upper: FloatArray
    selected_step: int
    box: pd.DataFrame
    coverage: float
    density: float
    mass: float
    n_points: int
    n_restricted: int
    base_density: float
    pasted: bool
    dropped: tuple[str, ...]

    @property
    def box_lower(self) -> FloatArray:
        """``(k,)`` lower limits of the final box."""
        return self.box["lower"].to_numpy(dtype=np.float64)

    @property
    def box_upper(self) -> FloatArray:
        """``(k,)`` upper limits of the final box."""
        return self.box["upper"].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class PrimStability:
    """PRIM on resamples: how stable the selected box is.

    Attributes
    ----------
    summary : one row per parameter: ``parameter, restricted_share,
        lower_share, upper_share`` (share of resamples restricting the
        parameter at all, from below, from above), then for each side the
        ``median``, ``q05`` and ``q95`` of its limit over the resamples that
        restrict that side (``lower_median``, ..., NaN where no resample
        does), and ``full_box_restricted`` (whether the box found on all the
        data restricts it).
    boxes : one row per resample: ``resample, coverage, density, mass,
        n_restricted`` of its box evaluated on the *full* data, then
        ``lower_<name>``, ``upper_<name>``.
    """

    summary: pd.DataFrame
    boxes: pd.DataFrame


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------


def _as_inputs(
    X: ArrayLike | pd.DataFrame, y: ArrayLike, names: Sequence[str] | None
) -> tuple[FloatArray, BoolArray, tuple[str, ...]]:
    """Validate ``X`` (numeric, finite, 2-D) and ``y`` (binary), and the names."""
    if isinstance(X, pd.DataFrame):
        bad = [
            str(c)
            for c in X.columns
            if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        ]
        if bad:
            raise InputError(
                f"PRIM needs ordered numeric inputs; columns {', '.join(bad)} are categorical "
                "or text: encode each category as a 0/1 column"
            )
        if names is None:
            names = [str(c) for c in X.columns]
        arr = X.to_numpy(dtype=np.float64)
    else:
        raw = np.asarray(X)
        if raw.dtype.kind not in "biuf":
            raise InputError(
                f"PRIM needs ordered numeric inputs, got an array of dtype {raw.dtype}: "
                "encode each category as a 0/1 column"
            )
        arr = raw.astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise InputError(f"X must be a 2-D array (points, parameters), got shape {arr.shape}")
    n, k = arr.shape
    if names is None:
        names = [f"x{j}" for j in range(k)]
    names_t = tuple(str(s) for s in names)
    if len(names_t) != k or len(set(names_t)) != k:
        raise InputError(f"give {k} distinct parameter names for the {k} columns of X")
    if not np.isfinite(arr).all():
        cols = [names_t[j] for j in np.flatnonzero(~np.isfinite(arr).all(axis=0))]
        raise InputError(f"X has missing or infinite values in {', '.join(cols)}")
    y_raw = np.asarray(y)
    if y_raw.shape != (n,):
        raise InputError(f"y must have one value per point ({n}), got shape {y_raw.shape}")
    if y_raw.dtype == np.bool_:
        y_bool = y_raw
    else:
        if y_raw.dtype.kind not in "biuf" or not np.isin(y_raw, (0, 1)).all():
            raise InputError(
                "y must be binary (True/False or 0/1) marking the cases of interest, "
                "e.g. y = probability > 0.5"
            )
        y_bool = y_raw.astype(np.bool_)
    if not y_bool.any():
        raise InputError("y has no cases of interest (all 0): nothing for PRIM to find")
    return arr, y_bool, names_t


def _check_fraction(name: str, value: float, upper_open: bool = True) -> None:
    ok = 0.0 < value < 1.0 if upper_open else 0.0 < value <= 1.0
    if not ok:
        bound = "< 1" if upper_open else "<= 1"
        raise InputError(f"{name} must satisfy 0 < {name} {bound}, got {value}")


def box_mask(X: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> BoolArray:
    """Which points lie in the box ``lower <= x <= upper`` (all dimensions).

    Parameters
    ----------
    X : ``(n, k)`` points.
    lower, upper : ``(k,)`` limits (infinite for an open side).

    Returns
    -------
    ``(n,)`` booleans.
    """
    arr = np.asarray(X, dtype=np.float64)
    inside: BoolArray = np.all(
        (arr >= np.asarray(lower, dtype=np.float64)) & (arr <= np.asarray(upper, dtype=np.float64)),
        axis=1,
    )
    return inside


# --------------------------------------------------------------------------
# Peeling
# --------------------------------------------------------------------------


def _peel(
    X: FloatArray, y: BoolArray, alpha: float, min_mass: float
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """The peeling trajectory: limits per step and the box's counts.

    Returns ``lower (steps, k)``, ``upper (steps, k)``, ``n_points (steps,)``,
    ``n_cases (steps,)``.
    """
    n, k = X.shape
    min_count = max(1, math.ceil(min_mass * n))
    lower = np.full(k, -np.inf)
    upper = np.full(k, np.inf)
    XT = np.ascontiguousarray(X.T)  # (k, n): each dimension's values contiguous
    idx = np.arange(n)
    lowers, uppers, counts, cases = [lower.copy()], [upper.copy()], [n], [int(y.sum())]
    rows = np.arange(k)

    while True:
        XbT = XT[:, idx]
        yb = y[idx]
        n_b = idx.size
        s_b = int(yb.sum())
        m = math.ceil(alpha * n_b)  # points a peel removes (without ties)
        if s_b == n_b or m >= n_b:  # density 1 (no peel can raise it), or nothing left to peel
            break
        # Order statistics m and n_b - 1 - m of every dimension: one partition.
        part = np.partition(XbT, (m, n_b - 1 - m), axis=1)
        lo_cut = XbT < part[:, m : m + 1]
        hi_cut = XbT > part[:, n_b - 1 - m : n_b - m]
        lo_n = lo_cut.sum(axis=1)
        hi_n = hi_cut.sum(axis=1)
        # Ties at an edge: the cut removes nothing; remove the edge level instead.
        if (lo_n == 0).any():
            tied = rows[lo_n == 0]
            lo_cut[tied] = XbT[tied] <= part[tied, :1]  # partition puts the minimum first
            lo_n = lo_cut.sum(axis=1)
        if (hi_n == 0).any():
            tied = rows[hi_n == 0]
            hi_cut[tied] = XbT[tied] >= part[tied, -1:]  # and the maximum last
            hi_n = hi_cut.sum(axis=1)
        removed_n = np.concatenate([lo_n, hi_n])
        removed_y = np.concatenate(
            [np.count_nonzero(lo_cut & yb, axis=1), np.count_nonzero(hi_cut & yb, axis=1)]
        )
        left_n = n_b - removed_n
        valid = (removed_n > 0) & (left_n >= min_count)
        if not valid.any():
            break
        density = np.where(valid, (s_b - removed_y) / np.maximum(left_n, 1), -1.0)
        # Highest density; ties (to 1e-12) go to the larger remaining box.
        tie = valid & (density >= density.max() - 1e-12)
        choice = int(np.flatnonzero(tie)[np.argmax(left_n[tie])])
        j = choice % k
        keep = ~(lo_cut[j] if choice < k else hi_cut[j])
        if choice < k:
            lower[j] = XbT[j, keep].min()
        else:
            upper[j] = XbT[j, keep].max()
        idx = idx[keep]
        lowers.append(lower.copy())
        uppers.append(upper.copy())
        counts.append(int(idx.size))
        cases.append(int(y[idx].sum()))

    return (
        np.array(lowers),
        np.array(uppers),
        np.array(counts, dtype=np.intp),
        np.array(cases, dtype=np.intp),
    )


def _trajectory_frame(
    names: tuple[str, ...],
    lower: FloatArray,
    upper: FloatArray,
    counts: IntArray,
    cases: IntArray,
    n: int,
    total_cases: int,
) -> pd.DataFrame:
    restricted = np.isfinite(lower) | np.isfinite(upper)
    name_arr = np.array(names, dtype=object)
    frame = pd.DataFrame(
        {
            "step": np.arange(counts.size),
            "n_points": counts,
            "mass": counts / n,
            "coverage": cases / total_cases,
            "density": cases / counts,
            "n_restricted": restricted.sum(axis=1),
            "restricted": [", ".join(name_arr[row]) for row in restricted],
        }
    )
    limits = {}
    for j, name in enumerate(names):
        limits[f"lower_{name}"] = lower[:, j]
        limits[f"upper_{name}"] = upper[:, j]
    return pd.concat([frame, pd.DataFrame(limits)], axis=1)


# --------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------


def select_box(
    trajectory: pd.DataFrame,
    *,
    max_restricted: int = 3,
    min_coverage: float = 0.5,
    density_tolerance: float | None = None,
) -> int:
    """Choose a box of a peeling trajectory by the documented rule.

    Among the steps restricting at most ``max_restricted`` parameters with
    coverage at least ``min_coverage`` (step 0, the whole space, always
    qualifies), let D* be the highest density and n* the size of that box.
    Return the step with the highest coverage among those with density at
    least ``D* - tolerance`` (ties: fewer restricted parameters, then the
    earlier step). The tolerance is ``density_tolerance`` if given, else one
    binomial standard error ``sqrt(D* (1 - D*) / n*)`` (the one-standard-error
    rule of Breiman et al. 1984); 0 selects the strictly densest box.

    Parameters
    ----------
    trajectory : a trajectory with columns ``step, n_points, coverage,
        density, n_restricted`` (:attr:`PrimResult.trajectory`).
    max_restricted : most parameters the box may restrict.
    min_coverage : least coverage the box must have, in (0, 1].
    density_tolerance : density slack; None for one standard error.

    Returns
    -------
    The selected ``step``.
    """
    if max_restricted < 0:
        raise InputError(f"max_restricted must be at least 0, got {max_restricted}")
    _check_fraction("min_coverage", min_coverage, upper_open=False)
    if density_tolerance is not None and density_tolerance < 0:
        raise InputError(f"density_tolerance must be at least 0, got {density_tolerance}")
    coverage = trajectory["coverage"].to_numpy(dtype=np.float64)
    density = trajectory["density"].to_numpy(dtype=np.float64)
    n_restricted = trajectory["n_restricted"].to_numpy()
    n_points = trajectory["n_points"].to_numpy(dtype=np.float64)
    steps = trajectory["step"].to_numpy()
    eligible = (n_restricted <= max_restricted) & (coverage >= min_coverage - 1e-12)
    eligible |= steps == 0
    best = int(np.flatnonzero(eligible)[np.argmax(density[eligible])])
    d_star = density[best]
    if density_tolerance is None:
        tolerance = math.sqrt(d_star * (1.0 - d_star) / n_points[best])
    else:
        tolerance = density_tolerance
    near = eligible & (density >= d_star - tolerance - 1e-12)
    candidates = np.flatnonzero(near)
    order = np.lexsort((steps[candidates], n_restricted[candidates], -coverage[candidates]))
    return int(steps[candidates[order[0]]])


# --------------------------------------------------------------------------
# Pasting and quasi-p-values
# --------------------------------------------------------------------------


def _violations(
    points: FloatArray, lower: FloatArray, upper: FloatArray
) -> tuple[BoolArray, BoolArray, IntArray]:
    below = points < lower
    above = points > upper
    count = (below | above).sum(axis=1)
    return below, above, count


def _paste(
    X: FloatArray, y: BoolArray, lower: FloatArray, upper: FloatArray, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """Enlarge the box while some side's enlargement does not lower its density."""
    lower = lower.copy()
    upper = upper.copy()
    k = X.shape[1]
    for _ in range(10 * k + 100):  # each accepted paste adds points; bounded anyway
        below, above, nviol = _violations(X, lower, upper)
        inside = nviol == 0
        n_box = int(inside.sum())
        s_box = int(y[inside].sum())
        step = max(1, math.ceil(alpha * n_box))
        best: tuple[float, int, int, float] | None = None  # density, side, j, new limit
        only_one = nviol == 1
        for j in range(k):  # dimensions and sides are few; the work inside is vectorised
            for side, limit, outside in ((0, lower[j], below[:, j]), (1, upper[j], above[:, j])):
                if not np.isfinite(limit):
                    continue
                cand = only_one & outside
                n_cand = int(cand.sum())
                if n_cand == 0:
                    continue
                xs = X[cand, j]
                if n_cand <= step:
                    new_limit = -np.inf if side == 0 else np.inf
                    added = cand
                else:
                    if side == 0:  # the `step` largest values below the lower limit
                        new_limit = float(np.partition(xs, n_cand - step)[n_cand - step])
                        added = cand & (X[:, j] >= new_limit)
                    else:
                        new_limit = float(np.partition(xs, step - 1)[step - 1])
                        added = cand & (X[:, j] <= new_limit)
                    # Pasting all remaining points of the side opens it.
                    if int(added.sum()) == n_cand:
                        new_limit = -np.inf if side == 0 else np.inf
                n_added = int(added.sum())
                density = (s_box + int(y[added].sum())) / (n_box + n_added)
                if best is None or density > best[0]:
                    best = (density, side, j, new_limit)
        if best is None or best[0] < s_box / n_box - 1e-12:
            break
        _, side, j, new_limit = best
        if side == 0:
            lower[j] = new_limit
        else:
            upper[j] = new_limit
    return lower, upper


def _quasi_p_values(
    X: FloatArray, y: BoolArray, lower: FloatArray, upper: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Quasi-p-values of each dimension's restriction and of each side's.

    Bryant and Lempert's value for dimension ``j``: the binomial probability of
    at least the box's number of cases among its points if their density were
    that of the box without dimension ``j``'s restriction. The per-side values
    drop only the lower (upper) limit. Unrestricted dimensions and open sides
    get 1.

    Returns ``(p_dimension, p_lower, p_upper)``, each ``(k,)``.
    """
    k = X.shape[1]
    below, above, nviol = _violations(X, lower, upper)
    inside = nviol == 0
    n_box = int(inside.sum())
    s_box = int(y[inside].sum())
    single = nviol == 1

    def p_value(wider: BoolArray) -> float:
        return float(binom.sf(s_box - 1, n_box, float(y[wider].mean())))

    p_dim, p_lower, p_upper = np.ones(k), np.ones(k), np.ones(k)
    for j in range(k):  # dimensions are few; each test is vectorised over points
        if np.isfinite(lower[j]):
            p_lower[j] = p_value(inside | (single & below[:, j]))
        if np.isfinite(upper[j]):
            p_upper[j] = p_value(inside | (single & above[:, j]))
        if np.isfinite(lower[j]) or np.isfinite(upper[j]):
            p_dim[j] = p_value(inside | (single & (below[:, j] | above[:, j])))
    return p_dim, p_lower, p_upper


# --------------------------------------------------------------------------
# PRIM
# --------------------------------------------------------------------------


def prim(
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    paste: bool = True,
    max_restricted: int = 3,
    min_coverage: float = 0.5,
    density_tolerance: float | None = None,
    max_quasi_p: float | None = 0.05,
) -> PrimResult:
    """PRIM: peel, select a box by the documented rule, prune, paste.

    Parameters
    ----------
    X : ``(n, k)`` numeric inputs (array or DataFrame; a DataFrame's columns
        give the names). Categorical columns are rejected.
    y : ``(n,)`` binary: True (1) for the cases of interest.
    names : the ``k`` parameter names (default the DataFrame's columns, or
        ``x0, x1, ...``).
    alpha : share of the box's points removed per peel (0.05 to 0.1 is usual;
        smaller is more patient and slower).
    min_mass : peeling stops before the box would hold less than this share of
        the points.
    paste : paste the selected box.
    max_restricted, min_coverage, density_tolerance : the selection rule; see
        :func:`select_box`.
    max_quasi_p : drop restrictions of the selected box whose quasi-p-value
        exceeds this (one side at a time, least significant first); None keeps
        them all.

    Returns
    -------
    :class:`PrimResult`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((4000, 3))
    >>> y = (X[:, 0] >= 0.5) & (X[:, 1] <= 0.5)
    >>> result = prim(X, y)
    >>> result.box.loc[result.box["restricted"], "parameter"].tolist()
    ['x0', 'x1']
    >>> bool(result.density > 0.95 and result.coverage > 0.9)
    True
    """
    arr, yb, names_t = _as_inputs(X, y, names)
    _check_fraction("alpha", alpha)
    if alpha >= 0.5:
        raise InputError(f"alpha must be below 0.5, got {alpha}")
    _check_fraction("min_mass", min_mass)
    if max_quasi_p is not None:
        _check_fraction("max_quasi_p", max_quasi_p, upper_open=False)
    n = arr.shape[0]
    total = int(yb.sum())

    lower, upper, counts, cases = _peel(arr, yb, alpha, min_mass)
    trajectory = _trajectory_frame(names_t, lower, upper, counts, cases, n, total)
    step = select_box(
        trajectory,
        max_restricted=max_restricted,
        min_coverage=min_coverage,
        density_tolerance=density_tolerance,
    )
    box_lo, box_hi = lower[step].copy(), upper[step].copy()
    dropped: list[str] = []
    if max_quasi_p is not None:
        while True:
            _, p_lower, p_upper = _quasi_p_values(arr, yb, box_lo, box_hi)
            sides = np.concatenate(
                [
                    np.where(np.isfinite(box_lo), p_lower, -1.0),
                    np.where(np.isfinite(box_hi), p_upper, -1.0),
                ]
            )
            worst = int(np.argmax(sides))
            if sides[worst] <= max_quasi_p:
                break
            j = worst % len(names_t)
            if worst < len(names_t):
                box_lo[j] = -np.inf
                dropped.append(f"lower_{names_t[j]}")
            else:
                box_hi[j] = np.inf
                dropped.append(f"upper_{names_t[j]}")
    pasted = False
    if paste and step > 0:
        new_lo, new_hi = _paste(arr, yb, box_lo, box_hi, alpha)
        pasted = not (np.array_equal(new_lo, box_lo) and np.array_equal(new_hi, box_hi))
        box_lo, box_hi = new_lo, new_hi
    inside = box_mask(arr, box_lo, box_hi)
    n_box = int(inside.sum())
    s_box = int(yb[inside].sum())
    restricted = np.isfinite(box_lo) | np.isfinite(box_hi)
    p_dim, p_lower, p_upper = _quasi_p_values(arr, yb, box_lo, box_hi)
    box = pd.DataFrame(
        {
            "parameter": list(names_t),
            "lower": box_lo,
            "upper": box_hi,
            "restricted": restricted,
            "quasi_p": p_dim,
            "quasi_p_lower": p_lower,
            "quasi_p_upper": p_upper,
        }
    )
    return PrimResult(
        names=names_t,
        trajectory=trajectory,
        lower=lower,
        upper=upper,
        selected_step=step,
        box=box,
        coverage=s_box / total,
        density=s_box / n_box,
        mass=n_box / n,
        n_points=n_box,
        n_restricted=int(restricted.sum()),
        base_density=total / n,
        pasted=pasted,
        dropped=tuple(dropped),
    )


def prim_stability(
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    n_resamples: int = 50,
    method: Literal["subsample", "bootstrap"] = "subsample",
    fraction: float = 0.5,
    seed: int | None = None,
    **prim_options: Any,
) -> PrimStability:
    """Resampling stability of the PRIM box.

    Runs :func:`prim` (same options) on ``n_resamples`` random subsamples of
    ``fraction`` of the points drawn without replacement (default; half-samples
    behave like the bootstrap without its duplicated points, which would
    create artificial ties) or on bootstrap resamples, and reports how often
    each parameter is restricted and the spread of its limits. A box worth
    reporting restricts the same parameters in most resamples with limits that
    move little. Each resample's box is also evaluated on the full data.

    Cost: ``n_resamples`` PRIM runs (one Python loop over resamples; each run
    is vectorised).

    Parameters
    ----------
    X, y, names : as for :func:`prim`.
    n_resamples : number of resamples.
    method : ``"subsample"`` (without replacement) or ``"bootstrap"``.
    fraction : subsample size as a share of the points (subsample only).
    seed : seed of the resampling.
    **prim_options : passed to :func:`prim` (``alpha``, ``min_mass``,
        ``paste``, ``max_restricted``, ``min_coverage``,
        ``density_tolerance``).

    Returns
    -------
    :class:`PrimStability`.
    """
    arr, yb, names_t = _as_inputs(X, y, names)
    if n_resamples < 2:
        raise InputError(f"n_resamples must be at least 2, got {n_resamples}")
    if method not in ("subsample", "bootstrap"):
        raise InputError(f"method must be 'subsample' or 'bootstrap', got {method!r}")
    _check_fraction("fraction", fraction)
    n, k = arr.shape
    rng = np.random.default_rng(seed)
    size = max(2, round(fraction * n)) if method == "subsample" else n
    total = int(yb.sum())
    full = prim(arr, yb, names=names_t, **prim_options)

    lowers = np.empty((n_resamples, k))
    uppers = np.empty((n_resamples, k))
    figures = np.empty((n_resamples, 3))
    for r in range(n_resamples):
        while True:
            pick = (
                rng.choice(n, size=size, replace=False)
                if method == "subsample"
                else rng.integers(0, n, size=n)
            )
            if yb[pick].any():
                break
        res = prim(arr[pick], yb[pick], names=names_t, **prim_options)
        lowers[r] = res.box_lower
        uppers[r] = res.box_upper
        inside = box_mask(arr, lowers[r], uppers[r])
        n_box = int(inside.sum())
        s_box = int(yb[inside].sum())
        figures[r] = (s_box / total, s_box / max(n_box, 1), n_box / n)

    lo_set = np.isfinite(lowers)
    hi_set = np.isfinite(uppers)
    restricted = lo_set | hi_set

    def spread(values: FloatArray, present: BoolArray) -> dict[str, FloatArray]:
        masked = np.where(present, values, np.nan)
        out: dict[str, FloatArray] = {}
        has = present.any(axis=0)
        for label, q in (("median", 0.5), ("q05", 0.05), ("q95", 0.95)):
            col = np.full(k, np.nan)
            if has.any():
                col[has] = np.nanquantile(masked[:, has], q, axis=0)
            out[label] = col
        return out

    lo_stats = spread(lowers, lo_set)
    hi_stats = spread(uppers, hi_set)
    summary = pd.DataFrame(
        {
            "parameter": list(names_t),
            "restricted_share": restricted.mean(axis=0),
            "lower_share": lo_set.mean(axis=0),
            "upper_share": hi_set.mean(axis=0),
            **{f"lower_{key}": value for key, value in lo_stats.items()},
            **{f"upper_{key}": value for key, value in hi_stats.items()},
            "full_box_restricted": full.box["restricted"].to_numpy(),
        }
    )
    boxes = pd.DataFrame(
        {
            "resample": np.arange(n_resamples),
            "coverage": figures[:, 0],
            "density": figures[:, 1],
            "mass": figures[:, 2],
            "n_restricted": restricted.sum(axis=1),
        }
    )
    limits = {}
    for j, name in enumerate(names_t):
        limits[f"lower_{name}"] = lowers[:, j]
        limits[f"upper_{name}"] = uppers[:, j]
    return PrimStability(summary=summary, boxes=pd.concat([boxes, pd.DataFrame(limits)], axis=1))
