"""Recurring campaigns: one Temporal Schedule per site, derived from its AutomationConfig.

The database is the truth (cron, time zone, paused, enabled); `apply_schedule` makes Temporal
match it, so a change made to the schedule in the Temporal UI lasts until the next apply. Runs a
schedule starts get ids `site-<id>-scheduled-<timestamp>` and trigger "scheduled"; "one active run
per site" holds through the overlap policy SKIP (the schedule's own runs) and the workflow's
database guard (a run started while another is active ends as "skipped").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from contracts.run import AUTOMATION_WORKFLOW, RunInput
from contracts.status import RunStatus, RunTrigger
from core.config import Settings
from core.db import session_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from core.temporal import SA_ACCOUNT, SA_SITE
from models import AutomationConfig, Site
from models.base import utcnow
from services.runs import active_run, run_options, search_attributes
from services.schedule_spec import (
    ScheduledAction,
    ScheduleInfo,
    TriggerOutcome,
    configure,
    schedule_id,
    workflow_id_prefix,
)

# A run missed while Temporal was down starts late only within this window (the default is a
# year: a server back after a week would start a stale campaign).
CATCHUP_WINDOW = timedelta(minutes=10)
TRIGGER_WAIT_SECONDS = 5.0
NEXT_RUNS_SHOWN = 5


# --- reading the database ---------------------------------------------------------------------


def _config(session: Session, site_id: int, create: bool = False) -> AutomationConfig | None:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"Site {site_id} not found")
    config = session.exec(
        select(AutomationConfig).where(AutomationConfig.site_id == site_id)
    ).first()
    if config is None and create:
        config = AutomationConfig(account_id=site.account_id, site_id=site_id)
        session.add(config)
    return config


def _scheduled_config(session: Session, site_id: int) -> AutomationConfig:
    config = _config(session, site_id)
    if config is None or not config.schedule_cron:
        raise NotFoundError(
            f"Site {site_id} has no schedule: set one with `igny8 schedules set --site "
            f"{site_id} --cron ...` or PUT /sites/{site_id}/automation"
        )
    return config


def _note(config: AutomationConfig, note: str | None) -> str:
    if not config.enabled:
        return "automation is disabled for this site"
    if config.schedule_paused:
        return note or "paused"
    return f"managed by igny8: change it with PUT /sites/{config.site_id}/automation"


def _build(
    config: AutomationConfig,
    session: Session,
    settings: Settings,
    note: str | None,
    calendars: Sequence[ScheduleCalendarSpec],
) -> Schedule:
    site_id, account_id = config.site_id, config.account_id
    options = run_options(session, site_id, settings)
    run_input = RunInput(
        account_id=account_id, site_id=site_id, trigger=RunTrigger.SCHEDULED.value, options=options
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            AUTOMATION_WORKFLOW,
            run_input,
            id=workflow_id_prefix(site_id),
            task_queue=settings.task_queue,
            typed_search_attributes=search_attributes(
                account_id, site_id, options.stages[0], RunStatus.RUNNING
            ),
            static_summary=f"Scheduled run of site {site_id}",
        ),
        spec=ScheduleSpec(
            cron_expressions=[config.schedule_cron] if config.schedule_cron else [],
            calendars=list(calendars),
            time_zone_name=config.schedule_timezone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
        state=ScheduleState(
            paused=config.schedule_paused or not config.enabled, note=_note(config, note)
        ),
    )


def _schedule_from_config(
    settings: Settings,
    site_id: int,
    note: str | None,
    calendars: Sequence[ScheduleCalendarSpec],
) -> tuple[Schedule | None, TypedSearchAttributes | None]:
    """The schedule the site's config asks for (None without a cron), with its attributes."""
    with session_scope() as session:
        config = _config(session, site_id)
        if config is None or not (config.schedule_cron or calendars):
            return None, None
        schedule = _build(config, session, settings, note, calendars)
        attributes = TypedSearchAttributes(
            [
                SearchAttributePair(SA_ACCOUNT, config.account_id),
                SearchAttributePair(SA_SITE, site_id),
            ]
        )
        return schedule, attributes


