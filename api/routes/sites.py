"""Sites: create, list, read, change, delete; and their automation settings."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from sqlmodel import col, select
from temporalio.service import RPCError, RPCStatusCode

from api.deps import (
    CurrentAccount,
    PageDep,
    SessionDep,
    SettingsDep,
    SiteId,
    get_site_or_404,
    get_temporal,
)
from api.pagination import contains, paginate
from core.db import session_scope
from core.outbound import OutboundPolicy
from models import Account, Site
from models.schemas import (
    AutomationPublic,
    AutomationUpdate,
    CleanStr,
    Page,
    SiteCreate,
    SitePublic,
    SiteUpdate,
)
from services import schedules
from services import sites as svc

log = logging.getLogger("igny8.api")

router = APIRouter(prefix="/sites", tags=["sites"])


@router.post("", status_code=201, response_model=SitePublic)
def create_site(body: SiteCreate, account: CurrentAccount, settings: SettingsDep) -> SitePublic:
    """Create a site; a WordPress application password is stored encrypted, never returned.

    A WordPress URL that resolves to a loopback, private, link-local or otherwise non-public
    address is refused (422) in production."""
    assert account.id is not None
    with session_scope() as session:
        site = svc.create_site(session, account.id, body, OutboundPolicy.from_settings(settings))
        return svc.site_public(session, site)


@router.get("", response_model=Page[SitePublic])
def list_sites(
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    q: Annotated[CleanStr | None, Query(max_length=200, description="Name contains")] = None,
) -> Page[SitePublic]:
    """The account's sites, oldest first."""
    query = select(Site).where(Site.account_id == account.id)
    if q:
        query = query.where(contains(Site.name, q))
    return paginate(
        session, query, page, SitePublic, col(Site.id), lambda s: svc.site_public(session, s)
    )


@router.get("/{site_id}", response_model=SitePublic)
def read_site(site_id: SiteId, session: SessionDep, account: CurrentAccount) -> SitePublic:
    """One site, with its WordPress connection (without the password) and active run."""
    return svc.site_public(session, get_site_or_404(session, account, site_id))


@router.patch("/{site_id}", response_model=SitePublic)
def update_site(
    site_id: SiteId, body: SiteUpdate, account: CurrentAccount, settings: SettingsDep
) -> SitePublic:
    """Change the fields sent; `"wordpress": null` removes the WordPress connection. The
    WordPress URL is checked as on create."""
    with session_scope() as session:
        site = svc.update_site(
            session,
            get_site_or_404(session, account, site_id),
            body,
            OutboundPolicy.from_settings(settings),
        )
        session.flush()
        return svc.site_public(session, site)


@router.delete("/{site_id}", status_code=204, response_class=Response)
async def delete_site(site_id: SiteId, account: CurrentAccount, request: Request) -> Response:
    """Delete the site and everything below it (and its schedule); 409 while it has an
    active run."""
    if await asyncio.to_thread(_delete_site, account, site_id):
        try:
            await schedules.remove_schedule(await get_temporal(request), site_id)
        except Exception:  # Temporal away: `igny8 schedules sync` removes it later
            log.warning("schedule of deleted site %s left behind", site_id)
    return Response(status_code=204)


def _delete_site(account: Account, site_id: int) -> bool:
    """Delete the caller's site; whether it had a schedule (to remove from Temporal)."""
    with session_scope() as session:
        site = get_site_or_404(session, account, site_id)
        had_schedule = bool(svc.automation_config(session, site).schedule_cron)
        svc.delete_site(session, site)
    return had_schedule


@router.get("/{site_id}/automation", response_model=AutomationPublic)
def read_automation(
    site_id: SiteId, session: SessionDep, account: CurrentAccount
) -> AutomationPublic:
    """The site's automation settings (stages, batch sizes, concurrency, publishing)."""
    site = get_site_or_404(session, account, site_id)
    return svc.automation_public(site, svc.automation_config(session, site))


@router.put("/{site_id}/automation", response_model=AutomationPublic)
async def update_automation(
    site_id: SiteId,
    body: AutomationUpdate,
    account: CurrentAccount,
    request: Request,
    settings: SettingsDep,
) -> AutomationPublic:
    """Set the automation settings sent (fields left out keep their value). A `schedule`
    creates or updates the site's Temporal Schedule (null removes it); the schedule follows
    the stages, batch sizes and concurrency set here."""
    answer, has_schedule = await asyncio.to_thread(_save_automation, account, site_id, body)
    if has_schedule or "schedule" in body.model_fields_set:
        try:
            client = await get_temporal(request)
            await schedules.sync_after_automation_change(client, settings, site_id)
        except (HTTPException, RPCError) as exc:
            if isinstance(exc, RPCError) and exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise
            # Saved, but Temporal is away: `igny8 schedules sync` (or the next change) applies it.
            log.warning("schedule of site %s not synced: %s", site_id, exc)
    return answer


def _save_automation(
    account: Account, site_id: int, body: AutomationUpdate
) -> tuple[AutomationPublic, bool]:
    """Save the caller's automation settings; what to answer, and whether a cron is set."""
    with session_scope() as session:
        site = get_site_or_404(session, account, site_id)
        config = svc.update_automation(session, site, body)
        session.flush()
        return svc.automation_public(site, config), bool(config.schedule_cron)
