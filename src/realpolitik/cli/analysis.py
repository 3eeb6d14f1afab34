"""Sensitivity and discovery commands: ``realpolitik sensitivity`` (Sobol'
indices, Morris screening, tornado) and ``realpolitik discover`` (PRIM box,
its stability, single-parameter tipping points) on a scenario's target.

The computations are :func:`realpolitik.analysis.scenario_sensitivity.scenario_sensitivity`
and :func:`~realpolitik.analysis.scenario_discovery.scenario_discovery`; this module
parses options, shows a progress bar on stderr, prints tables, JSON or CSV on
stdout, and writes plots (PNG and SVG) with ``--plot DIR``.
"""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from realpolitik.cli.output import Table, check_output_dir, emit_json, styled
from realpolitik.cli.progress import stages_bar
from realpolitik.cli.scenario import (
    ConceptOpt,
    Format,
    FormatOpt,
    LambdaOpt,
    OutOpt,
    PlotOpt,
    ScenarioArg,
    err,
    out,
    wrote_tables,
)
from realpolitik.cli.scenario import Method as Sampling
from realpolitik.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from realpolitik.analysis.scenario_discovery import DiscoveryResult
    from realpolitik.analysis.scenario_sensitivity import SensitivityResult

#: Parameters shown in the Sobol' and tornado plots (the largest first).
PLOT_TOP = 15


class Analysis(StrEnum):
    all = "all"
    sobol = "sobol"
    morris = "morris"
    tornado = "tornado"


TargetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        help="What to analyse: actor:action (the probability of the action) or metric:NAME "
        "(the metric's expected value).",
    ),
]
ParametersOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--parameters",
        help="Analyse only these parameters (repeat, or comma-separate); the others stay at "
        "their central values. Default: all.",
    ),
]
SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="Seed of the designs (recorded; drawn if omitted).")
]
TopOpt = Annotated[int, typer.Option("--top", help="Rows per table (0: all).", min=0)]


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    emit_json(data)


def _f(value: Any) -> float:
    """A table cell as a float."""
    return float(value)


def _num(x: float, digits: int = 3) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}g}"


def _how(concept: str, lam: float | None) -> str:
    return concept.upper() + (f", lambda={lam:g}" if lam is not None else "")


def _check_plot_dir(directory: Path | None) -> None:
    if directory is not None and directory.exists() and not directory.is_dir():
        raise InputError(f"--plot {directory} is a file; give a directory for the plots")
    check_output_dir(directory, "--plot")


def _wrote(files: list[Path], directory: Path) -> None:
    err.print(f"wrote {len(files)} plot files to {directory}")


def _shown(count: int, top: int) -> int:
    return count if top == 0 else min(top, count)


# --------------------------------------------------------------------------
# sensitivity
# --------------------------------------------------------------------------


def sensitivity(
    scenario: ScenarioArg,
    target: TargetOpt = None,
    method: Annotated[
        Analysis, typer.Option("--method", help="sobol, morris, tornado or all.")
    ] = Analysis.all,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            help="Sobol' base sample size N, a power of two (cost: N x (parameters + 2) solves).",
        ),
    ] = 1024,
    trajectories: Annotated[
        int,
        typer.Option(
            "--trajectories",
            help="Morris trajectories (cost: trajectories x (parameters + 1) solves).",
        ),
    ] = 50,
    parameters: ParametersOpt = None,
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    seed: SeedOpt = None,
    fmt: FormatOpt = Format.table,
    plot: PlotOpt = None,
    top: TopOpt = 10,
    out_dir: OutOpt = None,
) -> None:
    """Which parameters drive a target: Sobol' indices, Morris screening, tornado."""
    from realpolitik.analysis.scenario_sensitivity import SENSITIVITY_METHODS, scenario_sensitivity
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    methods = SENSITIVITY_METHODS if method == Analysis.all else (method.value,)
    if "sobol" in methods and (samples < 2 or samples & (samples - 1)):
        raise InputError(f"--samples must be a power of two (e.g. 1024), got {samples}")
    if "morris" in methods and trajectories < 2:
        raise InputError(f"--trajectories must be at least 2, got {trajectories}")
    _check_plot_dir(plot)
    check_output_dir(out_dir, "--out")
    with stages_bar() as report:
        result = scenario_sensitivity(
            sc,
            target or [],
            methods=methods,
            samples=samples,
            trajectories=trajectories,
            parameters=parameters,
            concept=concept,
            lam=lam,
            seed=seed,
            progress=report,
        )
    if plot is not None:
        _wrote(write_sensitivity_plots(result, plot), plot)
    tables = {"indices": result.table()}
    for name in ("sobol", "morris", "tornado"):
        frame = getattr(result, name)
        if frame is not None:
            tables[name] = frame
    wrote_tables(out_dir, tables)
    if fmt == Format.json:
        _print_json(result.to_json())
        return
    if fmt == Format.csv:
        sys.stdout.write(result.table().to_csv(index=False))
        return
    out.use(fmt)
    _sensitivity_tables(result, top)


