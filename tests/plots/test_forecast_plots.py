"""Forecast plots: the files are written, and the drawn data are the input data
(read back from the artists).

The bar test uses a table written by hand; the pathway tests compute each
branch's probability here, by summing the ``probability`` of the pathways
that start with the branch's history, independently of the plot's tree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

import realpolitik as rp
from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.errors import InputError
from realpolitik.plots.forecast_plots import (
    MAX_WIDTH,
    MIN_WIDTH,
    plot_forecast,
    plot_forecast_bars,
    plot_pathways,
    prefix_name,
    write_forecast_plots,
)

ACTIONS = pd.DataFrame(
    {
        "actor": ["russia", "russia", "china", "china", "china", "west", "west"],
        "move": ["go", "go", "align", "align", "align", "sanction", "answer"],
        "action": ["full", "limited", "join", "neutral", "help", "sweep", "punish"],
        "label": ["Full", "Limited", "Join", "Neutral", "Help", "Sweep", "Punish"],
        "probability": [0.6, 0.4, 0.05, 0.7, 0.25, 1.0, 0.1],
        "p05": [0.1, 0.02, 0.0, 0.4, 0.1, 1.0, 0.0],
        "p95": [0.98, 0.9, 0.1, 0.9, 0.5, 1.0, 0.02],  # punish: mean above its p95
        "most_likely_share": [0.6, 0.4, 0.0, 0.9, 0.1, 1.0, 0.0],
    }
)


def assert_written(path: Path) -> None:
    assert path.stat().st_size > 1000
    if path.suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        text = path.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "</svg>" in text


@pytest.fixture(scope="module")
def flagship_forecast() -> Forecast:
    return forecast(rp.load(LEGACY_FLAGSHIP), draws=300, seed=5)


# --------------------------------------------------------------------------
# Forecast bars
# --------------------------------------------------------------------------


def test_bars_and_intervals_are_the_table(tmp_path: Path) -> None:
    fig = plot_forecast_bars(ACTIONS, title="test", path=tmp_path / "bars.png")
    assert_written(tmp_path / "bars.png")
    assert_written(tmp_path / "bars.svg")
    axes = fig.axes
    assert [ax.get_title(loc="left") for ax in axes] == ["russia", "china", "west"]
    for ax, actor in zip(axes, ["russia", "china", "west"], strict=True):
        rows = ACTIONS.loc[ACTIONS["actor"] == actor]
        bars = next(c for c in ax.containers if isinstance(c, BarContainer))
        widths = [patch.get_width() for patch in bars.patches]
        np.testing.assert_allclose(widths, rows["probability"])
        # bars run top to bottom in the table's order
        ys = [patch.get_y() for patch in bars.patches]
        assert ys == sorted(ys, reverse=True)
        lines = next(c for c in ax.collections if isinstance(c, LineCollection))
        segments = np.array([seg[:, 0] for seg in lines.get_segments()])
        np.testing.assert_allclose(segments, rows[["p05", "p95"]].to_numpy())
    # west has two moves: its labels carry the move
    assert [t.get_text() for t in axes[2].get_yticklabels()] == [
        "sanction: sweep",
        "answer: punish",
    ]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["full", "limited"]


def test_bars_refuse_a_table_without_intervals() -> None:
    with pytest.raises(InputError, match="lacks columns p05, p95"):
        plot_forecast_bars(ACTIONS.drop(columns=["p05", "p95"]))
    with pytest.raises(InputError, match="empty"):
        plot_forecast_bars(ACTIONS.iloc[:0])


# --------------------------------------------------------------------------
# Pathway diagram
# --------------------------------------------------------------------------


def by_gid(fig: Figure, kind: type, prefix: str) -> dict[str, object]:
    found = {}
    for artist in fig.axes[0].get_children():
        gid = artist.get_gid()
        if isinstance(artist, kind) and gid and gid.startswith(prefix):
            found[gid[len(prefix) :]] = artist
    return found


def branch_probabilities(pathways: pd.DataFrame) -> dict[str, float]:
    """Each history's probability: the summed probability of the pathways
    that begin with it."""
    out: dict[str, float] = {}
    for steps, p in zip(pathways["steps"], pathways["probability"], strict=True):
        for k in range(1, len(steps) + 1):
            name = prefix_name(steps[:k])
            out[name] = out.get(name, 0.0) + float(p)
    return out


def test_pathway_widths_and_labels_are_the_probabilities(flagship_forecast: Forecast) -> None:
    pathways = flagship_forecast.pathways
    fig = plot_pathways(pathways)
    expected = branch_probabilities(pathways)
    edges = by_gid(fig, Line2D, "edge:")
    assert set(edges) == set(expected)
    for name, line in edges.items():
        assert isinstance(line, Line2D)
        width = MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * expected[name]
        assert line.get_linewidth() == pytest.approx(width)
    labels = by_gid(fig, Text, "edge-label:")
    for name, text in labels.items():
        assert isinstance(text, Text)
        action = name.rsplit(":", 1)[1]
        assert text.get_text() == f"{action} {expected[name]:.1%}"
    leaves = by_gid(fig, Text, "leaf-label:")
    assert len(leaves) == len(pathways)  # the flagship's 28 pathways, all drawn
    for path, p in zip(pathways["path"], pathways["probability"], strict=True):
        leaf = leaves[path]
        assert isinstance(leaf, Text)
        assert leaf.get_text() == f"{p:.1%}"
    # the most likely pathway is drawn on top
    top = max(leaves.values(), key=lambda t: t.get_position()[1])  # type: ignore[attr-defined]
    assert top is leaves[pathways["path"].iloc[0]]


def test_pathways_beyond_max_paths_are_left_out(flagship_forecast: Forecast) -> None:
    pathways = flagship_forecast.pathways
    fig = plot_pathways(pathways, max_paths=5, title="top five")
    leaves = by_gid(fig, Text, "leaf-label:")
    assert set(leaves) == set(pathways["path"].head(5))
    hidden = float(pathways["probability"].iloc[5:].sum())
    assert f"23 least likely pathways, {hidden:.1%} in all, not drawn" in fig.axes[0].get_title(
        loc="left"
    )
    with pytest.raises(InputError, match="max_paths"):
        plot_pathways(pathways, max_paths=0)
    with pytest.raises(InputError, match="lacks columns steps"):
        plot_pathways(pathways.drop(columns=["steps"]))


def test_a_hand_built_tree() -> None:
    # a -> x (0.7: then b -> y 0.5 or z 0.2) or w (0.3, ends)
    pathways = pd.DataFrame(
        {
            "steps": [[("a", "x"), ("b", "y")], [("a", "w")], [("a", "x"), ("b", "z")]],
            "probability": [0.5, 0.3, 0.2],
        }
    )
    fig = plot_pathways(pathways)
    edges = by_gid(fig, Line2D, "edge:")
    widths = {k: v.get_linewidth() for k, v in edges.items()}  # type: ignore[attr-defined]
    assert widths == pytest.approx(
        {
            "a:x": MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * 0.7,
            "a:w": MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * 0.3,
            "a:x > b:y": MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * 0.5,
            "a:x > b:z": MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * 0.2,
        }
    )
    movers = by_gid(fig, Text, "mover:")
    assert {k: v.get_text() for k, v in movers.items()} == {"": "a", "a:x": "b"}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# A forecast's plots
# --------------------------------------------------------------------------


def test_write_forecast_plots(flagship_forecast: Forecast, tmp_path: Path) -> None:
    files = write_forecast_plots(flagship_forecast, tmp_path / "out")
    assert [f.name for f in files] == [
        "forecast.png",
        "forecast.svg",
        "pathways.png",
        "pathways.svg",
    ]
    for f in files:
        assert_written(f)
    figures = plot_forecast(flagship_forecast)
    assert set(figures) == {"forecast", "pathways"}
    assert "300 draws (mc, seed 5)" in str(figures["forecast"].get_suptitle())


def test_central_forecast_has_zero_width_intervals() -> None:
    central = forecast(rp.load(LEGACY_FLAGSHIP))
    fig = plot_forecast(central)["forecast"]
    for ax in fig.axes:
        lines = next(c for c in ax.collections if isinstance(c, LineCollection))
        for seg in lines.get_segments():
            assert seg[0, 0] == seg[1, 0]


def test_plots_into_a_file_are_refused(flagship_forecast: Forecast, tmp_path: Path) -> None:
    taken = tmp_path / "file"
    taken.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        write_forecast_plots(flagship_forecast, taken)
