"""``realpolitik score SCENARIO OUTCOMES``: how well a scenario's forecast
did on cases whose outcomes are known.

Why this module exists: the command line over
:func:`realpolitik.analysis.score.score`. The outcomes file (CSV or YAML,
many cases of one scenario: docs/scoring.md) is checked before anything is
solved; the log and Brier scores of the forecast are printed beside a uniform
guess and a base-rate baseline, with intervals over parameter draws, as a
table or as strict JSON (``--format json``: the document of
:meth:`realpolitik.analysis.score.ScoreResult.to_json`). ``--observations``
adds the table of every reported choice.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from realpolitik.cli.output import emit_json
from realpolitik.cli.progress import stages_bar
from realpolitik.cli.scenario import (
    ConceptOpt,
    DrawsOpt,
    LambdaOpt,
    MethodOpt,
    ScenarioArg,
    SeedOpt,
    parse_set,
)
from realpolitik.cli.scenario import Method as Sampling


class ScoreFormat(StrEnum):
    table = "table"
    json = "json"


def score_command(
    scenario: ScenarioArg,
    outcomes: Annotated[
        Path,
        typer.Argument(
            help="Observed cases (CSV or YAML): a case column, a column per reported choice, "
            "columns of parameter values per case.",
            show_default=False,
        ),
    ],
    concept: ConceptOpt = None,
    lam: LambdaOpt = None,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    method: MethodOpt = Sampling.mc,
    set_values: Annotated[
        list[str] | None,
        typer.Option("--set", help="Hold a parameter at a value: NAME=VALUE (repeatable)."),
    ] = None,
    observations: Annotated[
        bool, typer.Option("--observations", help="Also print every reported choice's scores.")
    ] = False,
    fmt: Annotated[ScoreFormat, typer.Option("--format", help="table or json.")] = (
        ScoreFormat.table
    ),
) -> None:
    """Score a scenario's forecast (log and Brier scores) against observed outcomes."""
    # the engine is imported here, not at the top: `realpolitik --help` stays fast
    from realpolitik.analysis.score import score
    from realpolitik.scenario.load import resolve

    loaded = resolve(scenario)
    values = parse_set(set_values)
    with stages_bar() as report:
        result = score(
            loaded,
            outcomes,
            concept=concept,
            lam=lam,
            draws=draws,
            seed=seed,
            method=method.value,
            values=values,
            progress=lambda done, total: report("cases", done, total),
        )
    if fmt == ScoreFormat.json:
        emit_json(result.to_json())
        return
    print(result.summary())
    print("\nBy choice (mean scores):")
    print(result.by_choice.to_string(float_format=lambda v: f"{v:.4f}"))
    if observations:
        shown = result.observations.drop(columns="forecast")
        print("\nObservations:")
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


def register(app: typer.Typer) -> None:
    app.command("score")(score_command)
