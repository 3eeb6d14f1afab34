"""Users' text prints as written: titles, names and labels are neither rich
markup nor emoji codes.

A scenario's title, an actor's name or an action's label may hold square
brackets or colons. Read as rich markup, ``[/]`` raised ``MarkupError`` (a
traceback for a valid file) and ``[red]`` vanished; read as emoji codes,
``west:package:targeted`` came out as ``west📦targeted``. Each command's
output is checked for the very strings of the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixture_scenarios import text_scenario
from realpolitik.cli.main import main

TITLE = "Sanctions [/] draft :package: [red]x[/red] [bold]"
ACTOR = "The [west] :package:"

SCENARIO = text_scenario(
    title=TITLE,
    west=ACTOR,
    targeted="Targeted [list] :package:",
    source="Judgement [illustration]",
    views="""views:
  costly:
    description: "Dearer sanctions [a view] :moneybag:"
    parameters:
      cost: {dist: uniform, low: 2, high: 4, judgement: "a dearer view [for the test]"}
""",
)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "literal.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_forecast_prints_the_title_as_written(
    capsys: pytest.CaptureFixture[str], scenario: Path, fmt: str
) -> None:
    code, out, err = run(capsys, "forecast", str(scenario), "--format", fmt)
    assert code == 0, err
    assert TITLE in out
    assert "📦" not in out


def test_explain_prints_names_and_labels_as_written(
    capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    code, out, err = run(capsys, "explain", str(scenario))
    assert code == 0, err
    assert ACTOR in out
    assert "📦" not in out


def test_compare_keeps_actor_move_action_names(
    capsys: pytest.CaptureFixture[str], scenario: Path
) -> None:
    # the rows name actor, move and action joined by colons: "west:package:..."
    # is where ":package:" used to turn into an emoji
    code, out, err = run(capsys, "compare", str(scenario), "--draws", "50", "--seed", "1")
    assert code == 0, err
    assert TITLE in out
    assert "west:package:targeted" in out and "west:package:sweeping" in out
    assert "Dearer sanctions [a view] :moneybag:" in out
    assert "📦" not in out and "💰" not in out
