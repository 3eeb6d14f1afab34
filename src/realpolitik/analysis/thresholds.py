"""Single-parameter tipping points: where, moving one parameter with the others
held at their central values, a classification (say, the most likely choice of
the third state) flips.

Why this module exists: "what would change its mind?" has a one-line answer
when a single parameter suffices: "China switches from neutrality to covert
help when the value of the partnership exceeds 0.62 (its 71st percentile)".
PRIM (:mod:`realpolitik.analysis.prim`) finds regions where several parameters
act together; this module finds the exact flip points along each axis through
the central point, the one-parameter analogue of a bifurcation diagram.

Algorithm: every parameter is swept on a grid that is uniform in its quantile
between ``low_q`` and ``high_q`` (so the grid is fine where the distribution
has mass), all ``k * n_grid`` points classified in one call; every grid cell
whose end labels differ is then bisected in quantile, all cells at once, until
the bracket is narrower than ``tol`` times the parameter's swept range (or
cannot be split). Bisecting in quantile rather than in value gives the flip's
quantile exactly and handles discrete parameters, whose inverse CDF is a step
function: the bracket then closes on the jump between two support points.
When a cell holds two flips (A to B to C) both are found: after the first
bisection the rest of the cell is bisected again. Two flips that cancel inside
one cell (A to B and back to A) are invisible at that grid resolution; raise
``n_grid`` if that is a concern. Cost: ``k * n_grid`` classifications plus
about ``log2(1 / (n_grid * tol))`` rounds of one classification per flip.

The inverse CDF must act column by column (independent marginals), as for
:mod:`realpolitik.analysis.sensitivity`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from realpolitik.analysis.sensitivity import (
    U_EPS,
    Ppf,
    central_values,
    check_names,
    map_uniforms,
)
from realpolitik.errors import InputError
from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: A vectorised classifier: values ``(n, k)`` to one label per row ``(n,)``.
Classifier = Callable[[FloatArray], ArrayLike]

#: Quantile brackets narrower than this are not split further.
_U_RESOLUTION = 1e-13


def _classify(g: Classifier, X: FloatArray) -> NDArray[np.generic]:
    labels = np.asarray(g(X)).astype(object)  # object: string labels never truncate
    if labels.shape != (X.shape[0],):
        raise InputError(
            f"the classifier returned shape {labels.shape} for {X.shape[0]} points; "
            "it must return one label per row"
        )
    return labels


def flip_thresholds(
    classify: Classifier,
    names: Sequence[str],
    ppf: Ppf,
    central: ArrayLike | None = None,
    *,
    low_q: float = 0.001,
    high_q: float = 0.999,
    n_grid: int = 201,
    tol: float = 1e-6,
    max_rounds: int = 20,
) -> pd.DataFrame:
    """Values of each parameter, alone, at which the classification flips.

    Parameters
    ----------
    classify : vectorised classifier, ``(n, k) -> (n,)`` labels (any dtype
        with ``==``, e.g. action indices or names).
    names : the ``k`` parameter names, in ``ppf``'s column order.
    ppf : vectorised inverse CDF, ``(n, k) -> (n, k)``, column by column.
    central : ``(k,)`` values of the parameters not being moved; default the
        medians.
    low_q, high_q : the swept range of every parameter, in quantiles
        (``0 <= low_q < high_q <= 1``; 0 and 1 are taken ``1e-12`` inside).
    n_grid : grid points per parameter (at least 2).
    tol : the bisection stops when the value bracket is at most ``tol`` times
        the parameter's swept range ``ppf(high_q) - ppf(low_q)``.
    max_rounds : bound on re-bisections of cells holding several flips.

    Returns
    -------
    DataFrame with one row per flip: ``parameter``, ``value`` (midpoint of
    the bracket), ``quantile`` (of ``value`` in the parameter's
    distribution, midpoint of the quantile bracket), ``from_label`` and
    ``to_label`` (below and above the flip as the parameter increases),
    ``value_low`` and ``value_high`` (the bracket: for a discrete parameter,
    the two neighbouring support points), ``side`` (``"below"`` or
    ``"above"`` the parameter's central value). Rows are ordered by
    parameter (given order), then value. A parameter with no flip in its
    range has no row; a fixed parameter never flips.

    Examples
    --------
    >>> import numpy as np
    >>> g = lambda X: np.where(X[:, 0] + X[:, 1] > 1.2, "war", "peace")
    >>> df = flip_thresholds(g, ["a", "b"], lambda u: u, [0.5, 0.5])
    >>> df[["parameter", "from_label", "to_label"]].values.tolist()
    [['a', 'peace', 'war'], ['b', 'peace', 'war']]
    >>> df["value"].round(4).tolist()
    [0.7, 0.7]
    """
    names_t = check_names(names)
    k = len(names_t)
    if not 0.0 <= low_q < high_q <= 1.0:
        raise InputError(f"need 0 <= low_q < high_q <= 1, got low_q={low_q}, high_q={high_q}")
    if n_grid < 2:
        raise InputError(f"n_grid must be at least 2, got {n_grid}")
    if not 0.0 < tol < 1.0:
        raise InputError(f"tol must lie strictly between 0 and 1, got {tol}")
    center = central_values(ppf, names_t, central)
    require_bytes("threshold sweep", (k * n_grid, k), hint="use a smaller n_grid")

    u_lo = max(low_q, U_EPS)
    u_hi = min(high_q, 1.0 - U_EPS)
    u_grid = np.linspace(u_lo, u_hi, n_grid)
    grid_values = map_uniforms(ppf, np.repeat(u_grid[:, None], k, axis=1), names_t)  # (n_grid, k)
    scale = grid_values[-1] - grid_values[0]  # (k,)

    # One block of n_grid rows per parameter, that parameter varying.
    X = np.tile(center, (k * n_grid, 1))
    param_of_row = np.repeat(np.arange(k), n_grid)
    X[np.arange(k * n_grid), param_of_row] = grid_values.T.ravel()
    labels = _classify(classify, X).reshape(k, n_grid)

    def values_at(params: IntArray, u: FloatArray) -> FloatArray:
        """Value of parameter ``params[i]`` at quantile ``u[i]``."""
        full = map_uniforms(ppf, np.repeat(u[:, None], k, axis=1), names_t)
        out: FloatArray = full[np.arange(params.size), params]
        return out

    def classify_at(params: IntArray, values: FloatArray) -> NDArray[np.generic]:
        points = np.tile(center, (params.size, 1))
        points[np.arange(params.size), params] = values
        return _classify(classify, points)

    # Cells whose end labels differ.
    change = labels[:, 1:] != labels[:, :-1]
    p_idx, c_idx = np.nonzero(change)
    params = p_idx.astype(np.intp)
    ul = u_grid[c_idx]
    ur = u_grid[c_idx + 1]
    lab_l = labels[p_idx, c_idx]
    lab_r = labels[p_idx, c_idx + 1]
    end_u = ur.copy()
    end_lab = lab_r.copy()

    found: list[tuple[int, float, float, object, object, float, float]] = []
    for _ in range(max_rounds):
        if params.size == 0:
            break
        vl = values_at(params, ul)
        vr = values_at(params, ur)
        active = ((vr - vl) > tol * scale[params]) & ((ur - ul) > _U_RESOLUTION)
        while active.any():
            a = np.flatnonzero(active)
            um = 0.5 * (ul[a] + ur[a])
            vm = values_at(params[a], um)
            lm = classify_at(params[a], vm)
            same = lm == lab_l[a]
            left, right = a[same], a[~same]
            ul[left], vl[left] = um[same], vm[same]
            ur[right], vr[right], lab_r[right] = um[~same], vm[~same], lm[~same]
            active = ((vr - vl) > tol * scale[params]) & ((ur - ul) > _U_RESOLUTION)
        for i in range(params.size):
            found.append(
                (
                    int(params[i]),
                    0.5 * (vl[i] + vr[i]),
                    0.5 * (ul[i] + ur[i]),
                    lab_l[i],
                    lab_r[i],
                    float(vl[i]),
                    float(vr[i]),
                )
            )
        # A cell with several flips: the rest of it, from the flip found to the cell's end.
        more = (lab_r != end_lab) & (end_u - ur > _U_RESOLUTION)
        params, ul, ur = params[more], ur[more].copy(), end_u[more].copy()
        lab_l, lab_r = lab_r[more].copy(), end_lab[more].copy()
        end_u, end_lab = end_u[more], end_lab[more]

    found.sort(key=lambda row: (row[0], row[1]))
    frame = pd.DataFrame(
        {
            "parameter": pd.Series([names_t[r[0]] for r in found], dtype=object),
            "value": pd.Series([r[1] for r in found], dtype=float),
            "quantile": pd.Series([r[2] for r in found], dtype=float),
            "from_label": pd.Series([r[3] for r in found], dtype=object),
            "to_label": pd.Series([r[4] for r in found], dtype=object),
            "value_low": pd.Series([r[5] for r in found], dtype=float),
            "value_high": pd.Series([r[6] for r in found], dtype=float),
            "side": pd.Series(
                ["below" if r[1] < center[r[0]] else "above" for r in found], dtype=object
            ),
        }
    )
    return frame
