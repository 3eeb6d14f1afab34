"""Figures draw users' text as written, never as TeX.

matplotlib itself is the reference: on its own figure a title such as
``Costs of $5bn^^ and $10bn`` raises when drawn, and ``$x$`` is typeset
(the dollar signs vanish). On our figures, and through the command line's
``--plot``, the same text draws, and every text keeps its dollar signs.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import realpolitik as rp
from fixture_scenarios import text_scenario
from realpolitik.cli.main import main
from realpolitik.plots.figure import new_figure

BAD_TEX = "Costs of $5bn^^ and $10bn"
TITLE = "Sanctions worth $5bn^^ or $10bn"
ACTOR = "The $West$"

SCENARIO = text_scenario(
    title=TITLE,
    west=ACTOR,
    targeted="Targeted, $1bn",
    sweeping="Sweeping, $5bn",
    unit="$bn",
)


def _draw(fig: Figure) -> None:
    fig.savefig(io.BytesIO(), format="png")


def test_matplotlib_reads_dollars_as_tex_on_its_own_figure() -> None:
    fig = Figure()
    fig.add_subplot().set_title(BAD_TEX)
    with pytest.raises(ValueError):  # pyparsing's ParseSyntaxException is a ValueError
        _draw(fig)


def test_our_figure_draws_the_same_text_as_written() -> None:
    fig = new_figure()
    ax = fig.add_subplot()
    ax.set_title(BAD_TEX)
    ax.plot([0, 1], label="$x$ and $y$")
    ax.legend()
    _draw(fig)
    texts = [t for t in fig.findobj(Text) if isinstance(t, Text) and t.get_text()]
    assert all(not t.get_parse_math() for t in texts)
    assert {BAD_TEX, "$x$ and $y$"} <= {t.get_text() for t in texts}


def test_forecast_and_explanation_plots_of_a_scenario_with_dollars(tmp_path: Path) -> None:
    path = tmp_path / "dollars.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    figures = rp.forecast(str(path)).plot()
    figures = {**figures, "explain": rp.explain(str(path)).plot()}
    for fig in figures.values():
        _draw(fig)
        assert all(not t.get_parse_math() for t in fig.findobj(Text) if isinstance(t, Text))
    drawn = {t.get_text() for fig in figures.values() for t in fig.findobj(Text)}
    assert any(TITLE in text for text in drawn)


def test_cli_plot_of_a_scenario_with_dollars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dollars.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    plots = tmp_path / "plots"
    assert main(["forecast", str(path), "--plot", str(plots)]) == 0
    assert main(["explain", str(path), "--plot", str(plots)]) == 0
    assert main(["report", str(path), str(tmp_path / "report.html")]) == 0
    for stem in ("explain", "forecast", "pathways"):
        assert (plots / f"{stem}.svg").stat().st_size > 1000
    assert TITLE in (tmp_path / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()
