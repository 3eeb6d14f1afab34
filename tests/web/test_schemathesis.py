"""Schemathesis against the app's own OpenAPI description (issue 11).

Requests generated from the schema (valid and invalid bodies, odd strings,
huge numbers) must never get a server error (5xx), and every answer must be
strict JSON where it says JSON. Bounded for CI: a fixed number of examples per
operation, derandomized, and a budget so small that requests over many draws
are refused (422) at once instead of solved.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from fixture_scenarios import LEGACY_FLAGSHIP
from realpolitik.scenario.load import load
from realpolitik.web import create_app
from realpolitik.web.admission import Admission, forecast_bytes, forecast_footprint

# Schemathesis's ASGI client sends Host: testserver; allow it explicitly.
APP = create_app(
    [LEGACY_FLAGSHIP],
    allowed_hosts=["testserver"],
    admission=Admission(
        forecast_bytes(50, forecast_footprint(load(LEGACY_FLAGSHIP))), max_waiting=0, max_wait=0.1
    ),
)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors_and_strict_json(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.body, response.text[:300])
    kind = response.headers.get("content-type") or [""]
    if kind[0].startswith("application/json"):
        json.loads(response.text, parse_constant=_refuse)


def _refuse(token: str) -> float:
    raise AssertionError(f"non-standard JSON token {token}")
