"""The alignment forecast's charts and HTML report: the plotted heights and
the printed numbers are the forecast's, checked by arithmetic the package
does not do (the expected tally as the sum of the 193 members' mean
probabilities; the 90% range as the counts where the cumulative share of
simulated roll calls crosses 5% and 95%; the ranking by P(yes) - P(no)).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.forecast import AlignmentResult, align
from realpolitik.alignment.plots import probabilities_figure, tally_figure
from realpolitik.alignment.scenario import load_alignment_scenario
from realpolitik.cli.main import main
from realpolitik.report.alignment_report import build_alignment_report

SCENARIO = "unga-2022-aggression"


@pytest.fixture(scope="module")
def result() -> AlignmentResult:
    return align(SCENARIO, draws=200, seed=3)


def _ranked(result: AlignmentResult) -> list[str]:
    rows = result.countries.to_dict("records")
    rows.sort(key=lambda m: (-(m["yes"] - m["no"]), -m["yes"]))
    return [str(m["iso3"]) for m in rows]


def _range(counts: np.ndarray, q: float) -> int:
    """The smallest count whose cumulative share of roll calls reaches q."""
    share = np.cumsum(counts) / counts.sum()
    return int(np.flatnonzero(share >= q)[0])


def test_the_ranked_chart_is_every_members_probabilities(result: AlignmentResult) -> None:
    fig = probabilities_figure(result)
    bars = {p.get_gid(): p for p in fig.findobj(Rectangle) if p.get_gid()}
    ranked = _ranked(result)
    table = result.countries.set_index("iso3")
    for choice in CHOICES:
        heights = [bars[f"{choice}:{iso3}"].get_height() for iso3 in ranked]
        assert heights == pytest.approx(table.loc[ranked, choice].to_list(), abs=1e-12)
        xs = [bars[f"{choice}:{iso3}"].get_x() for iso3 in ranked]
        assert xs == sorted(xs)  # left to right in the ranked order
    # yes at the bottom: each column's segments stack up to 1
    tops = [bars[f"no:{iso3}"].get_y() + bars[f"no:{iso3}"].get_height() for iso3 in ranked]
    assert tops == pytest.approx([1.0] * len(ranked), abs=1e-9)
    (interval,) = [c for c in fig.findobj(LineCollection) if c.get_gid() == "yes-interval"]
    segments = np.asarray(interval.get_segments())  # [member, end, (x, y)]
    assert segments[:, 0, 1] == pytest.approx(table.loc[ranked, "yes_p05"].to_numpy())
    assert segments[:, 1, 1] == pytest.approx(table.loc[ranked, "yes_p95"].to_numpy())


def test_the_tally_chart_is_the_simulated_roll_calls(result: AlignmentResult) -> None:
    fig = tally_figure(result)
    for k, choice in enumerate(CHOICES):
        counts = result.tally_samples[:, k]
        bins = [p for p in fig.findobj(Rectangle) if p.get_gid() == f"tally:{choice}"]
        assert [b.get_height() for b in bins] == list(
            np.bincount(counts - counts.min(), minlength=counts.max() - counts.min() + 1)
        )
        (line,) = [a for a in fig.findobj() if a.get_gid() == f"expected:{choice}"]
        expected = result.countries[choice].sum()  # the members' mean probabilities
        assert line.get_xdata()[0] == pytest.approx(expected, abs=1e-9)


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svgs = 0
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "svg":
            self.svgs += 1
        assert tag not in ("script", "link", "img")  # self-contained

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._rows is not None and self._cell is not None:
            self._rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_report_prints_the_forecast(result: AlignmentResult) -> None:
    scenario = load_alignment_scenario(SCENARIO)
    parsed = _Tables()
    parsed.feed(build_alignment_report(result, scenario))
    assert parsed.svgs == 2
    head, *rows = parsed.tables["tally"]
    tally = {r[0]: dict(zip(head, r, strict=True)) for r in rows}
    for k, choice in enumerate(CHOICES):
        expected = result.countries[choice].sum()
        assert float(tally[choice]["expected"]) == pytest.approx(expected, abs=0.051)
        counts = np.bincount(result.tally_samples[:, k])
        low, high = _range(counts, 0.05), _range(counts, 0.95)
        assert tally[choice]["90% of roll calls"] == f"{low}-{high}"
    head, *rows = parsed.tables["members"]
    assert [r[0] for r in rows] == _ranked(result)
    table = result.countries.set_index("iso3")
    for r in rows:
        row = dict(zip(head, r, strict=True))
        member = table.loc[row["ISO3"]]
        for choice in CHOICES:
            assert float(row[choice].rstrip("%")) / 100 == pytest.approx(member[choice], abs=5e-4)
        low, high = (float(x.rstrip("%")) / 100 for x in row["yes, 90% of draws"].split(" to "))
        assert (low, high) == pytest.approx((member["yes_p05"], member["yes_p95"]), abs=5e-4)
    # what it rests on: every crisis parameter, its source or its judgement
    head, *rows = parsed.tables["crisis"]
    assert [r[0] for r in rows] == [p.name for p in scenario.crisis]
    for r, p in zip(rows, scenario.crisis, strict=True):
        assert (r[5] == p.judgement) if p.judgement else (r[5] == "-")


def test_cli_report_whole_or_not_at_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "align.html"
    assert main(["align", SCENARIO, "--draws", "20", "--report", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "Expected tally" in text
    capsys.readouterr()
    # a bad path is refused before anything is computed
    assert main(["align", SCENARIO, "--report", str(tmp_path / "missing" / "a.html")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["align.html"]


def test_the_report_command_takes_an_alignment_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``realpolitik report`` on an alignment scenario writes the alignment
    report, with the same numbers as ``align`` at the same draws and seed."""
    out = tmp_path / "report.html"
    assert main(["report", SCENARIO, str(out), "--draws", "30", "--seed", "2"]) == 0
    parsed = _Tables()
    parsed.feed(out.read_text(encoding="utf-8"))
    head, *rows = parsed.tables["tally"]
    expected = align(SCENARIO, draws=30, seed=2).countries
    for row in rows:
        record = dict(zip(head, row, strict=True))
        total = expected[record["vote"]].sum()
        assert float(record["expected"]) == pytest.approx(total, abs=0.051)
    capsys.readouterr()
    assert main(["report", SCENARIO, str(tmp_path / "x.html"), "--target", "a:b"]) == 2
    assert "does not apply to an alignment scenario" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
