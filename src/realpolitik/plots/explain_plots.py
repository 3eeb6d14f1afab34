"""The realist calculation as a picture: each decision's reasons, term by term.

One panel per decision on the equilibrium path; in each, one row per
alternative the chosen action is set against, with a bar per payoff term
(positive: the term favours the chosen action) and a diamond at the total
difference. A reader sees at a glance which costs and benefits carry the
choice and which pull against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from realpolitik.errors import InputError
from realpolitik.plots.protocols import ExplanationLike as Explanation
from realpolitik.plots.sensitivity_plots import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: At most this many decisions are drawn (the first ones on the path).
MAX_DECISIONS = 6


def plot_explanation(
    explanation: Explanation, path: Path | str | None = None, *, max_decisions: int = MAX_DECISIONS
) -> Figure:
    """Draw the term-by-term reasons of each decision (module docstring).

    Parameters
    ----------
    explanation : from :func:`realpolitik.explain`.
    path : a path stem; ``.png`` and ``.svg`` are written when given.
    max_decisions : how many decisions (in path order) to draw.
    """
    decisions = [d for d in explanation.decisions if d.alternatives][:max_decisions]
    if not decisions:
        raise InputError("nothing to plot: no decision on the equilibrium path has an alternative")
    heights = [1.2 + 0.55 * len(d.alternatives) * max(1, len(d.value_terms)) / 3 for d in decisions]
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    from realpolitik.plots.figure import new_figure

    fig = new_figure(figsize=(9.0, sum(heights) + 0.8))
    axes = fig.subplots(len(decisions), 1, squeeze=False, height_ratios=heights)[:, 0]
    palette = _palette(sorted({t for d in decisions for t in d.value_terms}))
    for ax, decision in zip(axes, decisions, strict=True):
        terms = list(decision.value_terms)
        rows = decision.alternatives
        band = 0.8 / max(len(terms), 1)
        for r, alt in enumerate(rows):
            for k, term in enumerate(terms):
                y = r - 0.4 + band * (k + 0.5)
                value = alt.terms[term]
                ax.barh(
                    y, value, height=band * 0.9, color=palette[term], label=term if r == 0 else None
                )
            ax.plot(
                [alt.difference],
                [r],
                marker="D",
                color="black",
                markersize=6,
                label="total" if r == 0 else None,
            )
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"vs {a.action}\n({a.probability:.0%})" for a in rows])
        ax.invert_yaxis()
        actor = explanation.scenario.actors[decision.actor].name
        after = " > ".join(b for _, b in decision.history) or "the start"
        ax.set_title(
            f"{actor} chooses {decision.chosen} ({decision.probability:.0%} given {after})",
            fontsize=10,
            loc="left",
        )
        ax.set_xlabel("difference in payoff, chosen minus alternative (favours chosen →)")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    fig.suptitle(f"Why: {explanation.scenario.title}", fontsize=11)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, Path(path))
    return fig


def _palette(terms: list[str]) -> dict[str, tuple[float, float, float, float]]:
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return {term: cmap(k % 20) for k, term in enumerate(terms)}


def write_explanation_plot(explanation: Explanation, directory: Path | str) -> list[Path]:
    """Write ``explain.png`` and ``explain.svg`` into ``directory``."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; give a directory for the plots")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        plot_explanation(explanation, folder / "explain")
    except OSError as error:
        raise InputError(f"cannot write plots to {folder}: {error.strerror}") from None
    return [folder / "explain.png", folder / "explain.svg"]


__all__ = ["plot_explanation", "write_explanation_plot"]
