"""`igny8 runs ...`: start, watch, show, list, inspect the queues of and steer automation runs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlmodel import col, select

from cli.common import JsonOpt, command, console, fail, print_json, reading, run, temporal
from cli.progress_view import render_progress, watch_run
from contracts.run import QueueStatus, RunProgress
from contracts.stages import FIRST_STAGE, LAST_STAGE
from contracts.wordpress import PUBLISH_STAGE
from core.config import get_settings
from models import AutomationRun, Site
from models.schemas import MAX_PAGE
from services import run_control, runs
from services.estimates import estimate_run
from services.progress_feed import current_progress, follow_progress, load_run

app = typer.Typer(help="Automation runs: start, watch, steer.", no_args_is_help=True)
RunArg = Annotated[str, typer.Argument(help="The run's id")]
SiteOpt = Annotated[int, typer.Option("--site", min=1, help="The site's id")]
QueueOpt = Annotated[
    int | None,
    typer.Option(
        min=FIRST_STAGE,
        max=PUBLISH_STAGE,
        help=f"Only this stage ({PUBLISH_STAGE}: the publish queue)",
    ),
]
# `runs watch` exit codes, for scripts.
EXIT_CODES = {"completed": 0, "failed": 1, "cancelled": 2}


def _summary(progress: RunProgress) -> None:
    style = {"completed": "green", "cancelled": "yellow"}.get(progress.status, "red")
    console.print(
        f"[{style}]Run {progress.run_id} {progress.status}[/]: "
        f"{escape(progress.summary or progress.status)} ({progress.credits_used:,} credits used)"
    )
    for stage in progress.stages:
        if stage.message:
            failed = f" ({stage.failed} failed)" if stage.failed else ""
            console.print(f"  {stage.stage} {stage.name}: {stage.message}{failed}", highlight=False)
    queues = [*progress.stages, *([progress.publish] if progress.publish else [])]
    failed_in = [q.stage for q in queues if q.failed]
    if failed_in:
        only = f" --stage {failed_in[0]}" if len(failed_in) == 1 else ""
        console.print(
            f"Failed items: igny8 runs queue {progress.run_id}{only} --status failed; "
            f"retry them: igny8 runs retry {progress.run_id}",
            highlight=False,
            soft_wrap=True,  # copied as one command, however narrow the terminal
        )


async def _watch(run_id: str, as_json: bool) -> RunProgress:
    client = await temporal()
    if not as_json:
        return await watch_run(client, run_id, console)
    last: RunProgress | None = None
    async for progress in follow_progress(client, run_id, interval=0.5):
        print_json(progress)  # one JSON document per change, the last one final
        last = progress
    assert last is not None
    return last


def _finish(progress: RunProgress, as_json: bool) -> None:
    if not as_json:
        _summary(progress)
    raise typer.Exit(EXIT_CODES.get(progress.status, 1))


@app.command("start")
@command
def start(
    site: SiteOpt,
    stages: Annotated[
        str | None, typer.Option(help="Comma-separated stage numbers, e.g. 1,2,3")
    ] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Follow it live until it ends")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Start a run of the site's pending work through the stages (default: all seven)."""
    chosen = None
    bounds = f"{FIRST_STAGE}-{LAST_STAGE}"
    if stages:
        try:
            chosen = sorted({int(s) for s in stages.split(",") if s.strip()})
        except ValueError:
            fail(f"--stages takes numbers {bounds} separated by commas, not {stages!r}")
        if not chosen or not all(FIRST_STAGE <= s <= LAST_STAGE for s in chosen):
            fail(f"--stages takes numbers {bounds}")
    with reading() as session:
        target = session.get(Site, site)
        if target is None:
            fail(f"Site {site} not found")
        account_id = target.account_id

    async def go() -> str:
        return await runs.start_run(
            await temporal(),
            get_settings(),
            account_id=account_id,
            site_id=site,
            trigger="cli",
            stages=chosen,
        )

    run_id = run(go())
    if as_json and not watch:
        print_json({"run_id": run_id, "status": "running"})
        return
    if not as_json:
        console.print(f"Started run [bold]{run_id}[/]")
    if watch:
        _finish(run(_watch(run_id, as_json)), as_json)


