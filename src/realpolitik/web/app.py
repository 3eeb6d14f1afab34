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

Hostile clients (:mod:`realpolitik.web.guard`, :mod:`realpolitik.web.admission`):
bodies above 64 KB get 413; a Host header other than the loopback names (and
those allowed with ``allowed_hosts``) gets 400; with a ``token`` every request
must carry it (401 otherwise); requests over parameter draws are admitted
within a memory budget through a bounded queue (429 with ``Retry-After`` when
full); 422 answers list at most ten problems; an answer that would hold
infinity or NaN is refused with 422 naming the value, never sent as
non-standard JSON.
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware

from realpolitik.alignment.scenario import builtin_names as alignment_names
from realpolitik.analysis.explain import explain
from realpolitik.analysis.forecast import forecast
from realpolitik.bargaining.models import BARGAINING_MODELS
from realpolitik.bargaining.scenario_issues import run_issue
from realpolitik.concepts import CONCEPTS, forecast_concepts
from realpolitik.errors import RealpolitikError
from realpolitik.limits import MAX_MAGNITUDE
from realpolitik.scenario.load import LIBRARY_PACKAGE, builtin_names, resolve
from realpolitik.scenario.model import Parameter, Scenario
from realpolitik.strict_json import dumps_strict
from realpolitik.version import __version__
from realpolitik.web.admission import (
    Admission,
    Busy,
    TooLarge,
    bargain_bytes,
    default_budget,
    forecast_bytes,
    forecast_footprint,
)
from realpolitik.web.alignment_api import add_alignment_routes, is_alignment
from realpolitik.web.guard import (
    LOOPBACK_HOSTS,
    MAX_BODY_BYTES,
    BodyLimit,
    TokenCheck,
    bounded_validation_error,
)
from realpolitik.web.worker import bargain_json, compare_json, forecast_json, make_pool

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


