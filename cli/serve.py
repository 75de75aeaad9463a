"""`igny8 worker` and `igny8 api`: the two long-running processes, one command each."""

from __future__ import annotations

import asyncio
import logging

import typer

from cli.common import command
from core.config import get_settings
from core.db import init_db

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def register(app: typer.Typer) -> None:
    """Add `worker` and `api` to the igny8 CLI."""

    @app.command()
    @command
    def worker() -> None:
        """Run a worker on IGNY8_TASK_QUEUE (waits for Temporal; SIGTERM stops it gracefully)."""
        import worker as composition_root

        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        if not asyncio.run(composition_root.serve(get_settings())):
            composition_root.exit_now()

    @app.command()
    @command
    def api(
        host: str = typer.Option(None, help="Interface (default IGNY8_API_HOST)"),
        port: int = typer.Option(None, help="Port (default IGNY8_API_PORT)"),
        workers: int = typer.Option(1, help="Server processes (uvicorn workers)"),
    ) -> None:
        """Serve the HTTP API (and the web console); SIGTERM finishes requests in flight."""
        import uvicorn

        settings = get_settings()
        init_db()  # refuse an out-of-date schema here, with the message, not a traceback
        uvicorn.run(
            "api.main:app",
            host=host or settings.api_host,
            port=port or settings.api_port,
            workers=workers,
            timeout_graceful_shutdown=int(settings.graceful_shutdown_seconds),
            proxy_headers=True,
        )
