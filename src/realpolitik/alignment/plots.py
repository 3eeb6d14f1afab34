"""Charts of an alignment forecast: every member's vote probabilities, sorted, and the tally.

Why a chart and not a map: a world map needs country geometries, and none
ships with the project's dependencies offline; a sorted stacked bar of 193
members shows the same thing (who is sure to condemn, who hesitates, who
sides with the aggressor) and the regions are given by colour strips.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from realpolitik.alignment.choices import CHOICES
from realpolitik.plots.figure import new_figure


class AlignmentResult(Protocol):
    """What the charts read from a forecast
    (:class:`realpolitik.alignment.forecast.AlignmentResult` has it): a
    protocol, so that the result can draw itself without this module
    importing the forecast."""

    @property
    def countries(self) -> pd.DataFrame: ...
    @property
    def tally(self) -> pd.DataFrame: ...
    @property
    def tally_samples(self) -> Any: ...
    @property
    def meta(self) -> dict[str, Any]: ...


__all__ = ["plot_result", "probabilities_figure", "tally_figure"]

COLOURS = {"yes": "#2b8cbe", "abstain": "#bdbdbd", "absent": "#f0f0f0", "no": "#d7301f"}
STACK = ("yes", "abstain", "absent", "no")


def plot_result(result: AlignmentResult, folder: Path) -> list[Path]:
    """Write ``alignment_probabilities.png`` and ``alignment_tally.png`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fig, dpi in (
        ("alignment_probabilities.png", probabilities_figure(result), 150),
        ("alignment_tally.png", tally_figure(result), 130),
    ):
        fig.savefig(folder / name, dpi=dpi)
        written.append(folder / name)
    return written


def probabilities_figure(result: AlignmentResult) -> Figure:
    """Every member's four probabilities as a stacked column, ranked by
    P(yes) - P(no) (then P(yes)), with the 90% interval of P(yes) over draws
    and a strip of region colours.

    Each column's segments carry gids ``<choice>:<ISO3>`` (height: the
    probability); the intervals are the first line collection of the first
    axes (gid ``yes-interval``), one segment per member in the ranked order.
    """
    frame = result.countries.copy()
    frame["_key"] = frame["yes"] - frame["no"]
    frame = frame.sort_values(["_key", "yes"], ascending=False).reset_index(drop=True)
    n = len(frame)
    fig = new_figure(figsize=(max(8.0, 0.11 * n), 5.5))
    ax, strip = fig.subplots(2, 1, height_ratios=[12, 1], sharex=True)
    x = np.arange(n)
    bottom = np.zeros(n)
    for choice in STACK:
        values = frame[choice].to_numpy()
        bars = ax.bar(x, values, bottom=bottom, width=1.0, color=COLOURS[choice], label=choice,
                      edgecolor="white", linewidth=0.2)  # fmt: skip
        for bar, iso3 in zip(bars.patches, frame["iso3"], strict=True):
            bar.set_gid(f"{choice}:{iso3}")
        bottom += values
    # the 90% interval of P(yes) over draws, drawn from p05 to p95 (the mean
    # may lie outside it for a skewed distribution)
    ax.vlines(x, frame["yes_p05"].to_numpy(), frame["yes_p95"].to_numpy(), colors="#08306b",
              linewidth=0.5, gid="yes-interval")  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylabel("probability")
    meta = result.meta
    ax.set_title(
        f"{meta.get('title', '')}\n(mean over {meta.get('draws')} draws; lines on 'yes': 90% "
        "interval over draws)", fontsize=9,
    )  # fmt: skip
    ax.legend(ncol=4, loc="lower left", fontsize=8, frameon=True)
    regions = sorted(frame["region"].unique())
    cmap = colormaps["tab10"]
    colour = {r: cmap(i % 10) for i, r in enumerate(regions)}
    strip.bar(x, np.ones(n), width=1.0, color=[colour[r] for r in frame["region"]])
    strip.set_yticks([])
    strip.set_xticks(x)
    strip.set_xticklabels(frame["iso3"], rotation=90, fontsize=5)
    handles = [Rectangle((0, 0), 1, 1, color=colour[r]) for r in regions]
    strip.legend(handles, regions, ncol=len(regions), fontsize=7, loc="upper center",
                 bbox_to_anchor=(0.5, -1.6), frameon=False)  # fmt: skip
    fig.tight_layout()
    return fig


def tally_figure(result: AlignmentResult) -> Figure:
    """The distribution of each choice's count over the simulated roll calls
    (one histogram per choice, one bin per count; gid ``tally:<choice>``),
    with the expected count as a vertical line (gid ``expected:<choice>``)."""
    samples = result.tally_samples
    fig = new_figure(figsize=(12, 3))
    axes = fig.subplots(1, len(CHOICES), sharey=True)
    for k, (choice, ax) in enumerate(zip(CHOICES, axes, strict=True)):
        counts = samples[:, k]
        bins = np.arange(counts.min(), counts.max() + 2) - 0.5
        ax.hist(counts, bins=bins, color=COLOURS[choice], edgecolor="#636363", linewidth=0.3,
                gid=f"tally:{choice}")  # fmt: skip
        expected = float(result.tally["expected"].to_numpy()[k])
        ax.axvline(expected, color="black", linewidth=1, gid=f"expected:{choice}")
        ax.set_title(f"{choice}: expected {expected:.1f}", fontsize=9)
        ax.set_xlabel("members")
    axes[0].set_ylabel("simulated roll calls")
    fig.suptitle("Distribution of the tally (parameter draws and the votes' own randomness)",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig
