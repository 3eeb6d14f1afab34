"""The JSON API and the dashboard page (FastAPI).

Why a web layer: analysts and teachers want to move a parameter and see the
forecast, the pathways and the reasons change at once, without writing code.
The API is a thin layer over the Python API (:func:`realpolitik.forecast`,
:func:`realpolitik.explain` with ``values``): the same numbers as the command
line and the notebooks, with the scenario's sources beside every parameter.
FastAPI serves its OpenAPI description at ``/openapi.json`` (and the
interactive docs at ``/docs``).

Only the scenarios given when the app is made are served, by id: a request
never names a file. Parameter values outside a distribution's support,
unknown names and bad settings are answered with status 422 and a one-line
``detail`` saying what is wrong, as on the command line.

The page (``static/index.html``) is plain HTML, CSS and JavaScript with no
external resources, so it works on a machine without internet access.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from realpolitik.analysis.compare import compare
from realpolitik.analysis.explain import explain
from realpolitik.analysis.forecast import forecast
from realpolitik.bargaining.models import BARGAINING_MODELS
from realpolitik.bargaining.scenario_issues import run_issue, run_issue_draws
from realpolitik.concepts import CONCEPTS, forecast_concepts
from realpolitik.errors import RealpolitikError
from realpolitik.scenario.load import builtin_names, resolve
from realpolitik.scenario.model import Parameter, Scenario
from realpolitik.version import __version__

#: Slider positions between a parameter's ends.
SLIDER_STEPS = 200
#: Quantiles that bound a slider where the support is unbounded.
TAIL = 0.001
#: Most draws one request may ask for (a request must answer in about a second).
MAX_DRAWS = 20_000


class ForecastRequest(BaseModel):
    """A "what if": parameter values replacing the central values, and the
    solution concept (both optional: the scenario's defaults)."""

    values: dict[str, float] = Field(
        default_factory=dict,
        description="parameter id -> value, each inside its distribution's support",
    )
    concept: str | None = Field(
        default=None,
        description="solution concept (default: the scenario's); see GET /api/concepts",
        json_schema_extra={"enum": list(forecast_concepts())},
    )
    lam: float | None = Field(
        default=None,
        alias="lambda",
        description="logit precision for qre (default: the scenario's)",
    )
    draws: int = Field(
        default=0,
        ge=0,
        le=MAX_DRAWS,
        description="0: at the central values; else parameter draws, the parameters in "
        "`values` held fixed while the others vary (intervals across draws)",
    )
    seed: int = Field(
        default=1,
        ge=0,
        description="sampling seed; keep it fixed to compare what-ifs on the same draws",
    )


class BargainRequest(BaseModel):
    """A bargaining forecast of one of the scenario's issues, at the same
    "what if" values as the crisis forecast."""

    issue: str | None = Field(default=None, description="issue id (default: the only one)")
    model: str = Field(
        default="smp",
        description="; ".join(f"{m.name}: {m.title}" for m in BARGAINING_MODELS.values())
        + "; see GET /api/bargaining-models",
        json_schema_extra={"enum": list(BARGAINING_MODELS)},
    )
    values: dict[str, float] = Field(default_factory=dict)
    draws: int = Field(default=0, ge=0, le=MAX_DRAWS)
    seed: int = Field(default=1, ge=0)


class CompareRequest(BaseModel):
    """Views of the scenario side by side on common draws (see
    ``realpolitik compare``)."""

    views: list[str] | None = Field(
        default=None,
        description="view ids, the first the reference ('base': the scenario as written); "
        "default: base and every declared view",
    )
    draws: int = Field(default=500, ge=1, le=MAX_DRAWS)
    seed: int = Field(default=0, ge=0)


def _slider(parameter: Parameter) -> dict[str, float]:
    dist = parameter.distribution
    low, high = dist.support()
    if not math.isfinite(low):
        low = float(dist.ppf(TAIL))
    if not math.isfinite(high):
        high = float(dist.ppf(1.0 - TAIL))
    step = (high - low) / SLIDER_STEPS if high > low else 1.0
    return {"min": low, "max": high, "step": step}


def describe_scenario(scenario: Scenario) -> dict[str, Any]:
    """What the page needs to draw a scenario's controls: actors, parameters
    (distribution, central value, slider range, unit, sources), metrics and
    the default solution concept."""
    return {
        "id": scenario.id,
        "title": scenario.title,
        "as_of": scenario.as_of,
        "description": scenario.description,
        "actors": [{"id": a.id, "name": a.name} for a in scenario.actors.values()],
        "parameters": [
            {
                "id": p.id,
                "description": p.description,
                "unit": p.unit,
                "distribution": p.distribution.describe(),
                "central": p.central,
                "fixed": p.distribution.is_fixed,
                "slider": _slider(p),
                "sources": [
                    {
                        "id": s,
                        "cite": scenario.sources[s].cite if s in scenario.sources else s,
                        "url": scenario.sources[s].url if s in scenario.sources else "",
                        "date": scenario.sources[s].date if s in scenario.sources else "",
                    }
                    for s in p.sources
                ],
                "judgement": p.judgement,
                "note": p.note,
            }
            for p in scenario.parameters.values()
        ],
        "metrics": [
            {"id": m.id, "unit": m.unit, "description": m.description} for m in scenario.metrics
        ],
        "solve": {
            "concept": scenario.solve.concept,
            "lambda": scenario.solve.lam,
            # lambda drawn like a parameter (then "lambda" is its median) and
            # a declared mixture of concepts
            "lambda_drawn": scenario.solve.lam_varies,
            "mixture": dict(scenario.solve.mixture),
        },
        "views": [{"id": v.id, "description": v.description} for v in scenario.views],
        "issues": [
            {
                "id": i.id,
                "description": i.description,
                "scale": list(i.scale),
                "actors": [a.actor for a in i.actors],
            }
            for i in scenario.issues
        ],
    }


def create_app(scenarios: Iterable[str] | None = None) -> FastAPI:
    """The application serving ``scenarios`` (built-in names or paths to
    scenario files, loaded now; default: every built-in scenario)."""
    loaded: dict[str, Scenario] = {}
    for name in scenarios if scenarios is not None else builtin_names():
        scenario = resolve(name)
        loaded[scenario.id] = scenario

    app = FastAPI(
        title="realpolitik",
        version=__version__,
        description="Forecasts of crisis scenarios: who does what, along which pathways, "
        "and why, at any parameter values.",
        # /docs is served below from the installed Swagger UI 5 (swagger-ui-py,
        # Apache-2.0), not from a CDN, so the API docs render offline
        docs_url=None,
        redoc_url=None,
    )

    def get(scenario_id: str) -> Scenario:
        if scenario_id not in loaded:
            raise HTTPException(
                404, f"unknown scenario '{scenario_id}'; served: {', '.join(loaded)}"
            )
        return loaded[scenario_id]

    @app.get("/api/concepts", summary="The solution concepts, their parameters and meaning")
    def list_concepts() -> list[dict[str, Any]]:
        return [c.describe() for c in CONCEPTS.values()]

    @app.get("/api/bargaining-models", summary="The bargaining models and their defaults")
    def list_bargaining_models() -> list[dict[str, Any]]:
        return [m.describe() for m in BARGAINING_MODELS.values()]

    @app.get("/api/scenarios", summary="The scenarios served")
    def list_scenarios() -> list[dict[str, str]]:
        return [{"id": s.id, "title": s.title, "as_of": s.as_of} for s in loaded.values()]

    @app.get("/api/scenarios/{scenario_id}", summary="A scenario's actors, parameters, metrics")
    def scenario_detail(scenario_id: str) -> dict[str, Any]:
        return describe_scenario(get(scenario_id))

    @app.post(
        "/api/scenarios/{scenario_id}/forecast",
        summary="Forecast and explanation at the given parameter values",
    )
    def scenario_forecast(scenario_id: str, request: ForecastRequest) -> dict[str, Any]:
        scenario = get(scenario_id)
        settings: dict[str, Any] = {
            "concept": request.concept,
            "lam": request.lam,
            "values": request.values,
            "draws": request.draws,
            "seed": request.seed if request.draws else None,
        }
        try:
            result = forecast(scenario, **settings)
            why = explain(scenario, **settings)
        except RealpolitikError as error:
            raise HTTPException(422, error.one_line()) from None
        return {"forecast": result.to_json(), "explanation": why.to_json()}

    @app.post(
        "/api/scenarios/{scenario_id}/compare",
        summary="The scenario's views side by side, what drives each difference",
    )
    def scenario_compare(scenario_id: str, request: CompareRequest) -> dict[str, Any]:
        scenario = get(scenario_id)
        try:
            result = compare(scenario, views=request.views, draws=request.draws, seed=request.seed)
        except RealpolitikError as error:
            raise HTTPException(422, error.one_line()) from None
        return result.to_json()

    @app.post(
        "/api/scenarios/{scenario_id}/bargain",
        summary="Bargaining forecast of an issue at the given parameter values",
    )
    def scenario_bargain(scenario_id: str, request: BargainRequest) -> dict[str, Any]:
        scenario = get(scenario_id)
        try:
            if request.draws:
                summary: dict[str, Any] = run_issue_draws(
                    scenario,
                    request.issue,
                    draws=request.draws,
                    seed=request.seed,
                    model=request.model,
                    values=request.values,
                ).summary()
                return {"draws": summary}
            run = run_issue(scenario, request.issue, model=request.model, values=request.values)
        except RealpolitikError as error:
            raise HTTPException(422, error.one_line()) from None
        return {"run": run.to_json()}

    static = resources.files("realpolitik.web") / "static"

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        return (static / "index.html").read_text(encoding="utf-8")

    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="realpolitik API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_assets()), name="docs-assets")
    return app


def swagger_ui_assets() -> Path:
    """The folder of Swagger UI's files in the swagger-ui-py package, found
    without importing it (its package imports web-framework handlers).
    Swagger UI 5 renders FastAPI's OpenAPI 3.1 description; 4.x does not."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a dependency
        raise RuntimeError("swagger-ui-py is not installed: pip install swagger-ui-py")
    return Path(next(iter(spec.submodule_search_locations))) / "static"
