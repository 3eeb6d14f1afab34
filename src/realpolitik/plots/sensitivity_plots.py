"""Static plots of sensitivity analysis and scenario discovery: tornado, Sobol'
indices, Morris screening, the PRIM coverage-density trade-off and the PRIM
box over a scatter of the data.

Why this module exists: reports and notebooks need the standard pictures of
``realpolitik sensitivity`` / ``discover`` from the DataFrames and results of
:mod:`realpolitik.analysis.sensitivity` and :mod:`realpolitik.analysis.prim`,
drawn the same way every time. The PRIM pictures follow Bryant and Lempert
(2010, figs. 3-5): the peeling trajectory as coverage against density coloured
by the number of restricted parameters, and the box over the two parameters
it restricts most.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` built
without pyplot (an Agg canvas, so no global state and no display needed) and,
when given a path, writes ``<path>.png`` and ``<path>.svg`` (a trailing
``.png``/``.svg`` on the path is dropped first; parent folders are created).
SVGs carry no date and fixed ids, so the same data give the same file.

References
----------
Bryant, B. P., Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting &
Social Change 77:34-49.
Saltelli, A. et al. (2008). Global Sensitivity Analysis: The Primer. Wiley.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from realpolitik.errors import InputError
from realpolitik.plots.protocols import PrimLike as PrimResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]

_LOW_COLOUR = "#4C72B0"
_HIGH_COLOUR = "#DD8452"
_BOX_COLOUR = "#C44E52"


def _figure(width: float, height: float) -> Figure:
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    from realpolitik.plots.figure import new_figure

    return new_figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, path: Path | str | None) -> list[Path]:
    """Write ``<path>.png`` (150 dpi) and ``<path>.svg``; nothing if path is None.

    Parameters
    ----------
    fig : the figure.
    path : file stem (a ``.png`` or ``.svg`` suffix is dropped), or None.

    Returns
    -------
    The files written.
    """
    if path is None:
        return []
    stem = Path(path)
    if stem.suffix.lower() in (".png", ".svg"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.parent / f"{stem.name}.png"
    svg = stem.parent / f"{stem.name}.svg"
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    import matplotlib as mpl

    with mpl.rc_context({"svg.hashsalt": "realpolitik"}):
        fig.savefig(png, dpi=150)
        fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


def _one_output(frame: pd.DataFrame, output: str | None, needed: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in ("output", "parameter", *needed) if c not in frame.columns]
    if missing:
        raise InputError(f"the table lacks columns {', '.join(missing)}; pass the analysis' result")
    outputs = list(pd.unique(frame["output"]))
    if not outputs:
        raise InputError("the table is empty: nothing to plot")
    chosen = outputs[0] if output is None else output
    if chosen not in outputs:
        raise InputError(f"no output {chosen!r}; choose one of {', '.join(map(str, outputs))}")
    sub: pd.DataFrame = frame.loc[frame["output"] == chosen].reset_index(drop=True)
    return sub


def plot_tornado(
    frame: pd.DataFrame,
    *,
    output: str | None = None,
    top: int | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Tornado diagram of one output from :func:`~realpolitik.analysis.sensitivity.tornado`.

    One row per parameter, the largest swing on top: a bar from the central
    output to the output at the parameter's low setting, and one to the output
    at its high setting; the settings are printed under the parameter's name.

    Parameters
    ----------
    frame : the tornado table.
    output : which output (default the first).
    top : show only the ``top`` largest swings.
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure (one axes; its two bar containers are the low and high bars).
    """
    sub = _one_output(frame, output, ("y_low", "y_high", "y_central", "swing"))
    sub = sub.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    if top is not None:
        sub = sub.head(top)
    n = len(sub)
    fig = _figure(7.0, 1.0 + 0.45 * n)
    ax = fig.add_subplot()
    ypos = np.arange(n)[::-1].astype(float)
    central = float(sub["y_central"].iloc[0])
    y_low = sub["y_low"].to_numpy(dtype=np.float64)
    y_high = sub["y_high"].to_numpy(dtype=np.float64)
    ax.barh(ypos, y_low - central, left=central, color=_LOW_COLOUR, label="parameter low")
    ax.barh(ypos, y_high - central, left=central, color=_HIGH_COLOUR, label="parameter high")
    ax.axvline(central, color="black", linewidth=0.8)
    labels = [
        f"{p}\n[{lo:.3g}, {hi:.3g}]" if "low_value" in sub.columns else str(p)
        for p, lo, hi in zip(
            sub["parameter"],
            sub.get("low_value", pd.Series(np.zeros(n))),
            sub.get("high_value", pd.Series(np.zeros(n))),
            strict=True,
        )
    ]
    ax.set_yticks(ypos, labels)
    ax.set_xlabel(f"{sub['output'].iloc[0]} (central {central:.3g})")
    ax.set_title("One-at-a-time swings")
    ax.legend(loc="best", fontsize="small")
    save_figure(fig, path)
    return fig


