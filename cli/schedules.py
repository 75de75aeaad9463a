"""`igny8 schedules ...`: recurring campaigns (one Temporal Schedule per site), straight on the
database and Temporal like the rest of the CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn, TypeVar
from zoneinfo import ZoneInfo

import typer
from temporalio.client import Client
from temporalio.service import RPCError

from cli.common import console, err, temporal
from core.config import Settings, get_settings
from core.db import init_db
from core.errors import Igny8Error
from services import schedules as svc
from services.schedule_spec import ScheduleInfo, validate_cron, validate_timezone

app = typer.Typer(help="Recurring runs per site (Temporal Schedules).", no_args_is_help=True)

SiteOpt = Annotated[int, typer.Option("--site", min=1, help="The site's id")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the schedule as JSON")]
T = TypeVar("T")


def _call(call: Callable[[Client, Settings], Awaitable[T]]) -> T:
    """Connect and run the call; a readable error and exit code 1 when it fails."""
    settings = get_settings()

    async def go() -> T:
        return await call(await temporal(settings), settings)

    try:
        init_db()
        return asyncio.run(go())
    except Igny8Error as exc:
        _fail(exc)
    except ConnectionError as exc:
        err.print(f"[red]{exc}[/]")
    except RPCError as exc:
        err.print(f"[red]Temporal error:[/] {exc}")
    raise typer.Exit(1)


def _fail(exc: Igny8Error) -> NoReturn:
    err.print(f"[red]{exc.error_type}:[/] {exc.message}")
    raise typer.Exit(1)


def _run(call: Callable[[Client, Settings], Awaitable[ScheduleInfo]], as_json: bool) -> None:
    info = _call(call)
    if as_json:
        typer.echo(json.dumps(info.model_dump(mode="json"), indent=2))
    else:
        _print(info)


def _print(info: ScheduleInfo) -> None:
    if not info.cron:
        console.print(f"Site {info.site_id} has no schedule.")
        return
    state = "[yellow]paused[/]" if info.paused else "[green]active[/]"
    if not info.enabled:
        state = "[yellow]paused (automation disabled)[/]"
    console.print(f"Site {info.site_id}: [bold]{info.cron}[/] ({info.timezone}), {state}")
    if info.note:
        console.print(f"  note: {info.note}")
    if not info.registered:
        console.print("  [red]not registered with Temporal[/]: `igny8 schedules sync` fixes it")
    zone = ZoneInfo(info.timezone)
    for at in info.next_run_times:
        console.print(f"  next: {at.astimezone(zone):%a %Y-%m-%d %H:%M %Z}")
    for action in info.recent_actions[-3:]:
        console.print(
            f"  ran:  {action.started_at.astimezone(zone):%Y-%m-%d %H:%M} {action.workflow_id}"
        )
    if info.trigger:
        console.print(f"  trigger: {info.trigger.outcome} {info.trigger.workflow_id or ''}")
    if info.active_run_id:
        console.print(f"  active run: {info.active_run_id}")


@app.command("set")
def set_schedule(
    site: SiteOpt,
    cron: Annotated[str, typer.Option(help="Cron, e.g. '0 6 * * 1' = Mondays 06:00")],
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="IANA time zone, e.g. Europe/Berlin (default: kept, or UTC)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the site's pipeline on a cron schedule (creates or updates it)."""
    try:  # a typo is reported even while Temporal is down
        validate_cron(cron)
        if tz is not None:
            validate_timezone(tz)
    except Igny8Error as exc:
        _fail(exc)
    _run(lambda c, s: svc.set_schedule(c, s, site, cron, tz), as_json)


@app.command("remove")
def remove_schedule(site: SiteOpt, as_json: JsonOpt = False) -> None:
    """Remove the site's schedule (runs in progress go on)."""
    _run(lambda c, s: svc.set_schedule(c, s, site, None), as_json)


@app.command("show")
def show(site: SiteOpt, as_json: JsonOpt = False) -> None:
    """The schedule: cron, time zone, paused, next run times, recent runs."""
    _run(lambda c, s: svc.describe_schedule(c, site), as_json)


@app.command("pause")
def pause(
    site: SiteOpt,
    note: Annotated[str | None, typer.Option(help="Why (shown with the schedule)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Stop the schedule from starting runs until unpaused."""
    _run(lambda c, s: svc.pause_schedule(c, s, site, note), as_json)


@app.command("unpause")
def unpause(site: SiteOpt, as_json: JsonOpt = False) -> None:
    """Let the schedule start runs again."""
    _run(lambda c, s: svc.unpause_schedule(c, s, site), as_json)


@app.command("trigger")
def trigger(site: SiteOpt, as_json: JsonOpt = False) -> None:
    """Start the scheduled run now (skipped while one of its runs is active)."""
    _run(lambda c, s: svc.trigger_schedule(c, s, site), as_json)


@app.command("sync")
def sync() -> None:
    """Re-apply every site's schedule to Temporal and delete schedules of sites without one."""
    applied, removed = _call(svc.sync_all_schedules)
    console.print(f"{applied} schedule(s) applied, {removed} removed")
