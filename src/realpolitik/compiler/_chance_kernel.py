"""A chance move's outcome probabilities written into a game's ``(D, chance
edges)`` array, checked and clipped, in one compiled pass per move.

Why compiled: in NumPy each outcome's values per action combination were
gathered to every node of the move, ``(D, nodes)``, added into a total,
written through the edges' columns and checked for range and sum, each a
pass of its own over arrays of the flagship's 512 signal nodes: 12 ms per
1024 draws. Here one pass per draw reads each value through its
combination, writes it, adds it and checks it.

The same numbers as those passes: the total of a node is ``0.0 + p_1 + p_2
+ ...`` in outcome order, a value out of ``[-tol, 1 + tol]`` or a total
more than ``tol`` from 1 fails the check, and a value is written clipped to
``[0, 1]`` (``np.clip``). On a failure the caller locates and reports it
(:meth:`realpolitik.compiler.scenario_tree.CompiledScenario.chance_probabilities`).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik import kernel_cache

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@numba.njit(cache=True, boundscheck=False, nogil=True)
def fill_chance(  # pragma: no cover - compiled
    values: FloatArray,
    inverse: IntArray,
    columns: IntArray,
    tol: float,
    out: FloatArray,
) -> bool:
    """Write ``out[d, columns[k, n]] = clip(values[k, d or 0, inverse[k, n]])``
    for every draw ``d``, outcome ``k`` and node ``n`` (``values`` ``(K, 1 or
    D, U)``); False if a value lies outside ``[-tol, 1 + tol]`` or a node's
    outcomes do not sum to 1 within ``tol``."""
    n_outcomes = values.shape[0]
    per_draw = values.shape[1] > 1
    n_nodes = inverse.shape[1]
    fine = True
    for d in range(out.shape[0]):
        row = out[d]
        at = d if per_draw else 0
        for n in range(n_nodes):
            total = 0.0
            for k in range(n_outcomes):
                v = values[k, at, inverse[k, n]]
                if not (v >= -tol and v <= 1.0 + tol):
                    fine = False
                total = total + v
                # np.clip's result, -0.0 included
                clipped = v if v >= 0.0 else 0.0
                row[columns[k, n]] = clipped if clipped <= 1.0 else 1.0
            if not abs(total - 1.0) <= tol:
                fine = False
    return fine


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
