"""Sites of an account: create, change, delete (with everything below them), automation config."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from contracts.stages import STAGE_BY_NAME, Stage
from core.config import get_settings
from core.crypto import encrypt
from core.errors import ConflictError, NotFoundError, ValidationError
from core.outbound import OutboundPolicy
from models import (
    AutomationConfig,
    AutomationRun,
    Content,
    ContentTaxonomyLink,
    Site,
    StageItem,
)
from models.base import utcnow
from models.schemas import (
    AutomationPublic,
    AutomationUpdate,
    SiteCreate,
    SitePublic,
    SiteUpdate,
    WordPressConnection,
    WordPressPublic,
)
from services.runs import active_run
from services.schedule_spec import configure as configure_schedule


def get_site(session: Session, account_id: int, site_id: int) -> Site:
    """The account's site, or NotFoundError (also for another account's site)."""
    site = session.get(Site, site_id)
    if site is None or site.account_id != account_id:
        raise NotFoundError(f"Site {site_id} not found")
    return site


def _set_wordpress(
    site: Site, wp: WordPressConnection | None, policy: OutboundPolicy | None
) -> None:
    if wp is None:
        site.wp_url = site.wp_username = site.wp_app_password_encrypted = None
        return
    # Refused here (422) as well as before every request, so a tenant learns at once.
    (policy or OutboundPolicy.from_settings(get_settings())).check_url(wp.url)
    site.wp_url = wp.url.rstrip("/")
    site.wp_username = wp.username
    site.wp_app_password_encrypted = encrypt(wp.app_password)


def create_site(
    session: Session, account_id: int, body: SiteCreate, policy: OutboundPolicy | None = None
) -> Site:
    """A new site (not committed); its WordPress URL must pass the outbound policy."""
    site = Site(
        account_id=account_id,
        name=body.name,
        domain=body.domain or None,
        auto_publish=body.auto_publish,
        publish_status=body.publish_status,
    )
    if body.wordpress:
        _set_wordpress(site, body.wordpress, policy)
    session.add(site)
    session.flush()
    return site


def update_site(
    session: Session, site: Site, body: SiteUpdate, policy: OutboundPolicy | None = None
) -> Site:
    """Apply the fields that were sent (not committed)."""
    sent = body.model_fields_set
    for field in ("name", "auto_publish", "publish_status"):
        value = getattr(body, field)
        if field in sent and value is None:
            raise ValidationError(f"{field} cannot be null", details={"field": field})
        if field in sent:
            setattr(site, field, value)
    if "domain" in sent:
        site.domain = body.domain or None
    if "wordpress" in sent:
        _set_wordpress(site, body.wordpress, policy)
    session.add(site)
    return site


def site_public(session: Session, site: Site) -> SitePublic:
    wordpress = None
    if site.wp_url:
        wordpress = WordPressPublic(
            url=site.wp_url,
            username=site.wp_username or "",
            has_app_password=bool(site.wp_app_password_encrypted),
        )
    assert site.id is not None
    run = active_run(session, site.id)
    return SitePublic(
        id=site.id,
        name=site.name,
        domain=site.domain,
        wordpress=wordpress,
        auto_publish=site.auto_publish,
        publish_status=site.publish_status,
        active_run_id=run.id if run else None,
        created_at=site.created_at,
    )


def delete_site(session: Session, site: Site) -> None:
    """Delete a site and every row below it, in one transaction; ConflictError while a run is
    active. The credit ledger stays: it belongs to the account."""
    assert site.id is not None
    run = active_run(session, site.id)
    if run is not None:
        raise ConflictError(
            f"Site {site.id} has an active run ({run.id}, {run.status}): cancel it first",
            details={"active_run_id": run.id},
        )
    sid = site.id
    run_ids = select(AutomationRun.id).where(AutomationRun.site_id == sid)
    content_ids = select(Content.id).where(Content.site_id == sid)
    statements: list[Any] = [
        delete(StageItem).where(col(StageItem.run_id).in_(run_ids)),
        delete(ContentTaxonomyLink).where(col(ContentTaxonomyLink.content_id).in_(content_ids)),
    ]
    # Every table with a site_id, dependents first, so tables added later are covered too.
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "site_id" in table.c and table.name != Site.__tablename__:
            statements.append(delete(table).where(table.c.site_id == sid))
    statements.append(delete(Site).where(col(Site.id) == sid))
    try:
        for statement in statements:
            session.execute(statement)
        session.commit()
    except IntegrityError as exc:
        # A run (or an import) started between the check and the delete.
        session.rollback()
        raise ConflictError(
            f"Site {sid} could not be deleted: rows still refer to it; try again",
            details={"reason": str(exc.orig)[:300]},
        ) from None


# --- automation config ----------------------------------------------------------------------


def _stage_key(key: str) -> str:
    """'4' or 'generate_content' -> '4' (the stored form)."""
    if key.isascii() and key.isdigit() and int(key) in {int(s) for s in Stage}:
        return str(int(key))
    if key in STAGE_BY_NAME:
        return str(int(STAGE_BY_NAME[key]))
    raise ValidationError(f"Unknown stage {key!r}: use 1-7 or a stage name", details={"stage": key})


def automation_config(session: Session, site: Site) -> AutomationConfig:
    config = session.exec(
        select(AutomationConfig).where(AutomationConfig.site_id == site.id)
    ).first()
    if config is None:
        assert site.id is not None
        config = AutomationConfig(account_id=site.account_id, site_id=site.id)
    return config


def update_automation(session: Session, site: Site, body: AutomationUpdate) -> AutomationConfig:
    """Apply the fields that were sent (not committed); the caller then syncs the schedule
    (services.schedules.sync_after_automation_change)."""
    config = automation_config(session, site)
    sent = body.model_fields_set
    if "enabled" in sent and body.enabled is not None:
        config.enabled = body.enabled
    if "stages" in sent:
        config.stages = sorted(set(body.stages or []))
    for field in ("batch_sizes", "concurrency"):
        if field in sent:
            values: dict[str, int] = getattr(body, field) or {}
            setattr(config, field, {_stage_key(k): v for k, v in values.items()})
    if "strict_order" in sent and body.strict_order is not None:
        config.strict_order = body.strict_order
    if "auto_publish" in sent and body.auto_publish is not None:
        site.auto_publish = body.auto_publish
    if "publish_status" in sent and body.publish_status is not None:
        site.publish_status = body.publish_status
    if "schedule" in sent:  # validated here (422), applied to Temporal by the caller
        schedule = body.schedule
        configure_schedule(
            config, schedule.cron if schedule else None, schedule.timezone if schedule else None
        )
    config.updated_at = utcnow()
    session.add(config)
    session.add(site)
    return config


def automation_public(site: Site, config: AutomationConfig) -> AutomationPublic:
    schedule: dict[str, Any] | None = None
    if config.schedule_cron:
        schedule = {
            "cron": config.schedule_cron,
            "timezone": config.schedule_timezone,
            "paused": config.schedule_paused,
        }
    assert site.id is not None
    return AutomationPublic(
        site_id=site.id,
        enabled=config.enabled,
        stages=config.stages,
        batch_sizes=config.batch_sizes,
        concurrency=config.concurrency,
        strict_order=config.strict_order,
        auto_publish=site.auto_publish,
        publish_status=site.publish_status,
        schedule=schedule,
    )