def write_sensitivity_plots(
    result: SensitivityResult, directory: Path, top: int = PLOT_TOP
) -> list[Path]:
    """Sobol', Morris and tornado plots of every target, as PNG and SVG.

    The Sobol' and tornado plots show the ``top`` parameters with the largest
    total index and swing (0: all); the Morris plot shows every parameter.
    """
    from realpolitik.plots.sensitivity_plots import plot_morris, plot_sobol, plot_tornado

    files: list[Path] = []

    def stems(name: str) -> list[Path]:
        return [directory / f"{name}.png", directory / f"{name}.svg"]

    try:
        for target in result.targets:
            stem = target.file_stem
            if result.sobol is not None:
                rows = result.sobol.loc[result.sobol["output"] == target.name]
                if top:
                    rows = rows.nlargest(top, "ST", keep="first")
                plot_sobol(rows, path=directory / f"sobol-{stem}")
                files += stems(f"sobol-{stem}")
            if result.morris is not None:
                plot_morris(result.morris, output=target.name, path=directory / f"morris-{stem}")
                files += stems(f"morris-{stem}")
            if result.tornado is not None:
                plot_tornado(
                    result.tornado,
                    output=target.name,
                    top=top or None,
                    path=directory / f"tornado-{stem}",
                )
                files += stems(f"tornado-{stem}")
    except OSError as error:
        raise InputError(f"cannot write plots to {directory}: {error.strerror}") from None
    return files


def _sensitivity_tables(result: SensitivityResult, top: int) -> None:
    sc = result.scenario
    how = _how(result.concept, result.lam)
    design = []
    if result.sobol is not None:
        design.append(f"Sobol' N={result.samples}")
    if result.morris is not None:
        design.append(f"Morris r={result.trajectories}")
    if result.tornado is not None:
        design.append("tornado 5%-95%")
    out.print(
        styled(
            (sc.title, "bold"),
            f"  ({how}; {', '.join(design)}; seed {result.seed}; "
            f"{len(result.parameters)} parameters)",
        )
    )
    table = result.table()
    sort_by = (
        "ST" if result.sobol is not None else "mu_star" if result.morris is not None else "swing"
    )
    for target, central in zip(result.targets, result.central_values, strict=True):
        rows = table.loc[table["output"] == target.name]
        rows = rows.sort_values(sort_by, ascending=False, kind="stable")
        shown = _shown(len(rows), top)
        t = Table(
            title=f"{target.name}: {target.description} ({_num(float(central))} at the central "
            "values)",
            title_justify="left",
        )
        t.add_column("parameter")
        if result.sobol is not None:
            t.add_column("S1 (95%)", justify="right")
            t.add_column("ST (95%)", justify="right")
        if result.morris is not None:
            t.add_column("mu*", justify="right")
            t.add_column("sigma", justify="right")
        if result.tornado is not None:
            t.add_column("low -> high value", justify="right")
            t.add_column("target at low, high", justify="right")
            t.add_column("swing", justify="right")
        for row in rows.head(shown).itertuples():
            cells = [str(row.parameter)]
            if result.sobol is not None:
                cells += [
                    f"{_f(row.S1):.2f} ± {_f(row.S1_conf):.2f}",
                    f"{_f(row.ST):.2f} ± {_f(row.ST_conf):.2f}",
                ]
            if result.morris is not None:
                cells += [f"{_f(row.mu_star):.3f}", f"{_f(row.sigma):.3f}"]
            if result.tornado is not None:
                cells += [
                    f"{_num(_f(row.low_value))} -> {_num(_f(row.high_value))}",
                    f"{_num(_f(row.y_low))}, {_num(_f(row.y_high))}",
                    f"{_f(row.swing):.3f}",
                ]
            t.add_row(*cells)
        out.print(t)
        if shown < len(rows):
            out.print(f"  ... {len(rows) - shown} more parameters (--top 0 shows all)")
    for note in result.notes:
        out.print(styled((f"note: {note}", "italic")))


