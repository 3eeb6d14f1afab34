"""``realpolitik align``: how every UN member votes in an alignment scenario.

Why this module exists: the command line over
:func:`realpolitik.alignment.align`. It prints a table (the expected tally
with its 90% range, then every member's probabilities with the leading term
behind its most likely vote), the JSON document of
:meth:`~realpolitik.alignment.forecast.AlignmentResult.to_json`, or a CSV keyed
by ISO3; ``--plot DIR`` writes the charts and ``--out DIR`` the CSV and JSON
files, ``--report FILE`` one self-contained HTML document
(:mod:`realpolitik.report.alignment_report`). Everything is computed before
anything is written, and files are moved
into ``--out`` only once all are complete. A user's mistake (unknown scenario
or country code, a covariate table with gaps or a bad vote coding) is an
:class:`~realpolitik.errors.InputError`: one line, exit code 2.

``realpolitik align-fit`` refits a scenario's coefficients on the roll call
its ``fit`` block names, through the estimation machinery
(:func:`realpolitik.alignment.fit.fit_scenario`): the game's coefficient table
with Hessian (or case-bootstrap) standard errors, optionally the likelihood
profile of ``gamma``, beside the multinomial logit on the same covariates. It
prints; it does not rewrite the scenario (``scripts/fit_alignment_2014.py``
does that for the built-in one).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, cast

import typer

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import ImputeRule
from realpolitik.alignment.fit import VoteEstimate, fit_scenario
from realpolitik.alignment.forecast import AlignmentResult, align
from realpolitik.alignment.scenario import load_alignment_scenario
from realpolitik.cli.output import Output, Table, styled
from realpolitik.cli.output import out as stdout
from realpolitik.errors import InputError
from realpolitik.report.alignment_report import build_alignment_report
from realpolitik.report.html_report import check_report_path, write_report

__all__ = ["register"]

_FORMATS = ("table", "json", "csv")
_IMPUTE = ("error", "subregion-mean", "drop")


def _check(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise InputError(f"{value!r} is not one of {', '.join(allowed)}", field=option)
    return value


def _print_table(result: AlignmentResult, console: Output) -> None:
    meta = result.meta
    console.print(
        styled(
            (str(meta["title"]), "bold"),
            f"  (as of {meta['as_of']}; {meta['draws']} draws, "
            f"seed {meta['seed']}; {meta['solver']['summary']})",
        )
    )
    tally = Table(title="Expected tally (90% range of simulated roll calls)")
    for column in ("choice", "expected", "90% range"):
        tally.add_column(column, justify="right" if column != "choice" else "left")
    for row in result.tally.itertuples():
        tally.add_row(str(row.choice), f"{row.expected:.1f}", f"{row.p05}-{row.p95}")
    console.print(tally)
    lead = (
        result.reasons.sort_values("value", ascending=False)
        .drop_duplicates("iso3")
        .set_index("iso3")
    )
    countries = Table(
        title="Members (sorted by P(yes) - P(no)); why: the largest term for the most likely "
        "vote, at central values"
    )
    for column in ("iso3", "name", *CHOICES, "P(yes) 90%", "most likely", "why (vs runner-up)"):
        countries.add_column(column, justify="right" if column in CHOICES else "left")
    frame = result.countries.assign(_k=result.countries["yes"] - result.countries["no"])
    why = lead.to_dict("index")
    for member in frame.sort_values("_k", ascending=False).to_dict("records"):
        lead_term = why[member["iso3"]]
        countries.add_row(
            str(member["iso3"]),
            str(member["name"]),
            *(f"{100 * float(member[c]):.1f}%" for c in CHOICES),
            f"{100 * float(member['yes_p05']):.0f}-{100 * float(member['yes_p95']):.0f}%",
            str(member["most_likely"]),
            f"vs {lead_term['versus']}: {lead_term['term']} {float(lead_term['value']):+.2f}",
        )
    console.print(countries)


def _write_out(result: AlignmentResult, folder: Path) -> list[Path]:
    """Write countries.csv, tally.csv, reasons.csv and result.json into ``folder``;
    each appears only complete (written beside it, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "countries.csv": result.countries.to_csv(index=False),
        "tally.csv": result.tally.to_csv(index=False),
        "reasons.csv": result.reasons.to_csv(index=False),
        "result.json": result.to_json_text() + "\n",
    }
    with tempfile.TemporaryDirectory(dir=folder, prefix=".align-") as tmp:
        for name, text in texts.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        for name in texts:
            os.replace(Path(tmp) / name, folder / name)
    return [folder / name for name in texts]


