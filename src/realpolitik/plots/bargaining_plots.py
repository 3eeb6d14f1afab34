"""Position-trajectory plots of a bargaining run (static, for reports).

Why this module exists: a forecast is easier to trust when one can see how it
was reached: which actors moved, how far, and whether the process settled or
oscillated. One panel per issue dimension shows every actor's position by
turn, the model's median and mean where the run has them, and the weighted
mean and weighted median baselines as dashed lines.

The figure is built on matplotlib's object API with the Agg canvas, so it
works without a display and never changes pyplot's global backend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.plots.figure import new_figure
from realpolitik.plots.protocols import BargainingRunLike as BargainingRun

__all__ = ["FORMATS", "plot_trajectories", "save_trajectory_plot"]

#: File suffixes :func:`save_trajectory_plot` writes.
FORMATS: tuple[str, ...] = (".png", ".svg")


def plot_trajectories(run: BargainingRun, *, title: str | None = None) -> Figure:
    """Every actor's position by turn, one panel per dimension.

    Parameters
    ----------
    run : the model run.
    title : figure title; default "<model> (<variant>): <problem name>".

    Returns
    -------
    matplotlib.figure.Figure
        With an Agg canvas attached (``fig.savefig`` works headless).

    Examples
    --------
    >>> import numpy as np
    >>> from realpolitik.bargaining.types import BargainingProblem
    >>> from realpolitik.bargaining.eum import run_eum
    >>> p = BargainingProblem(("A", "B", "C"), np.ones(3),
    ...                       np.array([[0.0], [40.0], [100.0]]), np.full((3, 1), 0.5))
    >>> fig = plot_trajectories(run_eum(p, rounds=3))
    >>> len(fig.axes)
    1
    """
    problem = run.problem
    n_dim = problem.n_dimensions
    fig = new_figure(figsize=(8.0, 3.2 * n_dim + 0.6), layout="constrained")
    axes = fig.subplots(n_dim, 1, squeeze=False)[:, 0]
    turns = np.arange(run.positions.shape[0])
    for d, ax in enumerate(axes):
        for a, actor in enumerate(problem.actors):
            ax.plot(
                turns, run.positions[:, a, d], marker="o", markersize=3, linewidth=1.2, label=actor
            )
        for key, style in (("median", "-"), ("mean", ":")):
            series = run.extra.get(key)
            if series is not None and series.shape[0] == turns.size:
                ax.plot(
                    turns,
                    series[:, d],
                    color="black",
                    linestyle=style,
                    linewidth=2.2,
                    label=f"model {key}",
                )
        for (name, value), color in zip(
            run.baselines.items(), ("tab:gray", "tab:brown"), strict=False
        ):
            ax.axhline(
                float(value[d]),
                color=color,
                linestyle="--",
                linewidth=1.2,
                label=name.replace("_", " "),
            )
        ax.axhline(
            float(run.forecast[d]), color="tab:red", linestyle="-.", linewidth=1.2, label="forecast"
        )
        ax.set_xlabel("turn")
        ax.set_ylabel(problem.dimensions[d])
        ax.set_xticks(turns if turns.size <= 25 else turns[:: max(1, turns.size // 20)])
        ax.grid(True, alpha=0.3)
    axes[0].legend(
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize="small",
        ncol=1 if problem.n_actors <= 20 else 2,
    )
    fig.suptitle(title or f"{run.model} ({run.variant}): {problem.name or 'bargaining'}")
    return fig


def save_trajectory_plot(run: BargainingRun, path: str | Path, *, title: str | None = None) -> Path:
    """Write :func:`plot_trajectories` to ``path`` (``.png`` or ``.svg``).

    Raises
    ------
    InputError
        Any other suffix, or a directory that does not exist.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"plot file must end in {' or '.join(FORMATS)}, got {target.name!r}", field="plot"
        )
    if not target.parent.exists():
        raise InputError(f"directory {str(target.parent)!r} does not exist", field="plot")
    fig = plot_trajectories(run, title=title)
    fig.savefig(target, format=suffix[1:], dpi=120)
    return target


def plot_forecast_draws(series: dict[str, NDArray[np.float64]], *, title: str = "") -> Figure:
    """Histograms of forecasts over parameter draws (one per forecaster), on
    shared bins, for a bargaining issue forecast over draws."""
    fig = new_figure(figsize=(8.0, 3.6), layout="constrained")
    ax = fig.subplots()
    values = np.concatenate([np.asarray(v, dtype=np.float64) for v in series.values()])
    bins = [float(b) for b in np.histogram_bin_edges(values, bins=40)]
    for name, v in series.items():
        ax.hist(v, bins=bins, histtype="step", linewidth=1.5, label=name)
    ax.set_xlabel("position on the issue")
    ax.set_ylabel("draws")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return fig
