"""WordPress: test a site's connection, publish an article (now or scheduled), import posts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator
from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import (
    CurrentAccount,
    ItemId,
    SessionDep,
    SettingsDep,
    SiteId,
    TemporalDep,
    caller_site,
    get_site_or_404,
)
from api.routes.content import content_public
from contracts.wordpress import (
    PUBLISH_WORKFLOW,
    SYNC_WORKFLOW,
    PublishContentInput,
    WordPressSyncInput,
    WpPostStatus,
    publish_workflow_id,
    sync_workflow_id,
)
from core.db import read_session, session_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from core.outbound import OutboundPolicy
from core.temporal import SA_ACCOUNT, SA_SITE, SA_STAGE, SA_STATUS
from integrations.wordpress.diagnostics import ConnectionReport
from models import Account, Content, Site
from models.item_schemas import ContentPublic
from models.schemas import RequestBody
from services import wp_changes
from services.publishing import check_publishable
from services.wp_connection import check_site_connection, client_factory

router = APIRouter(tags=["wordpress"])


class PublishRequest(RequestBody):
    """How to publish. `publish_at` waits on a durable timer; `future` also shows the post as
    scheduled in WordPress meanwhile (needs `publish_at` at least two minutes ahead to matter)."""

    update: bool = Field(default=False, description="Update the post even if already published")
    overwrite: bool = Field(
        default=False,
        description="Replace the post even if it was changed (or re-create it if it was deleted) "
        "on WordPress since igny8 published it; implies update",
    )
    status: WpPostStatus | None = Field(
        default=None, description="Default: the site's publish status"
    )
    publish_at: datetime | None = Field(
        default=None, description="When to publish (UTC if no offset)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> PublishRequest:
        if self.publish_at is not None and self.publish_at.tzinfo is None:
            self.publish_at = self.publish_at.replace(tzinfo=UTC)
        if self.status == "future" and (
            self.publish_at is None or self.publish_at <= datetime.now(UTC)
        ):
            raise ValueError("status 'future' needs a publish_at in the future")
        if self.status == "draft" and self.publish_at is not None:
            raise ValueError("a draft is not scheduled: leave publish_at out, or use publish")
        return self


class SyncRequest(RequestBody):
    full: bool = Field(
        default=False, description="Import every post and flag the ones deleted since"
    )


class WorkflowStarted(BaseModel):
    workflow_id: str
    run_id: str | None = None
    status: Literal["started", "scheduled"] = "started"
    scheduled_for: datetime | None = None


def search_attributes(
    account_id: int, site_id: int, stage: str, status: str
) -> TypedSearchAttributes:
    """What an operator filters these workflows by in the Temporal UI."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SA_ACCOUNT, account_id),
            SearchAttributePair(SA_SITE, site_id),
            SearchAttributePair(SA_STAGE, stage),
            SearchAttributePair(SA_STATUS, status),
        ]
    )


async def _start(
    client: Client,
    workflow: str,
    arg: object,
    workflow_id: str,
    task_queue: str,
    attributes: TypedSearchAttributes,
    busy: str,
) -> str | None:
    try:
        handle = await client.start_workflow(
            workflow, arg, id=workflow_id, task_queue=task_queue, search_attributes=attributes
        )
    except WorkflowAlreadyStartedError:
        raise ConflictError(busy, details={"workflow_id": workflow_id}) from None
    return handle.result_run_id


def _publishable_site(account: Account, content_id: int, update: bool, overwrite: bool) -> Site:
    """The site of the caller's article, once the article may be published (404, 409, 422)."""
    with read_session() as session:
        content = session.get(Content, content_id)
        if content is None or content.account_id != account.id:
            raise NotFoundError(f"Content {content_id} not found")
        site = get_site_or_404(session, account, content.site_id)
        check_publishable(session, content, site, update, overwrite)
        return site


@router.post("/sites/{site_id}/wordpress/test", response_model=ConnectionReport)
def check_wordpress(
    site_id: SiteId, session: SessionDep, account: CurrentAccount, settings: SettingsDep
) -> ConnectionReport:
    """Test the site's WordPress connection: reachability, REST API, login, role, capabilities.

    422 when the URL (or a redirect from it) leads to an address igny8 may not call."""
    site = get_site_or_404(session, account, site_id)
    if not site.wp_url:
        raise ValidationError(f"Site {site_id} has no WordPress connection")
    assert account.id is not None
    factory = client_factory(policy=OutboundPolicy.from_settings(settings))
    return check_site_connection(account.id, site_id, factory)


