"""Static plots of what a forecast computes beyond who does what: the levels
of compound moves and the round-by-round probabilities.

Why this module exists: a compound move (``dimensions:`` in a scenario) has
one joint action per combination of levels, dozens of them, and the question
an analyst asks is about one dimension at a time ("how likely is it that the
third country evades the sanctions, whatever it votes?"); a repeated game
(``rounds:``) is read as a trajectory over rounds. Both are tables of a
:class:`~realpolitik.analysis.forecast_summary.Forecast` (``dimensions`` and
``rounds``); this module draws them the way :mod:`.forecast_plots` draws the
actions, for ``realpolitik forecast --plot DIR`` and the HTML report:

- **level bars** (:func:`plot_dimensions`): one panel per compound move, one
  bar per level, grouped by dimension, with the 90% interval across draws as
  a line (no length at the central values). A level's probability is the sum
  of the probabilities of the joint actions that choose it;
- **round lines** (:func:`plot_rounds`): one panel per repeated move, x the
  round; for each action the probability that it is taken in the round
  (solid) and at least once by the round (dashed); for a compound move played
  in rounds (``move@1``, ``move@2``, ...), each level's probability in each
  round.

Artists carry ``gid``s (``level:<actor>/<move>/<dimension>/<level>``,
``in_round:<actor>/<move>/<series>``, ``by_round:<actor>/<move>/<series>``)
so that tests and post-editing can find them. Figures are built without
pyplot (an Agg canvas); given ``path``, ``<path>.png`` and ``<path>.svg`` are
written with :func:`realpolitik.plots.sensitivity_plots.save_figure`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from realpolitik.errors import InputError
from realpolitik.plots.sensitivity_plots import save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_dimensions", "plot_rounds", "staged_levels"]

_BAR_COLOUR = "#4C72B0"
_INTERVAL_COLOUR = "#222222"
_SERIES_COLOURS = ("#3b6ea8", "#c0392b", "#2e8b57", "#b8860b", "#6a5acd", "#8b4513", "#008b8b")
#: A move played in rounds is named ``move@k`` in a forecast's tables.
_ROUND = re.compile(r"^(?P<move>.+)@(?P<round>\d+)$")


def _figure(width: float, height: float) -> Figure:
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    from realpolitik.plots.figure import new_figure

    return new_figure(figsize=(width, height), layout="constrained")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if frame.empty or missing:
        raise InputError(
            f"the forecast has no {what} to plot"
            + (f" (the table lacks {', '.join(missing)})" if missing and not frame.empty else "")
        )


def plot_dimensions(
    dimensions: pd.DataFrame, *, title: str | None = None, path: Path | str | None = None
) -> Figure:
    """Each compound move's level probabilities with their 90% intervals.

    Parameters
    ----------
    dimensions : a forecast's ``dimensions`` table (columns ``actor, move,
        dimension, level, probability, p05, p95``).
    title : the figure's title.
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure: one axes per (actor, move) in the table's order; each level a
    bar (gid ``level:<actor>/<move>/<dimension>/<level>``, width its
    probability) labelled ``dimension: level``, top to bottom in the table's
    order, its interval a line from ``p05`` to ``p95``.
    """
    _require(
        dimensions,
        ("actor", "move", "dimension", "level", "probability", "p05", "p95"),
        "compound moves",
    )
    keys = list(dict.fromkeys(zip(dimensions["actor"], dimensions["move"], strict=True)))
    groups = [
        dimensions.loc[(dimensions["actor"] == a) & (dimensions["move"] == m)].reset_index(
            drop=True
        )
        for a, m in keys
    ]
    sizes = [len(g) for g in groups]
    fig = _figure(7.0, 1.0 + 0.3 * sum(sizes) + 0.45 * len(keys))
    axes = list(np.atleast_1d(fig.subplots(len(keys), 1, sharex=True, height_ratios=sizes)))
    for ax, (actor, move), group in zip(axes, keys, groups, strict=True):
        n = len(group)
        ypos = np.arange(n)[::-1].astype(float)
        probability = group["probability"].to_numpy(dtype=np.float64)
        bars = ax.barh(ypos, probability, height=0.6, color=_BAR_COLOUR)
        for bar, r in zip(bars.patches, group.to_dict("records"), strict=True):
            bar.set_gid(f"level:{actor}/{move}/{r['dimension']}/{r['level']}")
        p05 = group["p05"].to_numpy(dtype=np.float64)
        p95 = group["p95"].to_numpy(dtype=np.float64)
        drawn = np.isfinite(p05) & np.isfinite(p95)
        ax.hlines(ypos[drawn], p05[drawn], p95[drawn], colors=_INTERVAL_COLOUR, linewidth=1.4)
        # the value right of the bar and of its interval
        right = np.where(drawn, np.fmax(probability, p95), probability)
        for y, p, x in zip(ypos, probability, right, strict=True):
            ax.annotate(f"{p:.1%}", (float(x), float(y)), xytext=(4, 0),
                        textcoords="offset points", fontsize=7, va="center")  # fmt: skip
        labels = [f"{d}: {lv}" for d, lv in zip(group["dimension"], group["level"], strict=True)]
        ax.set_yticks(ypos, labels)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_title(f"{actor}: {move}", loc="left", fontsize=10)
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
    axes[-1].set_xlim(0.0, 1.0)
    axes[-1].set_xlabel("probability of the level (sum of the joint actions that choose it)")
    if title:
        fig.suptitle(title + "\n(lines: 90% of draws)", fontsize=10)
    save_figure(fig, path)
    return fig


def staged_levels(dimensions: pd.DataFrame) -> pd.DataFrame:
    """The levels of compound moves played in rounds, one row per (actor,
    move, series, round): ``series`` is ``dimension: level``, ``in_round``
    the level's probability in that round (the dimension rows of
    ``move@round``). Empty when no compound move is played in rounds."""
    columns = ["actor", "move", "series", "round", "in_round"]
    if dimensions.empty:
        return pd.DataFrame(columns=columns)
    parts = dimensions["move"].astype(str).str.extract(_ROUND)
    staged = dimensions.assign(base=parts["move"], round=parts["round"]).dropna(subset=["base"])
    return pd.DataFrame(
        {
            "actor": staged["actor"].astype(str),
            "move": staged["base"].astype(str),
            "series": staged["dimension"].astype(str) + ": " + staged["level"].astype(str),
            "round": staged["round"].astype(int),
            "in_round": staged["probability"].astype(float),
        },
        columns=columns,
    ).reset_index(drop=True)


def _round_panel(ax: Axes, actor: str, move: str, frame: pd.DataFrame, kinds: list[str]) -> None:
    rounds = sorted(int(r) for r in frame["round"].unique())
    for k, (series, group) in enumerate(frame.groupby("series", sort=False)):
        group = group.sort_values("round")
        colour = _SERIES_COLOURS[k % len(_SERIES_COLOURS)]
        for kind in kinds:
            style = "-" if kind == "in_round" else "--"
            ax.plot(group["round"].to_numpy(), group[kind].to_numpy(dtype=np.float64),
                    style, color=colour, marker="o", markersize=3,
                    label=f"{series} ({'in the round' if kind == 'in_round' else 'by the round'})",
                    gid=f"{kind}:{actor}/{move}/{series}")  # fmt: skip
    ax.set_xticks(rounds, [f"round {r}" for r in rounds])
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("probability")
    ax.set_title(f"{actor}: {move}", loc="left", fontsize=10)
    ax.grid(color="#EEEEEE", linewidth=0.6)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)


def plot_rounds(
    rounds: pd.DataFrame,
    dimensions: pd.DataFrame | None = None,
    *,
    title: str | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Round-by-round probabilities of each repeated move.

    Parameters
    ----------
    rounds : a forecast's ``rounds`` table (columns ``actor, move, action,
        round, in_round, by_round``), possibly empty.
    dimensions : a forecast's ``dimensions`` table: compound moves played in
        rounds get a panel of their levels per round (:func:`staged_levels`).
    title : the figure's title.
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure: one axes per repeated move (the ``rounds`` table's moves, then
    the staged compound moves); each action a solid line (gid
    ``in_round:<actor>/<move>/<action>``, y its probability in each round) and
    a dashed one (``by_round:...``, at least once by the round); each level of
    a staged compound move a solid line ``in_round:<actor>/<move>/<dimension>:
    <level>``.
    """
    staged = staged_levels(dimensions if dimensions is not None else pd.DataFrame())
    if rounds.empty and staged.empty:
        raise InputError("the forecast has no rounds to plot")
    panels: list[tuple[str, str, pd.DataFrame, list[str]]] = []
    if not rounds.empty:
        _require(rounds, ("actor", "move", "action", "round", "in_round", "by_round"), "rounds")
        table = rounds.rename(columns={"action": "series"})
        for (actor, move), group in table.groupby(["actor", "move"], sort=False):
            panels.append((str(actor), str(move), group, ["in_round", "by_round"]))
    for (actor, move), group in staged.groupby(["actor", "move"], sort=False):
        panels.append((str(actor), str(move), group, ["in_round"]))
    fig = _figure(8.5, 0.6 + 2.6 * len(panels))
    axes = list(np.atleast_1d(fig.subplots(len(panels), 1)))
    for ax, (actor, move, group, kinds) in zip(axes, panels, strict=True):
        _round_panel(ax, actor, move, group, kinds)
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
    return fig
