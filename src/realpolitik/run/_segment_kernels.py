"""Sums of lists of rows (reach of nodes or edges, per draw), compiled.

Why compiled: the private-information outcomes (beliefs, type-conditional
probabilities, :func:`realpolitik.run.outcomes.extra_outcomes`) sum, for each
of thousands of lists, some of the ``(n, D)`` rows of reach probabilities.
In NumPy that is a gather of every listed row (a temporary as large as all
the lists together times the draws) and a ``reduceat``; on a tree of a few
thousand nodes it cost more than solving the game. Here each list's rows are
added into its output row in list order, one block of draws at a time, with
no temporary: the same additions in the same order as ``reduceat`` (which
adds a segment's rows one after the other), so the same bits, and blocks of
draws spread over the cores (:mod:`realpolitik.solve._threads`).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Draws (columns) per block of the parallel loop.
BLOCK = 512


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _sum_blocks(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    rows: FloatArray,
    index: IntArray,
    offsets: IntArray,
    out: FloatArray,
) -> None:
    """``out[k, cols] = sum of rows[index[offsets[k]:offsets[k + 1]], cols]``,
    rows added in list order, for the columns of blocks ``[first, last)``."""
    n_cols = rows.shape[1]
    lo = first_block * BLOCK
    hi = min(n_cols, last_block * BLOCK)
    for k in range(offsets.shape[0] - 1):
        j0 = offsets[k]
        j1 = offsets[k + 1]
        if j1 == j0:
            continue
        first = index[j0]
        for c in range(lo, hi):
            out[k, c] = rows[first, c]
        for j in range(j0 + 1, j1):
            i = index[j]
            for c in range(lo, hi):
                out[k, c] += rows[i, c]


def segment_sums(
    rows: FloatArray, lists: tuple[IntArray, ...], threads: int | None = None
) -> FloatArray:
    """``(len(lists), D)``: for each index list the sum of its rows of
    ``rows`` ``(n, D)``, added in list order (0 for an empty list)."""
    sizes = np.array([len(x) for x in lists], dtype=np.int64)
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(sizes)
    index = (
        np.concatenate([np.asarray(x, dtype=np.int64) for x in lists])
        if int(offsets[-1])
        else np.zeros(0, dtype=np.int64)
    )
    source = np.ascontiguousarray(rows, dtype=np.float64)
    out = np.zeros((len(lists), source.shape[1]))
    run_blocks(_sum_blocks, source.shape[1], BLOCK, (source, index, offsets, out), threads)
    return out
