"""Spread a compiled kernel's blocks over the cores with Python threads.

Why not numba's ``prange``: a ``parallel=True`` function takes several times
longer to compile (its loops are turned into a generated multi-threaded
function), which a newcomer pays on their first forecast; and numba's
thread pools are not all safe for calls from several Python threads at once
(its ``workqueue`` layer aborts). Here the kernels are plain compiled
functions over a range of blocks that release the GIL (``nogil=True``), and a
shared pool of Python threads runs the ranges. Each block is computed on its
own, so results do not depend on how the blocks are split.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import pairwise

import numba

#: The most threads one kernel call uses.
MAX_THREADS = 8

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
_LOCAL = threading.local()


def default_threads() -> int:
    """The threads a kernel call spreads over: this thread's
    :func:`kernel_threads` if set, else numba's thread count
    (``NUMBA_NUM_THREADS``, by default the number of cores), at most
    :data:`MAX_THREADS`."""
    own: int | None = getattr(_LOCAL, "threads", None)
    if own is not None:
        return own
    return max(1, min(int(numba.get_num_threads()), MAX_THREADS))


@contextmanager
def kernel_threads(threads: int) -> Iterator[None]:
    """Kernel calls made by this thread inside the block use ``threads``
    threads: a caller that already keeps every core busy with work of its
    own (several slices of draws at once) runs each slice's kernels on one."""
    before = getattr(_LOCAL, "threads", None)
    _LOCAL.threads = max(1, min(int(threads), MAX_THREADS))
    try:
        yield
    finally:
        _LOCAL.threads = before


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(
                max_workers=max(1, min(os.cpu_count() or 1, MAX_THREADS)),
                thread_name_prefix="realpolitik-kernel",
            )
        return _POOL


def run_blocks(
    kernel: Callable[..., None],
    n_items: int,
    block: int,
    args: tuple[object, ...],
    threads: int | None = None,
    *,
    balance: int = 1,
) -> None:
    """Run ``kernel(first_block, last_block, *args)`` over the blocks of
    ``block`` items covering ``n_items``.

    With ``balance`` 1 the blocks are cut into one contiguous range per
    thread (the caller's thread takes the first): right where every item
    costs about the same. With ``balance`` k they are cut into up to k
    ranges per thread, which the threads take one after another as they
    finish: right where items cost very different amounts (a few draws of
    the logit limit's trace take many times the others), at the price of a
    kernel call per range.
    """
    blocks = (n_items + block - 1) // block
    wanted = default_threads() if threads is None else max(1, min(int(threads), MAX_THREADS))
    workers = min(wanted, blocks)
    if workers <= 1:
        kernel(0, blocks, *args)
        return
    parts = min(blocks, workers * max(1, int(balance)))
    edges = [blocks * k // parts for k in range(parts + 1)]
    if parts == workers:
        futures = [_pool().submit(kernel, edges[k], edges[k + 1], *args) for k in range(1, parts)]
        kernel(edges[0], edges[1], *args)
    else:
        ranges = pairwise(edges)
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    taken = next(ranges, None)
                if taken is None:
                    return
                kernel(taken[0], taken[1], *args)

        futures = [_pool().submit(work) for _ in range(1, workers)]
        work()
    for future in futures:
        future.result()