def plot_sobol(
    frame: pd.DataFrame,
    *,
    output: str | None = None,
    path: Path | str | None = None,
) -> Figure:
    """First-order and total Sobol' indices of one output, with their intervals.

    Parameters
    ----------
    frame : the table of :func:`~realpolitik.analysis.sensitivity.sobol_indices`.
    output : which output (default the first).
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure: parameters by decreasing total index; the first bar container
    holds S1, the second ST, each with error bars of half-width ``*_conf``.
    """
    sub = _one_output(frame, output, ("S1", "S1_conf", "ST", "ST_conf"))
    sub = sub.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    n = len(sub)
    fig = _figure(max(4.0, 1.5 + 0.6 * n), 4.0)
    ax = fig.add_subplot()
    x = np.arange(n, dtype=float)
    width = 0.38
    ax.bar(
        x - width / 2,
        sub["S1"],
        width,
        yerr=sub["S1_conf"],
        capsize=3,
        color=_LOW_COLOUR,
        label="first order S1",
    )
    ax.bar(
        x + width / 2,
        sub["ST"],
        width,
        yerr=sub["ST_conf"],
        capsize=3,
        color=_HIGH_COLOUR,
        label="total ST",
    )
    ax.set_xticks(x, [str(p) for p in sub["parameter"]], rotation=30, ha="right")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_ylabel("Sobol' index")
    ax.set_title(f"Sobol' indices of {sub['output'].iloc[0]}")
    ax.legend(fontsize="small")
    save_figure(fig, path)
    return fig


def plot_morris(
    frame: pd.DataFrame,
    *,
    output: str | None = None,
    path: Path | str | None = None,
) -> Figure:
    """Morris screening: mu* against sigma, one labelled point per parameter.

    Parameters far from the origin matter; those high on sigma act through
    interactions or non-linearly (Campolongo et al. 2007).

    Parameters
    ----------
    frame : the table of :func:`~realpolitik.analysis.sensitivity.morris_screening`.
    output : which output (default the first).
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure; its first collection holds the points ``(mu_star, sigma)``.
    """
    sub = _one_output(frame, output, ("mu_star", "mu_star_conf", "sigma"))
    fig = _figure(5.5, 4.5)
    ax = fig.add_subplot()
    mu_star = sub["mu_star"].to_numpy(dtype=np.float64)
    sigma = sub["sigma"].to_numpy(dtype=np.float64)
    ax.scatter(mu_star, sigma, color=_LOW_COLOUR, zorder=3)
    ax.errorbar(
        mu_star,
        sigma,
        xerr=sub["mu_star_conf"].to_numpy(dtype=np.float64),
        fmt="none",
        ecolor="grey",
        capsize=2,
    )
    for name, mx, sy in zip(sub["parameter"], mu_star, sigma, strict=True):
        ax.annotate(str(name), (mx, sy), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_xlabel("μ* (per unit of quantile)")
    ax.set_ylabel("σ")
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.set_title(f"Morris screening of {sub['output'].iloc[0]}")
    save_figure(fig, path)
    return fig


def plot_prim_tradeoff(result: PrimResult, *, path: Path | str | None = None) -> Figure:
    """PRIM peeling trajectory: coverage against density, coloured by the
    number of restricted parameters, the selected step ringed and the final
    (pruned, pasted) box starred.

    Parameters
    ----------
    result : a :func:`~realpolitik.analysis.prim.prim` result.
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure; its first collection holds the trajectory's points
    ``(coverage, density)`` in step order, the second the selected step, the
    third the final box.
    """
    traj = result.trajectory
    fig = _figure(6.0, 4.5)
    ax = fig.add_subplot()
    n_restricted = traj["n_restricted"].to_numpy()
    top = max(1, int(n_restricted.max()))
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    import matplotlib as mpl

    cmap = mpl.colormaps["viridis"].resampled(top + 1)
    points = ax.scatter(
        traj["coverage"],
        traj["density"],
        c=n_restricted,
        cmap=cmap,
        vmin=-0.5,
        vmax=top + 0.5,
        s=18,
        zorder=2,
    )
    fig.colorbar(points, ax=ax, ticks=np.arange(top + 1), label="restricted parameters")
    chosen = traj.loc[traj["step"] == result.selected_step].iloc[0]
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=140,
        facecolors="none",
        edgecolors=_BOX_COLOUR,
        linewidths=1.5,
        zorder=3,
        label=f"selected step {result.selected_step}",
    )
    ax.scatter(
        [result.coverage],
        [result.density],
        marker="*",
        s=160,
        color=_BOX_COLOUR,
        zorder=4,
        label="final box",
    )
    ax.axhline(result.base_density, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, 1.02)
    ax.set_title("PRIM peeling trajectory")
    ax.legend(loc="lower left", fontsize="small")
    save_figure(fig, path)
    return fig


