"""The explanation plot draws exactly the term differences of the explanation,
and the CLI writes it (and the forecast plots) with --plot DIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.patches import Rectangle

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.cli.main import main
from realpolitik.plots.explain_plots import plot_explanation


def test_bars_are_the_term_differences() -> None:
    explanation = rp.explain(LEGACY_FLAGSHIP, concept="spe")
    fig = plot_explanation(explanation)
    decisions = [d for d in explanation.decisions if d.alternatives]
    for ax, decision in zip(fig.axes, decisions, strict=False):
        widths = sorted(round(p.get_width(), 12) for p in ax.patches if isinstance(p, Rectangle))
        expected = sorted(
            round(alt.terms[t], 12) for alt in decision.alternatives for t in decision.value_terms
        )
        assert widths == expected
        totals = sorted(
            round(float(line.get_xdata()[0]), 12) for line in ax.lines if line.get_marker() == "D"
        )
        assert totals == sorted(round(a.difference, 12) for a in decision.alternatives)


def test_cli_writes_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", LEGACY_FLAGSHIP, "--plot", str(tmp_path)]) == 0
    assert main(["forecast", LEGACY_FLAGSHIP, "--plot", str(tmp_path)]) == 0
    for stem in ("explain", "forecast", "pathways"):
        for ext in ("png", "svg"):
            assert (tmp_path / f"{stem}.{ext}").stat().st_size > 1000
    capsys.readouterr()


def test_plot_into_a_file_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["explain", LEGACY_FLAGSHIP, "--plot", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err
