"""The HTML report: self-contained, complete (every parameter and source),
the same numbers as the forecast, and written whole or not at all."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.analysis.forecast import forecast
from realpolitik.cli.main import main
from realpolitik.report.html_report import build_report
from realpolitik.scenario.load import resolve

FLAGSHIP = LEGACY_FLAGSHIP


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def report() -> tuple[str, _Collect]:
    html = build_report(resolve(FLAGSHIP), draws=300, seed=2, target="china:covert_assist")
    parsed = _Collect()
    parsed.feed(html)
    return html, parsed


def test_self_contained(report: tuple[str, _Collect]) -> None:
    _, parsed = report
    names = [t for t, _ in parsed.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    # plots inline: bars, pathway diagram, explanation, tornado
    assert names.count("svg") == 4
    for tag, attrs in parsed.tags:
        if tag == "a":  # only links to the sources' own addresses
            assert (attrs.get("href") or "").startswith(("http://", "https://"))
        assert not (attrs.get("src") or "").startswith("http")


def test_every_parameter_and_source_is_in_it(report: tuple[str, _Collect]) -> None:
    _, parsed = report
    text = "".join(parsed.text)
    scenario = resolve(FLAGSHIP)
    for p in scenario.parameters.values():
        assert p.id in text and p.distribution.describe() in text
    for s in scenario.sources.values():
        assert s.cite in text


def test_the_numbers_are_the_forecasts(report: tuple[str, _Collect]) -> None:
    _, parsed = report
    text = "".join(parsed.text)
    result = forecast(resolve(FLAGSHIP), draws=300, seed=2)
    for r in result.actions.to_dict("records"):
        assert f"{100 * r['probability']:.1f}%" in text
        assert f"{100 * r['p05']:.1f}% to {100 * r['p95']:.1f}%" in text
    assert "QRE, lambda = 2, 300 parameter draws (mc, seed 2)" in text
    assert "What moves china:covert_assist most" in text


def test_cli_writes_the_file_whole_or_not_at_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", FLAGSHIP, str(out), "--set", "partnership_value=3"]) == 0
    assert "held by hand: partnership_value = 3" in out.read_text(encoding="utf-8")
    assert out.stat().st_mode & 0o044  # readable like any file the user writes
    before = out.read_bytes()
    capsys.readouterr()
    # a mistake leaves the earlier report as it was, and no temporary file
    assert main(["report", FLAGSHIP, str(out), "--set", "partnership_value=30"]) == 2
    assert "outside its distribution's support" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert main(["report", FLAGSHIP, str(tmp_path / "missing" / "r.html")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert main(["report", FLAGSHIP, str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