def _scenario_text(name: str) -> str:
    """The YAML text of a scenario given by built-in name or path (sent to the
    worker processes, which load it once each)."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path.read_text(encoding="utf-8")
    return (resources.files(LIBRARY_PACKAGE) / f"{name}.yaml").read_text(encoding="utf-8")


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


#: Names listed when refusing unknown parameter names in ``values``.
LISTED_NAMES = 5


def check_values(scenario: Scenario, values: dict[str, float], lam: float | None) -> None:
    """Refuse, before any work and in a short answer, ``values`` naming more
    parameters than the scenario has, unknown names (at most
    :data:`LISTED_NAMES` listed), or numbers beyond the float range the
    solvers accept (Python's JSON reader takes ``Infinity`` and ``NaN``).

    Why here: 20 000 unknown names made a 16 MB answer, and 200 000 took 16 s
    to answer, when every name was looked up and listed further down.
    """
    known = scenario.parameters
    if len(values) > len(known):
        raise HTTPException(
            422,
            f"{len(values)} values given but scenario '{scenario.id}' has {len(known)} parameters",
        )
    unknown = [name for name in values if name not in known]
    if len(unknown) > LISTED_NAMES:  # a few get "did you mean" from the forecast
        shown = ", ".join(repr(name[:40]) for name in unknown[:LISTED_NAMES])
        more = f" and {len(unknown) - LISTED_NAMES} more" if len(unknown) > LISTED_NAMES else ""
        raise HTTPException(
            422,
            f"unknown parameter(s) {shown}{more}; see GET /api/scenarios/{scenario.id} for "
            "the parameter ids",
        )
    for name, value in values.items():
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise HTTPException(
                422, f"values.{name}: {value} is not a finite number within {MAX_MAGNITUDE:.0e}"
            )
    if lam is not None and (not math.isfinite(lam) or lam > MAX_MAGNITUDE):
        raise HTTPException(422, f"lambda: {lam} is not a number below {MAX_MAGNITUDE:.0e}")


def strict_response(data: Any) -> Response:
    """A JSON answer, refused with 422 naming the value if it holds infinity
    or NaN (the computation overflowed) instead of a 500 or non-standard JSON."""
    try:
        body = dumps_strict(data, indent=None)
    except RealpolitikError as error:
        raise HTTPException(422, error.one_line()) from None
    return Response(content=body, media_type="application/json")


def create_app(
    scenarios: Iterable[str] | None = None,
    *,
    allowed_hosts: Iterable[str] | None = None,
    token: str | None = None,
    admission: Admission | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The application serving ``scenarios`` (built-in names or paths to
    scenario files, loaded now; default: every built-in scenario). Alignment
    scenarios among them (:func:`~realpolitik.web.alignment_api.is_alignment`;
    by default every built-in one) are served under ``/api/alignments``.

    Parameters
    ----------
    allowed_hosts : Host header values answered besides the loopback names
        (``"*"`` answers any).
    token : if given, every request must carry it (a server bound beyond
        loopback; see :class:`~realpolitik.web.guard.TokenCheck`).
    admission : the memory budget and queue of requests over draws (default
        :func:`~realpolitik.web.admission.default_budget`).
    max_body : largest request body in bytes.
    """
    loaded: dict[str, Scenario] = {}
    texts: dict[str, tuple[str, str]] = {}  # id -> (YAML text, name), for the workers
    names = [*builtin_names(), *alignment_names()] if scenarios is None else list(scenarios)
    alignments = [name for name in names if is_alignment(name)]
    for name in (name for name in names if name not in alignments):
        scenario = resolve(name)
        loaded[scenario.id] = scenario
        texts[scenario.id] = (_scenario_text(name), str(name))
    footprints = {sid: forecast_footprint(sc) for sid, sc in loaded.items()}
    gate = admission if admission is not None else Admission(default_budget())
    pool: list[ProcessPoolExecutor] = []  # started at the first heavy request
    pool_lock = threading.Lock()

    def in_worker(task: Callable[..., tuple[str, Any]], *args: Any) -> Any:
        """Run a heavy task in a worker process; its error as 422, a dead
        worker (killed for memory) as 503."""
        with pool_lock:
            if not pool:
                pool.append(make_pool(gate.max_running))
            workers = pool[0]
        try:
            status, value = workers.submit(task, *args).result()
        except BrokenProcessPool:
            with pool_lock:
                if pool and pool[0] is workers:
                    pool.pop()
            workers.shutdown(wait=False, cancel_futures=True)
            raise HTTPException(
                503,
                "the worker solving this request stopped (out of memory?); retry later",
                headers={"Retry-After": "5"},
            ) from None
        if status != "ok":
            raise HTTPException(422, str(value))
        return value

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        # Wait for the workers to exit (by then uvicorn has answered every
        # request, so they are idle): uvicorn re-raises the SIGTERM it caught
        # once the app has shut down, which ends the process at once, before a
        # pool shut down without waiting had told its workers to stop; they
        # were left running, orphaned, after every `serve` stopped.
        for workers in pool:
            await asyncio.to_thread(workers.shutdown, wait=True, cancel_futures=True)

    app = FastAPI(
        title="realpolitik",
        version=__version__,
        description="Forecasts of crisis scenarios: who does what, along which pathways, "
        "and why, at any parameter values.",
        # /docs is served below from the installed Swagger UI 5 (swagger-ui-py,
        # Apache-2.0), not from a CDN, so the API docs render offline
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.admission = gate
    app.add_exception_handler(RequestValidationError, bounded_validation_error)
    # added last runs first: size, then host, then token
    if token is not None:
        app.add_middleware(TokenCheck, token=token)
    hosts = [*LOOPBACK_HOSTS, *(allowed_hosts or ())]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.add_middleware(BodyLimit, limit=max_body)

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
    def scenario_forecast(scenario_id: str, request: ForecastRequest) -> Response:
        scenario = get(scenario_id)
        check_values(scenario, request.values, request.lam)
        settings: dict[str, Any] = {
            "concept": request.concept,
            "lam": request.lam,
            "values": request.values,
            "draws": request.draws,
            "seed": request.seed if request.draws else None,
        }
        try:
            if request.draws:
                with gate.admit(forecast_bytes(request.draws, footprints[scenario.id])):
                    answer = in_worker(forecast_json, *texts[scenario.id], settings)
                return strict_response(answer)
            result = forecast(scenario, **settings)
            why = explain(scenario, **settings)
        except Busy as busy:
            raise HTTPException(
                429, str(busy), headers={"Retry-After": str(busy.retry_after)}
            ) from None
        except TooLarge as error:
            raise HTTPException(422, str(error)) from None
        except RealpolitikError as error:
            raise HTTPException(422, error.one_line()) from None
        return strict_response({"forecast": result.to_json(), "explanation": why.to_json()})

    @app.post(
        "/api/scenarios/{scenario_id}/compare",
        summary="The scenario's views side by side, what drives each difference",
    )
    def scenario_compare(scenario_id: str, request: CompareRequest) -> Response:
        scenario = get(scenario_id)
        settings = {"views": request.views, "draws": request.draws, "seed": request.seed}
        try:
            # views are solved one block of draws at a time: the peak is a
            # forecast's over the draws (the side-by-side outputs are small)
            with gate.admit(forecast_bytes(request.draws, footprints[scenario.id])):
                answer = in_worker(compare_json, *texts[scenario.id], settings)
        except Busy as busy:
            raise HTTPException(
                429, str(busy), headers={"Retry-After": str(busy.retry_after)}
            ) from None
        except TooLarge as error:
            raise HTTPException(422, str(error)) from None
        return strict_response(answer)

    @app.post(
        "/api/scenarios/{scenario_id}/bargain",
        summary="Bargaining forecast of an issue at the given parameter values",
    )
    def scenario_bargain(scenario_id: str, request: BargainRequest) -> Response:
        scenario = get(scenario_id)
        check_values(scenario, request.values, None)
        actors = max((len(i.actors) for i in scenario.issues), default=1)
        try:
            if request.draws:
                settings = {
                    "issue": request.issue,
                    "draws": request.draws,
                    "seed": request.seed,
                    "model": request.model,
                    "values": request.values,
                }
                with gate.admit(bargain_bytes(request.draws, actors)):
                    summary = in_worker(bargain_json, *texts[scenario.id], settings)
                return strict_response({"draws": summary})
            run = run_issue(scenario, request.issue, model=request.model, values=request.values)
        except Busy as busy:
            raise HTTPException(
                429, str(busy), headers={"Retry-After": str(busy.retry_after)}
            ) from None
        except TooLarge as error:
            raise HTTPException(422, str(error)) from None
        except RealpolitikError as error:
            raise HTTPException(422, error.one_line()) from None
        return strict_response({"run": run.to_json()})

    add_alignment_routes(app, alignments, gate, in_worker, strict_response)

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
