"""``realpolitik serve``: the JSON API and the dashboard page on a local port."""

from __future__ import annotations

from typing import Annotated

import typer

from realpolitik.cli.scenario import say


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
    say(f"dashboard: http://{host}:{port}/   API: http://{host}:{port}/docs")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
