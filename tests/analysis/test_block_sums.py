"""The compiled sums of a forecast's reduction (:mod:`realpolitik.analysis._block_sums`)
against NumPy's own sums of the same numbers, bit for bit: the stored block
sums of a run are compared bit for bit when it is read back."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.analysis._block_sums import block_sums, metric_sums


def _numpy_block_sum(x: np.ndarray, block: int) -> np.ndarray:
    d, width = x.shape
    blocks = -(-d // block)
    padded = np.zeros((blocks * block, width))
    padded[:d] = x
    out: np.ndarray = padded.reshape(blocks, block, width).sum(axis=1)
    return out


def _values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values of many magnitudes and both signs (so that the order of the
    additions shows in the last bits), with some exact zeros of both signs."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)
    x[rng.random(shape) < 0.05] = -0.0
    x[rng.random(shape) < 0.05] = 0.0
    return x


@pytest.mark.parametrize("rows", [1, 5, 64, 100, 257])
@pytest.mark.parametrize("width", [2, 3, 28, 65, 130])
def test_block_sums_are_numpys_sums_over_the_middle_axis(rows: int, width: int) -> None:
    rng = np.random.default_rng(rows * 1000 + width)
    x = _values(rng, (rows, width))
    x[:, 0] = -0.0  # a column of negative zeros sums to 0.0 in NumPy
    for threads in (1, 2):
        got = block_sums(x, 64, threads=threads)
        assert got.tobytes() == _numpy_block_sum(x, 64).tobytes()


def test_block_sums_refuse_a_single_column() -> None:
    with pytest.raises(ValueError, match="two columns"):
        block_sums(np.zeros((4, 1)), 2)


@pytest.mark.parametrize("paths", [2, 7, 8, 28, 127, 128, 129, 1000, 2048, 3072])
@pytest.mark.parametrize("one_row", [True, False])
def test_metric_sums_are_numpys_row_and_block_sums(paths: int, one_row: bool) -> None:
    """Expectations as NumPy's pairwise ``(p * v).sum(axis=1)``, block sums
    as :func:`_numpy_block_sum` of ``p * v`` and of ``v`` broadcast."""
    rng = np.random.default_rng(paths)
    draws, block = 150, 64
    p = rng.random((draws, paths)) * 10.0 ** rng.integers(-6, 1, (draws, paths))
    values = _values(rng, (3, 1 if one_row else draws, paths))
    for threads in (1, 2):
        expectation, weighted, summed = metric_sums(p, values, block, threads=threads)
        for m in range(values.shape[0]):
            at = np.ascontiguousarray(np.broadcast_to(values[m], (draws, paths)))
            product = p * at
            assert expectation[:, m].tobytes() == product.sum(axis=1).tobytes()
            assert weighted[:, m].tobytes() == _numpy_block_sum(product, block).tobytes()
            assert summed[:, m].tobytes() == _numpy_block_sum(at, block).tobytes()
