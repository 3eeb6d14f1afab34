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

from realpolitik import kernel_cache
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
def _row_block_sums(  # pragma: no cover - compiled
    first_row: int, last_row: int, x_t: FloatArray, block: int, out: FloatArray
) -> None:
    """``out[b, k]``: ``0.0 + x_t[k, r0] + x_t[k, r0 + 1] + ...`` over the
    draws of block ``b`` (then ``+ 0.0`` for a short block's padding), for
    rows ``k`` in ``[first, last)`` of the draws-last ``x_t``."""
    n = x_t.shape[1]
    for k in range(first_row, last_row):
        row = x_t[k]
        for b in range(out.shape[0]):
            r0 = b * block
            r1 = min(n, r0 + block)
            total = 0.0
            for r in range(r0, r1):
                total += row[r]
            if r1 - r0 < block:
                total += 0.0
            out[b, k] = total


def row_block_sums(x_t: FloatArray, block: int, threads: int | None = None) -> FloatArray:
    """:func:`block_sums` of ``x_t.T`` for a draws-last ``x_t`` ``(w, D)``,
    ``w > 1`` (the outcomes come draws-last: no transposed copy)."""
    width, d = x_t.shape
    if width < 2:
        raise ValueError("block_sums needs at least two columns (NumPy sums one pairwise)")
    out = np.empty((-(-d // block), width))
    source = np.ascontiguousarray(x_t, dtype=np.float64)
    run_blocks(_row_block_sums, width, 1, (source, block, out), threads)
    return out


#: Draws per tile of :func:`_path_sums` (two cache lines of a draws-last
#: row: 8 draws spent twice as long reading, 64 as long again).
DRAWS_TILE = 16


@numba.njit(cache=True, boundscheck=False, nogil=True)
def _path_sums(  # pragma: no cover - compiled
    first_block: int,
    last_block: int,
    p_t: FloatArray,
    rows: FloatArray,
    per_draw: FloatArray,
    per_draw_inverse: NDArray[np.int64],
    block: int,
    expectation: FloatArray,
    weighted_sums: FloatArray,
    value_sums: FloatArray,
    modal: NDArray[np.int64],
    with_modal: bool,
) -> None:
    """For the blocks ``[first, last)`` of draws and each metric ``m``:
    ``expectation[d, m]`` the pairwise sum of ``p[d] * v_m[d]`` added to
    0.0, and the block sums of ``p * v_m`` and of ``v_m``, the metrics
    being the rows ``rows`` ``(R, 1, T)`` (a metric of the path alone, one
    row for every draw) then ``per_draw`` ``(V, D, U)`` read at
    ``per_draw_inverse`` ``(V, T)`` (metric ``v`` at terminal ``c`` of draw
    ``d`` is ``per_draw[v, d, per_draw_inverse[v, c]]``), all in one pass,
    from draws-last path probabilities ``p_t`` ``(T, D)`` (``p = p_t.T``),
    :data:`DRAWS_TILE` draws at a time; and each draw's modal path
    (NumPy's ``argmax``: the first largest, or the first NaN)."""
    t, n = p_t.shape
    n_rows = rows.shape[0]
    n_metrics = n_rows + per_draw.shape[0]
    tile = np.empty((DRAWS_TILE, t))
    best = np.empty(DRAWS_TILE)
    where = np.empty(DRAWS_TILE, dtype=np.int64)
    first_nan = np.empty(DRAWS_TILE, dtype=np.int64)
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
        for d0 in range(r0, r1, DRAWS_TILE):
            d1 = min(r1, d0 + DRAWS_TILE)
            # the tile's draws as rows, read once from the draws-last array,
            # and each draw's first largest path (or first NaN) on the way
            for d in range(d0, d1):
                best[d - d0] = p_t[0, d]
                where[d - d0] = 0
                first_nan[d - d0] = -1
            for c in range(t):
                for d in range(d0, d1):
                    x = p_t[c, d]
                    k = d - d0
                    tile[k, c] = x
                    if x > best[k]:
                        best[k] = x
                        where[k] = c
                    if x != x and first_nan[k] < 0:
                        first_nan[k] = c
            if with_modal:
                for d in range(d0, d1):
                    k = d - d0
                    modal[d] = first_nan[k] if first_nan[k] >= 0 else where[k]
            for m in range(n_metrics):
                w = weighted[m]
                s = summed[m]
                for d in range(d0, d1):
                    row = tile[d - d0]
                    if m < n_rows:
                        at = rows[m, 0]
                        for c in range(t):
                            x = row[c] * at[c]
                            product[c] = x
                            w[c] += x
                            s[c] += at[c]
                    else:
                        kept = per_draw[m - n_rows, d]
                        index = per_draw_inverse[m - n_rows]
                        for c in range(t):
                            value = kept[index[c]]
                            x = row[c] * value
                            product[c] = x
                            w[c] += x
                            s[c] += value
                    expectation[d, m] = 0.0 + _pairwise(product, t, stack, partial)
        if r1 - r0 < block:
            for m in range(n_metrics):
                for c in range(t):
                    weighted[m, c] += 0.0
                    summed[m, c] += 0.0


def path_sums(
    p_t: FloatArray,
    values: FloatArray,
    block: int,
    threads: int | None = None,
    *,
    with_modal: bool = True,
    per_draw: FloatArray | None = None,
    per_draw_inverse: NDArray[np.int64] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int64]]:
    """``(expectation (D, M), weighted (blocks, M, T), summed (blocks, M, T),
    modal (D,))`` for draws-last path probabilities ``p_t`` ``(T, D)``
    (``p = p_t.T``) and metric values ``values`` ``(M, 1 or D, T)`` (no
    metric: ``(0, 1, T)``), then, if given, the metrics of ``per_draw``
    ``(V, D, T)`` (so that rows and per-draw values share one pass): as
    NumPy's ``(p * v).sum(axis=1)`` per draw, the :func:`block_sums` of ``p
    * v`` and of ``v`` broadcast to ``(D, T)``, and (``with_modal``, else
    zeros) ``np.argmax(p, axis=1)``. ``per_draw_inverse`` ``(V, T)``: the
    per-draw metrics come as values per combination ``(V, D, U)``, metric
    ``v`` at terminal ``c`` being ``per_draw[v, :, per_draw_inverse[v, c]]``
    (the metrics a compiled scenario evaluates per combination of actions,
    not gathered to every terminal first)."""
    t, d = p_t.shape
    blocks = -(-d // block)
    values = np.asarray(values, dtype=np.float64)
    if values.shape[1] > 1:  # per draw: no rows
        if per_draw is not None:
            if per_draw_inverse is not None:
                raise ValueError("per-draw values per combination need one-row values")
            values = np.concatenate([values, per_draw])
        values, per_draw = np.zeros((0, 1, t)), values
    elif per_draw is None:
        per_draw = np.zeros((0, d, t))
    if per_draw_inverse is None:
        per_draw_inverse = np.broadcast_to(np.arange(t, dtype=np.int64), (per_draw.shape[0], t))
    n_metrics = values.shape[0] + per_draw.shape[0]
    expectation = np.empty((d, n_metrics))
    weighted = np.empty((blocks, n_metrics, t))
    summed = np.empty((blocks, n_metrics, t))
    modal = np.zeros(d, dtype=np.int64)
    run_blocks(
        _path_sums,
        blocks,
        1,
        (
            np.ascontiguousarray(p_t, dtype=np.float64),
            np.ascontiguousarray(values, dtype=np.float64),
            np.ascontiguousarray(per_draw, dtype=np.float64),
            np.ascontiguousarray(per_draw_inverse, dtype=np.int64),
            block,
            expectation,
            weighted,
            summed,
            modal,
            with_modal,
        ),
        threads,
    )
    return expectation, weighted, summed, modal


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
