"""A site's recurring schedule: read it, run it now, pause and unpause it.

The schedule itself (cron, time zone) is set with `PUT /sites/{site_id}/automation`.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import Field

from api.deps import CurrentAccount, SettingsDep, SiteId, TemporalDep, caller_site
from models import Account
from models.schemas import RequestBody
from services import schedules as svc
from services.schedule_spec import ScheduleInfo

router = APIRouter(tags=["schedules"])


async def _check_owner(account: Account, site_id: int) -> None:
    """404 unless the site is the caller's (read in a thread, see api.deps)."""
    await asyncio.to_thread(caller_site, account, site_id)


class SchedulePause(RequestBody):
    note: str | None = Field(
        None, max_length=200, description="Why, shown with the schedule (and in the Temporal UI)"
    )


@router.get("/sites/{site_id}/schedule", response_model=ScheduleInfo)
async def read_schedule(
    site_id: SiteId, account: CurrentAccount, client: TemporalDep
) -> ScheduleInfo:
    """The site's schedule: cron, time zone, paused, next run times and recent scheduled runs
    (`cron` is null and `registered` false when the site has none)."""
    await _check_owner(account, site_id)
    return await svc.describe_schedule(client, site_id)


@router.post("/sites/{site_id}/schedule/trigger", response_model=ScheduleInfo)
async def trigger_schedule(
    site_id: SiteId,
    account: CurrentAccount,
    client: TemporalDep,
    settings: SettingsDep,
) -> ScheduleInfo:
    """Start the scheduled run now. `trigger.outcome` is `skipped` while a run of this schedule
    is active; a run started while the site has another active run ends as `skipped`."""
    await _check_owner(account, site_id)
    return await svc.trigger_schedule(client, settings, site_id)


@router.post("/sites/{site_id}/schedule/pause", response_model=ScheduleInfo)
async def pause_schedule(
    site_id: SiteId,
    account: CurrentAccount,
    client: TemporalDep,
    settings: SettingsDep,
    body: SchedulePause | None = None,
) -> ScheduleInfo:
    """Stop the schedule from starting runs until unpaused; a run in progress goes on."""
    await _check_owner(account, site_id)
    return await svc.pause_schedule(client, settings, site_id, body.note if body else None)


@router.post("/sites/{site_id}/schedule/unpause", response_model=ScheduleInfo)
async def unpause_schedule(
    site_id: SiteId,
    account: CurrentAccount,
    client: TemporalDep,
    settings: SettingsDep,
) -> ScheduleInfo:
    """Let the schedule start runs again (409 while the site's automation is disabled)."""
    await _check_owner(account, site_id)
    return await svc.unpause_schedule(client, settings, site_id)
