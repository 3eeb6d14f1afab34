"""What a terminal shows while a command computes: a bar over draws, a bar
per stage of an analysis, a bar over a backtest's folds, a spinner for a
single solve, and a line before the first solve of a fresh install.

Why: the README's first command, ``realpolitik forecast china-russia-2022``,
solves once at central values and prints nothing until its tables, about
4 s on the project's 2-core machine; on a fresh install (or after an update
of any solver source) numba first compiles every kernel, about a minute,
and the screen stayed blank all that time. The bars (:func:`draws_bar`,
:func:`stages_bar`) and the spinner (:func:`working`) say so first.
Everything here writes to stderr, and only on a terminal: piped or
captured output is the same with or without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from realpolitik.cli.output import err

#: How often and how long the solvers compile.
ONCE = "once after an install or update; about a minute"
#: The line printed before solvers compile.
COMPILING = f"compiling the solvers first ({ONCE})"


_TOLD: list[bool] = []


def compile_notice() -> bool:
    """On a terminal, say (one line on stderr, once per process) that the
    solvers compile before the first solve, where a kernel module's cache is
    not marked warm for the installed sources
    (:func:`realpolitik.kernel_cache.cold_modules`). Returns whether it said so."""
    if not err.is_terminal or _TOLD or not solvers_cold():
        return False
    err.print(COMPILING, soft_wrap=True)
    _TOLD.append(True)
    return True


def solvers_cold() -> bool:
    """Whether some kernel module will compile before it runs
    (:func:`realpolitik.kernel_cache.cold_modules`, every kernel module imported first)."""
    from realpolitik import kernel_cache

    for module in kernel_cache.KERNEL_MODULES:  # a kernel module is noted when imported
        importlib.import_module(module)
    return bool(kernel_cache.cold_modules())


@contextmanager
def solving() -> Iterator[None]:
    """Around a command's solves (every bar and spinner here): once they
    finish without an error, the kernels they ran are compiled and cached,
    so the cache directories are marked warm
    (:func:`realpolitik.kernel_cache.mark_warm`) and the next command does
    not announce compiling. Off a terminal too."""
    yield
    from realpolitik import kernel_cache

    kernel_cache.mark_warm()


@contextmanager
def working(label: str) -> Iterator[None]:
    """A transient spinner with ``label`` and the time elapsed on a
    terminal's stderr while the block runs, after :func:`compile_notice`."""
    with solving():
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


class RateColumn(ProgressColumn):
    """Draws per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} draws/s")


@contextmanager
def draws_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar with rate and time left on stderr; for a single solve
    (0 or 1 draws) a spinner (:func:`working`)."""
    if total <= 1:
        with working(label):
            yield lambda k: None
        return
    compile_notice()
    with (
        solving(),
        Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


@contextmanager
def stages_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A transient progress bar on stderr, one line per stage of the run.

    It appears with the first report (so a mistake found before solving
    prints only its error, but for the line saying that the solvers compile
    first, :func:`compile_notice`) and only on a terminal (piped or
    captured stderr stays clean).
    """
    if not err.is_terminal:
        with solving():
            yield lambda stage, done, total: None
        return
    compile_notice()
    bar = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("solves"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int) -> None:
        if not tasks:
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    try:
        with solving():
            yield report
    finally:
        if tasks:
            bar.stop()


@contextmanager
def fold_bar() -> Iterator[Callable[[int, int], None]]:
    """A transient bar over the folds on stderr, on a terminal only (piped
    or captured stderr stays clean)."""
    if not err.is_terminal:
        with solving():
            yield lambda done, total: None
        return
    compile_notice()
    bar = Progress(
        TextColumn("backtest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("folds"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    with solving(), bar:
        task = bar.add_task("backtest", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
