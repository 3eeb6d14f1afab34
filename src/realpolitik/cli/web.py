"""``realpolitik serve``: the JSON API and the dashboard page on a local port."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from realpolitik.cli.output import err
from realpolitik.cli.progress import ONCE, solvers_cold
from realpolitik.cli.scenario import say
from realpolitik.errors import InputError
from realpolitik.limits import parse_bytes

#: Shortest token accepted from --token (a generated one has 32 characters).
MIN_TOKEN_CHARS = 16
#: Smallest --memory-budget: one light request's working set.
MIN_BUDGET = 128 * 1024**2


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
        typer.Argument(
            help="Built-in scenario names (crisis or alignment) or scenario files "
            "(default: all built-in)."
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8000,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="A Host header to answer besides localhost and 127.0.0.1 (the name clients "
            "use to reach this server); repeat for several, '*' for any.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Token every request must carry (default beyond loopback: a random one, "
            "printed; on loopback: none).",
        ),
    ] = None,
    memory_budget: Annotated[
        str | None,
        typer.Option(
            "--memory-budget",
            help="Memory the requests over draws may use together, e.g. 3G (default: a "
            "quarter of half the machine's memory, at most 4G); more wait or get 429.",
        ),
    ] = None,
) -> None:
    """Serve the dashboard and its JSON API (OpenAPI at /docs) until Ctrl-C."""
    import uvicorn  # optional at import time: only `serve` needs the server

    from realpolitik.web import create_app
    from realpolitik.web.admission import Admission, default_budget
    from realpolitik.web.guard import is_loopback, new_token
    from realpolitik.web.server import server_config

    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise InputError(f"--token must have at least {MIN_TOKEN_CHARS} characters")
    if token is None and not is_loopback(host):
        token = new_token()
    hosts = list(allow_host or [])
    if not is_loopback(host) and host not in ("0.0.0.0", "::"):
        hosts.append(host)
    budget = default_budget()
    if memory_budget is not None:
        parsed = parse_bytes(memory_budget)
        if parsed is None or parsed < MIN_BUDGET:
            raise InputError(
                f"--memory-budget {memory_budget!r}: give a size such as 2G or 512M "
                f"(at least {MIN_BUDGET // 1024**2}M)"
            )
        budget = parsed
    app = create_app(  # loads and checks every scenario first
        scenarios or None, allowed_hosts=hosts, token=token, admission=Admission(budget)
    )
    check_address(host, port)
    shown = f"[{host}]" if ":" in host else host
    query = f"?token={token}" if token else ""
    say(f"dashboard: http://{shown}:{port}/{query}   API: http://{shown}:{port}/docs")
    if token:
        say(f"token: {token} (send 'Authorization: Bearer <token>', or open the address above)")
    if err.is_terminal and solvers_cold():
        say(f"note: the first forecast compiles the solvers first ({ONCE})")
    if not is_loopback(host) and not allow_host:
        say(
            "note: requests must name an allowed Host; add --allow-host NAME for the name "
            "clients use to reach this machine"
        )
    uvicorn.Server(server_config(app, host, port)).run()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
