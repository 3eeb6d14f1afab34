"""What stands between a hostile client and the API: body size, Host header,
a token beyond loopback, and bounded validation errors.

Why a module of its own: a reliability campaign found that any client could
send a 50 MB body, reach the server through DNS rebinding (no Host check),
use it without credentials when bound to a public address, and get a 16 MB
answer to a 249 KB request with 20 000 unknown keys. Each guard here is a
small ASGI middleware or handler; :func:`realpolitik.web.create_app` installs
them. Starlette's ``TrustedHostMiddleware`` does the Host check (a kept
library); the body limit and the token check are ours because Starlette has
none (the body limit also counts chunked bodies as they arrive).

References
----------
OWASP, "Denial of Service Cheat Sheet" (request size limits, timeouts).
Jackson, C. et al. (2009). Protecting browsers from DNS rebinding attacks.
ACM TWEB 3(1).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "LOOPBACK_HOSTS",
    "MAX_BODY_BYTES",
    "MAX_LISTED_ERRORS",
    "TOKEN_COOKIE",
    "BodyLimit",
    "TokenCheck",
    "bounded_validation_error",
    "is_loopback",
    "new_token",
]

#: Largest request body accepted: a forecast request is a few hundred bytes;
#: every parameter of a scenario with 1000 parameters fits in 64 KB.
MAX_BODY_BYTES = 64 * 1024
#: Host names a server on loopback answers to (DNS rebinding sends another).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
#: Validation errors listed in a 422 answer; the rest are counted.
MAX_LISTED_ERRORS = 10
#: Characters of a client's input echoed back in one validation error.
MAX_ECHO_CHARS = 80
#: The cookie that carries the token for the dashboard page.
TOKEN_COOKIE = "realpolitik_token"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name given to ``--host``) is loopback."""
    name = host.strip("[]").lower()
    return name in ("localhost", "::1") or name.startswith("127.")


def new_token() -> str:
    """A random token for a server bound beyond loopback (printed at start)."""
    return secrets.token_urlsafe(24)


async def _reply(
    send: Send, status: int, detail: str, headers: Iterable[tuple[str, str]] = ()
) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse a request body above ``limit`` bytes with 413, by its declared
    length before reading it, or as soon as a chunked body passes it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"the request body is larger than {self.limit} bytes"
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _reply(send, 400, "malformed Content-Length")
                    return
                if declared > self.limit:
                    await _reply(send, 413, detail)
                    return
        seen = 0
        started = False
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # answer now, and tell the app the client has gone
                    refused = True
                    if not started:
                        await _reply(send, 413, detail)
                    return {"type": "http.disconnect"}
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; drop what the app says after
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, tracking)


class TokenCheck:
    """Require a token on every request (a server bound beyond loopback).

    Accepted from ``Authorization: Bearer <token>``, the cookie
    :data:`TOKEN_COOKIE`, or ``?token=`` in the URL (how the printed address
    opens the page; the answer then sets the cookie so that the page's own
    API calls carry it). Compared in constant time.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    def _given(self, scope: Scope) -> tuple[str | None, bool]:
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                text = value.decode("latin-1")
                if text.lower().startswith("bearer "):
                    return text[7:].strip(), False
            if key == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    name, _, given = part.strip().partition("=")
                    if name == TOKEN_COOKIE:
                        return given, False
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return query["token"][0], True
        return None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given, from_query = self._given(scope)
        if given is None or not secrets.compare_digest(given.encode(), self.token.encode()):
            await _reply(
                send,
                401,
                "this server needs its token: open the address it printed (with ?token=...) "
                "or send 'Authorization: Bearer <token>'",
                [("www-authenticate", "Bearer")],
            )
            return
        if not from_query:
            await self.app(scope, receive, send)
            return
        cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, with_cookie)


def _short(value: Any) -> Any:
    """The client's input as echoed: itself if it is short JSON, else the
    start of its ``repr`` (bytes of a body that is not JSON, say)."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        text = ""
    if text and len(text) <= MAX_ECHO_CHARS:
        return value
    shown = repr(value)
    return shown if len(shown) <= MAX_ECHO_CHARS else shown[: MAX_ECHO_CHARS - 3] + "..."


async def bounded_validation_error(request: Request, error: Exception) -> JSONResponse:
    """A 422 answer listing at most :data:`MAX_LISTED_ERRORS` problems, each
    echoing at most :data:`MAX_ECHO_CHARS` characters of the input (FastAPI's
    own handler lists every one with the whole input)."""
    assert isinstance(error, RequestValidationError)
    problems = error.errors()
    listed = [
        {
            "loc": list(p.get("loc", ()))[:6],
            "msg": str(p.get("msg", ""))[:200],
            "type": p.get("type", ""),
            "input": _short(p.get("input")),
        }
        for p in problems[:MAX_LISTED_ERRORS]
    ]
    content: dict[str, Any] = {"detail": listed}
    if len(problems) > MAX_LISTED_ERRORS:
        content["more"] = len(problems) - MAX_LISTED_ERRORS
    return JSONResponse(status_code=422, content=content)
