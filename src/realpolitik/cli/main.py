"""Entry point of the ``realpolitik`` command.

A user's mistake (a malformed file, an unknown name, a game a solver cannot
handle, a mistyped option or command) is printed as one line per problem on
stderr and the process exits with code 2, never with a traceback or a box:
:class:`~realpolitik.errors.RealpolitikError` from the library, and click's
usage errors (intercepted here, as click's own ``standalone_mode`` would draw
them over several lines). Any other exception is a bug and is allowed to show
its traceback.

Commands load lazily: :data:`COMMANDS` names each command's area module and
its one-line help, so ``realpolitik --help`` and a command such as
``scenarios`` import only the module they need (start-up time: see
BENCHMARKS.md). An area module in :data:`AREA_MODULES` without an entry in
:data:`COMMANDS` is imported and registered eagerly, so adding an area needs
only its module name (the table then makes it lazy).
"""

from __future__ import annotations

import difflib
import importlib
import sys
import warnings
from typing import Any, NamedTuple

import typer
import typer.core
import typer.main

from realpolitik.errors import InputError, RealpolitikError

try:  # typer >= 0.22 carries its own copy of click, whose exceptions it raises
    from typer import _click as click
except ImportError:  # older typer runs on click itself
    import click  # type: ignore[no-redef]

#: Area modules, each with a ``register(app: typer.Typer) -> None``.
AREA_MODULES: tuple[str, ...] = (
    "realpolitik.cli.scenario",
    "realpolitik.cli.examples",
    "realpolitik.cli.games",
    "realpolitik.cli.bargain",
    "realpolitik.cli.runs",
    "realpolitik.cli.analysis",
    "realpolitik.cli.compare",
    "realpolitik.cli.web",
    "realpolitik.cli.align",
    "realpolitik.cli.estimate",
    "realpolitik.cli.score",
    "realpolitik.cli.backtest",
)


class CommandEntry(NamedTuple):
    """Where a top-level command lives, and its line in ``--help``."""

    module: str
    summary: str


#: Every top-level command, in the order ``--help`` lists them. Checked
#: against what the area modules register by tests/cli/test_main.py.
COMMANDS: dict[str, CommandEntry] = {
    "scenarios": CommandEntry("realpolitik.cli.scenario", "List the built-in scenarios."),
    "examples": CommandEntry(
        "realpolitik.cli.examples", "List the example inputs that ship, with a command for each."
    ),
    "new": CommandEntry("realpolitik.cli.scenario", "Write a commented scenario template."),
    "validate": CommandEntry("realpolitik.cli.scenario", "Check a scenario file."),
    "forecast": CommandEntry(
        "realpolitik.cli.scenario", "Who does what, the pathways, metrics and the reasons."
    ),
    "explain": CommandEntry(
        "realpolitik.cli.scenario", "Each decision against its alternatives, term by term."
    ),
    "pathways": CommandEntry(
        "realpolitik.cli.scenario", "Every escalation pathway with its probability and metrics."
    ),
    "compare": CommandEntry(
        "realpolitik.cli.compare", "Analysts' views side by side, each difference explained."
    ),
    "report": CommandEntry("realpolitik.cli.scenario", "Write the forecast as one HTML file."),
    "export-gambit": CommandEntry(
        "realpolitik.cli.scenario", "Write the scenario's game as a Gambit .efg file."
    ),
    "solve": CommandEntry("realpolitik.cli.games", "Equilibria of a Gambit .efg or .nfg file."),
    "sensitivity": CommandEntry(
        "realpolitik.cli.analysis", "Which parameters drive a target (Sobol', Morris, tornado)."
    ),
    "discover": CommandEntry(
        "realpolitik.cli.analysis", "When a choice holds and where it flips (PRIM, thresholds)."
    ),
    "run": CommandEntry("realpolitik.cli.runs", "Run or resume a stored ensemble."),
    "runs": CommandEntry("realpolitik.cli.runs", "The runs in a results store."),
    "bargain": CommandEntry("realpolitik.cli.bargain", "Bargaining forecasts (EUM, KTAB's SMP)."),
    "serve": CommandEntry("realpolitik.cli.web", "The dashboard page and its JSON API."),
    "align": CommandEntry("realpolitik.cli.align", "All UN members choosing sides."),
    "align-fit": CommandEntry(
        "realpolitik.cli.align", "Refit an alignment scenario's coefficients, with standard errors."
    ),
    "estimate": CommandEntry(
        "realpolitik.cli.estimate", "Estimate a strategic model's payoffs from observed outcomes."
    ),
    "calibrate": CommandEntry(
        "realpolitik.cli.estimate", "Fit a scenario's logit precision lambda to observed choices."
    ),
    "score": CommandEntry(
        "realpolitik.cli.score", "Log and Brier scores of a forecast against observed outcomes."
    ),
    "backtest": CommandEntry(
        "realpolitik.cli.backtest", "Leave-one-case-out backtests of the case library."
    ),
    "cases": CommandEntry(
        "realpolitik.cli.backtest", "The case library's past cases (as_of, decisions, title)."
    ),
}

