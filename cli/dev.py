"""`igny8 demo` and `igny8 dev`: the embedded default, one command each."""

from __future__ import annotations

import asyncio
import contextlib
import time

import typer
from rich.console import Console
from rich.table import Table

from contracts.run import RunProgress
from core.config import Settings, get_settings
from core.db import init_db
from core.devserver import (
    ensure_search_attributes,
    start_dev_server,
    stop_dev_server,
    ui_address,
    wait_for_server,
)
from core.temporal import connect

console = Console()


async def _history_events(client, run_id: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Events in the run's whole chain (all continue-as-new runs), and how many runs."""
    total, runs_in_chain = 0, 0
    async for wf in client.list_workflows(f'WorkflowId = "{run_id}"'):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        total += len(history.events)
        runs_in_chain += 1
    return total, runs_in_chain


def _summary(progress: RunProgress, seconds: float, settings: Settings, events: tuple[int, int]):  # type: ignore[no-untyped-def]
    table = Table(title=f"Run {progress.run_id}: {progress.status}")
    for column in ("stage", "status", "completed", "failed", "result"):
        table.add_column(column)
    for st in progress.stages:
        table.add_row(
            f"{st.stage} {st.name}", st.status, str(st.completed), str(st.failed), st.message
        )
    console.print(table)
    console.print(
        f"Credits used: [bold]{progress.credits_used:,}[/]   Wall time: [bold]{seconds:.1f} s[/]"
        f"   History: [bold]{events[0]:,} events[/] in {events[1]} workflow run(s)"
    )
    console.print(f"Temporal UI: [link]{ui_address(settings)}[/link]  (run id {progress.run_id})")


async def run_demo(keywords: int | None) -> int:
    from cli.progress_view import watch_run
    from services.demo import create_demo_site
    from services.runs import start_run
    from worker import build_worker

    settings = get_settings()
    started = time.monotonic()
    init_db()
    if start_dev_server(settings, detach=True):
        console.print(f"Started the Temporal dev server (data in {settings.data_dir}).")
    await wait_for_server(settings)
    client = await connect(settings)
    await ensure_search_attributes(client, settings.temporal_namespace)
    account_id, site_id, imported = create_demo_site(keywords)
    console.print(f"Demo site {site_id}: imported {imported} sample keywords.")
    async with build_worker(client, settings):
        run_id = await start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="cli"
        )
        final = await watch_run(client, run_id, console)
    console.print()
    _summary(final, time.monotonic() - started, settings, await _history_events(client, run_id))
    console.print("The dev server keeps running for the UI; `make stop` stops it.")
    return 0 if final.status == "completed" else 1


async def run_dev() -> None:
    import uvicorn

    from worker import build_worker

    settings = get_settings()
    init_db()
    server = start_dev_server(settings, detach=False)
    await wait_for_server(settings)
    client = await connect(settings)
    await ensure_search_attributes(client, settings.temporal_namespace)
    config = uvicorn.Config("api.main:app", host=settings.api_host, port=settings.api_port)
    api = uvicorn.Server(config)
    console.print(
        f"Temporal {settings.temporal_address} (UI {ui_address(settings)}), API "
        f"http://{settings.api_host}:{settings.api_port}/docs, worker on '{settings.task_queue}'."
        " Ctrl-C stops all three."
    )
    try:
        async with build_worker(client, settings):
            await api.serve()
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(Exception):
                server.wait(timeout=10)


def register(app: typer.Typer) -> None:
    """Add `demo`, `dev` and `stop` to the igny8 CLI."""

    @app.command()
    def demo(
        keywords: int = typer.Option(None, help="Use only the first N sample keywords."),
    ) -> None:
        """Run the whole pipeline on the shipped sample keywords, with live progress."""
        raise typer.Exit(asyncio.run(run_demo(keywords)))

    @app.command()
    def dev() -> None:
        """Dev server + worker + API in the foreground; Ctrl-C stops all three."""
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_dev())

    @app.command()
    def stop() -> None:
        """Stop the dev server the demo left running."""
        stopped = stop_dev_server(get_settings())
        console.print("Dev server stopped." if stopped else "No dev server started by igny8.")
