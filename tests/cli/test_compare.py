"""``realpolitik compare`` (cli/compare.py): table, JSON and Markdown on the
flagship's two seed-text views, and a user's mistakes as one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from realpolitik.analysis.compare import compare
from realpolitik.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_is_the_python_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "compare", "china-russia-2022", "--draws", "100", "--seed", "3", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc == json.loads(json.dumps(compare("china-russia-2022", draws=100, seed=3).to_json()))
    assert doc["views"] == ["base", "hung", "techoutlook"]
    assert doc["decompositions"]["hung"]["method"] == "shapley"
    assert doc["decompositions"]["hung"]["elements"] == [
        "parameter:partnership_value",
        "parameter:order_distrust",
        "term:west.credibility",
    ]


def test_table_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "compare", "china-russia-2022", "--views", "techoutlook,hung", "--draws", "50"
    )
    assert code == 0
    assert "Forecasts side by side" in out and "What would tell hung from techoutlook" in out
    code, out, _ = run(
        capsys, "compare", "china-russia-2022", "--draws", "50", "--format", "markdown"
    )
    assert code == 0 and out.startswith("# Will China help Russia?")
    assert "| action or metric | base | hung | techoutlook |" in out


def test_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "compare", "china-russia-2022", "--views", "base,hugn")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: views: unknown view 'hugn' (did you mean 'hung'?); the scenario's views: "
        "'base', 'hung' or 'techoutlook'"
    ]
