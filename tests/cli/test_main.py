"""The command line's entry: commands load lazily from one table that matches
what the area modules register, and every usage error (unknown command or
option, a bad value, a missing argument) is one line on stderr with exit
code 2, never a box or a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.cli import main as cli_main
from realpolitik.cli.main import COMMANDS, _area_commands


def test_the_command_table_matches_the_area_modules() -> None:
    registered: dict[str, str] = {}
    for module in cli_main.AREA_MODULES:
        for name in _area_commands(module):
            registered[name] = module
    assert registered == {name: entry.module for name, entry in COMMANDS.items()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forecst"], "error: realpolitik: no command 'forecst' (did you mean forecast?)"),
        (["forecast", LEGACY_FLAGSHIP, "--drws", "3"], "no such option: --drws"),
        (["forecast", LEGACY_FLAGSHIP, "--draws", "many"], "invalid value for '--draws'"),
        (["forecast", LEGACY_FLAGSHIP, "--method", "grid"], "invalid value for '--method'"),
        (["forecast"], "error: realpolitik forecast: missing argument 'scenario'"),
        (["bargain", "rn"], "error: realpolitik bargain: no such command 'rn'"),
        (["solve"], "missing argument 'file'"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert cli_main.main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err, err


def test_help_lists_every_command_without_loading_them(capsys: pytest.CaptureFixture[str]) -> None:
    code = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from realpolitik.cli.main import main; code = main(['--help']); "
            "heavy = [m for m in ('scipy', 'pandas', 'matplotlib', 'duckdb', 'numba') "
            "if m in sys.modules]; print('HEAVY', heavy); sys.exit(code)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert code.returncode == 0, code.stderr
    for name in COMMANDS:
        assert f"  {name} " in code.stdout
    assert "HEAVY []" in code.stdout


def test_scenarios_lists_without_scipy() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from realpolitik.cli.main import main; code = main(['scenarios']); "
            "print('SCIPY', 'scipy' in sys.modules); sys.exit(code)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "china-russia-2022" in done.stdout and "SCIPY False" in done.stdout


def test_a_forecast_loads_matplotlib_only_to_draw(tmp_path: Path) -> None:
    """A forecast (with the explanation printed under it) and an explanation
    that draw nothing leave matplotlib unloaded (0.3 s of start-up); asked
    for plots, the forecast loads it and writes them."""
    plots = tmp_path / "plots"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from realpolitik.cli.main import main; "
            "codes = [main(['forecast', 'taiwan-signal']), main(['explain', 'taiwan-signal'])]; "
            "print('MPL', 'matplotlib' in sys.modules); "
            f"codes.append(main(['forecast', 'taiwan-signal', '--plot', {str(plots)!r}])); "
            "print('MPL', 'matplotlib' in sys.modules); sys.exit(max(codes))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "MPL False" in done.stdout and "MPL True" in done.stdout
    assert done.stdout.index("MPL False") < done.stdout.index("MPL True")
    assert any(plots.glob("*.png")) and any(plots.glob("*.svg"))
