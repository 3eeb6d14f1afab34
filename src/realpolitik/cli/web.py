"""``realpolitik serve``: the JSON API and the dashboard page on a local port."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from realpolitik.cli.scenario import say
from realpolitik.errors import InputError


def check_address(host: str, port: int) -> None:
    """Refuse, with one line, an address the server could not listen on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise InputError(f"cannot resolve --host {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise InputError(
                f"cannot listen on {host}:{port}: {error.strerror}; choose another --port"
            ) from None


def serve(
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(help="Built-in scenario names or scenario files (default: all built-in)."),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
) -> None:
    """Serve the dashboard and its JSON API (OpenAPI at /docs) until Ctrl-C."""
    import uvicorn

    from realpolitik.web import create_app

    app = create_app(scenarios or None)  # loads and checks every scenario first
    check_address(host, port)
    say(f"dashboard: http://{host}:{port}/   API: http://{host}:{port}/docs")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