def _store_cron(site_id: int, cron: str | None, timezone: str | None) -> None:
    with session_scope() as session:
        config = _config(session, site_id, create=True)
        assert config is not None
        configure(config, cron, timezone)


def _store_paused(site_id: int, paused: bool) -> None:
    with session_scope() as session:
        config = _scheduled_config(session, site_id)
        if not paused and not config.enabled:
            raise ConflictError(
                f"Automation is disabled for site {site_id}: enable it before unpausing "
                "its schedule"
            )
        config.schedule_paused = paused
        config.updated_at = utcnow()


def _check_enabled(site_id: int) -> None:
    """NotFoundError without a schedule, ConflictError while the site's automation is off."""
    with session_scope() as session:
        config = _scheduled_config(session, site_id)
        if not config.enabled:
            raise ConflictError(f"Automation is disabled for site {site_id}")


def _stored_info(site_id: int) -> ScheduleInfo:
    """What the database says of the site's schedule (Temporal's part left empty)."""
    with session_scope() as session:
        config = _config(session, site_id)
        run = active_run(session, site_id)
        return ScheduleInfo(
            site_id=site_id,
            schedule_id=schedule_id(site_id),
            cron=config.schedule_cron if config else None,
            timezone=config.schedule_timezone if config else "UTC",
            enabled=config.enabled if config else True,
            paused=bool(config and config.schedule_paused),
            active_run_id=run.id if run else None,
        )


def _scheduled_site_ids() -> set[int]:
    with session_scope() as session:
        return {c.site_id for c in session.exec(select(AutomationConfig)).all() if c.schedule_cron}


# --- keeping Temporal in step -----------------------------------------------------------------
# The database work runs in a thread (asyncio.to_thread): these are called from the API's event
# loop, which must never wait on a database.


async def apply_schedule(
    client: Client,
    settings: Settings,
    site_id: int,
    *,
    note: str | None = None,
    calendars: Sequence[ScheduleCalendarSpec] = (),
) -> ScheduleInfo:
    """Create or update the site's schedule from its config (removed when it has no cron).
    `calendars` add times to the cron's; they are not stored, so the next apply drops them."""
    schedule, attributes = await asyncio.to_thread(
        _schedule_from_config, settings, site_id, note, calendars
    )
    if schedule is None:
        await remove_schedule(client, site_id)
        return await describe_schedule(client, site_id)
    try:
        try:
            await client.create_schedule(
                schedule_id(site_id), schedule, search_attributes=attributes
            )
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(schedule_id(site_id)).update(
                lambda _: ScheduleUpdate(schedule=schedule, search_attributes=attributes)
            )
    except RPCError as exc:
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:
            raise ValidationError(f"Temporal refused the schedule: {exc.message}") from None
        raise
    return await describe_schedule(client, site_id)


async def sync_after_automation_change(
    client: Client, settings: Settings, site_id: int
) -> ScheduleInfo:
    """Call after saving a site's AutomationConfig: the schedule follows its cron, time zone,
    enabled flag (disabled → paused), run options, and is removed when the cron is null."""
    return await apply_schedule(client, settings, site_id)


async def set_schedule(
    client: Client,
    settings: Settings,
    site_id: int,
    cron: str | None,
    timezone: str | None = None,
) -> ScheduleInfo:
    """Store a new cron (None removes the schedule) and time zone (None keeps the stored one,
    UTC at first) for the site and apply them."""
    await asyncio.to_thread(_store_cron, site_id, cron, timezone)
    return await apply_schedule(client, settings, site_id)


async def remove_schedule(client: Client, site_id: int) -> bool:
    """Delete the site's schedule (runs it started are left alone); False if there was none."""
    try:
        await client.get_schedule_handle(schedule_id(site_id)).delete()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def _set_paused(
    client: Client, settings: Settings, site_id: int, paused: bool, note: str | None
) -> ScheduleInfo:
    await asyncio.to_thread(_store_paused, site_id, paused)
    return await apply_schedule(client, settings, site_id, note=note)


