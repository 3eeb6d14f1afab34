"""How compiled kernels are spread over threads
(:mod:`realpolitik.solve._threads`): every block is computed exactly once,
whatever the threads and the balance, and :func:`kernel_threads` keeps a
caller's kernels on the threads it asks for."""

from __future__ import annotations

import threading

import pytest

from realpolitik.solve._threads import default_threads, kernel_threads, run_blocks


def covered(
    n_items: int, block: int, threads: int | None, balance: int
) -> tuple[list[int], set[str]]:
    """The blocks a recording kernel was called on, and the threads it ran on."""
    seen: list[int] = []
    names: set[str] = set()
    lock = threading.Lock()

    def kernel(first: int, last: int, tag: str) -> None:
        with lock:
            seen.extend(range(first, last))
            names.add(threading.current_thread().name + tag)

    run_blocks(kernel, n_items, block, ("",), threads, balance=balance)
    return sorted(seen), names


@pytest.mark.parametrize("balance", [1, 3, 8])
@pytest.mark.parametrize("threads", [1, 2, 4])
@pytest.mark.parametrize("n_items", [1, 7, 32, 129])
def test_every_block_once(n_items: int, threads: int, balance: int) -> None:
    blocks = -(-n_items // 4)
    seen, names = covered(n_items, 4, threads, balance)
    assert seen == list(range(blocks))
    assert len(names) <= min(threads, blocks)


def test_kernel_threads_is_this_threads_own() -> None:
    before = default_threads()
    with kernel_threads(1):
        assert default_threads() == 1
        seen, names = covered(64, 4, None, 4)
        assert seen == list(range(16))
        assert names == {threading.current_thread().name}
        other: list[int] = []
        worker = threading.Thread(target=lambda: other.append(default_threads()))
        worker.start()
        worker.join()
        assert other == [before]
    assert default_threads() == before