def most_restrictive(result: PrimResult, X: ArrayLike | pd.DataFrame) -> list[int]:
    """Parameter indices ordered from the most to the least restrictive.

    A parameter's restrictiveness is the share of the points that its limits
    alone exclude; ties are broken by the quasi-p-value (smaller first), then
    by the parameter order.

    Parameters
    ----------
    result : a PRIM result.
    X : the ``(n, k)`` data the box was found on.

    Returns
    -------
    The ``k`` indices.
    """
    arr = _as_points(X, len(result.names))
    excluded = ((arr < result.box_lower) | (arr > result.box_upper)).mean(axis=0)
    quasi_p = result.box["quasi_p"].to_numpy(dtype=np.float64)
    order = np.lexsort((np.arange(arr.shape[1]), quasi_p, -excluded))
    return [int(j) for j in order]


def _as_points(X: ArrayLike | pd.DataFrame, k: int) -> FloatArray:
    arr = X.to_numpy(dtype=np.float64) if isinstance(X, pd.DataFrame) else np.asarray(X, float)
    if arr.ndim != 2 or arr.shape[1] != k:
        raise InputError(f"X must have shape (points, {k}) like the PRIM data, got {arr.shape}")
    return arr


def plot_prim_box(
    result: PrimResult,
    X: ArrayLike | pd.DataFrame,
    y: ArrayLike,
    *,
    dims: tuple[str, str] | None = None,
    max_points: int = 5000,
    seed: int = 0,
    path: Path | str | None = None,
) -> Figure:
    """The PRIM box over a scatter of the data in two parameters.

    Parameters
    ----------
    result : a :func:`~realpolitik.analysis.prim.prim` result.
    X : the ``(n, k)`` data the box was found on.
    y : the ``(n,)`` binary cases of interest.
    dims : the two parameters to show; default the two most restrictive
        (:func:`most_restrictive`).
    max_points : at most this many points are drawn (a seeded random subset).
    seed : seed of that subset.
    path : file stem for PNG and SVG, or None.

    Returns
    -------
    The figure; the box is its axes' only :class:`~matplotlib.patches.Rectangle`
    patch, its infinite sides drawn at the data's range.
    """
    k = len(result.names)
    if k < 2:
        raise InputError("a box plot needs at least two parameters; this PRIM run has one")
    arr = _as_points(X, k)
    cases = np.asarray(y).astype(bool)
    if cases.shape != (arr.shape[0],):
        raise InputError(f"y must have one value per point ({arr.shape[0]}), got {cases.shape}")
    if dims is None:
        jx, jy = most_restrictive(result, arr)[:2]
    else:
        unknown = [d for d in dims if d not in result.names]
        if unknown or len(dims) != 2 or dims[0] == dims[1]:
            raise InputError(f"dims must be two distinct names among {', '.join(result.names)}")
        jx, jy = result.names.index(dims[0]), result.names.index(dims[1])

    rows = np.arange(arr.shape[0])
    if rows.size > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=max_points, replace=False))
    fig = _figure(5.5, 5.0)
    ax = fig.add_subplot()
    other = rows[~cases[rows]]
    hit = rows[cases[rows]]
    ax.scatter(arr[other, jx], arr[other, jy], s=4, color="#BBBBBB", label="other", zorder=1)
    ax.scatter(
        arr[hit, jx], arr[hit, jy], s=4, color=_LOW_COLOUR, label="case of interest", zorder=2
    )

    lo = np.maximum(result.box_lower[[jx, jy]], arr[:, [jx, jy]].min(axis=0))
    hi = np.minimum(result.box_upper[[jx, jy]], arr[:, [jx, jy]].max(axis=0))
    # matplotlib when a figure is made, not at import (0.3 s of every command's start-up)
    from matplotlib.patches import Rectangle

    ax.add_patch(
        Rectangle(
            (lo[0], lo[1]),
            hi[0] - lo[0],
            hi[1] - lo[1],
            fill=False,
            edgecolor=_BOX_COLOUR,
            linewidth=2.0,
            zorder=3,
        )
    )
    ax.set_xlabel(result.names[jx])
    ax.set_ylabel(result.names[jy])
    ax.set_title(
        f"PRIM box: coverage {result.coverage:.2f}, density {result.density:.2f}, "
        f"{result.n_restricted} restricted"
    )
    ax.legend(loc="upper right", fontsize="small", markerscale=3)
    save_figure(fig, path)
    return fig
