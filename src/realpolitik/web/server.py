"""The uvicorn settings of ``realpolitik serve``: connection limits and a
deadline for slow clients.

Why a module of its own: uvicorn's only timeout is the keep-alive one, which
starts after a response, so a client that opens a connection and sends its
headers a byte at a time holds the connection for as long as it likes (500
such connections were held over 20 s). :class:`SlowClientH11Protocol` closes
a connection whose request (head and body) has not fully arrived within
``read_timeout`` seconds of the connection opening or of the previous
response; a request whose computation takes longer is not affected. The
number of connections is bounded by uvicorn's ``limit_concurrency`` (503
beyond it) and a header's size by h11's ``max_incomplete_event_size``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["READ_TIMEOUT", "SlowClientH11Protocol", "server_config"]

#: Seconds a client has to send a whole request (head and body).
READ_TIMEOUT = 10.0
#: Connections served at once; more get 503 from uvicorn.
MAX_CONNECTIONS = 200
#: Bytes of request head accepted.
MAX_HEAD_BYTES = 16 * 1024
#: Seconds an idle keep-alive connection is kept.
KEEP_ALIVE = 5


class SlowClientH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request."""

    read_timeout: float = READ_TIMEOUT

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._read_deadline: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._too_slow)

    def _too_slow(self) -> None:
        """Close the connection if its request has not fully arrived."""
        cycle = self.cycle
        waiting_for_request = cycle is None or cycle.response_complete or cycle.more_body
        if waiting_for_request and not self.transport.is_closing():
            self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
        super().connection_lost(exc)


def server_config(
    app: Any,
    host: str,
    port: int,
    *,
    read_timeout: float = READ_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
    log_level: str = "warning",
) -> uvicorn.Config:
    """uvicorn's configuration for the API with the limits above."""
    protocol = type(
        "BoundedH11Protocol", (SlowClientH11Protocol,), {"read_timeout": float(read_timeout)}
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        limit_concurrency=max_connections,
        timeout_keep_alive=KEEP_ALIVE,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        log_level=log_level,
    )
