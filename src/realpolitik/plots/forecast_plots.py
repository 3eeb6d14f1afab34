"""Static plots of a forecast: who does what (bars with 90% intervals) and the
escalation pathways (a tree of moves drawn left to right).

Why this module exists: ``realpolitik forecast --plot DIR`` and ``pathways
--plot DIR`` need the two standard pictures of a
:class:`~realpolitik.analysis.forecast_summary.Forecast`, drawn the same way in
reports and notebooks, from its ``actions`` and ``pathways`` DataFrames:

- **forecast bars** (:func:`plot_forecast_bars`): one panel per actor, one bar
  per action with its mean probability across draws, and a line from the 5th
  to the 95th percentile (the 90% interval of the forecast's summaries; with
  no draws the line has no length). The interval is drawn on its own, not as
  an error around the mean: for a skewed distribution of probabilities the
  mean can lie outside it;
- **pathway diagram** (:func:`plot_pathways`): the tree of moves, each branch
  an elbow whose width is proportional to the probability of passing through
  it and labelled with the action and that probability; each leaf (a
  complete pathway) ends in its probability on a common right margin. Children
  are ordered by probability, the most likely on top, so the dominant pathway
  reads along the top edge; nodes are labelled with who moves (an actor or a
  chance move). Trees of the flagship's size (about 30 pathways) stay
  readable; beyond ``max_paths`` the least likely pathways are left out and
  the title says how much probability they carry. This is the classic
  horizontal game tree of extensive-form diagrams (e.g. Gambit's tree view),
  with Sankey-style widths.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` built
without pyplot (an Agg canvas) and, given ``path``, writes ``<path>.png`` and
``<path>.svg`` with :func:`realpolitik.plots.sensitivity_plots.save_figure`
(reproducible SVGs). Artists carry ``gid``s (``edge:<prefix>``,
``edge-label:<prefix>``, ``leaf-label:<path>``) so that tests and post-editing
can find them.

References
----------
McKelvey, R. D., McLennan, A. M., Turocy, T. L. (2016). Gambit: Software Tools
for Game Theory, version 16 (the extensive-form tree view).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.plots.information_plots import plot_dimensions, plot_rounds, staged_levels
from realpolitik.plots.protocols import ForecastLike as Forecast
from realpolitik.plots.sensitivity_plots import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]

_BAR_COLOUR = "#4C72B0"
_INTERVAL_COLOUR = "#222222"
_EDGE_COLOUR = "#4C72B0"
_LEAF_GUIDE = "#BBBBBB"

#: Line width (points) of a branch taken with probability 1.
MAX_WIDTH = 12.0
#: Line width of a branch taken with probability 0 (so that it stays visible).
MIN_WIDTH = 0.6


def _figure(width: float, height: float) -> Figure:
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    from realpolitik.plots.figure import new_figure

    return new_figure(figsize=(width, height), layout="constrained")


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"the {what} table lacks columns {', '.join(missing)}; pass a Forecast's {what}"
        )
    if frame.empty:
        raise InputError(f"the {what} table is empty: nothing to plot")


# --------------------------------------------------------------------------
# Forecast bars
# --------------------------------------------------------------------------


def plot_forecast_bars(
    actions: pd.DataFrame,
    *,
    title: str | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Each actor's action probabilities with their 90% intervals.

    Parameters
    ----------
    actions : a forecast's ``actions`` table (columns ``actor, move, action,
        probability, p05, p95``), one row per action.
    title : the figure's title.
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure: one axes per actor, in order of first appearance; in each, the
    first bar container holds the probabilities (bar widths, top to bottom in
    the table's order) and the first line collection the intervals (segments
    from ``p05`` to ``p95``). An actor with several moves has its bars
    labelled ``move: action``.
    """
    _require(actions, ("actor", "move", "action", "probability", "p05", "p95"), "actions")
    actors = list(pd.unique(actions["actor"]))
    groups = [actions.loc[actions["actor"] == a].reset_index(drop=True) for a in actors]
    sizes = [len(g) for g in groups]
    fig = _figure(7.0, 0.9 + 0.32 * sum(sizes) + 0.35 * len(actors))
    axes = fig.subplots(len(actors), 1, sharex=True, height_ratios=[s + 0.8 for s in sizes])
    axes_list = list(np.atleast_1d(axes))
    for ax, actor, group in zip(axes_list, actors, groups, strict=True):
        n = len(group)
        ypos = np.arange(n)[::-1].astype(float)
        several = group["move"].nunique() > 1
        labels = [
            f"{m}: {a}" if several else str(a)
            for m, a in zip(group["move"], group["action"], strict=True)
        ]
        probability = group["probability"].to_numpy(dtype=np.float64)
        p05 = group["p05"].to_numpy(dtype=np.float64)
        p95 = group["p95"].to_numpy(dtype=np.float64)
        ax.barh(
            ypos, probability, height=0.6, color=_BAR_COLOUR, label="mean probability over draws"
        )
        ax.hlines(
            ypos,
            p05,
            p95,
            colors=_INTERVAL_COLOUR,
            linewidth=1.4,
            label="90% interval across draws",
        )
        ax.scatter(
            np.concatenate([p05, p95]),
            np.concatenate([ypos, ypos]),
            marker="|",
            s=60,
            color=_INTERVAL_COLOUR,
            zorder=3,
        )
        for y, p in zip(ypos, probability, strict=True):
            ax.annotate(
                f"{p:.0%}",
                (float(p), float(y)),
                xytext=(4, 5),
                textcoords="offset points",
                fontsize=7,
                va="bottom",
            )
        ax.set_yticks(ypos, labels)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_title(str(actor), loc="left", fontsize=10)
        ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
    axes_list[-1].set_xlim(0.0, 1.0)
    axes_list[-1].set_xlabel("probability")
    handles, names = axes_list[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    save_figure(fig, path)
    return fig


# --------------------------------------------------------------------------
# Pathway diagram
# --------------------------------------------------------------------------


@dataclass
class _Node:
    """A node of the pathway tree: the history that leads to it."""

    prefix: tuple[tuple[str, str], ...]
    probability: float = 0.0
    children: dict[tuple[str, str], _Node] = field(default_factory=dict)
    y: float = 0.0

    @property
    def depth(self) -> int:
        return len(self.prefix)

    @property
    def mover(self) -> str:
        """Who moves here (the first element of any child's step)."""
        return next(iter(self.children))[0] if self.children else ""


def _step_name(step: tuple[str, str]) -> str:
    return f"{step[0]}:{step[1]}"


def prefix_name(prefix: Sequence[tuple[str, str]]) -> str:
    """``actor:action > actor:action ...``, the name of a history (a
    pathway's ``path`` column when the history is complete)."""
    return " > ".join(_step_name(s) for s in prefix)


def _build_tree(
    steps: Sequence[Sequence[tuple[str, str]]], probability: Sequence[float] | FloatArray
) -> _Node:
    root = _Node(())
    for path, p in zip(steps, probability, strict=True):
        node = root
        node.probability += float(p)
        for step in path:
            key = (str(step[0]), str(step[1]))
            if key not in node.children:
                node.children[key] = _Node((*node.prefix, key))
            node = node.children[key]
            node.probability += float(p)
    return root


def _layout(root: _Node) -> tuple[list[_Node], list[_Node]]:
    """Order children by probability and give every node its height: leaves
    one unit apart from the top, an inner node at the mean of its children.
    Returns (every node in depth-first order, the leaves top to bottom)."""
    nodes: list[_Node] = []
    leaves: list[_Node] = []

    def visit(node: _Node) -> None:  # depth is a handful of moves: recursion is fine
        nodes.append(node)
        if not node.children:
            node.y = -float(len(leaves))
            leaves.append(node)
            return
        ordered = sorted(node.children.items(), key=lambda kv: (-kv[1].probability, kv[0]))
        node.children = dict(ordered)
        for _, child in ordered:
            visit(child)
        node.y = float(np.mean([c.y for c in node.children.values()]))

    visit(root)
    return nodes, leaves


def _width(probability: float) -> float:
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * min(max(probability, 0.0), 1.0)


def plot_pathways(
    pathways: pd.DataFrame,
    *,
    max_paths: int | None = 40,
    title: str | None = None,
    path: Path | str | None = None,
) -> Figure:
    """The tree of moves, left to right, branch widths proportional to probability.

    Parameters
    ----------
    pathways : a forecast's ``pathways`` table (columns ``steps``, a list of
        ``(actor or chance move, action)`` per pathway, and ``probability``).
    max_paths : draw only the most likely pathways (None: all).
    title : the figure's title (a note on omitted pathways is added).
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure (one axes). Each branch is a line with gid
    ``edge:<history>`` (``history`` as in :func:`prefix_name`) and width
    ``MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * p``, ``p`` being the summed
    probability of the drawn pathways through it; its label (gid
    ``edge-label:<history>``) reads ``action p%``. Each leaf's label (gid
    ``leaf-label:<path>``) is the pathway's probability.
    """
    _require(pathways, ("steps", "probability"), "pathways")
    if max_paths is not None and max_paths < 1:
        raise InputError(f"max_paths must be at least 1, got {max_paths}")
    frame = pathways.sort_values("probability", ascending=False, kind="stable")
    total = float(frame["probability"].sum())
    omitted = 0
    if max_paths is not None and len(frame) > max_paths:
        omitted = len(frame) - max_paths
        frame = frame.head(max_paths)
    hidden = total - float(frame["probability"].sum())
    steps = [list(s) for s in frame["steps"]]
    root = _build_tree(steps, frame["probability"].to_numpy(dtype=np.float64))
    nodes, leaves = _layout(root)
    depth = max(n.depth for n in leaves)

    column = 2.3  # inches per move
    fig = _figure(1.0 + column * depth + 1.6, 1.0 + 0.3 * len(leaves))
    ax = fig.add_subplot()
    for node in nodes:
        for step, child in node.children.items():
            x0, x1 = float(node.depth), float(child.depth)
            name = prefix_name(child.prefix)
            ax.plot(
                [x0, x0, x1],
                [node.y, child.y, child.y],
                color=_EDGE_COLOUR,
                alpha=0.75,
                linewidth=_width(child.probability),
                solid_capstyle="butt",
                solid_joinstyle="miter",
                gid=f"edge:{name}",
            )
            ax.text(
                x0 + 0.06,
                child.y + 0.18,
                f"{step[1]} {child.probability:.1%}",
                fontsize=7,
                va="bottom",
                ha="left",
                gid=f"edge-label:{name}",
            )
        if node.children:
            ax.text(
                float(node.depth) - 0.04,
                node.y,
                node.mover,
                fontsize=7,
                style="italic",
                color="#555555",
                ha="right",
                va="center",
                gid=f"mover:{prefix_name(node.prefix)}",
            )
    for leaf in leaves:
        if leaf.depth < depth:
            ax.plot(
                [leaf.depth, depth],
                [leaf.y, leaf.y],
                color=_LEAF_GUIDE,
                linewidth=0.6,
                linestyle=":",
            )
        ax.text(
            depth + 0.08,
            leaf.y,
            f"{leaf.probability:.1%}",
            fontsize=8,
            va="center",
            ha="left",
            gid=f"leaf-label:{prefix_name(leaf.prefix)}",
        )
    ax.set_xlim(-0.45, depth + 0.55)
    ax.set_ylim(-len(leaves) + 0.4, 0.9)
    ax.axis("off")
    heading = title or "Pathways"
    if omitted:
        heading += f"\n({omitted} least likely pathways, {hidden:.1%} in all, not drawn)"
    ax.set_title(heading, fontsize=10, loc="left")
    save_figure(fig, path)
    return fig


# --------------------------------------------------------------------------
# A forecast's plots
# --------------------------------------------------------------------------


def _settings_text(forecast: Forecast) -> str:
    s = forecast.settings
    how = s.concept.upper() + (f", lambda={s.lam:g}" if s.lam is not None else "")
    how += f", {s.draws} draws ({s.method}, seed {s.seed})" if s.draws else ", central values"
    return str(how)


def plot_forecast(forecast: Forecast, directory: Path | str | None = None) -> dict[str, Figure]:
    """A forecast's bars and pathway diagram (and, when the scenario has them,
    its compound moves' levels and its rounds), written to ``directory`` if given.

    Parameters
    ----------
    forecast : a :class:`~realpolitik.analysis.forecast_summary.Forecast`.
    directory : where to write ``forecast.png/.svg`` and ``pathways.png/.svg``
        (and ``dimensions.png/.svg``, ``rounds.png/.svg``), or None.

    Returns
    -------
    ``{"forecast": bars figure, "pathways": pathway figure}``, with
    ``"dimensions"`` (:func:`~realpolitik.plots.information_plots.plot_dimensions`)
    when the scenario has compound moves and ``"rounds"``
    (:func:`~realpolitik.plots.information_plots.plot_rounds`) when it has rounds.
    """
    folder = None if directory is None else Path(directory)
    title = f"{forecast.scenario.title}\n{_settings_text(forecast)}"

    def stem(name: str) -> Path | None:
        return None if folder is None else folder / name

    figures = {
        "forecast": plot_forecast_bars(forecast.actions, title=title, path=stem("forecast")),
        "pathways": plot_pathways(forecast.pathways, title=title, path=stem("pathways")),
    }
    if len(forecast.dimensions):
        figures["dimensions"] = plot_dimensions(
            forecast.dimensions, title=title, path=stem("dimensions")
        )
    if len(forecast.rounds) or len(staged_levels(forecast.dimensions)):
        figures["rounds"] = plot_rounds(
            forecast.rounds, forecast.dimensions, title=title, path=stem("rounds")
        )
    return figures


def write_forecast_plots(forecast: Forecast, directory: Path | str) -> list[Path]:
    """Write a forecast's plots as PNG and SVG; return the files written.

    The files are ``forecast.png``, ``forecast.svg``, ``pathways.png`` and
    ``pathways.svg`` in ``directory`` (created if needed), and
    ``dimensions.*`` and ``rounds.*`` when the scenario has compound moves or
    rounds. A directory that cannot be written is an
    :class:`~realpolitik.errors.InputError`.
    """
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; give a directory for the plots")
    try:
        figures = plot_forecast(forecast, folder)
    except OSError as error:
        raise InputError(f"cannot write plots to {folder}: {error.strerror}") from None
    return [folder / f"{stem}.{ext}" for stem in figures for ext in ("png", "svg")]
