"""Plots: files are written, and the drawn data are the input data.

The tables are built by hand here (not by the analysis functions) so that
each bar, point and rectangle can be compared with a known value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.patches import Rectangle

from realpolitik.analysis.prim import prim
from realpolitik.errors import InputError
from realpolitik.plots.sensitivity_plots import (
    most_restrictive,
    plot_morris,
    plot_prim_box,
    plot_prim_tradeoff,
    plot_sobol,
    plot_tornado,
    save_figure,
)


def assert_written(stem: Path) -> None:
    png = stem.parent / f"{stem.name}.png"
    svg = stem.parent / f"{stem.name}.svg"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 1000
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "</svg>" in text


TORNADO = pd.DataFrame(
    {
        "output": ["p"] * 3 + ["q"] * 3,
        "parameter": ["a", "b", "c"] * 2,
        "low_value": [0.1, 1.0, 5.0] * 2,
        "high_value": [0.9, 2.0, 7.0] * 2,
        "y_low": [0.2, 0.55, 0.5, 0.0, 0.0, 0.0],
        "y_high": [0.9, 0.40, 0.45, 0.0, 0.0, 0.0],
        "y_central": [0.5] * 6,
        "swing": [0.7, 0.15, 0.05, 0.0, 0.0, 0.0],
    }
)

SOBOL = pd.DataFrame(
    {
        "output": ["y"] * 3,
        "parameter": ["a", "b", "c"],
        "S1": [0.1, 0.5, 0.0],
        "S1_conf": [0.02, 0.03, 0.01],
        "ST": [0.3, 0.6, 0.05],
        "ST_conf": [0.04, 0.05, 0.02],
    }
)


def test_tornado_bars_are_the_swings(tmp_path: Path) -> None:
    fig = plot_tornado(TORNADO, output="p", path=tmp_path / "t")
    assert_written(tmp_path / "t")
    ax = fig.axes[0]
    low, high = (c for c in ax.containers if isinstance(c, BarContainer))
    # Largest swing on top: a (y = 2), b (1), c (0).
    assert [p.get_y() + p.get_height() / 2 for p in low] == pytest.approx([2.0, 1.0, 0.0])
    assert [p.get_x() for p in low] == pytest.approx([0.5, 0.5, 0.5])
    assert [p.get_x() + p.get_width() for p in low] == pytest.approx([0.2, 0.55, 0.5])
    assert [p.get_x() + p.get_width() for p in high] == pytest.approx([0.9, 0.40, 0.45])
    labels = dict(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True))
    assert labels == {2.0: "a\n[0.1, 0.9]", 1.0: "b\n[1, 2]", 0.0: "c\n[5, 7]"}


def test_tornado_top_and_default_output() -> None:
    fig = plot_tornado(TORNADO, top=2)
    low = fig.axes[0].containers[0]
    assert len(low) == 2
    assert fig.axes[0].get_xlabel().startswith("p")


def test_sobol_bar_heights_and_error_bars(tmp_path: Path) -> None:
    fig = plot_sobol(SOBOL, path=tmp_path / "s.svg")  # a suffix is dropped
    assert_written(tmp_path / "s")
    ax = fig.axes[0]
    s1, st = (c for c in ax.containers if isinstance(c, BarContainer))
    # Sorted by decreasing ST: b, a, c.
    assert [t.get_text() for t in ax.get_xticklabels()] == ["b", "a", "c"]
    assert [p.get_height() for p in s1] == pytest.approx([0.5, 0.1, 0.0])
    assert [p.get_height() for p in st] == pytest.approx([0.6, 0.3, 0.05])
    segments = s1.errorbar.lines[2][0].get_segments()
    assert [seg[1][1] - seg[0][1] for seg in segments] == pytest.approx([0.06, 0.04, 0.02])


def test_morris_points() -> None:
    frame = pd.DataFrame(
        {
            "output": ["y"] * 2,
            "parameter": ["a", "b"],
            "mu": [1.0, -2.0],
            "mu_star": [1.0, 2.5],
            "mu_star_conf": [0.1, 0.2],
            "sigma": [0.0, 1.5],
        }
    )
    fig = plot_morris(frame)
    offsets = fig.axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets, [[1.0, 0.0], [2.5, 1.5]])


@pytest.fixture(scope="module")
def prim_case() -> tuple[np.ndarray, np.ndarray, object]:
    rng = np.random.default_rng(0)
    X = rng.random((3000, 4))
    y = ((X[:, 2] >= 0.5) & (X[:, 0] <= 0.4)) ^ (rng.random(3000) < 0.03)
    return X, y, prim(X, y, names=["a", "b", "c", "d"])


def test_prim_tradeoff_points(tmp_path: Path, prim_case) -> None:  # type: ignore[no-untyped-def]
    _, _, result = prim_case
    fig = plot_prim_tradeoff(result, path=tmp_path / "sub" / "trade")
    assert_written(tmp_path / "sub" / "trade")
    ax = fig.axes[0]
    traj = result.trajectory
    np.testing.assert_allclose(ax.collections[0].get_offsets(), traj[["coverage", "density"]])
    np.testing.assert_allclose(ax.collections[0].get_array(), traj["n_restricted"])
    chosen = traj.loc[result.selected_step, ["coverage", "density"]].to_numpy(dtype=float)
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [chosen])
    np.testing.assert_allclose(ax.collections[2].get_offsets(), [[result.coverage, result.density]])


def test_prim_box_rectangle_is_the_box(tmp_path: Path, prim_case) -> None:  # type: ignore[no-untyped-def]
    X, y, result = prim_case
    assert most_restrictive(result, X)[:2] == [0, 2] or most_restrictive(result, X)[:2] == [2, 0]
    fig = plot_prim_box(result, X, y, dims=("c", "a"), path=tmp_path / "box")
    assert_written(tmp_path / "box")
    ax = fig.axes[0]
    (rect,) = (p for p in ax.patches if isinstance(p, Rectangle))
    box = result.box.set_index("parameter")
    # c: lower limit, upper side open -> drawn to the data's maximum.
    assert rect.get_x() == pytest.approx(box.loc["c", "lower"])
    assert rect.get_x() + rect.get_width() == pytest.approx(
        min(box.loc["c", "upper"], X[:, 2].max())
    )
    # a: upper limit, lower side open -> drawn from the data's minimum.
    assert rect.get_y() == pytest.approx(max(box.loc["a", "lower"], X[:, 0].min()))
    assert rect.get_y() + rect.get_height() == pytest.approx(box.loc["a", "upper"])
    assert ax.get_xlabel() == "c" and ax.get_ylabel() == "a"
    # All 3,000 points are drawn (below max_points), cases and others apart.
    others, cases = ax.collections[0], ax.collections[1]
    assert len(cases.get_offsets()) == int(y.sum())
    assert len(others.get_offsets()) == int((~y).sum())
    np.testing.assert_allclose(cases.get_offsets(), X[y][:, [2, 0]])


def test_prim_box_subsamples_large_data(prim_case) -> None:  # type: ignore[no-untyped-def]
    X, y, result = prim_case
    fig = plot_prim_box(result, X, y, max_points=500)
    ax = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections[:2]) == 500


def test_svg_is_reproducible(tmp_path: Path) -> None:
    save_figure(plot_sobol(SOBOL), tmp_path / "one")
    save_figure(plot_sobol(SOBOL), tmp_path / "two")
    assert (tmp_path / "one.svg").read_bytes() == (tmp_path / "two.svg").read_bytes()
    assert save_figure(plot_sobol(SOBOL), None) == []


def test_plot_input_errors(prim_case) -> None:  # type: ignore[no-untyped-def]
    X, y, result = prim_case
    with pytest.raises(InputError, match="no output 'z'"):
        plot_sobol(SOBOL, output="z")
    with pytest.raises(InputError, match="lacks columns"):
        plot_tornado(SOBOL)
    with pytest.raises(InputError, match="dims"):
        plot_prim_box(result, X, y, dims=("a", "zz"))
    with pytest.raises(InputError, match="shape"):
        plot_prim_box(result, X[:, :2], y)