# --------------------------------------------------------------------------
# discover
# --------------------------------------------------------------------------


def discover(
    scenario: ScenarioArg,
    target: TargetOpt = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Cases are draws whose target value exceeds this (needed for metric targets). "
            "Default: draws in which the action is its actor's most likely choice.",
        ),
    ] = None,
    draws: Annotated[int, typer.Option("--draws", help="Parameter draws for PRIM.")] = 4000,
    sampling: Annotated[
        Sampling, typer.Option("--sampling", help="Sampling of the draws: mc, lhs or sobol.")
    ] = Sampling.mc,
    resamples: Annotated[
        int, typer.Option("--resamples", help="PRIM stability half-samples (0: skip).", min=0)
    ] = 20,
    max_restricted: Annotated[
        int,
        typer.Option("--max-restricted", help="Most parameters the PRIM box may restrict.", min=0),
    ] = 3,
    min_coverage: Annotated[
        float,
        typer.Option("--min-coverage", help="Least share of the cases the PRIM box must hold."),
    ] = 0.5,
    parameters: ParametersOpt = None,
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    seed: SeedOpt = None,
    fmt: FormatOpt = Format.table,
    plot: PlotOpt = None,
    top: TopOpt = 10,
    out_dir: OutOpt = None,
) -> None:
    """Under which conditions a choice holds (PRIM box) and where it flips (tipping points)."""
    from realpolitik.analysis.scenario_discovery import scenario_discovery
    from realpolitik.scenario.load import resolve

    sc = resolve(scenario)
    if not 0.0 < min_coverage <= 1.0:
        raise InputError(f"--min-coverage must lie in (0, 1], got {min_coverage}")
    _check_plot_dir(plot)
    check_output_dir(out_dir, "--out")
    with stages_bar() as report:
        result = scenario_discovery(
            sc,
            target or [],
            draws=draws,
            threshold=threshold,
            parameters=parameters,
            concept=concept,
            lam=lam,
            seed=seed,
            method=sampling.value,
            resamples=resamples,
            prim_options={"max_restricted": max_restricted, "min_coverage": min_coverage},
            progress=report,
        )
    if plot is not None:
        _wrote(write_discovery_plots(result, plot), plot)
    wrote_tables(out_dir, _discovery_out(result))
    if fmt == Format.json:
        _print_json(result.to_json())
        return
    if fmt == Format.csv:
        sys.stdout.write(_discovery_csv(result).to_csv(index=False))
        return
    out.use(fmt)
    _discovery_tables(result, top)


def write_discovery_plots(result: DiscoveryResult, directory: Path) -> list[Path]:
    """PRIM trade-off and box plots (PNG and SVG); none when there is no box."""
    from realpolitik.plots.sensitivity_plots import plot_prim_box, plot_prim_tradeoff

    if result.prim is None:
        return []
    stem = result.target.file_stem
    files: list[Path] = []
    try:
        plot_prim_tradeoff(result.prim, path=directory / f"prim-tradeoff-{stem}")
        files += [directory / f"prim-tradeoff-{stem}.png", directory / f"prim-tradeoff-{stem}.svg"]
        if len(result.parameters) >= 2:
            plot_prim_box(result.prim, result.X, result.y, path=directory / f"prim-box-{stem}")
            files += [directory / f"prim-box-{stem}.png", directory / f"prim-box-{stem}.svg"]
    except OSError as error:
        raise InputError(f"cannot write plots to {directory}: {error.strerror}") from None
    return files


def _discovery_out(result: DiscoveryResult) -> dict[str, pd.DataFrame]:
    """Every table of a discovery, for ``--out``."""
    from realpolitik.analysis.scenario_discovery import box_table

    tables = {"thresholds": result.thresholds}
    if result.prim is not None:
        tables["box"] = box_table(result)
        tables["trajectory"] = result.prim.trajectory
    if result.stability is not None:
        tables["stability"] = result.stability.summary
        tables["stability_boxes"] = result.stability.boxes
    return tables


def _discovery_csv(result: DiscoveryResult) -> pd.DataFrame:
    """The box limits and the tipping points in one table, ``section`` first."""
    import pandas as pd

    from realpolitik.analysis.scenario_discovery import box_table

    box = box_table(result).assign(section="box")
    flips = result.thresholds.assign(section="threshold")
    parts = [box, flips]
    if result.stability is not None:
        parts.append(result.stability.summary.assign(section="stability"))
    frame = pd.concat(parts, ignore_index=True, sort=False)
    return frame[["section", *[c for c in frame.columns if c != "section"]]]


def _limit_text(lower: float, upper: float) -> str:
    if math.isfinite(lower) and math.isfinite(upper):
        return f"{_num(lower)} to {_num(upper)}"
    if math.isfinite(lower):
        return f">= {_num(lower)}"
    if math.isfinite(upper):
        return f"<= {_num(upper)}"
    return "any"


def _discovery_tables(result: DiscoveryResult, top: int) -> None:
    from realpolitik.analysis.scenario_discovery import box_table

    sc = result.scenario
    target = result.target
    n_cases = int(result.y.sum())
    out.print(
        styled(
            (sc.title, "bold"),
            f"  ({_how(result.concept, result.lam)}; {result.draws} draws "
            f"({result.method}, seed {result.seed}); {len(result.parameters)} parameters)",
        )
    )
    out.print(
        f"Cases of interest: {result.case_text}, in {n_cases} of {result.draws} draws "
        f"({n_cases / result.draws:.1%})."
    )
    if target.kind == "action":
        out.print(
            styled(
                f"At the central values {target.actor}'s most likely choice at {target.move} is ",
                (result.central_label, "bold"),
                f"; {target.name} = {_num(result.central_value)}.",
            )
        )
    else:
        out.print(f"At the central values {target.name} = {_num(result.central_value)}.")

    p = result.prim
    if p is None:
        for note in result.notes:
            out.print(styled((note, "italic")))
    else:
        lift = p.density / p.base_density if p.base_density > 0 else float("nan")
        out.print(
            styled(
                "\n",
                ("PRIM box", "bold"),
                f": coverage {p.coverage:.1%} of the cases, density "
                f"{p.density:.1%} ({lift:.1f}x the {p.base_density:.1%} of all draws), mass "
                f"{p.mass:.1%} of the draws; {p.n_restricted} "
                f"parameter{'' if p.n_restricted == 1 else 's'} restricted "
                f"(step {p.selected_step} of {len(p.trajectory) - 1}"
                + (f"; dropped {', '.join(p.dropped)}" if p.dropped else "")
                + ("; pasted" if p.pasted else "")
                + ")",
            )
        )
        limits = box_table(result)
        if len(limits):
            t = Table(show_edge=False)
            t.add_column("parameter")
            t.add_column("range", justify="right")
            t.add_column("quantiles", justify="right")
            t.add_column("quasi-p", justify="right")
            for row in limits.itertuples():
                t.add_row(
                    str(row.parameter),
                    _limit_text(_f(row.lower), _f(row.upper)),
                    f"{_f(row.lower_quantile):.0%}-{_f(row.upper_quantile):.0%}",
                    f"{_f(row.quasi_p):.2g}",
                )
            out.print(t)
        _trajectory_table(result)
    if result.stability is not None:
        _stability_table(result, top)
    _threshold_table(result, top)


def _trajectory_table(result: DiscoveryResult) -> None:
    """The peeling steps at which another parameter became restricted, and the
    selected and last steps."""
    p = result.prim
    assert p is not None
    traj = p.trajectory
    counts = traj["n_restricted"].to_numpy()
    keep = [0] + [i for i in range(1, len(traj)) if counts[i] != counts[i - 1]]
    keep = sorted(set(keep) | {p.selected_step, len(traj) - 1})
    t = Table(
        title="Peeling trajectory (steps that restrict another parameter)",
        title_justify="left",
        show_edge=False,
    )
    for column in ("step", "coverage", "density", "mass", "restricted"):
        t.add_column(column, justify="left" if column == "restricted" else "right")
    for i in keep:
        row = traj.iloc[i]
        mark = " *" if int(row["step"]) == p.selected_step else ""
        names = str(row["restricted"]) or "-"
        if len(names) > 70:
            names = f"{int(row['n_restricted'])} parameters"
        t.add_row(
            f"{int(row['step'])}{mark}",
            f"{_f(row['coverage']):.1%}",
            f"{_f(row['density']):.1%}",
            f"{_f(row['mass']):.1%}",
            names,
        )
    out.print(t)
    out.print("  * the selected box (before pruning and pasting)")


def _stability_table(result: DiscoveryResult, top: int) -> None:
    stability = result.stability
    assert stability is not None
    summary = stability.summary
    relevant = summary.loc[
        summary["full_box_restricted"] | (summary["restricted_share"] >= 0.1)
    ].sort_values("restricted_share", ascending=False, kind="stable")
    boxes = stability.boxes
    t = Table(
        title=f"Stability over {len(boxes)} half-samples (their boxes on all draws: mean coverage "
        f"{boxes['coverage'].mean():.1%}, density {boxes['density'].mean():.1%})",
        title_justify="left",
        show_edge=False,
    )
    t.add_column("parameter")
    t.add_column("restricted in", justify="right")
    t.add_column("lower limit: median [5%, 95%]", justify="right")
    t.add_column("upper limit: median [5%, 95%]", justify="right")
    t.add_column("in the box", justify="right")
    for row in relevant.head(_shown(len(relevant), top)).itertuples():

        def limit(median: float, q05: float, q95: float) -> str:
            if not math.isfinite(median):
                return "-"
            return f"{_num(median)} [{_num(q05)}, {_num(q95)}]"

        t.add_row(
            str(row.parameter),
            f"{_f(row.restricted_share):.0%}",
            limit(_f(row.lower_median), _f(row.lower_q05), _f(row.lower_q95)),
            limit(_f(row.upper_median), _f(row.upper_q05), _f(row.upper_q95)),
            "yes" if bool(row.full_box_restricted) else "no",
        )
    out.print(t)


def _threshold_table(result: DiscoveryResult, top: int) -> None:
    flips = result.thresholds
    target = result.target
    what = (
        f"{target.actor}'s most likely choice at {target.move}"
        if target.kind == "action"
        else f"whether {target.name} exceeds {result.threshold:g}"
    )
    if not len(flips):
        out.print(
            f"\nNo single parameter, moved alone through its 0.1%-99.9% range with the others "
            f"at their central values, changes {what} (it stays {result.central_label})."
        )
        return
    parameters = result.scenario.parameters
    t = Table(
        title=f"Tipping points: one parameter moved alone changes {what} "
        f"(nearest the central value first)",
        title_justify="left",
        show_edge=False,
    )
    t.add_column("parameter")
    t.add_column("central", justify="right")
    t.add_column("flips at", justify="right")
    t.add_column("quantile", justify="right")
    t.add_column("from -> to (as it rises)")
    for row in flips.head(_shown(len(flips), top)).itertuples():
        t.add_row(
            str(row.parameter),
            _num(parameters[str(row.parameter)].central),
            _num(_f(row.value), 4),
            f"{_f(row.quantile):.1%}",
            f"{row.from_label} -> {row.to_label}",
        )
    out.print(t)
    if _shown(len(flips), top) < len(flips):
        out.print(f"  ... {len(flips) - _shown(len(flips), top)} more (--top 0 shows all)")


def register(app: typer.Typer) -> None:
    app.command("sensitivity")(sensitivity)
    app.command("discover")(discover)
