"""Plots of compound moves' levels and of rounds: the drawn data (read back
from the artists by their gids) are the input data, and for the hand-solved
scenarios of ``tests/hand_scenarios.py`` the arithmetic there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from hand_scenarios import COMPOUND, ROUNDS, rounds_qre
from realpolitik.analysis.forecast import forecast
from realpolitik.errors import InputError
from realpolitik.examples import example_path
from realpolitik.plots.forecast_plots import write_forecast_plots
from realpolitik.plots.information_plots import plot_dimensions, plot_rounds, staged_levels

LEVELS = pd.DataFrame(
    {
        "actor": ["ch", "ch", "ch", "ch", "ch"],
        "move": ["stance", "stance", "stance", "stance", "stance"],
        "dimension": ["un", "un", "trade", "trade", "trade"],
        "level": ["condemn", "abstain", "abide", "evade", "hedge"],
        "label": ["Condemn", "Abstain", "Abide", "Evade", "Hedge"],
        "probability": [0.3, 0.7, 0.2, 0.5, 0.3],
        "p05": [0.1, 0.5, 0.05, 0.3, np.nan],
        "p95": [0.5, 0.9, 0.4, 0.8, np.nan],
    }
)


def _by_gid(fig: Figure, kind: type) -> dict[str, object]:
    return {a.get_gid(): a for a in fig.findobj(kind) if a.get_gid()}


def _scenario(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_level_bars_and_intervals_are_the_table() -> None:
    fig = plot_dimensions(LEVELS, title="levels")
    bars = _by_gid(fig, Rectangle)
    for r in LEVELS.to_dict("records"):
        bar = bars[f"level:ch/stance/{r['dimension']}/{r['level']}"]
        assert isinstance(bar, Rectangle)
        assert bar.get_width() == pytest.approx(r["probability"])
    (ax,) = fig.axes
    # top to bottom in the table's order
    ticks = sorted(
        zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True),
        reverse=True,
    )
    rows = zip(LEVELS["dimension"], LEVELS["level"], strict=True)
    assert [label for _, label in ticks] == [f"{d}: {lv}" for d, lv in rows]
    # one interval per level with draws behind it (hedge has none)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    spans = sorted((float(s[0][0]), float(s[1][0])) for s in lines.get_segments())
    assert spans == sorted(zip(LEVELS["p05"][:4], LEVELS["p95"][:4], strict=True))
    with pytest.raises(InputError, match="no compound moves"):
        plot_dimensions(LEVELS.iloc[0:0])


def test_compound_levels_sum_the_joint_actions(tmp_path: Path) -> None:
    result = forecast(_scenario(tmp_path, "compound", COMPOUND))
    joint = result.actions.loc[result.actions["actor"] == "ch"]
    bars = _by_gid(plot_dimensions(result.dimensions), Rectangle)
    for dimension, position in (("un", 0), ("trade", 1)):
        for level in ("condemn", "abstain") if dimension == "un" else ("abide", "evade"):
            # joint actions are named "un+trade"
            chosen = joint["action"].str.split("+").str[position] == level
            bar = bars[f"level:ch/stance/{dimension}/{level}"]
            assert isinstance(bar, Rectangle)
            assert bar.get_width() == pytest.approx(joint.loc[chosen, "probability"].sum())


def test_round_lines_are_the_hand_calculation(tmp_path: Path) -> None:
    result = forecast(_scenario(tmp_path, "two-rounds", ROUNDS))
    hand = rounds_qre(1.0)
    lines = _by_gid(plot_rounds(result.rounds, result.dimensions), Line2D)
    for series, key in (("we/package/list_entities", "list"), ("ch/help/assist", "help")):
        line = lines[f"in_round:{series}"]
        assert isinstance(line, Line2D)
        assert list(line.get_xdata()) == [1, 2]
        assert list(line.get_ydata()) == pytest.approx([hand[f"{key}@1"], hand[f"{key}@2"]])
    listed = lines["by_round:we/package/list_entities"]
    assert isinstance(listed, Line2D)
    assert list(listed.get_ydata()) == pytest.approx([hand["list@1"], hand["listed"]])
    with pytest.raises(InputError, match="no rounds"):
        plot_rounds(result.rounds.iloc[0:0])


def test_compound_moves_in_rounds_and_the_files(tmp_path: Path) -> None:
    result = forecast(example_path("evasion-rounds.yaml"), draws=50, seed=5)
    staged = staged_levels(result.dimensions)
    assert sorted(staged["round"].unique()) == [1, 2]
    lines = _by_gid(plot_rounds(result.rounds, result.dimensions), Line2D)
    evade = lines["in_round:third/stance/trade: evade"]
    assert isinstance(evade, Line2D)
    # each round's level: the sum of that round's joint actions that evade
    actions = result.actions
    want = [
        actions.loc[
            (actions["move"] == f"stance@{r}") & actions["action"].str.endswith("+evade"),
            "probability",
        ].sum()
        for r in (1, 2)
    ]
    assert list(evade.get_ydata()) == pytest.approx(want)
    files = write_forecast_plots(result, tmp_path / "plots")
    assert sorted(p.name for p in files) == sorted(
        f"{s}.{e}" for s in ("forecast", "pathways", "dimensions", "rounds") for e in ("png", "svg")
    )
    for path in files:
        assert path.stat().st_size > 1000
