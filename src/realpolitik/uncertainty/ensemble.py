"""Run a computation over parameter draws in chunks, on one of several executors.

Why this module exists: a forecast over 10^6 or 10^7 draws cannot hold every
draw's intermediate arrays at once, and one machine is sometimes not enough.
The draws ``[0, n)`` are cut into chunks (bounded memory), each chunk is a
task ``task(start, stop)``, and an :class:`Executor` runs the tasks: in this
process (:class:`InProcess`, the default, one task at a time; or
:class:`ThreadPool`, several at once, since NumPy releases the GIL in its
loops), in a local process pool (:class:`ProcessPool`) or on a Dask
distributed cluster (:class:`DaskExecutor`, Rocklin 2015). Whatever the executor, results come
back **in chunk order**, at most a few chunks ahead of the consumer (so a slow
consumer, such as the results store, bounds the memory in flight).

Determinism is the task's business, and the runner makes it easy: a task's
result may depend only on ``(start, stop)`` and the task's own fields (the
scenario, the settings, the seed), never on which process runs it or on what
ran before. Chunk boundaries are multiples of an alignment (``align``), so a
task can reduce its draws in fixed blocks that never straddle two chunks;
that is what makes sums over all draws identical bit for bit whatever the
chunk size and executor (see :mod:`realpolitik.analysis.forecast_summary`).

Interrupting (Ctrl-C) stops cleanly: the consumer gets ``KeyboardInterrupt``
between or during chunks; outstanding tasks are cancelled (process-pool
workers ignore SIGINT and are terminated by the parent, Dask futures are
cancelled). The cluster is never shut down unless this module started it.

References
----------
Rocklin, M. (2015). Dask: parallel computation with blocked algorithms and
    task scheduling. *Proceedings of the 14th Python in Science Conference*,
    126-132.
Kwakkel, J. H. (2017). The Exploratory Modeling Workbench. *Environmental
    Modelling & Software* 96, 239-250 (the peer's evaluators: sequential,
    multiprocessing and ipyparallel, one experiment per task).

Examples
--------
>>> list(run_chunks(lambda a, b: (a, b), 10, chunk=4))
[(0, 4), (4, 8), (8, 10)]
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from realpolitik.errors import InputError

__all__ = [
    "DEFAULT_CHUNK",
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "InProcess",
    "ProcessPool",
    "ThreadPool",
    "chunk_ranges",
    "make_executor",
    "run_chunks",
]

T = TypeVar("T")
Range = tuple[int, int]

DEFAULT_CHUNK = 122_880
"""Draws per task: large enough that per-task overheads (pickling, a store
transaction) are small, small enough to keep a few in flight in memory; and
exactly one DuckDB row group, so a stored chunk is written straight to the
file as a whole row group (smaller chunks go through the write-ahead log and
cost 2-3 times as much to store)."""

EXECUTORS: tuple[str, ...] = ("local", "threads", "processes", "dask")
"""Executor names accepted by :func:`make_executor` (and ``--executor``)."""

CONNECT_TIMEOUT = 8.0
"""Seconds to wait for a Dask scheduler before giving up."""

PROBE_TIMEOUT = 5.0
"""Seconds to wait for a TCP connection to the scheduler's port."""


