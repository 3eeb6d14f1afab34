"""Correlation matrices of parameters: built from pairwise values and checked.

Why a module of its own: the scenario loader checks a file's declared
correlations (without importing the samplers and SciPy's quasi-Monte Carlo
code), and :class:`~realpolitik.uncertainty.sampling.Sampler` uses the same
checks for its Gaussian copula (see that module's docstring for how the matrix
is used).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError

FloatArray = NDArray[np.float64]

#: Tolerance of the symmetry, diagonal and positive semi-definiteness checks.
TOLERANCE = 1e-10


def validate_correlation(
    matrix: ArrayLike,
    names: Sequence[str],
    fixed: Sequence[bool] | None = None,
) -> FloatArray:
    """Check a correlation matrix and return it cleaned (exactly symmetric, unit diagonal).

    Parameters
    ----------
    matrix : k x k, rows and columns in the order of ``names``.
    names : the parameters, for messages.
    fixed : which parameters are fixed (their off-diagonal entries must be 0).

    Returns
    -------
    The k x k float64 matrix, symmetrised, diagonal set to 1.

    Raises
    ------
    InputError
        With the reason: wrong shape, not a number, not symmetric, diagonal not
        1, an entry outside [-1, 1], a fixed parameter correlated, or not
        positive semi-definite (with its smallest eigenvalue and the
        parameters most involved).
    """
    k = len(names)
    try:
        c = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"correlation matrix must be a {k} x {k} table of numbers "
            f"(rows and columns in the order {', '.join(names)})"
        ) from None
    if c.shape != (k, k):
        shape = " x ".join(str(s) for s in c.shape) or "a single number"
        raise InputError(
            f"correlation matrix is {shape}; it must be {k} x {k}, one row and one column "
            f"per parameter in the order {', '.join(names)}"
        )
    if not np.isfinite(c).all():
        i, j = (int(x) for x in np.argwhere(~np.isfinite(c))[0])
        raise InputError(
            f"correlation between {names[i]} and {names[j]} is {c[i, j]}; give a number in [-1, 1]"
        )
    diag = np.abs(np.diag(c) - 1.0)
    if diag.max(initial=0.0) > TOLERANCE:
        i = int(np.argmax(diag))
        raise InputError(
            f"correlation matrix has {c[i, i]:g} on the diagonal for {names[i]}; "
            "a parameter's correlation with itself is 1"
        )
    asym = np.abs(c - c.T)
    if asym.max(initial=0.0) > TOLERANCE:
        i, j = (int(x) for x in np.unravel_index(int(np.argmax(asym)), asym.shape))
        raise InputError(
            f"correlation matrix is not symmetric: ({names[i]}, {names[j]}) is {c[i, j]:g} "
            f"but ({names[j]}, {names[i]}) is {c[j, i]:g}; give the same value for both"
        )
    outside = np.abs(c) > 1.0 + TOLERANCE
    if outside.any():
        i, j = (int(x) for x in np.argwhere(outside)[0])
        raise InputError(
            f"correlation between {names[i]} and {names[j]} is {c[i, j]:g}, outside [-1, 1]"
        )
    c = 0.5 * (c + c.T)
    np.fill_diagonal(c, 1.0)
    c = np.clip(c, -1.0, 1.0)
    if fixed is not None:
        for i, is_fixed in enumerate(fixed):
            if is_fixed:
                others = np.flatnonzero((c[i] != 0.0) & (np.arange(k) != i))
                if others.size:
                    j = int(others[0])
                    raise InputError(
                        f"{names[i]} is fixed, so it cannot be correlated (with {names[j]}: "
                        f"{c[i, j]:g}); set its correlations to 0 or give it a distribution"
                    )
    eigenvalues, vectors = np.linalg.eigh(c)
    if eigenvalues[0] < -TOLERANCE:
        weight = np.abs(vectors[:, 0])
        involved = [names[i] for i in np.argsort(-weight)[:3] if weight[i] > 0.1]
        raise InputError(
            f"correlation matrix is not positive semi-definite (smallest eigenvalue "
            f"{eigenvalues[0]:.3g} < 0): the correlations among {', '.join(involved)} "
            "contradict each other; weaken them, or compute the matrix from data"
        )
    c.setflags(write=False)
    return c


def correlation_matrix(names: Sequence[str], pairs: Mapping[tuple[str, str], float]) -> FloatArray:
    """A correlation matrix from pairwise values, all other pairs 0.

    Parameters
    ----------
    names : the parameters, in the sampler's order.
    pairs : ``{(a, b): rho}``; ``(b, a)`` may be given too if it agrees.

    Returns
    -------
    The k x k matrix (not yet checked for positive semi-definiteness; the
    :class:`Sampler` does that).

    Examples
    --------
    >>> correlation_matrix(["a", "b"], {("a", "b"): 0.5}).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    index = {name: i for i, name in enumerate(names)}
    c = np.eye(len(names))
    given: dict[tuple[int, int], float] = {}
    for (a, b), rho in pairs.items():
        for name in (a, b):
            if name not in index:
                close = difflib.get_close_matches(name, list(index), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                raise InputError(f"correlation names unknown parameter `{name}`{hint}")
        if a == b:
            raise InputError(
                f"correlation of {a} with itself is always 1; list pairs of different parameters"
            )
        key = (min(index[a], index[b]), max(index[a], index[b]))
        value = float(rho)
        if key in given and given[key] != value:
            raise InputError(
                f"correlation between {a} and {b} given twice ({given[key]:g} and {value:g}); "
                "keep one"
            )
        given[key] = value
        c[key] = c[key[::-1]] = value
    return c
