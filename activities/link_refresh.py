"""The internal-link refresh activities (services.link_refresh, workflows.link_refresh): asking
for refreshes when a publish ends, a publish waiting for a refresh of its own article, and one
refresh round.

They are async because they talk to Temporal (`activity.client()`); database and WordPress work
runs in a thread. Credentials stay inside the client factory, as in activities.wordpress.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from temporalio import activity
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.errors import mapped, to_application_error
from activities.heartbeat import while_awaiting
from activities.wordpress import HEARTBEAT_EVERY_SECONDS
from contracts.link_refresh import (
    ACT_REFRESH_INTERNAL_LINKS,
    ACT_REQUEST_LINK_REFRESHES,
    ACT_WAIT_FOR_LINK_REFRESH,
    REFRESH_LINKS_WORKFLOW,
    SIGNAL_REFRESH_LINKS,
    LinkRefreshInput,
    RefreshLinksSignal,
    RefreshRoundResult,
    refresh_links_workflow_id,
)
from contracts.wordpress import QUERY_PROGRESS, PublishProgress, publish_workflow_id
from core.errors import ConflictError
from services import link_refresh, wp_connection

QUERY_TIMEOUT_SECONDS = 5.0
# How long a publish waits for a refresh of its article (within WAITING_FOR_REFRESH's bound).
REFRESH_WAIT_LIMIT_SECONDS = 25 * 60
# A publish's own statuses (workflows.publish) while it may still write its post.
PUBLISH_MAY_WRITE = ("running", "scheduled")


async def _running(handle: WorkflowHandle) -> bool:
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status == WorkflowExecutionStatus.RUNNING


async def _publish_may_write(content_id: int) -> bool:
    """Whether a publish of the article is under way and not yet past its last write."""
    handle = activity.client().get_workflow_handle(publish_workflow_id(content_id))
    if not await _running(handle):
        return False
    try:
        progress = await asyncio.wait_for(
            handle.query(QUERY_PROGRESS, result_type=PublishProgress), QUERY_TIMEOUT_SECONDS
        )
    except (WorkflowQueryFailedError, RPCError, TimeoutError):
        return True  # cannot tell: that publish asks for a refresh when it ends anyway
    return progress.status in PUBLISH_MAY_WRITE


class LinkRefreshActivities:
    """Registered as bound methods; the WordPress client factory is injected as for
    WordPressActivities."""

    def __init__(self, factory: wp_connection.ClientFactory | None = None) -> None:
        self.factory = factory or wp_connection.client_factory()

    @activity.defn(name=ACT_REQUEST_LINK_REFRESHES)
    async def request_link_refreshes(self, inp: LinkRefreshInput) -> list[int]:
        """Once a publish of the article ends: signal-with-start a refresh of each post whose
        links are out of date now (the article's own, its live siblings' that link to it)."""
        ids = await asyncio.to_thread(
            mapped,
            lambda: link_refresh.outdated_articles(inp.account_id, inp.site_id, inp.content_id),
        )
        client = activity.client()
        for content_id in ids:
            await client.start_workflow(
                REFRESH_LINKS_WORKFLOW,
                LinkRefreshInput(
                    content_id=content_id, account_id=inp.account_id, site_id=inp.site_id
                ),
                id=refresh_links_workflow_id(content_id),
                task_queue=activity.info().task_queue,
                start_signal=SIGNAL_REFRESH_LINKS,
                start_signal_args=[RefreshLinksSignal()],
            )
        if ids:
            activity.logger.info("content %s: links to refresh in content %s", inp.content_id, ids)
        return ids

    @activity.defn(name=ACT_WAIT_FOR_LINK_REFRESH)
    async def wait_for_link_refresh(self, inp: LinkRefreshInput) -> None:
        """Return once no refresh of the article's links runs: a publish waits here before it
        writes, so two igny8 updates of one post are never in flight together."""
        workflow_id = refresh_links_workflow_id(inp.content_id)
        handle = activity.client().get_workflow_handle(workflow_id)
        if not await _running(handle):
            return
        waiting = while_awaiting(
            handle.result(),
            HEARTBEAT_EVERY_SECONDS,
            "Waiting for a refresh of this article's links to finish",
        )
        try:
            await asyncio.wait_for(waiting, REFRESH_WAIT_LIMIT_SECONDS)
        except WorkflowFailureError:
            return  # a failed refresh writes no more
        except TimeoutError:
            busy = ConflictError(
                f"A refresh of this article's links ({workflow_id}) is still running after "
                f"{REFRESH_WAIT_LIMIT_SECONDS // 60} minutes; publish again once it has ended",
                details={"workflow_id": workflow_id},
            )
            raise to_application_error(busy) from None

    @activity.defn(name=ACT_REFRESH_INTERNAL_LINKS)
    async def refresh_internal_links(self, inp: LinkRefreshInput) -> RefreshRoundResult:
        """One round: update the post's links if they are out of date and the post is igny8's
        to update; deferred while a publish of the article may still write."""
        if await _publish_may_write(inp.content_id):
            return RefreshRoundResult(
                content_id=inp.content_id,
                outcome="deferred",
                message="A publish of this article is under way; it asks for a refresh when "
                "it ends",
            )
        out = await while_awaiting(
            asyncio.to_thread(
                mapped,
                lambda: link_refresh.refresh_links(
                    inp.account_id, inp.site_id, inp.content_id, self.factory
                ),
            ),
            HEARTBEAT_EVERY_SECONDS,
            "Refreshing the post's internal links",
        )
        if out.outcome == "skipped":
            activity.logger.warning("%s", out.message)
        else:
            activity.logger.info("content %s: %s", inp.content_id, out.message)
        return out

    def all(self) -> list[Callable[..., object]]:
        """Every activity of this class, for the worker."""
        return [
            self.request_link_refreshes,
            self.wait_for_link_refresh,
            self.refresh_internal_links,
        ]
