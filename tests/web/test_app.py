"""The JSON API against the Python API it wraps (same numbers), its errors,
and its OpenAPI description."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from realpolitik.analysis.explain import explain
from realpolitik.analysis.forecast import forecast
from realpolitik.scenario.load import resolve
from realpolitik.web import create_app

FLAGSHIP = LEGACY_FLAGSHIP_ID


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app([LEGACY_FLAGSHIP]), base_url="http://127.0.0.1")


def test_lists_and_describes_the_flagship(client: TestClient) -> None:
    listed = client.get("/api/scenarios").json()
    assert FLAGSHIP in [s["id"] for s in listed]
    detail = client.get(f"/api/scenarios/{FLAGSHIP}").json()
    scenario = resolve(LEGACY_FLAGSHIP)
    assert [p["id"] for p in detail["parameters"]] == list(scenario.parameter_ids)
    for p in detail["parameters"]:
        param = scenario.parameters[p["id"]]
        low, high = param.distribution.support()
        assert p["slider"]["min"] <= p["central"] <= p["slider"]["max"]
        assert low <= p["slider"]["min"] and p["slider"]["max"] <= high
        # every parameter shows where its number came from, or why it is judgement
        assert p["sources"] or p["judgement"]
        assert all(s["cite"] for s in p["sources"])
        assert p["judgement"] == param.judgement
    assert detail["solve"] == {
        "concept": scenario.solve.concept,
        "lambda": scenario.solve.lam,
        "lambda_drawn": False,
        "mixture": {},
    }
    assert [v["id"] for v in detail["views"]] == ["hung", "techoutlook"]


def test_forecast_equals_the_python_api(client: TestClient) -> None:
    scenario = resolve(LEGACY_FLAGSHIP)
    values = {"p_detect_targeted": 0.5, "partnership_value": scenario.parameters[
        "partnership_value"
    ].distribution.support()[1]}  # fmt: skip
    response = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json={"values": values})
    assert response.status_code == 200
    body = response.json()
    assert body["forecast"] == forecast(scenario, values=values).to_json()
    assert body["explanation"] == explain(scenario, values=values).to_json()
    assert body["forecast"]["values"] == values
    # and the values matter
    central = forecast(scenario).to_json()
    assert body["forecast"]["actions"]["china"] != central["actions"]["china"]


def test_concept_and_lambda(client: TestClient) -> None:
    spe = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json={"concept": "spe"}).json()
    assert spe["forecast"]["concept"] == "spe"
    assert spe["forecast"]["actions"]["china"]["neutral"] == pytest.approx(1.0)
    qre = client.post(
        f"/api/scenarios/{FLAGSHIP}/forecast", json={"concept": "qre", "lambda": 0.0}
    ).json()
    # at lambda = 0 every action is equally likely
    assert qre["forecast"]["actions"]["china"]["neutral"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"values": {"p_detect_targeted": 5}}, "outside its distribution's support [0.15, 0.6]"),
        ({"values": {"p_detect": 0.3}}, "unknown parameter 'p_detect' (did you mean"),
        ({"lambda": -1}, "--lambda must be a number >= 0"),
    ],
)
def test_bad_requests_say_what_is_wrong(client: TestClient, body: dict, message: str) -> None:
    response = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_unknown_scenarios_and_malformed_bodies(client: TestClient) -> None:
    response = client.get("/api/scenarios/nowhere")
    assert response.status_code == 404
    assert f"served: {FLAGSHIP}" in response.json()["detail"]
    # a request never names a file
    assert client.get("/api/scenarios/..%2F..%2Fetc%2Fpasswd").status_code == 404
    bad = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json={"values": {"x": "high"}})
    assert bad.status_code == 422
    assert (
        client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json={"concept": "nash"}).status_code
        == 422
    )


def test_openapi_and_page(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/scenarios/{scenario_id}/forecast" in spec["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "dashboard.js" in page.text
    assert client.get("/static/dashboard.js").status_code == 200


def test_forecast_over_draws_holding_the_values(client: TestClient) -> None:
    scenario = resolve(LEGACY_FLAGSHIP)
    body = {"values": {"p_detect_targeted": 0.5}, "draws": 500, "seed": 4}
    answer = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json=body).json()
    settings = {"values": body["values"], "draws": 500, "seed": 4}
    assert answer["forecast"] == forecast(scenario, **settings).to_json()
    assert answer["explanation"] == explain(scenario, **settings).to_json()
    detail = answer["forecast"]["action_detail"]
    assert any(r["p95"] > r["p05"] for r in detail)  # the other parameters vary
    too_many = client.post(f"/api/scenarios/{FLAGSHIP}/forecast", json={"draws": 10**6})
    assert too_many.status_code == 422


def test_bargaining_equals_the_python_api(client: TestClient) -> None:
    from realpolitik.bargaining.scenario_issues import run_issue, run_issue_draws

    scenario = resolve(LEGACY_FLAGSHIP)
    detail = client.get(f"/api/scenarios/{FLAGSHIP}").json()
    issue = detail["issues"][0]
    assert issue["id"] == scenario.issues[0].id and issue["scale"] == [0.0, 100.0]
    values = {"stance_china": 60.0}
    for model in ("smp", "eum"):
        body = {"model": model, "values": values}
        answer = client.post(f"/api/scenarios/{FLAGSHIP}/bargain", json=body).json()
        assert answer["run"] == run_issue(scenario, model=model, values=values).to_json()
    # the held stance moves the spatial model's forecast
    moved = client.post(f"/api/scenarios/{FLAGSHIP}/bargain", json={"values": values}).json()
    assert moved["run"]["forecast"] != run_issue(scenario, model="smp").to_json()["forecast"]
    body = {"model": "smp", "values": values, "draws": 300, "seed": 3}
    answer = client.post(f"/api/scenarios/{FLAGSHIP}/bargain", json=body).json()
    expected = run_issue_draws(scenario, draws=300, seed=3, model="smp", values=values)
    assert answer["draws"] == expected.summary()
    bad = client.post(f"/api/scenarios/{FLAGSHIP}/bargain", json={"issue": "taiwan"})
    assert bad.status_code == 422 and "ukraine_alignment" in bad.json()["detail"]


def test_the_api_docs_load_nothing_from_other_hosts(client: TestClient) -> None:
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get("/redoc").status_code == 404  # Redoc would load from a CDN
