"""The block sums and per-draw expectations of a forecast's reduction,
compiled, the same bits as the NumPy sums they replace.

Why compiled: reducing a slice of draws (:func:`realpolitik.analysis.forecast_summary.reduce_chunk`)
summed, for each metric, ``(D, T)`` arrays built for the purpose: the metric
copied out of its broadcast row (a metric of the path alone is one row),
its product with the path probabilities, that product's row sums and both
arrays' sums over each block of draws; on the flagship (2048 paths, 7
metrics) that moved about 30 arrays of 16 MB per 1024 draws and took a
sixth of a forecast. Here one pass over each row of path probabilities
computes every metric's product, row sum and block sums, without
temporaries.

The same bits as NumPy (the stored block sums are compared bit for bit when
a ``--keep summary`` run is read back): a sum over a block's draws adds the
rows one after the other from 0.0 (as NumPy reduces the middle axis of a
``(blocks, BLOCK, w)`` array with ``w > 1``; a short last block is padded
with zero rows), and a row sum over the paths is NumPy's pairwise summation
(``pairwise_sum`` in NumPy's ``loops_utils.h.src``: blocks of at most 128
values summed with eight accumulators, halves above that) added to 0.0;
both are checked against NumPy in ``tests/analysis/test_block_sums.py``.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from realpolitik.solve._threads import run_blocks

FloatArray = NDArray[np.float64]

#: Columns per tile of the parallel loop of :func:`block_sums`.
TILE = 64


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _pairwise_leaf(a: FloatArray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``a[lo:lo + n]`` for ``n <= 128``: in turn
    for fewer than 8 values, else eight accumulators and the rest in turn."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = lo + 8
    stop = lo + n - n % 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    out: float = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        out += a[i]
        i += 1
    return out


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _pairwise(
    a: FloatArray, n: int, stack: NDArray[np.int64], partial: FloatArray
) -> float:  # pragma: no cover - compiled
    """NumPy's pairwise sum of ``a[:n]``: above 128 values, the sum of the
    two halves (the first rounded down to a multiple of 8), each summed the
    same way. Without recursion (numba cannot cache a recursive function):
    ``stack`` ``(64, 3)`` holds the ranges to do (start, length, stage),
    ``partial`` ``(64,)`` the sums done."""
    if n <= 128:
        return _pairwise_leaf(a, 0, n)
    top = 0
    stack[0, 0] = 0
    stack[0, 1] = n
    stack[0, 2] = 0
    done = 0
    while top >= 0:
        lo = stack[top, 0]
        size = stack[top, 1]
        if size <= 128:
            partial[done] = _pairwise_leaf(a, lo, size)
            done += 1
            top -= 1
            continue
        half = size // 2
        half -= half % 8
        stage = stack[top, 2]
        if stage == 0:
            stack[top, 2] = 1
            top += 1
            stack[top, 0] = lo
            stack[top, 1] = half
            stack[top, 2] = 0
        elif stage == 1:
            stack[top, 2] = 2
            top += 1
            stack[top, 0] = lo + half
            stack[top, 1] = size - half
            stack[top, 2] = 0
        else:
            done -= 1
            partial[done - 1] = partial[done - 1] + partial[done]
            top -= 1
    total: float = partial[0]
    return total


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _block_sums(  # pragma: no cover - compiled
    first_tile: int, last_tile: int, x: FloatArray, block: int, out: FloatArray
) -> None:
    """``out[b, c]``: ``0.0 + x[r0, c] + x[r0 + 1, c] + ...`` over the rows
    of block ``b`` (then ``+ 0.0`` for a short block's padding), for the
    columns of tiles ``[first, last)``."""
    n = x.shape[0]
    c0 = first_tile * TILE
    c1 = min(x.shape[1], last_tile * TILE)
    for b in range(out.shape[0]):
        r0 = b * block
        r1 = min(n, r0 + block)
        for c in range(c0, c1):
            out[b, c] = 0.0
        for r in range(r0, r1):
            for c in range(c0, c1):
                out[b, c] += x[r, c]
        if r1 - r0 < block:
            for c in range(c0, c1):
                out[b, c] += 0.0


def block_sums(x: FloatArray, block: int, threads: int | None = None) -> FloatArray:
    """``(blocks, w)`` sums of ``x`` ``(D, w)``, ``w > 1``, over consecutive
    blocks of ``block`` rows (the last padded with zeros), as NumPy's
    ``x_padded.reshape(blocks, block, w).sum(axis=1)``."""
    d, width = x.shape
    if width < 2:
        raise ValueError("block_sums needs at least two columns (NumPy sums one pairwise)")
    out = np.empty((-(-d // block), width))
    source = np.ascontiguousarray(x, dtype=np.float64)
    run_blocks(_block_sums, width, TILE, (source, block, out), threads)
    return out


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _metric_sums(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    p: FloatArray,
    values: FloatArray,
    block: int,
    expectation: FloatArray,
    weighted_sums: FloatArray,
    value_sums: FloatArray,
) -> None:
    """For the blocks ``[first, last)`` of draws and each metric ``m``:
    ``expectation[d, m]`` the pairwise sum of ``p[d] * values[m, d]`` added
    to 0.0, and the block sums of ``p * values[m]`` and of ``values[m]``
    (``values`` ``(M, 1 or D, T)``: one row for a metric of the path alone)."""
    n, t = p.shape
    n_metrics = values.shape[0]
    vary = values.shape[1] > 1
    product = np.empty(t)
    stack = np.empty((64, 3), dtype=np.int64)
    partial = np.empty(64)
    for b in range(first_block, last_block):
        r0 = b * block
        r1 = min(n, r0 + block)
        weighted = weighted_sums[b]
        summed = value_sums[b]
        weighted[:, :] = 0.0
        summed[:, :] = 0.0
        for d in range(r0, r1):
            row = p[d]
            for m in range(n_metrics):
                at = values[m, d] if vary else values[m, 0]
                w = weighted[m]
                s = summed[m]
                for c in range(t):
                    x = row[c] * at[c]
                    product[c] = x
                    w[c] += x
                    s[c] += at[c]
                expectation[d, m] = 0.0 + _pairwise(product, t, stack, partial)
        if r1 - r0 < block:
            for m in range(n_metrics):
                for c in range(t):
                    weighted[m, c] += 0.0
                    summed[m, c] += 0.0


def metric_sums(
    p: FloatArray, values: FloatArray, block: int, threads: int | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(expectation (D, M), weighted (blocks, M, T), summed (blocks, M, T))``
    for path probabilities ``p`` ``(D, T)`` and metric values ``values``
    ``(M, 1 or D, T)``: as NumPy's ``(p * v).sum(axis=1)`` per draw and the
    :func:`block_sums` of ``p * v`` and of ``v`` broadcast to ``(D, T)``."""
    d, t = p.shape
    blocks = -(-d // block)
    n_metrics = values.shape[0]
    expectation = np.empty((d, n_metrics))
    weighted = np.empty((blocks, n_metrics, t))
    summed = np.empty((blocks, n_metrics, t))
    run_blocks(
        _metric_sums,
        blocks,
        1,
        (
            np.ascontiguousarray(p, dtype=np.float64),
            np.ascontiguousarray(values, dtype=np.float64),
            block,
            expectation,
            weighted,
            summed,
        ),
        threads,
    )
    return expectation, weighted, summed