def chunk_ranges(n: int, chunk: int, *, start: int = 0, align: int = 1) -> list[Range]:
    """``[start, n)`` cut into ``(a, b)`` ranges of ``chunk`` draws.

    Parameters
    ----------
    n : total number of draws.
    chunk : draws per range; rounded up to a multiple of ``align``.
    start : first draw (a multiple of ``align``, e.g. where a resumed run stopped).
    align : every boundary except ``n`` is a multiple of this.

    Returns
    -------
    The ranges, in order; empty when ``start == n``.

    Examples
    --------
    >>> chunk_ranges(10, 3, align=2)
    [(0, 4), (4, 8), (8, 10)]
    """
    if n < 0:
        raise ValueError(f"number of draws must be >= 0, got {n}")
    if chunk < 1:
        raise InputError(f"chunk size must be >= 1 draw, got {chunk}")
    if align < 1 or start % align or not 0 <= start <= n:
        raise ValueError(f"start {start} must be a multiple of {align} in [0, {n}]")
    size = -(-chunk // align) * align
    return [(a, min(a + size, n)) for a in range(start, n, size)]


class Executor(ABC):
    """Runs ``task(start, stop)`` for each range and yields the results in order.

    Executors are context managers; :meth:`close` releases what the executor
    started (worker processes, a cluster connection it opened).
    """

    name: ClassVar[str]

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many tasks run at once."""

    @abstractmethod
    def map_ordered(self, task: Callable[[int, int], T], ranges: Sequence[Range]) -> Iterator[T]:
        """``task(a, b)`` for each range, yielded in the order of ``ranges``."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing
        """Release workers and connections this executor started."""

    def describe(self) -> str:
        """One line for records and messages, e.g. ``processes (2 workers)``."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class InProcess(Executor):
    """Each task in turn, in the calling thread (the default)."""

    name = "local"

    @property
    def workers(self) -> int:
        return 1

    def map_ordered(self, task: Callable[[int, int], T], ranges: Sequence[Range]) -> Iterator[T]:
        for a, b in ranges:
            yield task(a, b)


class ThreadPool(Executor):
    """Tasks on threads of this process (NumPy releases the GIL in its loops).

    Parameters
    ----------
    workers : threads (default: the number of CPUs).
    """

    name = "threads"

    def __init__(self, workers: int | None = None) -> None:
        count = (os.cpu_count() or 1) if workers is None else workers
        if count < 1:
            raise InputError(f"--workers must be >= 1, got {count}")
        self._workers = count
        self._pool: ThreadPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def map_ordered(self, task: Callable[[int, int], T], ranges: Sequence[Range]) -> Iterator[T]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="realpolitik")
        pool = self._pool
        window = 2 * self._workers
        pending: deque[Future[T]] = deque()
        todo = iter(ranges)
        try:
            for a, b in todo:
                pending.append(pool.submit(task, a, b))
                if len(pending) >= window:
                    break
            while pending:
                result = pending.popleft().result()
                for a, b in todo:
                    pending.append(pool.submit(task, a, b))
                    break
                yield result
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _ignore_sigint() -> None:
    """Pool-worker initialiser: Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessPool(Executor):
    """A pool of local worker processes (``spawn``: no state inherited from the parent).

    Parameters
    ----------
    workers : processes (default: the number of CPUs).

    Notes
    -----
    Tasks and results travel by pickle; the task should be small (the
    forecast task carries the scenario's text, not its compiled arrays) and
    cache what it builds per process. Workers start on first use (about a
    second each to import NumPy and SciPy) and stay until :meth:`close`.
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        count = (os.cpu_count() or 1) if workers is None else workers
        if count < 1:
            raise InputError(f"--workers must be >= 1, got {count}")
        self._workers = count
        self._pool: Any = None

    @property
    def workers(self) -> int:
        return self._workers

    def _ensure(self) -> Any:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = context.Pool(self._workers, initializer=_ignore_sigint)
        return self._pool

    def map_ordered(self, task: Callable[[int, int], T], ranges: Sequence[Range]) -> Iterator[T]:
        pool = self._ensure()
        window = 2 * self._workers
        pending: deque[Any] = deque()
        todo = iter(ranges)
        finished = False
        try:
            for a, b in todo:
                pending.append(pool.apply_async(task, (a, b)))
                if len(pending) >= window:
                    break
            while pending:
                result: T = pending.popleft().get()
                for a, b in todo:
                    pending.append(pool.apply_async(task, (a, b)))
                    break
                yield result
            finished = True
        finally:
            if not finished:  # interrupted, failed or abandoned: stop the workers now
                self._terminate()

    def _terminate(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None


def _probe(address: str, timeout: float) -> None:
    """Fail fast when nothing listens at a TCP scheduler address (Dask's own
    client retries until its timeout even when the connection is refused)."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp", "tls"):
        return  # inproc://, ucx://, ...: leave it to Dask
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise InputError(
            f"--cluster {address} is not a scheduler address; give tcp://host:port, "
            "e.g. tcp://10.0.0.5:8786"
        )
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        if isinstance(error, TimeoutError):
            reason = f"no answer within {timeout:g} s"
        raise InputError(
            f"cannot reach the Dask scheduler at {address} ({reason}); check the address, "
            "start one with `dask scheduler`, or drop --cluster to run on this machine"
        ) from None


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster.

    Parameters
    ----------
    client : a ``dask.distributed.Client`` (left open by :meth:`close`), or
    address : a scheduler address such as ``tcp://10.0.0.5:8786``; the
        connection is opened here and closed by :meth:`close`. Without
        either, a local distributed cluster (worker processes, one per core
        or ``workers``) is started here, announced on stderr, and shut down
        by :meth:`close`.
    timeout : seconds to wait for the scheduler.
    workers : worker processes of a local cluster (default: the cores).

    Raises
    ------
    InputError
        When ``dask.distributed`` is missing or the scheduler cannot be
        reached within ``timeout`` seconds.
    """

    name = "dask"

    def __init__(
        self,
        client: Any = None,
        *,
        address: str | None = None,
        timeout: float = CONNECT_TIMEOUT,
        workers: int | None = None,
    ) -> None:
        self._own = client is None
        self._cluster: Any = None
        if client is None and not address:
            client = self._start_local(workers)
        if client is None:
            assert address is not None
            _probe(address, min(timeout, PROBE_TIMEOUT))
            try:  # imported here: about a second, and needed only for --executor dask
                from distributed import Client
            except ImportError:  # pragma: no cover - dask[distributed] is a dependency
                raise InputError(
                    "running on a cluster needs dask.distributed: pip install 'dask[distributed]'"
                ) from None
            try:
                client = Client(  # type: ignore[no-untyped-call]
                    address, timeout=f"{timeout}s", set_as_default=False
                )
            except (OSError, TimeoutError, ValueError, TypeError) as error:
                reason = " ".join(str(error).split()) or type(error).__name__
                raise InputError(
                    f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                    f"({reason}); check the address, start one with `dask scheduler`, "
                    "or drop --cluster to run on this machine"
                ) from None
        self.client = client

    def _start_local(self, workers: int | None) -> Any:
        """A local distributed cluster of worker processes (one thread each)."""
        try:  # imported here: about a second, and needed only for --executor dask
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask[distributed] is a dependency
            raise InputError(
                "the dask executor needs dask.distributed: pip install 'dask[distributed]'"
            ) from None
        n = workers or os.cpu_count() or 1
        self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(self._cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        sys.stderr.write(
            f"dask: started a local cluster of {n} worker processes at "
            f"{self._cluster.scheduler_address} (give --cluster ADDRESS to use a running one)\n"
        )
        return client

    @property
    def workers(self) -> int:
        threads = self.client.nthreads()
        return max(1, sum(int(v) for v in threads.values()))

    def describe(self) -> str:
        return f"dask ({self.workers} threads at {self.client.scheduler.address})"

    def map_ordered(self, task: Callable[[int, int], T], ranges: Sequence[Range]) -> Iterator[T]:
        window = 2 * self.workers
        pending: deque[Any] = deque()
        todo = iter(ranges)
        finished = False
        try:
            for a, b in todo:
                pending.append(self.client.submit(task, a, b, pure=False))
                if len(pending) >= window:
                    break
            while pending:
                result: T = pending.popleft().result()
                for a, b in todo:
                    pending.append(self.client.submit(task, a, b, pure=False))
                    break
                yield result
            finished = True
        finally:
            if not finished and pending:
                self.client.cancel(list(pending))

    def close(self) -> None:
        if self._own:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(
    executor: str | Executor | Any = None,
    *,
    workers: int | None = None,
    cluster: str | None = None,
) -> Executor:
    """An executor from a name, an :class:`Executor`, or a Dask ``Client``.

    Parameters
    ----------
    executor : ``"local"`` (default), ``"threads"``, ``"processes"``,
        ``"dask"``, an :class:`Executor` (returned as is) or a
        ``dask.distributed.Client``.
    workers : threads or processes (default: the number of CPUs).
    cluster : scheduler address; implies ``"dask"``.
    """
    if isinstance(executor, Executor):
        return executor
    if executor is not None and not isinstance(executor, str):
        if type(executor).__name__ == "Client" and hasattr(executor, "submit"):
            return DaskExecutor(executor)
        raise InputError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
    name = executor or ("dask" if cluster else "local")
    if cluster and name != "dask":
        raise InputError(f"--cluster runs on Dask; drop --executor {name} or --cluster")
    if name == "local":
        if workers not in (None, 1):
            raise InputError("--workers needs --executor threads or processes")
        return InProcess()
    if name == "threads":
        return ThreadPool(workers)
    if name == "processes":
        return ProcessPool(workers)
    if name == "dask":
        return DaskExecutor(address=cluster, workers=workers)
    raise InputError(f"unknown executor '{name}'; use one of {', '.join(EXECUTORS)}")


def run_chunks(
    task: Callable[[int, int], T],
    n: int,
    *,
    chunk: int = DEFAULT_CHUNK,
    start: int = 0,
    align: int = 1,
    executor: Executor | None = None,
) -> Iterator[T]:
    """``task(a, b)`` over the chunks of ``[start, n)``, results in order.

    Parameters
    ----------
    task : a function of a draw range; for the process pool and Dask it must
        pickle (a module-level function or an instance of a module-level class).
    n, chunk, start, align : see :func:`chunk_ranges`.
    executor : where tasks run (default: in this process).

    Yields
    ------
    Each chunk's result, in order of its first draw.
    """
    ranges = chunk_ranges(n, chunk, start=start, align=align)
    runner = executor if executor is not None else InProcess()
    results = runner.map_ordered(task, ranges)
    try:
        yield from results
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
