"""How a publish or a WordPress import is going: the workflow's own progress, for the console."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import CurrentAccount, ItemId, SiteId, TemporalDep, caller_site
from contracts.wordpress import (
    QUERY_PROGRESS,
    PublishProgress,
    SyncProgress,
    publish_workflow_id,
    sync_workflow_id,
)
from core.db import read_session
from core.errors import NotFoundError
from models import Account, Content

router = APIRouter(tags=["wordpress"])
QUERY_TIMEOUT_SECONDS = 5.0


async def _query(client: Client, workflow_id: str, result_type: type, what: str) -> object:
    """The workflow's `progress` (it answers after closing too); 404 when there was none."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await asyncio.wait_for(
            handle.query(QUERY_PROGRESS, result_type=result_type), QUERY_TIMEOUT_SECONDS
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFoundError(f"No {what} yet") from None
        raise
    except WorkflowQueryFailedError as exc:
        raise NotFoundError(f"The {what} cannot be read: {exc}") from None


def _caller_content(account: Account, content_id: int) -> None:
    """404 unless the article is the caller's (read in a session of its own, see api.deps)."""
    with read_session() as session:
        content = session.get(Content, content_id)
    if content is None or content.account_id != account.id:
        raise NotFoundError(f"Content {content_id} not found")


@router.get("/content/{content_id}/publish", response_model=PublishProgress)
async def read_publish_progress(
    content_id: ItemId, account: CurrentAccount, temporal: TemporalDep
) -> object:
    """The article's latest publish: status, message, error and, once done, the post's URL."""
    await asyncio.to_thread(_caller_content, account, content_id)
    return await _query(
        temporal, publish_workflow_id(content_id), PublishProgress, "publish of this article"
    )


@router.get("/sites/{site_id}/wordpress/sync", response_model=SyncProgress)
async def read_sync_progress(
    site_id: SiteId, account: CurrentAccount, temporal: TemporalDep
) -> object:
    """The site's latest WordPress import: pages done, posts created/updated/unchanged."""
    await asyncio.to_thread(caller_site, account, site_id)
    return await _query(temporal, sync_workflow_id(site_id), SyncProgress, "WordPress import")
