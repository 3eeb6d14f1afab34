"""Entry point of the ``realpolitik`` command.

A user's mistake (a malformed file, an unknown name, a game a solver cannot
handle) is a :class:`~realpolitik.errors.RealpolitikError`: it is printed as one
line per problem on stderr and the process exits with code 2, never with a
traceback. Any other exception is a bug and is allowed to show its traceback.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import typer

from realpolitik.errors import InputError, RealpolitikError

#: Area modules, each with a ``register(app: typer.Typer) -> None``.
AREA_MODULES: tuple[str, ...] = (
    "realpolitik.cli.scenario",
    "realpolitik.cli.games",
    "realpolitik.cli.bargain",
    "realpolitik.cli.runs",
    "realpolitik.cli.analysis",
    "realpolitik.cli.web",
    "realpolitik.cli.align",
    "realpolitik.cli.estimate",
    "realpolitik.cli.score",
)

EXIT_USER_ERROR = 2


def build_app() -> typer.Typer:
    """The typer application with every area's commands registered."""
    app = typer.Typer(
        name="realpolitik",
        help="Model how states choose sides in an international crisis.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for name in AREA_MODULES:
        module = importlib.import_module(name)
        module.register(app)
    return app


def report_error(error: RealpolitikError) -> None:
    """Print a user's error as one line per problem on stderr."""
    lines = error.lines() if isinstance(error, InputError) else [error.one_line()]
    for line in lines:
        print(f"error: {line}", file=sys.stderr)


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
    """Run the command line; return the exit code (0, 1 or 2)."""
    app = build_app()
    previous = warnings.showwarning
    warnings.showwarning = show_warning
    try:
        app(args=argv, standalone_mode=True)
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
    return 0


def entry() -> None:
    """Console-script entry: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
