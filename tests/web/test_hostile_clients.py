"""Hostile clients against the API (issue 11): body size, Host header, token,
bounded 422 answers, the admission queue, strict JSON, slow clients.

Each test is a reproducer of the reliability campaign, asserting the refusal
the issue asks for instead of the crash, the amplification or the hang."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from fixture_scenarios import LEGACY_FLAGSHIP, LEGACY_FLAGSHIP_ID
from realpolitik.web import create_app
from realpolitik.web.admission import Admission, Busy, Footprint, TooLarge, forecast_bytes
from realpolitik.web.guard import MAX_LISTED_ERRORS, TOKEN_COOKIE, is_loopback
from realpolitik.web.server import server_config
from served import free_port

FLAGSHIP = LEGACY_FLAGSHIP_ID
FORECAST = f"/api/scenarios/{FLAGSHIP}/forecast"
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app([LEGACY_FLAGSHIP]), base_url=LOCAL)


def test_a_body_above_the_limit_is_refused_with_413(client: TestClient) -> None:
    big = {"values": {f"k{i}": 1.0 for i in range(10_000)}}  # ~150 KB, above 64 KB
    answer = client.post(FORECAST, content=json.dumps(big))
    assert answer.status_code == 413
    assert "larger than 65536 bytes" in answer.json()["detail"]


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"values": {'
        for i in range(20_000):
            yield f'"k{i}": 1.0, '.encode()
        yield b'"z": 1}}'

    answer = client.post(FORECAST, content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_an_unknown_host_is_refused_and_allowed_ones_are_answered() -> None:
    app = create_app([LEGACY_FLAGSHIP], allowed_hosts=["crisis.example.org"])
    rebinding = TestClient(app, base_url="http://attacker.example.com")
    assert rebinding.get("/api/scenarios").status_code == 400
    for base in (LOCAL, "http://localhost:8000", "http://crisis.example.org"):
        assert TestClient(app, base_url=base).get("/api/scenarios").status_code == 200


def test_a_token_is_required_when_given() -> None:
    token = "t" * 32
    app = create_app([LEGACY_FLAGSHIP], token=token)
    anonymous = TestClient(app, base_url=LOCAL)
    refused = anonymous.get("/api/scenarios")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert (
        anonymous.get("/api/scenarios", headers={"authorization": "Bearer wrong"}).status_code
        == 401
    )
    ok = anonymous.get("/api/scenarios", headers={"authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    # the printed address sets a cookie, which the page's own calls then carry
    browser = TestClient(app, base_url=LOCAL)
    page = browser.get(f"/?token={token}")
    assert page.status_code == 200 and TOKEN_COOKIE in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]
    assert browser.get("/api/scenarios").status_code == 200


def test_loopback_names() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org"))


def test_many_unknown_value_names_get_a_short_answer_fast(client: TestClient) -> None:
    # the campaign: 20 000 unknown keys (249 KB) gave a 16 MB answer; 200 000 took 16 s.
    # Within the 64 KB body limit: refused before any lookup.
    values = {f"p{i}": 0.5 for i in range(3000)}  # 42 KB
    started = time.perf_counter()
    answer = client.post(FORECAST, json={"values": values})
    assert time.perf_counter() - started < 1.0
    assert answer.status_code == 422
    assert len(answer.content) < 500
    assert "3000 values given" in answer.json()["detail"]
    # more unknown names than are listed, but no more than the parameters
    few = {f"no_such_parameter_{i}": 0.5 for i in range(20)}
    answer = client.post(FORECAST, json={"values": few})
    assert answer.status_code == 422 and "and 15 more" in answer.json()["detail"]


def test_validation_errors_are_capped(client: TestClient) -> None:
    values = {f"k{i}": "not a number" for i in range(500)}
    answer = client.post(FORECAST, json={"values": values})
    assert answer.status_code == 422
    body = answer.json()
    assert len(body["detail"]) == MAX_LISTED_ERRORS and body["more"] == 500 - MAX_LISTED_ERRORS
    assert len(answer.content) < 4000


@pytest.mark.parametrize(
    "body",
    [
        '{"values": {"partnership_value": Infinity}}',
        '{"values": {"partnership_value": NaN}}',
        '{"values": {"partnership_value": 1e200}}',
        '{"lambda": Infinity}',
    ],
)
def test_non_finite_and_huge_numbers_are_refused(client: TestClient, body: str) -> None:
    answer = client.post(FORECAST, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert "finite" in answer.text or "below" in answer.text


def test_a_request_beyond_the_whole_budget_is_refused() -> None:
    app = create_app([LEGACY_FLAGSHIP], admission=Admission(forecast_bytes(100, Footprint(1, 1))))
    answer = TestClient(app, base_url=LOCAL).post(FORECAST, json={"draws": 20_000})
    assert answer.status_code == 422
    assert "ask for fewer draws" in answer.json()["detail"]


def test_admission_queues_then_refuses_with_retry_after() -> None:
    gate = Admission(100, max_waiting=1, max_wait=5.0, max_running=1)
    with pytest.raises(TooLarge), gate.admit(101):
        pass
    release = threading.Event()
    entered = threading.Event()
    outcomes: list[str] = []

    def holder() -> None:
        with gate.admit(60):
            entered.set()
            release.wait(10)

    def waiter() -> None:
        with gate.admit(60):
            outcomes.append("waited and ran")

    first = threading.Thread(target=holder)
    first.start()
    assert entered.wait(5)
    second = threading.Thread(target=waiter)
    second.start()
    deadline = time.monotonic() + 5
    while gate.snapshot()["waiting"] != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(Busy) as busy, gate.admit(10):  # the queue (one place) is full
        pass
    assert busy.value.retry_after >= 1
    release.set()
    first.join(5)
    second.join(5)
    assert outcomes == ["waited and ran"]
    snap = gate.snapshot()
    assert snap["in_use"] == 0 and snap["running"] == 0 and snap["refused"] == 1


def test_admission_gives_up_after_the_wait() -> None:
    gate = Admission(100, max_waiting=4, max_wait=0.2, max_running=1)
    with gate.admit(100):
        started = time.monotonic()
        with pytest.raises(Busy), gate.admit(1):
            pass
        assert 0.15 < time.monotonic() - started < 2.0


def test_busy_server_answers_429_with_retry_after() -> None:
    gate = Admission(10**12, max_waiting=0, max_wait=0.1, max_running=1)
    app = create_app([LEGACY_FLAGSHIP], admission=gate)
    client = TestClient(app, base_url=LOCAL)
    with gate.admit(1):  # the one running place is taken
        answer = client.post(FORECAST, json={"draws": 10})
    assert answer.status_code == 429
    assert int(answer.headers["retry-after"]) >= 1
    # light requests (no draws) are not queued
    with gate.admit(1):
        assert client.post(FORECAST, json={}).status_code == 200
    assert client.post(FORECAST, json={"draws": 10}).status_code == 200


def test_slow_clients_are_disconnected() -> None:
    """500 slow-header connections were held over 20 s; now each is closed
    when its request has not arrived within the read timeout."""
    port = free_port()
    server = uvicorn.Server(
        server_config(create_app([LEGACY_FLAGSHIP]), "127.0.0.1", port, read_timeout=1.0)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.05)
    sockets = []
    try:
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /api/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(s)
        started = time.monotonic()
        closed = 0
        for s in sockets:
            s.settimeout(max(0.1, 5 - (time.monotonic() - started)))
            try:
                if s.recv(1024) == b"":
                    closed += 1
            except (TimeoutError, ConnectionResetError):
                pass
        assert closed == 50
        assert time.monotonic() - started < 4.0
        # a prompt client is still answered
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(
                b"GET /api/scenarios HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            assert s.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for s in sockets:
            s.close()
        server.should_exit = True
        thread.join(10)


def test_a_worker_killed_mid_request_gives_503_and_the_next_request_works() -> None:
    """What a worker killed by the system (out of memory) looks like to the
    client: 503 with Retry-After, and the server keeps serving."""
    import signal

    import psutil

    client = TestClient(create_app([LEGACY_FLAGSHIP]), base_url=LOCAL)
    answers: list[int] = []

    def heavy() -> None:
        answers.append(client.post(FORECAST, json={"draws": 20_000, "seed": 3}).status_code)

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}  # other apps' workers
    thread = threading.Thread(target=heavy)
    thread.start()
    deadline = time.monotonic() + 60
    victims: list[psutil.Process] = []
    while not victims and time.monotonic() < deadline:
        victims = [
            p
            for p in me.children(recursive=True)
            if p.pid not in before
            and "spawn_main" in " ".join(p.cmdline())
            and "resource_tracker" not in " ".join(p.cmdline())
        ]
        time.sleep(0.05)
    assert victims
    time.sleep(1.0)  # let it start solving
    for victim in victims:
        victim.send_signal(signal.SIGKILL)
    thread.join(120)
    assert answers == [503]
    assert client.post(FORECAST, json={"draws": 200, "seed": 3}).status_code == 200