def _content(session: Session, account_id: int | None, content_id: int) -> Content:
    content = session.get(Content, content_id)
    if content is None or content.account_id != account_id:
        raise NotFoundError(f"Content {content_id} not found")
    return content


@router.post("/content/{content_id}/wordpress/adopt", response_model=ContentPublic)
def adopt_wordpress_version(content_id: ItemId, account: CurrentAccount) -> ContentPublic:
    """Take the version changed on WordPress into igny8 (editorial status kept); 409 if none."""
    with session_scope() as session:
        content = wp_changes.adopt_wordpress_version(_content(session, account.id, content_id))
        session.add(content)
        session.flush()
        return content_public(content)


@router.post("/content/{content_id}/wordpress/keep", response_model=ContentPublic)
def keep_igny8_version(content_id: ItemId, account: CurrentAccount) -> ContentPublic:
    """Keep igny8's article over a change (or deletion) on WordPress: the next publish
    overwrites (or re-creates) the post; 409 if there is nothing to resolve."""
    with session_scope() as session:
        content = wp_changes.keep_igny8_version(_content(session, account.id, content_id))
        session.add(content)
        session.flush()
        return content_public(content)


@router.post("/content/{content_id}/publish", status_code=202, response_model=WorkflowStarted)
async def publish_content(
    content_id: ItemId,
    account: CurrentAccount,
    temporal: TemporalDep,
    settings: SettingsDep,
    body: PublishRequest | None = None,
) -> WorkflowStarted:
    """Publish an article to its site's WordPress (409 if already published, unless update;
    409 if its post changed on WordPress since, unless overwrite)."""
    body = body or PublishRequest()
    site = await asyncio.to_thread(
        _publishable_site, account, content_id, body.update, body.overwrite
    )
    assert account.id is not None
    scheduled = body.publish_at is not None and body.publish_at > datetime.now(UTC)
    workflow_id = publish_workflow_id(content_id)
    run_id = await _start(
        temporal,
        PUBLISH_WORKFLOW,
        PublishContentInput(
            content_id=content_id,
            account_id=account.id,
            site_id=site.id or 0,
            update=body.update,
            overwrite=body.overwrite,
            status=body.status,
            publish_at=body.publish_at,
        ),
        workflow_id,
        settings.task_queue,
        search_attributes(
            account.id, site.id or 0, "publish", "scheduled" if scheduled else "running"
        ),
        f"Content {content_id} is already being published or is scheduled: cancel "
        f"workflow {workflow_id} to change that",
    )
    return WorkflowStarted(
        workflow_id=workflow_id,
        run_id=run_id,
        status="scheduled" if scheduled else "started",
        scheduled_for=body.publish_at if scheduled else None,
    )


@router.post("/sites/{site_id}/wordpress/sync", status_code=202, response_model=WorkflowStarted)
async def sync_wordpress(
    site_id: SiteId,
    account: CurrentAccount,
    temporal: TemporalDep,
    settings: SettingsDep,
    body: SyncRequest | None = None,
) -> WorkflowStarted:
    """Import the site's WordPress posts (incremental; `full` also flags deleted posts)."""
    site = await asyncio.to_thread(caller_site, account, site_id)
    if not (site.wp_url and site.wp_app_password_encrypted):
        raise ValidationError(f"Site {site_id} has no WordPress connection")
    assert account.id is not None
    workflow_id = sync_workflow_id(site_id)
    run_id = await _start(
        temporal,
        SYNC_WORKFLOW,
        WordPressSyncInput(site_id=site_id, account_id=account.id, full=bool(body and body.full)),
        workflow_id,
        settings.task_queue,
        search_attributes(account.id, site_id, "wordpress_sync", "running"),
        f"A WordPress sync of site {site_id} is already running ({workflow_id})",
    )
    return WorkflowStarted(workflow_id=workflow_id, run_id=run_id)
