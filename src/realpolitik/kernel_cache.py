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

It also tells which kernel modules will compile before they run
(:func:`cold_modules`): those whose directory has not been marked warm
(:func:`mark_warm`, by a command that solved, once it finished) since the
sources last changed. Compiling takes about a minute for the forecast's
kernels on the project's 2-core machine, and the command line says so
instead of sitting silent (the README's first command, on a fresh install,
is such a run). The stamp alone cannot tell: a command that imports kernels
without running them (``validate``) writes it.
"""

from __future__ import annotations

import contextlib
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
#: The file that marks a directory's kernels compiled for the stamp it holds.
WARM = "realpolitik-kernels.warm"

_PACKAGE = Path(__file__).resolve().parent
_CHECKED: set[Path] = set()
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


def stamp_is_current(directory: Path, stamp: str, name: str = STAMP) -> bool:
    """Whether ``directory``'s stamp (or its warm mark, ``name=WARM``) is ``stamp``."""
    try:
        return (directory / name).read_text(encoding="ascii").strip() == stamp
    except OSError:
        return False


def _write_stamp(directory: Path, stamp: str, name: str) -> None:
    partial = directory / f"{name}.{os.getpid()}.tmp"
    partial.write_text(stamp + "\n", encoding="ascii")
    partial.replace(directory / name)  # atomic: another process reads one stamp or the other


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
        _write_stamp(directory, stamp, STAMP)
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
    per process."""
    directories = cache_directories(namespace)
    with _LOCK:
        _DIRECTORIES[str(namespace.get("__name__", ""))] = directories
        fresh = directories - _CHECKED
        _CHECKED.update(fresh)
        stems = [module.rsplit(".", 1)[1] for module in KERNEL_MODULES]
        for directory in sorted(fresh):
            refresh_directory(directory, sources_stamp(), stems)


def cold_modules() -> tuple[str, ...]:
    """The kernel modules imported so far in this process whose cache
    directory is not marked warm for the installed sources (:func:`mark_warm`):
    after an install or an update of any kernel source, the kernels they run
    compile first. Import the modules of :data:`KERNEL_MODULES` first to ask
    about all of them.

    Why a mark per directory and not the cached files: a module's kernels
    are cached only once used, and a command uses some of them (the
    flagship's forecast never calls the normal-form kernels), so "not all
    cached" would cry wolf on every run."""
    stamp = sources_stamp()
    with _LOCK:
        known = dict(_DIRECTORIES)
    return tuple(
        module
        for module in KERNEL_MODULES
        if module in known and not all(stamp_is_current(d, stamp, WARM) for d in known[module])
    )


def mark_warm() -> None:
    """Mark every cache directory this process has met warm for the installed
    sources: called by a command that solved, once it finished (its kernels
    are compiled and cached by then)."""
    stamp = sources_stamp()
    with _LOCK:
        directories = sorted(_CHECKED)
    for directory in directories:
        if not stamp_is_current(directory, stamp, WARM):
            with contextlib.suppress(OSError):  # numba caches elsewhere or not at all
                _write_stamp(directory, stamp, WARM)
