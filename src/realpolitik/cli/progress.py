"""What a terminal shows while a command computes: a spinner for a single
solve, and a line before the first solve of a fresh install.

Why: the README's first command, ``realpolitik forecast china-russia-2022``,
solves once at central values and prints nothing until its tables, about
4 s on the project's 2-core machine; on a fresh install (or after an update
of any solver source) numba first compiles every kernel, about a minute,
and the screen stayed blank all that time. The progress bars over draws
(:func:`realpolitik.cli.scenario.progress_bar`,
:func:`realpolitik.cli.analysis.progress_bar`) and :func:`working` say so
first. Everything here writes to stderr, and only on a terminal: piped or
captured output is the same with or without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from realpolitik.cli.output import err

#: The line printed before solvers compile.
COMPILING = "compiling the solvers first (once after an install or update; about a minute)"


_TOLD: list[bool] = []


def compile_notice() -> bool:
    """On a terminal, say (one line on stderr, once per process) that the
    solvers compile before the first solve, where some kernel module found
    none of its kernels cached (:func:`realpolitik.kernel_cache.cold_modules`).
    Returns whether it said so."""
    if not err.is_terminal or _TOLD:
        return False
    from realpolitik import kernel_cache

    for module in kernel_cache.KERNEL_MODULES:  # a kernel module is noted when imported
        importlib.import_module(module)
    if not kernel_cache.cold_modules():
        return False
    err.print(COMPILING, soft_wrap=True)
    _TOLD.append(True)
    return True


@contextmanager
def working(label: str) -> Iterator[None]:
    """A transient spinner with ``label`` and the time elapsed on a
    terminal's stderr while the block runs, after :func:`compile_notice`."""
    if not err.is_terminal:
        yield
        return
    compile_notice()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        bar.add_task(label, total=None)
        yield
