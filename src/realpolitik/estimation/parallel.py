"""Run independent refits (bootstrap replicates, profile points) on several
cores, with a progress bar.

Why a module of its own: the bootstrap and the likelihood profile both map a
function over many small tasks that share one large read-only object (the
likelihood with its data). Each worker process receives that object once, at
start-up, and then only task descriptions travel; results come back in task
order, so the output does not depend on the number of workers.

Workers are started with ``spawn`` (safe in processes that hold threads, such
as the web server), with single-threaded BLAS, so that two workers on two
cores do not oversubscribe them, and with glibc told to keep freed memory.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["default_workers", "map_tasks"]

T = TypeVar("T")
R = TypeVar("R")

_PAYLOAD: Any = None
_CHILD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # glibc: keep freed memory instead of returning it to the system after
    # every array. A fresh process starts with the static thresholds and
    # page-faults its temporaries anew on each likelihood evaluation (the
    # Leblang bootstrap spent as much time in the kernel as in Python).
    "MALLOC_MMAP_THRESHOLD_": str(32 * 1024**2),
    "MALLOC_TRIM_THRESHOLD_": str(64 * 1024**2),
}


def default_workers() -> int:
    """Cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _spawn_possible() -> bool:
    """Spawned workers re-import the main module; a main read from stdin
    (``python - < script``) cannot be, and the pool would never start."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is None or os.path.exists(path)


def _install(payload: Any) -> None:
    global _PAYLOAD
    _PAYLOAD = payload


def _run(function: Callable[[Any, Any], Any], task: Any) -> Any:
    return function(_PAYLOAD, task)


@contextmanager
def _child_environment() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in _CHILD_ENV}
    try:
        os.environ.update(_CHILD_ENV)
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def make_progress(description: str) -> Progress:
    """The progress bar used for long estimation work."""
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def map_tasks(
    function: Callable[[Any, T], R],
    payload: Any,
    tasks: Sequence[T],
    sizes: Sequence[int],
    *,
    workers: int = 1,
    description: str = "working",
    progress: bool = False,
) -> list[R]:
    """``[function(payload, task) for task in tasks]``, on ``workers`` processes.

    Parameters
    ----------
    function : a module-level function (it is sent to the workers by name).
    payload : shared read-only data, sent once to each worker.
    tasks : task descriptions.
    sizes : units of work in each task (replicates), for the progress bar.
    workers : processes; 1 runs in this process.
    description : label of the progress bar.
    progress : show a rich progress bar on stderr.
    """
    total = int(sum(sizes))
    results: list[R | None] = [None] * len(tasks)
    bar = make_progress(description) if progress else None
    with bar if bar is not None else _nullcontext():
        bar_task = bar.add_task(description, total=total) if bar is not None else None
        if workers > 1 and len(tasks) > 1 and not _spawn_possible():
            warnings.warn(
                "worker processes cannot re-import a main module read from stdin; running in "
                "this process",
                stacklevel=2,
            )
            workers = 1
        if workers <= 1 or len(tasks) <= 1:
            for k, task in enumerate(tasks):
                results[k] = function(payload, task)
                if bar is not None and bar_task is not None:
                    bar.advance(bar_task, sizes[k])
        else:
            context = multiprocessing.get_context("spawn")
            with (
                _child_environment(),
                ProcessPoolExecutor(
                    max_workers=min(workers, len(tasks)),
                    mp_context=context,
                    initializer=_install,
                    initargs=(payload,),
                ) as pool,
            ):
                futures: dict[Future[Any], int] = {
                    pool.submit(_run, function, task): k for k, task in enumerate(tasks)
                }
                for future in as_completed(futures):
                    k = futures[future]
                    results[k] = future.result()
                    if bar is not None and bar_task is not None:
                        bar.advance(bar_task, sizes[k])
    return [r for r in results if r is not None]


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield
