"""``realpolitik estimate``: fit a strategic model to observed outcomes.

Why this module exists: the command line over :mod:`realpolitik.estimation`.
``realpolitik estimate egame12 cases.csv --formula "..."`` fits one of the
canonical games of the R package ``games`` (``egame12``, ``egame122``,
``egame123``) by maximum likelihood and prints R's summary table or a JSON
document; options add a bootstrap, likelihood profiles, predicted
probabilities over a covariate, and figures.

The first argument names what is estimated: a canonical model, or a
scenario whose parameters are declared with ``estimate:`` (``realpolitik
estimate SCENARIO.yaml --data cases.csv [--write FITTED.yaml]``; see
docs/estimation.md); :func:`resolve_target` is the one place that decides.
The data may be given as the second argument or with ``--data``.
``realpolitik calibrate SCENARIO --data cases.csv`` fits the logit precision
lambda (and optionally term weights) of any scenario.

Every check (model, formula parts, columns, outcome levels, numbers, case
count) runs before anything is fitted or written; a user's mistake is one
line on stderr and exit code 2.

JSON shape
----------
``{"model", "link", "errors", "formula", "sd_formula", "sd_by_player",
"outcomes", "n", "n_dropped", "log_likelihood", "aic", "converged",
"locally_identified", "iterations", "fit_seconds", "std_error_source",
"coefficients": {name: {"estimate", "std_error", "z", "p"}}, "fixed_terms":
{name: value}, "warnings": [...]}``, plus ``"bootstrap"``, ``"profile"``
(``{name: {"lower", "upper", "grid": [[value, log_likelihood], ...]}}``) and
``"predicted"`` (rows of the predicted-probability table) when asked for.
Coefficient names are those ``games`` builds (``u1(no attack):lreserves``).
A scenario's fit prints ``{"scenario", "concept", "lambda", "formulas", "n",
"n_dropped", "log_likelihood", "aic", "converged", "locally_identified",
"iterations", "fit_seconds", "std_error_source", "coefficients", "warnings"}``
(coefficients named ``parameter:term``), plus ``"bootstrap"``, ``"profile"``
and ``"written"`` (the fitted scenario's path) when asked for.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from realpolitik.cli.output import emit_json
from realpolitik.errors import InputError
from realpolitik.estimation.calibrate import calibrate
from realpolitik.estimation.canonical import CANONICAL_GAMES
from realpolitik.estimation.fitting import fit_prepared, read_cases, with_bootstrap
from realpolitik.estimation.model import prepare
from realpolitik.estimation.parallel import default_workers
from realpolitik.estimation.predict import PredictedProbabilities, predicted_probabilities
from realpolitik.estimation.profile import LikelihoodProfile
from realpolitik.estimation.result import EstimationResult
from realpolitik.estimation.scenario_fit import estimate_scenario
from realpolitik.estimation.scenario_fit import with_bootstrap as scenario_bootstrap
from realpolitik.estimation.scenario_result import ScenarioEstimate
from realpolitik.scenario.load import builtin_names

__all__ = ["EstimationTarget", "register", "resolve_target"]


_FORMATS = ("table", "json")


@dataclass(frozen=True)
class EstimationTarget:
    """What the first argument names: a canonical model (``kind ==
    "canonical"``) or a scenario (``kind == "scenario"``: a .yaml path or a
    built-in name)."""

    kind: str
    name: str


def resolve_target(target: str) -> EstimationTarget:
    """Decide what ``realpolitik estimate TARGET`` estimates."""
    if target in CANONICAL_GAMES:
        return EstimationTarget("canonical", target)
    if Path(target).suffix.lower() in (".yaml", ".yml"):
        if not Path(target).is_file():
            raise InputError(f"no such scenario file: {target}", field="target")
        return EstimationTarget("scenario", target)
    if target in builtin_names():
        return EstimationTarget("scenario", target)
    raise InputError(
        f"unknown model {target!r}; use one of {', '.join(CANONICAL_GAMES)}, or a scenario "
        "(.yaml) with parameters to estimate",
        field="target",
    )


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same
    directory, so that an interrupted write leaves no half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _parse_numbers(text: str, field: str) -> list[float]:
    values: list[float] = []
    for item in text.split(","):
        try:
            value = float(item.strip())
        except ValueError:
            raise InputError(f"{item.strip()!r} is not a number", field=field) from None
        if not math.isfinite(value):
            raise InputError(f"{item.strip()!r} is not a finite number", field=field)
        values.append(value)
    return values


def _parse_levels(text: str | None) -> list[str] | None:
    if text is None:
        return None
    levels = [part.strip() for part in text.split(",")]
    if any(not lev for lev in levels):
        raise InputError("an outcome level is empty", field="levels")
    return levels


def _profile_json(profile: LikelihoodProfile) -> dict[str, Any]:
    intervals = profile.intervals()
    out: dict[str, Any] = {}
    for name in profile.estimates:
        part = profile.table[profile.table["coefficient"] == name]
        lower = float(intervals["lower"].to_numpy(dtype=float)[intervals.index.get_loc(name)])
        upper = float(intervals["upper"].to_numpy(dtype=float)[intervals.index.get_loc(name)])
        out[name] = {
            "lower": lower if math.isfinite(lower) else None,
            "upper": upper if math.isfinite(upper) else None,
            "grid": [
                [float(v), float(ll)]
                for v, ll in zip(part["value"], part["log_likelihood"], strict=True)
            ],
        }
    return out


def _predicted_json(pred: PredictedProbabilities) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for record in pred.table.to_dict(orient="records"):
        row: dict[str, Any] = {}
        for key, value in record.items():
            number = value if isinstance(value, int | float) else None
            row[str(key)] = float(number) if number is not None else str(value)
        rows.append(row)
    return rows


def _print_table(
    result: EstimationResult,
    profile: LikelihoodProfile | None,
    pred: PredictedProbabilities | None,
) -> None:
    print(result.summary())
    print(f"Fit time: {result.fit_seconds:.3f} s")
    if profile is not None:
        print("\nLikelihood-ratio 95% intervals (profile):")
        print(profile.intervals().to_string(float_format=lambda v: f"{v:.6g}"))
    if pred is not None:
        band = f", {pred.level:.0%} bands from {pred.band_source}" if pred.level else ""
        shown = pred.table
        if len(shown) > 11:  # every tenth grid point; the JSON has them all
            shown = shown.iloc[np.linspace(0, len(shown) - 1, 11).round().astype(int)]
        print(f"\nPredicted probabilities over {pred.x}{band}:")
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def estimate_command(
    target: Annotated[
        str,
        typer.Argument(
            help="The model: egame12, egame122 or egame123; or a scenario (.yaml) whose "
            "parameters are declared with 'estimate:'.",
            show_default=False,
        ),
    ],
    data_arg: Annotated[
        Path | None, typer.Argument(help="CSV of cases, one row per case.", show_default=False)
    ] = None,
    formula: Annotated[
        str | None,
        typer.Option(
            "--formula",
            help='Outcome ~ utility equations separated by "|", as in R\'s games.',
        ),
    ] = None,
    data_opt: Annotated[
        Path | None, typer.Option("--data", help="CSV of cases (instead of the 2nd argument).")
    ] = None,
    link: Annotated[str | None, typer.Option("--link", help="probit (default) or logit.")] = None,
    errors: Annotated[
        str | None, typer.Option("--errors", help="agent (default) or private.")
    ] = None,
    levels: Annotated[
        str | None,
        typer.Option("--levels", help="Outcome levels in tree order, comma-separated."),
    ] = None,
    sd_formula: Annotated[
        str | None, typer.Option("--sd-formula", help='Scale equation(s), e.g. "~ W - 1".')
    ] = None,
    sd_by_player: Annotated[
        bool, typer.Option("--sd-by-player", help="One scale equation per player.")
    ] = False,
    fixed_utils: Annotated[
        str | None,
        typer.Option("--fixed-utils", help="Fix every utility (comma-separated values)."),
    ] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap replicates.")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processes (default: all cores).")
    ] = None,
    profile: Annotated[
        bool, typer.Option("--profile", help="Profile the likelihood of every coefficient.")
    ] = False,
    predict_over: Annotated[
        str | None,
        typer.Option("--predict-over", help="Predicted probabilities over this column."),
    ] = None,
    predict_range: Annotated[
        str | None,
        typer.Option("--predict-range", help="LOW,HIGH of --predict-over (default: observed)."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Directory to write figures (PNG) into.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    lam: Annotated[
        float | None,
        typer.Option("--lambda", help="Scenarios: the QRE's precision (default: the scenario's)."),
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Scenarios: write the fitted scenario (YAML) to this path."),
    ] = None,
) -> None:
    """Estimate the payoffs of a strategic model (or of a scenario's
    parameters declared with 'estimate:') from observed outcomes."""
    resolved = resolve_target(target)
    if fmt not in _FORMATS:
        raise InputError(f"unknown format {fmt!r}; use table or json", field="format")
    if not 0 <= bootstrap <= 100_000:
        raise InputError("--bootstrap takes 0 to 100000 replicates", field="bootstrap")
    if workers is not None and not 1 <= workers <= 256:
        raise InputError("--workers takes 1 to 256 processes", field="workers")
    if data_arg is not None and data_opt is not None:
        raise InputError("give the data once: as the second argument or with --data")
    data_path = data_arg if data_arg is not None else data_opt
    if data_path is None:
        raise InputError("no data: give a CSV of cases as the second argument or with --data")
    if resolved.kind == "scenario":
        refused = {
            "--formula": formula,
            "--levels": levels,
            "--sd-formula": sd_formula,
            "--fixed-utils": fixed_utils,
            "--predict-over": predict_over,
            "--predict-range": predict_range,
        }
        given = [name for name, value in refused.items() if value is not None]
        given += ["--sd-by-player"] if sd_by_player else []
        given += [f"--link {link}"] if link not in (None, "logit") else []
        given += [f"--errors {errors}"] if errors not in (None, "agent") else []
        if given:
            raise InputError(
                f"{given[0]} is for the canonical models; a scenario's formulas are in its file "
                "and it is fitted under its agent logit QRE",
                field="target",
            )
        _estimate_scenario(
            resolved.name, data_path, lam, write, bootstrap, seed, workers, profile, plot, fmt
        )
        return
    if lam is not None or write is not None:
        raise InputError(
            "--lambda and --write are for scenarios; the canonical models estimate their scales",
            field="target",
        )
    link = link or "probit"
    errors = errors or "agent"
    if formula is None:
        raise InputError('--formula is required, e.g. "y ~ x1 | 0 | x2 | z"', field="formula")
    if plot is not None and plot.exists() and not plot.is_dir():
        raise InputError(f"{plot} exists and is not a directory", field="plot")
    fixed = None if fixed_utils is None else _parse_numbers(fixed_utils, "fixed-utils")
    frame = read_cases(data_path)
    prepared = prepare(
        resolved.name,
        frame,
        formula,
        link=link,
        errors=errors,
        levels=_parse_levels(levels),
        sd_formula=sd_formula,
        sd_by_player=sd_by_player,
        fixed_utils=fixed,
        source=str(data_path),
    )
    if predict_over is not None and predict_over not in prepared.model.regressor_columns:
        raise InputError(
            f"{predict_over!r} is not a regressor of the model "
            f"({', '.join(prepared.model.regressor_columns)})",
            field="predict-over",
        )
    xlim: tuple[float, float] | None = None
    if predict_range is not None:
        bounds = _parse_numbers(predict_range, "predict-range")
        if len(bounds) != 2 or not bounds[0] < bounds[1]:
            raise InputError("takes LOW,HIGH with LOW < HIGH", field="predict-range")
        xlim = (bounds[0], bounds[1])
    n_workers = default_workers() if workers is None else workers
    result = fit_prepared(prepared)
    if bootstrap:
        result = with_bootstrap(result, bootstrap, seed=seed, workers=n_workers, progress=True)
    prof = result.profile(workers=n_workers, progress=True) if profile else None
    pred = predicted_probabilities(result, predict_over, xlim=xlim) if predict_over else None
    if plot is not None:
        figures = {"coefficients.png": result.plot()}
        if prof is not None:
            figures["profile.png"] = prof.plot()
        if pred is not None:
            figures[f"predicted_{predict_over}.png"] = pred.plot()
        plot.mkdir(parents=True, exist_ok=True)
        for name, figure in figures.items():
            figure.savefig(plot / name, dpi=120)
    if fmt == "json":
        doc = result.to_json()
        if prof is not None:
            doc["profile"] = _profile_json(prof)
        if pred is not None:
            doc["predicted"] = _predicted_json(pred)
        emit_json(doc)
        return
    _print_table(result, prof, pred)


def _estimate_scenario(
    scenario: str,
    data_path: Path,
    lam: float | None,
    write: Path | None,
    bootstrap: int,
    seed: int,
    workers: int | None,
    profile: bool,
    plot: Path | None,
    fmt: str,
) -> None:
    """``realpolitik estimate SCENARIO --data CASES``: fit, then write."""
    if write is not None and write.exists() and write.is_dir():
        raise InputError(f"{write} is a directory; --write takes a file path", field="write")
    if plot is not None and plot.exists() and not plot.is_dir():
        raise InputError(f"{plot} exists and is not a directory", field="plot")
    n_workers = default_workers() if workers is None else workers
    result: ScenarioEstimate = estimate_scenario(scenario, data_path, lam=lam)
    if bootstrap:
        result = scenario_bootstrap(result, bootstrap, seed=seed, workers=n_workers, progress=True)
    prof = result.profile(workers=n_workers, progress=True) if profile else None
    fitted = result.fitted_scenario() if write is not None else None
    if plot is not None:
        figures = {"coefficients.png": result.plot()}
        if prof is not None:
            figures["profile.png"] = prof.plot()
        plot.mkdir(parents=True, exist_ok=True)
        for name, figure in figures.items():
            figure.savefig(plot / name, dpi=120)
    if write is not None and fitted is not None:
        write_atomically(write, fitted)
    if fmt == "json":
        doc = result.to_json()
        if result.bootstrap is not None:
            doc["bootstrap"] = {
                "replicates": int(result.bootstrap.shape[0]),
                "seed": result.bootstrap_seed,
                "seconds": result.bootstrap_seconds,
            }
        if prof is not None:
            doc["profile"] = _profile_json(prof)
        if write is not None:
            doc["written"] = str(write)
        emit_json(doc)
        return
    print(result.summary())
    print(f"Fit time: {result.fit_seconds:.3f} s")
    if prof is not None:
        print("\nLikelihood-ratio 95% intervals (profile):")
        print(prof.intervals().to_string(float_format=lambda v: f"{v:.6g}"))
    if write is not None:
        print(f"\nFitted scenario written to {write}")


def _parse_names(text: str | None) -> list[str]:
    if text is None:
        return []
    names = [part.strip() for part in text.split(",")]
    if any(not name for name in names):
        raise InputError("a term name is empty", field="weights")
    return names


def calibrate_command(
    scenario: Annotated[
        str,
        typer.Argument(help="A scenario: a .yaml path or a built-in name.", show_default=False),
    ],
    data_arg: Annotated[
        Path | None,
        typer.Argument(help="Cases (CSV or YAML), one row per case.", show_default=False),
    ] = None,
    data_opt: Annotated[
        Path | None, typer.Option("--data", help="Cases (instead of the 2nd argument).")
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option("--weights", help="Also fit these payoff terms' weights: actor.term,..."),
    ] = None,
    start: Annotated[
        float | None, typer.Option("--start", help="Starting lambda (default: the scenario's).")
    ] = None,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="Hold a parameter at a value in every case: NAME=VALUE."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Calibrate a scenario's logit precision (and term weights) on observed choices."""
    if fmt not in _FORMATS:
        raise InputError(f"unknown format {fmt!r}; use table or json", field="format")
    if data_arg is not None and data_opt is not None:
        raise InputError("give the data once: as the second argument or with --data")
    data_path = data_arg if data_arg is not None else data_opt
    if data_path is None:
        raise InputError("no data: give the cases as the second argument or with --data")
    values: dict[str, float] = {}
    for item in set_values or []:
        name, sep, text = item.partition("=")
        parsed = _parse_numbers(text, "set") if sep and name.strip() else []
        if len(parsed) != 1:
            raise InputError(f"--set {item!r}: write NAME=VALUE", field="set")
        values[name.strip()] = parsed[0]
    result = calibrate(
        scenario, data_path, weights=_parse_names(weights), start=start, values=values
    )
    if fmt == "json":
        emit_json(result.to_json())
        return
    print(result.summary())
    print(f"Fit time: {result.fit_seconds:.3f} s")
    print("\nFor the scenario's solve section (lambda as an uncertain factor):")
    print(result.solve_yaml())


def register(app: typer.Typer) -> None:
    app.command("estimate")(estimate_command)
    app.command("calibrate")(calibrate_command)