@app.command("watch")
@command
def watch(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Follow a run live. Exit code 0 completed, 1 failed, 2 cancelled."""
    load_run(run_id)
    _finish(run(_watch(run_id, as_json)), as_json)


@app.command("show")
@command
def show(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """A run's progress now (live while it runs, the final record after)."""

    async def go() -> RunProgress:
        return await current_progress(await temporal(), run_id)

    _print_progress(run(go()), as_json)


@app.command("list")
@command
def list_runs(
    site: SiteOpt,
    status: Annotated[str | None, typer.Option(help="Only runs with this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """A site's runs, newest first."""
    with reading() as session:
        query = select(AutomationRun).where(AutomationRun.site_id == site)
        if status:
            query = query.where(AutomationRun.status == status)
        rows = session.exec(query.order_by(col(AutomationRun.started_at).desc()).limit(limit)).all()
    if as_json:
        print_json([r.model_dump(exclude={"progress"}) for r in rows])
        return
    table = Table("run", "kind", "trigger", "status", "stage", "credits", "started")
    for r in rows:
        table.add_row(
            r.id,
            r.kind,
            r.trigger,
            r.status,
            str(r.current_stage or ""),
            f"{r.credits_used:,}",
            r.started_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("estimate")
@command
def estimate(site: SiteOpt, as_json: JsonOpt = False) -> None:
    """Credits a run of the site would need now, per stage."""
    settings = get_settings()
    with reading() as session:
        target = session.get(Site, site)
        if target is None:
            fail(f"Site {site} not found")
        stages = runs.run_options(session, site, settings).stages
        result = estimate_run(session, settings, target.account_id, site, stages)
    if as_json:
        print_json(result)
        return
    table = Table("#", "stage", "waiting now", "projected", "credits/item", "credits")
    for s in result.stages:
        table.add_row(
            str(s.stage),
            s.name,
            f"{s.eligible_now:,}",
            f"{s.projected:,}",
            str(s.credits_per_item),
            f"{s.credits:,}",
        )
    console.print(table)
    verdict = "[green]enough[/]" if result.sufficient else "[red]not enough[/]"
    console.print(f"Total {result.total_credits:,} credits; balance {result.balance:,} ({verdict})")


@app.command("queue")
@command
def queue(
    run_id: RunArg,
    stage: QueueOpt = None,
    status: Annotated[QueueStatus | None, typer.Option(help="Only items with this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE, help="Items per stage")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The items of a run's stage queues (every stage unless --stage), with their errors.
    --json prints a list of pages, one per stage."""
    numbers = [stage] if stage else range(FIRST_STAGE, PUBLISH_STAGE + 1)
    with reading() as session:
        if session.get(AutomationRun, run_id) is None:
            fail(f"Run {run_id} not found")
        pages = [runs.queue_page(session, run_id, n, status or "", 0, limit) for n in numbers]
    pages = [p for p in pages if p.total or stage]
    if as_json:
        print_json(pages)
        return
    table = Table("stage", "id", "name", "status", "attempts", "error")
    for p in pages:
        for i in p.items:
            error = f"{i.error_type}: {i.error_message}" if i.error_message else ""
            table.add_row(
                str(p.stage), str(i.id), escape(i.name), i.status, str(i.attempts), escape(error)
            )
    console.print(table)
    for p in pages:
        if p.total > len(p.items):
            console.print(f"Stage {p.stage}: {len(p.items)} of {p.total} shown (see --limit)")


def _steer(run_id: str, verb: str, as_json: bool, **kwargs: object) -> None:
    row = load_run(run_id)

    async def go() -> RunProgress:
        client = await temporal()
        action = getattr(run_control, verb)
        return await action(client, row, **kwargs)  # type: ignore[no-any-return]

    _print_progress(run(go()), as_json)


@app.command("pause")
@command
def pause(
    run_id: RunArg,
    immediate: Annotated[
        bool, typer.Option("--immediate", help="Cancel batches in flight and re-queue them")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Pause a run: batches in flight finish first unless --immediate."""
    _steer(run_id, "pause", as_json, mode="immediate" if immediate else "drain")


@app.command("resume")
@command
def resume(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Resume a paused run."""
    _steer(run_id, "resume", as_json)


@app.command("cancel")
@command
def cancel(run_id: RunArg, as_json: JsonOpt = False) -> None:
    """Cancel a run; unfinished items go back to waiting."""
    _steer(run_id, "cancel", as_json)


@app.command("retry")
@command
def retry(
    run_id: RunArg,
    stage: QueueOpt = None,
    item: Annotated[list[int] | None, typer.Option(help="Only this item id (repeatable)")] = None,
    watch: Annotated[bool, typer.Option("--watch", help="Follow the retry live")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Retry failed items: in the run while it runs, as a new run once it ended."""
    row = load_run(run_id)

    async def go() -> tuple[str, int]:
        working_id, result, _ = await run_control.retry(
            await temporal(), get_settings(), row, trigger="cli", stage=stage, item_ids=item
        )
        return working_id, result.requeued

    working_id, requeued = run(go())
    if as_json and not watch:
        print_json({"run_id": working_id, "new_run": working_id != run_id, "requeued": requeued})
        return
    if not as_json:
        where = "in the same run" if working_id == run_id else f"as new run {working_id}"
        console.print(f"{requeued} failed item(s) queued again {where}")
    if watch:
        _finish(run(_watch(working_id, as_json)), as_json)


def _print_progress(progress: RunProgress, as_json: bool) -> None:
    if as_json:
        print_json(progress)
    else:
        console.print(render_progress(progress))
