"""WordPressSyncWorkflow: import a site's posts, one page per activity.

Incremental by default (posts modified since the last sync, minus an overlap); `full` also marks
posts that disappeared. Pages are committed one by one, so a retry or a restart repeats at most
one page, and the workflow continues-as-new on long imports to keep its history small.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from contracts.run import ErrorInfo, StageProgress
    from contracts.wordpress import (
        ACT_FINISH_SYNC,
        ACT_MARK_MISSING,
        ACT_SYNC_PAGE,
        ACT_SYNC_SINCE,
        QUERY_PROGRESS,
        SYNC_STAGE,
        SYNC_WORKFLOW,
        FinishSyncInput,
        MarkMissingResult,
        SiteRef,
        SyncPageInput,
        SyncPageResult,
        SyncProgress,
        SyncResult,
        SyncSinceInput,
        SyncSinceResult,
        SyncState,
        WordPressSyncInput,
    )
    from workflows.job_status import JobStatus
    from workflows.options import WORDPRESS_LIST, WORDPRESS_LONG, WORDPRESS_SHORT


@workflow.defn(name=SYNC_WORKFLOW)
class WordPressSyncWorkflow(JobStatus):
    """Page through the site's posts; `progress` tells pages done and posts created/updated."""

    def __init__(self) -> None:
        self._inp: WordPressSyncInput | None = None
        self._state: SyncState | None = None
        self._status = "running"
        self._phase = "INIT"
        self._message = "Starting"
        self._missing: int | None = None
        self._error: ErrorInfo | None = None
        self._finished_at: datetime | None = None

    @workflow.run
    async def run(self, inp: WordPressSyncInput) -> SyncResult:
        self._inp = inp
        ref = SiteRef(account_id=inp.account_id, site_id=inp.site_id)
        try:
            if inp.state is None:
                self._state = SyncState(started_at=workflow.now())
                since: SyncSinceResult = await workflow.execute_activity(
                    ACT_SYNC_SINCE,
                    SyncSinceInput(account_id=inp.account_id, site_id=inp.site_id, full=inp.full),
                    result_type=SyncSinceResult,
                    **WORDPRESS_SHORT,
                )
                self._state.modified_after = since.modified_after
            else:
                self._state = inp.state
            st = self._state
            while st.total_pages == 0 or st.next_page <= st.total_pages:
                if workflow.info().is_continue_as_new_suggested():
                    workflow.continue_as_new(inp.model_copy(update={"state": st}))
                self._phase, self._message = "SAVE", f"Importing page {st.next_page}"
                page: SyncPageResult = await workflow.execute_activity(
                    ACT_SYNC_PAGE,
                    SyncPageInput(
                        account_id=inp.account_id,
                        site_id=inp.site_id,
                        page=st.next_page,
                        per_page=inp.per_page,
                        modified_after=st.modified_after,
                    ),
                    result_type=SyncPageResult,
                    **WORDPRESS_LONG,
                )
                st.total_pages, st.total_posts = page.total_pages, page.total
                st.created += page.created
                st.updated += page.updated
                st.unchanged += page.unchanged
                st.changed_on_wordpress += page.changed_on_wordpress
                st.next_page += 1
                if page.total_pages == 0:
                    break  # nothing (more) to import
            if inp.full:
                self._phase, self._message = "SAVE", "Looking for posts deleted on WordPress"
                marked: MarkMissingResult = await workflow.execute_activity(
                    ACT_MARK_MISSING,
                    ref,
                    result_type=MarkMissingResult,
                    **WORDPRESS_LIST,
                )
                self._missing = marked.missing
            await workflow.execute_activity(
                ACT_FINISH_SYNC,
                FinishSyncInput(
                    account_id=inp.account_id, site_id=inp.site_id, started_at=st.started_at
                ),
                **WORDPRESS_SHORT,
            )
        except (ActivityError, asyncio.CancelledError) as err:
            self._finished_at = workflow.now()
            if not isinstance(err, ActivityError) or is_cancelled_exception(err):
                self._mark("cancelled")
                self._message = "Cancelled"
                raise
            raise self._failed(err) from err
        self._mark("completed")
        self._phase = "DONE"
        self._message = self._summary()
        self._finished_at = workflow.now()
        return SyncResult(
            site_id=inp.site_id,
            full=inp.full,
            pages=max(st.next_page - 1, 0),
            total_posts=st.total_posts,
            created=st.created,
            updated=st.updated,
            unchanged=st.unchanged,
            changed_on_wordpress=st.changed_on_wordpress,
            missing=self._missing,
        )

    def _summary(self) -> str:
        st = self._state or SyncState(started_at=workflow.now())
        text = (
            f"Imported {st.created} new and updated {st.updated} posts ({st.unchanged} unchanged)"
        )
        if st.changed_on_wordpress:
            text += f"; {st.changed_on_wordpress} of igny8's articles changed on WordPress"
        return text + (f"; {self._missing} missing on WordPress" if self._missing else "")

    @workflow.query(name=QUERY_PROGRESS, description="Sync progress: pages and posts so far.")
    def progress(self) -> SyncProgress:
        st = self._state
        pages_done = max(st.next_page - 1, 0) if st else 0
        total_pages = st.total_pages if st else 0
        if self._status == "completed":
            percentage = 100.0
        elif total_pages:
            # Paging is 90% of the work; the missing-posts pass of a full sync the rest.
            percentage = round(min(pages_done / total_pages, 1.0) * 90, 1)
        else:
            percentage = 0.0
        created = st.created if st else 0
        updated = st.updated if st else 0
        stage = StageProgress(
            stage=SYNC_STAGE,
            name="wordpress_sync",
            status=self._status,
            phase=self._phase,
            message=self._message,
            completed=created + updated + (st.unchanged if st else 0),
            items_total=st.total_posts if st else 0,
            items_processed=created + updated + (st.unchanged if st else 0),
            result={
                "pages_done": pages_done,
                "total_pages": total_pages,
                "created": created,
                "updated": updated,
                "changed_on_wordpress": st.changed_on_wordpress if st else 0,
                "missing": self._missing or 0,
            },
            error=self._error,
        )
        return SyncProgress(
            run_id=workflow.info().workflow_id,
            kind="wordpress_sync",
            site_id=self._inp.site_id if self._inp else None,
            status=self._status,
            current_stage=SYNC_STAGE,
            percentage=percentage,
            stages=[stage],
            error=self._error,
            started_at=st.started_at if st else None,
            finished_at=self._finished_at,
            pages_done=pages_done,
            total_pages=total_pages,
            posts_created=created,
            posts_updated=updated,
            posts_unchanged=st.unchanged if st else 0,
            posts_changed_on_wordpress=st.changed_on_wordpress if st else 0,
            posts_missing=self._missing,
        )
