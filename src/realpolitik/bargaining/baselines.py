"""The two baselines every bargaining forecast is reported beside.

Why this module exists: on real EU legislative outcomes the capability x
salience weighted mean of the initial positions is as accurate as the
expected-utility model or KTAB's SMP (Arregui and Perarnaud 2021 data; see
``docs/bargaining-eum.md``), so a model's forecast is never shown without the
weighted mean and the weighted median of the initial positions beside it.

Median convention: the weighted median is the smallest position at which the
cumulative weight (positions sorted ascending) reaches half of the total; when
the cumulative weight equals exactly half (relative tolerance 1e-12) at a
position, every point between it and the next higher position is a median, and
the midpoint of that interval is returned (as the ordinary median of an even
number of values).

References
----------
Achen, C. H. (2006). Evaluating political decision-making models. In Thomson
et al. (eds), *The European Union Decides*, ch. 10 (the weighted mean and
median as benchmarks). Cambridge University Press.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from realpolitik.bargaining.types import BargainingProblem, FloatArray

_TIE_RTOL = 1e-12


def weighted_mean(position: ArrayLike, weight: ArrayLike, axis: int = -1) -> FloatArray:
    """sum_k w_k x_k / sum_k w_k along ``axis`` (broadcasting ``weight``).

    Examples
    --------
    >>> float(weighted_mean([0.0, 10.0], [1.0, 3.0]))
    7.5
    """
    x = np.asarray(position, dtype=np.float64)
    w = np.broadcast_to(np.asarray(weight, dtype=np.float64), x.shape)
    return np.asarray(np.sum(w * x, axis=axis) / np.sum(w, axis=axis), dtype=np.float64)


def weighted_median(position: ArrayLike, weight: ArrayLike, axis: int = -1) -> FloatArray:
    """The weighted median along ``axis`` (see the module docstring for ties).

    Parameters
    ----------
    position : positions, the actors along ``axis``.
    weight : non-negative weights, broadcastable to ``position``.
    axis : the actor axis.

    Returns
    -------
    The medians, with ``axis`` removed. O(N log N) per row.

    Examples
    --------
    >>> float(weighted_median([0.0, 10.0, 20.0], [1.0, 1.0, 3.0]))
    20.0
    >>> float(weighted_median([0.0, 10.0], [1.0, 1.0]))  # an exact split: the midpoint
    5.0
    """
    x = np.moveaxis(np.asarray(position, dtype=np.float64), axis, -1)
    w = np.broadcast_to(
        np.moveaxis(
            np.broadcast_to(np.asarray(weight, dtype=np.float64), np.shape(position)), axis, -1
        ),
        x.shape,
    )
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    ws = np.take_along_axis(w, order, axis=-1)
    cum = np.cumsum(ws, axis=-1)
    half = 0.5 * cum[..., -1:]
    tol = _TIE_RTOL * np.abs(cum[..., -1:])
    k = np.argmax(cum >= half - tol, axis=-1)[..., None]
    at_k = np.take_along_axis(xs, k, axis=-1)
    exact = np.abs(np.take_along_axis(cum, k, axis=-1) - half) <= tol
    nxt = np.take_along_axis(xs, np.minimum(k + 1, xs.shape[-1] - 1), axis=-1)
    med = np.where(exact, 0.5 * (at_k + nxt), at_k)[..., 0]
    return np.asarray(med, dtype=np.float64)


def baselines(problem: BargainingProblem) -> dict[str, FloatArray]:
    """Weighted mean and weighted median of the initial positions, per dimension.

    Weights are capability x salience.

    Returns
    -------
    {"weighted_mean": (D,), "weighted_median": (D,)} on the input's scale.
    """
    x = np.asarray(problem.position, dtype=np.float64)  # (N, D)
    w = np.asarray(problem.capability, dtype=np.float64)[:, None] * np.asarray(
        problem.salience, dtype=np.float64
    )
    return {
        "weighted_mean": weighted_mean(x, w, axis=0),
        "weighted_median": weighted_median(x, w, axis=0),
    }
