"""Compiled kernels are never loaded from a cache older than a kernel's source.

Why: numba's on-disk cache (``cache=True``) is checked against the source
file of the function it compiled, and only that file: "cache invalidation
fails to recognize changes in functions defined in a different file"
(numba's documentation, *Notes on caching*). Our kernels call one another
across modules (the lanes call ``_belief_kernels.anderson_step``, the logit
limit's trace calls ``_limit_kernels``' Newton step, and numba compiles the
callee into the caller). After an update that changes only a callee's file,
as a ``git pull`` does in the editable install the README's first command
makes, the caller's cached machine code would still hold the old callee, and
the forecast would silently run it (seen here while changing
``_limit_kernels.py``).

So each directory that caches our kernels carries a stamp: the SHA-256 of
the sources of every kernel module (:data:`KERNEL_MODULES`). Every kernel
module calls :func:`register` once its kernels are defined; the first time a
process meets a directory whose stamp differs from the sources installed, it
deletes the directory's cached kernels of those modules (and nothing else)
before any is loaded, and writes the new stamp; numba then compiles afresh
and caches again. Any kernel change recompiles every kernel once: simpler
and safer than following which kernel calls which.

It also records which kernel modules found their directory's stamp missing
or stale (:func:`cold_modules`): those compile before they run,
about a minute for all of them on the project's 2-core machine, and the
command line says so instead of sitting silent (the README's first command,
on a fresh install, is such a run).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

#: The modules with ``cache=True`` kernels (tests/test_architecture.py checks
#: that the list is complete).
KERNEL_MODULES = (
    "realpolitik.analysis._block_sums",
    "realpolitik.analysis.forecast_summary",
    "realpolitik.compiler._chance_kernel",
    "realpolitik.compiler._payoff_kernels",
    "realpolitik.run._segment_kernels",
    "realpolitik.solve._belief_kernels",
    "realpolitik.solve._belief_lanes",
    "realpolitik.solve._limit_arc",
    "realpolitik.solve._limit_kernels",
    "realpolitik.solve._limit_trace",
    "realpolitik.solve._logit_kernels",
    "realpolitik.solve._tree_kernels",
    "realpolitik.solve._vector_exp",
    "realpolitik.solve.profile_values",
    "realpolitik.solve.reach",
)

#: The stamp's file name in a cache directory.
STAMP = "realpolitik-kernels.sha256"

_PACKAGE = Path(__file__).resolve().parent
_CHECKED: set[Path] = set()
_STALE: set[Path] = set()
_DIRECTORIES: dict[str, set[Path]] = {}
_LOCK = threading.Lock()


def module_path(module: str) -> Path:
    """The source file of a module of this package."""
    return _PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")


@cache
def sources_stamp() -> str:
    """SHA-256 over the kernel modules' names and sources."""
    digest = hashlib.sha256()
    for module in KERNEL_MODULES:
        digest.update(module.encode() + b"\0" + module_path(module).read_bytes() + b"\0")
    return digest.hexdigest()


def stamp_is_current(directory: Path, stamp: str) -> bool:
    """Whether ``directory``'s stamp is ``stamp``."""
    try:
        return (directory / STAMP).read_text(encoding="ascii").strip() == stamp
    except OSError:
        return False


def refresh_directory(directory: Path, stamp: str, stems: Iterable[str]) -> bool:
    """Delete the cached kernels (``<stem>.*.nbi``, ``<stem>.*.nbc``) of
    ``stems`` in ``directory`` unless its stamp is ``stamp``, then write the
    stamp. Returns whether anything was deleted. A directory that cannot be
    read or written is left as it is (numba caches elsewhere or not at all)."""
    if stamp_is_current(directory, stamp):
        return False
    deleted = False
    try:
        for stem in set(stems):
            for pattern in (f"{stem}.*.nbi", f"{stem}.*.nbc"):
                for path in directory.glob(pattern):
                    path.unlink(missing_ok=True)
                    deleted = True
        partial = directory / f"{STAMP}.{os.getpid()}.tmp"
        partial.write_text(stamp + "\n", encoding="ascii")
        partial.replace(directory / STAMP)  # atomic: another process reads one stamp or the other
    except OSError:
        pass
    return deleted


def cache_directories(namespace: Mapping[str, Any]) -> set[Path]:
    """Where numba caches the compiled functions found in ``namespace``."""
    found = set()
    for value in namespace.values():
        path = getattr(getattr(value, "_cache", None), "cache_path", None)
        if isinstance(path, str):
            found.add(Path(path))
    return found


def register(namespace: Mapping[str, Any]) -> None:
    """Called at the end of each kernel module with ``globals()``: refresh
    (:func:`refresh_directory`) each directory its kernels cache in, once
    per process, noting the directories whose stamp was missing or stale
    (their kernels compile afresh: :func:`cold_modules`)."""
    directories = cache_directories(namespace)
    with _LOCK:
        _DIRECTORIES[str(namespace.get("__name__", ""))] = directories
        fresh = directories - _CHECKED
        _CHECKED.update(fresh)
        stems = [module.rsplit(".", 1)[1] for module in KERNEL_MODULES]
        for directory in sorted(fresh):
            if not stamp_is_current(directory, sources_stamp()):
                _STALE.add(directory)
            refresh_directory(directory, sources_stamp(), stems)


def cold_modules() -> tuple[str, ...]:
    """The kernel modules imported so far in this process whose cache
    directory had no stamp of the installed sources (a fresh install, or an
    update of any kernel source): every kernel of theirs that runs compiles
    first. Import the modules of :data:`KERNEL_MODULES` first to ask about
    all of them.

    Why the stamp and not the cached files: a module's kernels are cached
    only once used, and a command uses some of them (the flagship's forecast
    never calls the normal-form kernels), so "none cached" would cry wolf
    on every run; the stamp is written on the first run after an install or
    update, the run that compiles the most."""
    with _LOCK:
        return tuple(
            module
            for module in KERNEL_MODULES
            if module in _DIRECTORIES and _DIRECTORIES[module] & _STALE
        )
