"""The API of alignment scenarios: every UN member's vote, for the dashboard.

Why a module of its own: an alignment scenario (:mod:`realpolitik.alignment`)
is not a game tree; it has no moves or sliders, and its forecast is a table
of 193 members rather than a few actions. Its routes sit beside the crisis
scenarios' (``/api/alignments`` rather than ``/api/scenarios``) so that no
client of the crisis API meets a document of another shape.

Every forecast is heavy (the tally's distribution simulates at least 10 000
roll calls of all members, about 120 MB even for one draw), so each one is
admitted within the server's memory budget
(:func:`~realpolitik.web.admission.alignment_bytes`) and solved in a worker
process (:func:`~realpolitik.web.worker.alignment_json`), like forecasts over
draws. The answer's ``forecast`` is exactly
``realpolitik.alignment.align(id, draws=..., seed=...).to_json()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, HTTPException
from fastapi.responses import Response
from pydantic import BaseModel, Field

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import load_table, vintage_rows
from realpolitik.alignment.scenario import (
    AlignmentScenario,
    builtin_names,
    load_alignment_scenario,
)
from realpolitik.web.admission import Admission, Busy, TooLarge, alignment_bytes
from realpolitik.web.worker import alignment_json

__all__ = ["AlignmentRequest", "add_alignment_routes", "describe_alignment", "is_alignment"]

#: Most draws one alignment request may ask for (20 000 answer in about 5 s).
MAX_ALIGNMENT_DRAWS = 20_000
#: Largest scenario file peeked at to tell an alignment scenario from a crisis.
MAX_PEEK_BYTES = 1024**2
#: Top-level keys only an alignment scenario has.
ALIGNMENT_KEYS = frozenset({"vintage", "crisis", "question"})


class AlignmentRequest(BaseModel):
    """Draws and seed of an alignment forecast (``realpolitik align``'s options)."""

    draws: int = Field(
        default=1000,
        ge=1,
        le=MAX_ALIGNMENT_DRAWS,
        description="draws of the coefficients and crisis parameters (1: the central forecast)",
    )
    seed: int = Field(default=0, ge=0, description="seed of the draws")


def is_alignment(name: str) -> bool:
    """Whether ``name`` (a built-in name or a YAML file) is an alignment
    scenario: a built-in alignment name, or a file whose top-level keys
    include those only alignment scenarios have (``vintage``, ``crisis``,
    ``question``) and no ``moves``."""
    if name in builtin_names():
        return True
    path = Path(name)
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return False
    if path.stat().st_size > MAX_PEEK_BYTES:
        return False  # the crisis loader reports the size
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False  # the crisis loader reports the error with its line
    return isinstance(data, dict) and "moves" not in data and bool(ALIGNMENT_KEYS & set(data))


def describe_alignment(scenario: AlignmentScenario, members: int) -> dict[str, Any]:
    """What the page shows beside an alignment forecast: the question, the
    covariates, the fit and each crisis parameter with its distribution and
    its source or judgement."""
    return {
        "id": scenario.id,
        "title": scenario.title,
        "as_of": scenario.as_of.isoformat(),
        "question": scenario.question,
        "vintage": scenario.vintage,
        "members": members,
        "choices": list(CHOICES),
        "covariates": list(scenario.covariates),
        "peer_groups": scenario.peer_groups,
        "fitted_on": str(scenario.fit.get("fitted_on", "")),
        "crisis": [
            {
                "name": p.name,
                "description": p.description,
                "distribution": {"type": p.dist, **p.args},
                "central": p.central,
                "effect": dict(zip(CHOICES, (float(e) for e in p.effect), strict=True)),
                "times": p.times,
                "source": (
                    {"id": p.source, **scenario.sources.get(p.source, {})} if p.source else None
                ),
                "judgement": p.judgement,
            }
            for p in scenario.crisis
        ],
    }


def add_alignment_routes(
    app: FastAPI,
    names: Iterable[str],
    gate: Admission,
    in_worker: Callable[..., Any],
    respond: Callable[[Any], Response],
) -> None:
    """Add ``GET /api/alignments``, ``GET /api/alignments/{id}`` and ``POST
    /api/alignments/{id}/forecast`` for the alignment scenarios ``names``
    (built-in names or files, loaded now: a bad file fails the server's
    start, as a bad crisis scenario does).

    ``in_worker`` runs a task in the worker pool (its errors as 422/503);
    ``respond`` makes the strict JSON answer.
    """
    loaded: dict[str, AlignmentScenario] = {}
    paths: dict[str, str] = {}
    members: dict[str, int] = {}
    for name in names:
        scenario = load_alignment_scenario(name)
        loaded[scenario.id] = scenario
        paths[scenario.id] = scenario.file
        rows = vintage_rows(load_table(scenario.table), scenario.vintage)
        members[scenario.id] = len(rows)

    def get(alignment_id: str) -> AlignmentScenario:
        if alignment_id not in loaded:
            served = ", ".join(loaded) or "none"
            raise HTTPException(
                404, f"unknown alignment scenario '{alignment_id}'; served: {served}"
            )
        return loaded[alignment_id]

    @app.get("/api/alignments", summary="The alignment scenarios served (all UN members)")
    def list_alignments() -> list[dict[str, str]]:
        return [
            {"id": s.id, "title": s.title, "as_of": s.as_of.isoformat()} for s in loaded.values()
        ]

    @app.get(
        "/api/alignments/{alignment_id}",
        summary="An alignment scenario's question, covariates and crisis parameters",
    )
    def alignment_detail(alignment_id: str) -> dict[str, Any]:
        return describe_alignment(get(alignment_id), members[alignment_id])

    @app.post(
        "/api/alignments/{alignment_id}/forecast",
        summary="Every member's vote probabilities, the expected tally and its distribution, "
        "and the terms behind each member's most likely vote",
    )
    def alignment_forecast(alignment_id: str, request: AlignmentRequest) -> Response:
        get(alignment_id)
        settings = {"draws": request.draws, "seed": request.seed}
        try:
            with gate.admit(alignment_bytes(request.draws, members[alignment_id])):
                answer = in_worker(alignment_json, paths[alignment_id], settings)
        except Busy as busy:
            raise HTTPException(
                429, str(busy), headers={"Retry-After": str(busy.retry_after)}
            ) from None
        except TooLarge as error:
            raise HTTPException(422, str(error)) from None
        return respond(answer)
