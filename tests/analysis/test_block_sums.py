"""The compiled sums of a forecast's reduction (:mod:`realpolitik.analysis._block_sums`)
against NumPy's own sums of the same numbers, bit for bit: the stored block
sums of a run are compared bit for bit when it is read back."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.analysis._block_sums import block_sums, path_sums, row_block_sums


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
    """Draws first (``block_sums``) and draws last (``row_block_sums``)."""
    rng = np.random.default_rng(rows * 1000 + width)
    x = _values(rng, (rows, width))
    x[:, 0] = -0.0  # a column of negative zeros sums to 0.0 in NumPy
    expected = _numpy_block_sum(x, 64).tobytes()
    for threads in (1, 2):
        assert block_sums(x, 64, threads=threads).tobytes() == expected
        assert row_block_sums(np.ascontiguousarray(x.T), 64, threads=threads).tobytes() == expected


def test_block_sums_refuse_a_single_column() -> None:
    with pytest.raises(ValueError, match="two columns"):
        block_sums(np.zeros((4, 1)), 2)
    with pytest.raises(ValueError, match="two columns"):
        row_block_sums(np.zeros((1, 4)), 2)


@pytest.mark.parametrize("paths", [2, 7, 8, 28, 127, 128, 129, 1000, 2048, 3072])
@pytest.mark.parametrize("one_row", [True, False])
def test_path_sums_are_numpys_row_and_block_sums(paths: int, one_row: bool) -> None:
    """Expectations as NumPy's pairwise ``(p * v).sum(axis=1)``, block sums
    as :func:`_numpy_block_sum` of ``p * v`` and of ``v`` broadcast, modal
    paths as ``np.argmax`` (with ties), from draws-last ``p``."""
    rng = np.random.default_rng(paths)
    draws, block = 150, 64
    p = rng.random((draws, paths)) * 10.0 ** rng.integers(-6, 1, (draws, paths))
    p[3, :] = 0.25  # every path tied: the first
    p[4, paths // 2 :] = p[4].max() + 1.0  # tied at the top: the first of them
    values = _values(rng, (3, 1 if one_row else draws, paths))
    for threads in (1, 2):
        expectation, weighted, summed, modal = path_sums(
            np.ascontiguousarray(p.T), values, block, threads=threads
        )
        assert np.array_equal(modal, np.argmax(p, axis=1))
        for m in range(values.shape[0]):
            at = np.ascontiguousarray(np.broadcast_to(values[m], (draws, paths)))
            product = p * at
            assert expectation[:, m].tobytes() == product.sum(axis=1).tobytes()
            assert weighted[:, m].tobytes() == _numpy_block_sum(product, block).tobytes()
            assert summed[:, m].tobytes() == _numpy_block_sum(at, block).tobytes()
    *_, none = path_sums(np.ascontiguousarray(p.T), values, block, with_modal=False)
    assert not none.any()


@pytest.mark.parametrize("paths", [7, 129, 2048])
def test_rows_and_per_draw_metrics_in_one_pass_are_each_alone(paths: int) -> None:
    """Rows ``(R, 1, T)`` then per-draw metrics ``(V, D, T)`` in one pass
    give each metric's sums as a pass of its own does, bit for bit."""
    rng = np.random.default_rng(paths)
    draws, block = 150, 64
    p_t = np.ascontiguousarray(rng.random((paths, draws)))
    rows = _values(rng, (2, 1, paths))
    per_draw = _values(rng, (3, draws, paths))
    e, w, s, modal = path_sums(p_t, rows, block, per_draw=per_draw)
    alone = [path_sums(p_t, rows[[m]], block) for m in range(2)]
    alone += [path_sums(p_t, per_draw[[m]], block) for m in range(3)]
    for m, (e1, w1, s1, modal1) in enumerate(alone):
        assert e[:, m].tobytes() == e1[:, 0].tobytes()
        assert w[:, m].tobytes() == w1[:, 0].tobytes()
        assert s[:, m].tobytes() == s1[:, 0].tobytes()
        assert np.array_equal(modal, modal1)


@pytest.mark.parametrize("paths", [7, 129, 2048])
def test_per_draw_metrics_read_per_combination_are_the_gathered_ones(paths: int) -> None:
    """Per-draw metrics given per combination ``(V, D, U)`` with each
    terminal's combination ``(V, T)`` (a different number of combinations
    per metric, zero-padded) give the sums of the same metrics gathered to
    every terminal first, bit for bit; and the expectation is NumPy's sum of
    ``p * v`` over each draw's row."""
    rng = np.random.default_rng(paths + 1)
    draws, block = 150, 64
    p_t = np.ascontiguousarray(rng.random((paths, draws)))
    rows = _values(rng, (2, 1, paths))
    combos = [3, 1, min(paths, 40)]
    kept = np.zeros((3, draws, max(combos)))
    inverse = np.zeros((3, paths), dtype=np.int64)
    for v, u in enumerate(combos):
        kept[v, :, :u] = _values(rng, (1, draws, u))[0]
        inverse[v] = rng.integers(0, u, size=paths)
    gathered = np.stack([kept[v][:, inverse[v]] for v in range(3)])
    e, w, s, modal = path_sums(p_t, rows, block, per_draw=kept, per_draw_inverse=inverse)
    e1, w1, s1, modal1 = path_sums(p_t, rows, block, per_draw=gathered)
    assert e.tobytes() == e1.tobytes()
    assert w.tobytes() == w1.tobytes()
    assert s.tobytes() == s1.tobytes()
    assert np.array_equal(modal, modal1)
    p = np.ascontiguousarray(p_t.T)
    for v in range(3):
        assert e[:, 2 + v].tobytes() == (p * gathered[v]).sum(axis=1).tobytes()
