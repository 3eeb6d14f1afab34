"""``realpolitik compare`` (cli/compare.py): table, JSON and Markdown on the
flagship's two seed-text views, and a user's mistakes as one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.analysis.compare import compare
from realpolitik.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_is_the_python_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "compare", LEGACY_FLAGSHIP, "--draws", "100", "--seed", "3", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc == json.loads(json.dumps(compare(LEGACY_FLAGSHIP, draws=100, seed=3).to_json()))
    assert doc["views"] == ["base", "hung", "techoutlook"]
    assert doc["decompositions"]["hung"]["method"] == "shapley"
    assert doc["decompositions"]["hung"]["elements"] == [
        "parameter:partnership_value",
        "parameter:order_distrust",
        "term:west.credibility",
    ]


def test_table_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "compare", LEGACY_FLAGSHIP, "--views", "techoutlook,hung", "--draws", "50"
    )
    assert code == 0
    assert "Forecasts side by side" in out and "What would tell hung from techoutlook" in out
    code, out, _ = run(capsys, "compare", LEGACY_FLAGSHIP, "--draws", "50", "--format", "markdown")
    assert code == 0 and out.startswith("# Will China help Russia?")
    assert "| action or metric | base | hung | techoutlook |" in out


def test_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "compare", LEGACY_FLAGSHIP, "--views", "base,hugn")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: views: unknown view 'hugn' (did you mean 'hung'?); the scenario's views: "
        "'base', 'hung' or 'techoutlook'"
    ]


BAD = {
    "unknown view element": (
        "views:\n  v:\n    terms: {a.gian: 2}\n",
        "views.v.terms.a.gian: unknown payoff term 'a.gian' (did you mean 'a.gain'?)",
    ),
    "mixture weights": (
        "solve: {mixture: {qre: 0.7, spe: 0.2}}\n",
        "solve.mixture: the mixture's weights sum to 0.9, not 1",
    ),
    "unknown concept in a mixture": (
        "solve: {mixture: {qre: 0.5, logit: 0.5}}\n",
        "solve.mixture.logit: unknown concept 'logit' in the mixture",
    ),
    "source date": (
        "",
        "sources.s.date: a source's date is YYYY-MM-DD, YYYY-MM or YYYY",
    ),
}
SMALL = """\
id: small
as_of: "2024-01-01"
sources: {s: {cite: "A source", date: "DATE"}}
actors: {a: A}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: m
    actor: a
    actions: [go, stay]
payoffs:
  a:
    gain: "x * (a == go)"
"""


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_structural_input_is_one_located_line_exit_2(
    case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extra, message = BAD[case]
    date = "03/2023" if case == "source date" else "2023-03-01"
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.replace("DATE", date) + extra, encoding="utf-8")
    code, out, err = run(capsys, "validate", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    line = 3 if case == "source date" else 14 + (2 if case == "unknown view element" else 0)
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:{line}: {message}"), lines
