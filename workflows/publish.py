"""PublishContentWorkflow: one article to its site's WordPress, now or at a scheduled time.

Scheduled publishing is a Temporal timer (durable across worker and server restarts), not
WP-Cron, which on quiet sites fires late or never ("missed schedule").

Internal links (workflows.link_refresh): before it writes, a publish waits for a running refresh
of its article's links; when it ends, it asks for a refresh of each post whose links it made out
of date (its own, and its live siblings' that link to it). A failure of that request is logged,
never the publish's failure.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from contracts.link_refresh import (
        ACT_REQUEST_LINK_REFRESHES,
        ACT_WAIT_FOR_LINK_REFRESH,
        LINK_REFRESH_PATCH,
        LinkRefreshInput,
    )
    from contracts.run import ErrorInfo, StageProgress
    from contracts.wordpress import (
        ACT_CHECK_PUBLISHABLE,
        ACT_PUBLISH_CONTENT,
        PUBLISH_STAGE,
        PUBLISH_WORKFLOW,
        QUERY_PROGRESS,
        CheckPublishableInput,
        PublishContentInput,
        PublishProgress,
        PublishResult,
        PublishStepInput,
        WpPostStatus,
    )
    from workflows.job_status import JobStatus
    from workflows.options import (
        SIGNALLING,
        WAITING_FOR_REFRESH,
        WORDPRESS_LONG,
        WORDPRESS_SHORT,
    )


FUTURE_MARGIN = timedelta(minutes=2)


@workflow.defn(name=PUBLISH_WORKFLOW)
class PublishContentWorkflow(JobStatus):
    """Check, wait for `publish_at` if given, publish; `progress` answers like a run's."""

    def __init__(self) -> None:
        self._inp: PublishContentInput | None = None
        self._status = "running"
        self._phase = "INIT"
        self._message = "Starting"
        self._percentage = 0.0
        self._error: ErrorInfo | None = None
        self._result: PublishResult | None = None
        self._started_at: datetime | None = None
        self._finished_at: datetime | None = None
        self._pushed_future = False

    @workflow.run
    async def run(self, inp: PublishContentInput) -> PublishResult:
        self._inp = inp
        self._started_at = workflow.now()
        try:
            await self._wait_for_link_refresh()
            await self._check()
            if inp.publish_at is not None and inp.publish_at > workflow.now():
                await self._wait_until(inp.publish_at, show_in_wordpress=inp.status == "future")
            status: WpPostStatus | None = "publish" if inp.publish_at is not None else inp.status
            self._set("SAVE", 50, "Publishing to WordPress")
            result = await self._publish(status)
        except (ActivityError, asyncio.CancelledError) as err:
            if isinstance(err, ActivityError) and not is_cancelled_exception(err):
                failure = self._failed(err)
                await self._request_link_refreshes()
                raise failure from err
            await self._withdraw_schedule()
            self._mark("cancelled")
            self._message = "Cancelled"
            self._finished_at = workflow.now()
            await self._request_link_refreshes()
            raise
        self._result = result
        self._mark("completed")
        verb = "Created" if result.created else "Updated"
        self._set(
            "DONE", 100, f"{verb} post {result.post_id} ({result.wp_status}): {result.post_url}"
        )
        self._finished_at = workflow.now()
        await self._request_link_refreshes()
        return result

    async def _wait_for_link_refresh(self) -> None:
        """No write while a refresh of this article's links may write (workflows.link_refresh)."""
        if workflow.patched(LINK_REFRESH_PATCH):
            await workflow.execute_activity(
                ACT_WAIT_FOR_LINK_REFRESH, self._link_refresh_input(), **WAITING_FOR_REFRESH
            )

    async def _request_link_refreshes(self) -> None:
        """Ask for a refresh of each post whose links are out of date now, after the last
        write: the status set before tells a round this publish writes no more. Called on
        every ending, since a round that deferred to this publish waits for this request."""
        if not workflow.patched(LINK_REFRESH_PATCH):
            return
        try:
            await workflow.execute_activity(
                ACT_REQUEST_LINK_REFRESHES, self._link_refresh_input(), **SIGNALLING
            )
        except ActivityError as err:
            # The article's own publish stands; the links stay as they are until its next one.
            workflow.logger.error("Could not ask for internal link refreshes: %s", err.cause)

    def _link_refresh_input(self) -> LinkRefreshInput:
        assert self._inp is not None
        return LinkRefreshInput(
            content_id=self._inp.content_id,
            account_id=self._inp.account_id,
            site_id=self._inp.site_id,
        )

    async def _wait_until(self, publish_at: datetime, show_in_wordpress: bool) -> None:
        """The Temporal timer; optionally the post waits in WordPress as `future` meanwhile."""
        # WordPress publishes a `future` post dated less than a minute ahead at once; keep a
        # margin for clock skew so a scheduled post never goes live early.
        if show_in_wordpress and publish_at - workflow.now() >= FUTURE_MARGIN:
            self._set("PREP", 10, "Scheduling the post in WordPress")
            self._pushed_future = True  # before: a cancel mid-push must still withdraw it
            await self._publish("future")
        self._mark("scheduled")
        self._set("PREP", 15, f"Scheduled for {publish_at.isoformat()}")
        await workflow.sleep(publish_at - workflow.now())
        self._mark("running")
        await self._check()

    async def _withdraw_schedule(self) -> None:
        """A cancelled schedule must not go live through WP-Cron: make the post a draft again."""
        if self._pushed_future and self._result is None:
            self._set("SAVE", 50, "Withdrawing the scheduled post")
            await self._publish("draft", with_date=False)

    async def _check(self) -> None:
        assert self._inp is not None
        self._set("INIT", 5, "Checking the article")
        await workflow.execute_activity(
            ACT_CHECK_PUBLISHABLE,
            CheckPublishableInput(
                content_id=self._inp.content_id,
                account_id=self._inp.account_id,
                site_id=self._inp.site_id,
                update=self._inp.update,
                overwrite=self._inp.overwrite,
            ),
            **WORDPRESS_SHORT,
        )

    async def _publish(self, status: WpPostStatus | None, with_date: bool = True) -> PublishResult:
        assert self._inp is not None
        return await workflow.execute_activity(
            ACT_PUBLISH_CONTENT,
            PublishStepInput(
                content_id=self._inp.content_id,
                account_id=self._inp.account_id,
                site_id=self._inp.site_id,
                status=status,
                publish_at=self._inp.publish_at if with_date else None,
                overwrite=self._inp.overwrite,
            ),
            result_type=PublishResult,
            **WORDPRESS_LONG,
        )

    def _set(self, phase: str, percentage: float, message: str) -> None:
        self._phase, self._percentage, self._message = phase, percentage, message

    @workflow.query(
        name=QUERY_PROGRESS, description="Publishing progress, in the run progress shape."
    )
    def progress(self) -> PublishProgress:
        inp = self._inp
        done = self._status == "completed"
        stage = StageProgress(
            stage=PUBLISH_STAGE,
            name="publish",
            status=self._status,
            phase=self._phase,
            message=self._message,
            pending=0 if done or self._status in ("failed", "cancelled") else 1,
            completed=1 if done else 0,
            failed=1 if self._status == "failed" else 0,
            items_total=1,
            items_processed=1 if done or self._status == "failed" else 0,
            error=self._error,
        )
        return PublishProgress(
            run_id=workflow.info().workflow_id,
            kind="publish",
            site_id=inp.site_id if inp else None,
            status=self._status,
            current_stage=PUBLISH_STAGE,
            percentage=self._percentage,
            stages=[stage],
            error=self._error,
            started_at=self._started_at,
            finished_at=self._finished_at,
            content_id=inp.content_id if inp else None,
            scheduled_for=inp.publish_at if inp else None,
            post_id=self._result.post_id if self._result else None,
            post_url=self._result.post_url if self._result else None,
        )