EXIT_USER_ERROR = 2

HELP = "Model how states choose sides in an international crisis."


def _area_commands(module_name: str) -> dict[str, click.Command]:
    """The click commands an area module registers."""
    area = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(module_name).register(area)
    return dict(typer.main.get_group(area).commands)


class LazyGroup(typer.core.TyperGroup):
    """The top-level group: each command's module is imported when it is used."""

    def _lazy(self) -> dict[str, CommandEntry]:
        return {n: e for n, e in COMMANDS.items() if e.module in AREA_MODULES}

    def _eager(self) -> dict[str, click.Command]:
        known = {e.module for e in COMMANDS.values()}
        found: dict[str, click.Command] = {}
        for module in AREA_MODULES:
            if module not in known:
                found.update(_area_commands(module))
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self._lazy(), *self._eager()]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self._lazy().get(cmd_name)
        if entry is not None:
            return _area_commands(entry.module).get(cmd_name)
        return self._eager().get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise click.exceptions.UsageError(
                f"no command {name!r}{hint}; see realpolitik --help", ctx
            )
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, entry.summary) for name, entry in self._lazy().items()]
        rows += [(n, c.get_short_help_str(80)) for n, c in self._eager().items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def build_group() -> LazyGroup:
    """The ``realpolitik`` command group (commands imported on use)."""
    return LazyGroup(name="realpolitik", help=HELP, no_args_is_help=True, rich_markup_mode=None)


def build_app() -> typer.Typer:
    """A typer application with every area's commands registered (eagerly),
    for documentation tools and tests that want the whole tree."""
    app = typer.Typer(
        name="realpolitik",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in AREA_MODULES:
        importlib.import_module(name).register(app)
    return app


def report_error(error: RealpolitikError) -> None:
    """Print a user's error as one line per problem on stderr."""
    lines = error.lines() if isinstance(error, InputError) else [error.one_line()]
    for line in lines:
        print(f"error: {line}", file=sys.stderr)


def usage_line(error: click.exceptions.UsageError) -> str:
    """A click usage error as one line: the command, then the message."""
    message = " ".join(error.format_message().split())
    command = error.ctx.command_path if error.ctx is not None else "realpolitik"
    return f"error: {command}: {message[:1].lower()}{message[1:]}"


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    """Print a warning as one ``warning: ...`` line on stderr (the command
    line's counterpart of Python's file-and-line format, meant for users)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0, 1, 2 or 130)."""
    group = build_group()
    previous = warnings.showwarning
    warnings.showwarning = show_warning
    try:
        result: Any = group.main(args=argv, prog_name="realpolitik", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as error:
        if error.ctx is not None:
            print(error.ctx.get_help())
        return 0
    except click.exceptions.UsageError as error:
        print(usage_line(error), file=sys.stderr)
        return EXIT_USER_ERROR
    except click.exceptions.ClickException as error:
        print(f"error: {' '.join(error.format_message().split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except typer.Abort:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except RealpolitikError as error:
        report_error(error)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous
    return result if isinstance(result, int) else 0


def entry() -> None:
    """Console-script entry: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