async def pause_schedule(
    client: Client, settings: Settings, site_id: int, note: str | None = None
) -> ScheduleInfo:
    """Stop the schedule from starting runs (stored in the config); a run in progress goes on."""
    return await _set_paused(client, settings, site_id, True, note)


async def unpause_schedule(client: Client, settings: Settings, site_id: int) -> ScheduleInfo:
    return await _set_paused(client, settings, site_id, False, None)


async def trigger_schedule(client: Client, settings: Settings, site_id: int) -> ScheduleInfo:
    """Start the schedule's run now (overlap SKIP: not while one of its runs is active)."""
    await asyncio.to_thread(_check_enabled, site_id)
    before = await describe_schedule(client, site_id)
    if not before.registered:
        before = await apply_schedule(client, settings, site_id)
    if before.recent_actions:
        # Temporal names a scheduled run by its start time in whole seconds: a second trigger
        # within the same second as the last run would reuse that run's id (and its row).
        last = before.recent_actions[-1].scheduled_at.replace(microsecond=0)
        wait = (last + timedelta(seconds=1.05) - datetime.now(UTC)).total_seconds()
        if 0 < wait <= 1.05:
            await asyncio.sleep(wait)
    await client.get_schedule_handle(schedule_id(site_id)).trigger(
        overlap=ScheduleOverlapPolicy.SKIP
    )
    deadline = time.monotonic() + TRIGGER_WAIT_SECONDS
    while True:
        info = await describe_schedule(client, site_id)
        if info.skipped_overlap > before.skipped_overlap:
            info.trigger = TriggerOutcome(outcome="skipped")
        elif info.actions_taken > before.actions_taken:
            latest = info.recent_actions[-1].workflow_id if info.recent_actions else None
            info.trigger = TriggerOutcome(outcome="started", workflow_id=latest)
        elif time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            continue
        else:
            info.trigger = TriggerOutcome(outcome="pending")
        return info


def _workflow_id(action: object) -> str | None:
    return action.workflow_id if isinstance(action, ScheduleActionExecutionStartWorkflow) else None


async def describe_schedule(client: Client, site_id: int) -> ScheduleInfo:
    """Settings from the database, next run times and recent runs from Temporal."""
    info = await asyncio.to_thread(_stored_info, site_id)
    try:
        desc: ScheduleDescription = await client.get_schedule_handle(info.schedule_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return info
        raise
    temporal = desc.info
    info.registered = True
    info.paused = desc.schedule.state.paused
    info.note = desc.schedule.state.note
    info.next_run_times = list(temporal.next_action_times[:NEXT_RUNS_SHOWN])
    info.recent_actions = [
        ScheduledAction(workflow_id=wid, scheduled_at=a.scheduled_at, started_at=a.started_at)
        for a in temporal.recent_actions
        if (wid := _workflow_id(a.action))
    ]
    info.running_workflow_ids = [wid for a in temporal.running_actions if (wid := _workflow_id(a))]
    info.actions_taken = temporal.num_actions
    info.skipped_overlap = temporal.num_actions_skipped_overlap
    info.missed_catchup = temporal.num_actions_missed_catchup_window
    return info


async def sync_all_schedules(client: Client, settings: Settings) -> tuple[int, int]:
    """Re-apply every site's schedule and delete schedules of sites without one (e.g. after
    a site was deleted while Temporal was down). Returns (applied, removed)."""
    wanted = await asyncio.to_thread(_scheduled_site_ids)
    for site_id in sorted(wanted):
        await apply_schedule(client, settings, site_id)
    removed = 0
    async for listed in await client.list_schedules():
        prefix, _, rest = listed.id.partition("-")
        number = rest.removesuffix("-schedule")
        if prefix == "site" and number.isdigit() and int(number) not in wanted:
            removed += await remove_schedule(client, int(number))
    return len(wanted), removed