def align_command(
    scenario: Annotated[
        str, typer.Argument(help="A built-in alignment scenario (unga-2022-aggression) or a file.")
    ],
    draws: Annotated[
        int, typer.Option("--draws", help="Parameter draws (1: central values only).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the charts (PNG) into this folder.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write countries.csv, tally.csv, reasons.csv, result.json."),
    ] = None,
    table: Annotated[
        Path | None, typer.Option("--table", help="A covariate table instead of the shipped one.")
    ] = None,
    impute: Annotated[
        str,
        typer.Option("--impute", help="Missing covariates: error, subregion-mean or drop."),
    ] = "error",
    country: Annotated[
        list[str] | None, typer.Option("--country", help="Show only this ISO3 code (repeatable).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write the tally, members, charts and sources as HTML."),
    ] = None,
) -> None:
    """Forecast how every UN member votes: probabilities, tally, and why."""
    _check(fmt, _FORMATS, "--format")
    if report is not None:
        check_report_path(report)
    rule = cast(ImputeRule, _check(impute, _IMPUTE, "--impute"))
    result = align(
        scenario, draws=draws, seed=seed, table=table, impute=rule, countries=country or None
    )
    if fmt == "json":
        sys.stdout.write(result.to_json_text() + "\n")
    elif fmt == "csv":
        sys.stdout.write(result.countries.to_csv(index=False))
    else:
        _print_table(result, stdout)
    if out is not None:
        for path in _write_out(result, out):
            sys.stderr.write(f"wrote {path}\n")
    if plot is not None:
        for path in result.plot(plot):
            sys.stderr.write(f"wrote {path}\n")
    if report is not None:
        html = build_alignment_report(result, load_alignment_scenario(scenario))
        sys.stderr.write(f"wrote {write_report(html, report)}\n")


def _comparison(game: VoteEstimate, mnl: VoteEstimate) -> dict[str, float | int]:
    """The in-sample comparison: log-likelihoods, AIC and the likelihood-ratio
    statistic of the game against the multinomial logit it nests."""
    return {
        "game_log_likelihood": game.log_likelihood,
        "mnl_log_likelihood": mnl.log_likelihood,
        "game_aic": game.aic,
        "mnl_aic": mnl.aic,
        "lr_statistic": 2.0 * (game.log_likelihood - mnl.log_likelihood),
        "extra_parameters": game.n_free - mnl.n_free,
    }


def align_fit_command(
    scenario: Annotated[
        str, typer.Argument(help="A built-in alignment scenario (unga-2022-aggression) or a file.")
    ],
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Case-bootstrap refits (0: Hessian errors only).")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    profile: Annotated[
        bool, typer.Option("--profile", help="Profile likelihood of gamma (LR interval).")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    table: Annotated[
        Path | None, typer.Option("--table", help="A covariate table instead of the shipped one.")
    ] = None,
    impute: Annotated[
        str,
        typer.Option("--impute", help="Missing covariates: error, subregion-mean or drop."),
    ] = "error",
) -> None:
    """Refit a scenario's coefficients on its roll call, beside the multinomial logit."""
    _check(fmt, ("table", "json"), "--format")
    rule = cast(ImputeRule, _check(impute, _IMPUTE, "--impute"))
    game, mnl = fit_scenario(scenario, table=table, impute=rule)
    if bootstrap:
        game.with_bootstrap(bootstrap, seed=seed, progress=fmt == "table")
    prof = game.profile(["gamma"]) if profile and game.interaction else None
    if fmt == "json":
        doc = {
            "game": game.to_json(),
            "mnl": mnl.to_json(),
            "comparison": _comparison(game, mnl),
        }
        if prof is not None:
            doc["profile"] = prof.to_json()
        sys.stdout.write(json.dumps(doc, indent=2, allow_nan=False) + "\n")
        return
    comparison = _comparison(game, mnl)
    lines = [
        game.summary(),
        "",
        f"Multinomial logit (gamma = 0), same covariates and prior: log-likelihood "
        f"{mnl.log_likelihood:.7g}, AIC {mnl.aic:.7g}; likelihood-ratio statistic "
        f"{comparison['lr_statistic']:.4g} on {comparison['extra_parameters']} parameter(s)",
    ]
    if prof is not None:
        interval = prof.to_json()["gamma"]  # a bound not reached is None
        bounds = ", ".join(
            "beyond the parameter space" if interval[k] is None else f"{interval[k]:.4g}"
            for k in ("lower", "upper")
        )
        lines.append(f"gamma: 95% likelihood-ratio interval [{bounds}]")
    sys.stdout.write("\n".join(lines) + "\n")


def register(app: typer.Typer) -> None:
    app.command("align")(align_command)
    app.command("align-fit")(align_fit_command)
