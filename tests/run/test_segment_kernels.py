"""The compiled sums of row lists behind the private-information outcomes
(:func:`realpolitik.run._segment_kernels.segment_sums`) against plain
Python sums in list order, and the same bits however the draws are split."""

from __future__ import annotations

import numpy as np

from realpolitik.run._segment_kernels import BLOCK, segment_index, segment_sums


def lists_and_rows(seed: int, draws: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.random((40, draws))
    lists = tuple(
        rng.choice(40, size=int(rng.integers(0, 7)), replace=False).astype(np.int64)
        for _ in range(25)
    )
    return lists, rows


def test_sums_in_list_order() -> None:
    lists, rows = lists_and_rows(1, 3)
    got = segment_sums(rows, lists)
    assert got.shape == (25, 3)
    for k, members in enumerate(lists):
        for d in range(3):
            expected = 0.0
            for i in members:  # left to right, as the kernel adds
                expected += float(rows[i, d])
            assert got[k, d] == expected
    empty = [k for k, members in enumerate(lists) if len(members) == 0]
    assert empty and (got[empty] == 0.0).all()


def test_same_bits_for_any_split_of_the_draws() -> None:
    lists, rows = lists_and_rows(2, 3 * BLOCK + 17)
    whole = segment_sums(rows, lists, threads=2)
    one = segment_sums(rows, lists, threads=1)
    part = segment_sums(rows[:, 700:701].copy(), lists)
    np.testing.assert_array_equal(whole, one)
    np.testing.assert_array_equal(whole[:, 700:701], part)


def test_no_lists_and_no_draws() -> None:
    assert segment_sums(np.zeros((3, 4)), ()).shape == (0, 4)
    assert segment_sums(np.zeros((3, 0)), (np.array([0, 1]),)).shape == (1, 0)
    assert segment_sums(np.ones((3, 2)), (np.zeros(0, dtype=np.int64),)).tolist() == [[0.0, 0.0]]


def test_a_repeated_list_is_summed_as_the_first() -> None:
    """A list equal to an earlier one is copied from it (``segment_index``'s
    ``same``), with the same bits as summing it again in list order."""
    rng = np.random.default_rng(5)
    rows = rng.standard_normal((30, 2 * BLOCK + 3)) * 10.0 ** rng.integers(-5, 5, (30, 1))
    base = (np.array([3, 1, 7, 29]), np.array([2]), np.array([], dtype=np.int64))
    lists = (*base, np.array([3, 1, 7, 29]), np.array([1, 3, 7, 29]), np.array([2]))
    got = segment_sums(rows, lists)
    for k, members in enumerate(lists):
        expected = np.zeros(rows.shape[1])
        for i in members:
            expected = expected + rows[i]
        assert got[k].tobytes() == expected.tobytes()
    _, _, same = segment_index(lists)
    assert same.tolist() == [-1, -1, -1, 0, -1, 1]
