"""The batch half of AutomationRunWorkflow: planning a stage's window, dispatching batches
under the sliding window, and folding their outcomes into the run's counters. A mixin, so the
workflow module stays about the run itself (stages, pause, cancel, handlers)."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from activities.stages import StageActivities
    from contracts.run import (
        BatchInput,
        BatchResult,
        ErrorInfo,
        FailedItem,
        ItemRef,
        MarkItemsInput,
        PlanStageInput,
        PlanStageResult,
        RunInput,
        RunState,
        SettledItems,
        StageState,
    )
    from contracts.stages import STAGES, Stage
    from contracts.wordpress import (
        PUBLISH_WORKFLOW,
        PublishContentInput,
        PublishResult,
        publish_workflow_id,
    )
    from workflows.options import ActivityOptions

MAX_FAILED_KEPT = 100  # failures listed in the workflow's state; the database has them all
RECENT_KEPT = 50
PUBLISH_CONCURRENCY = 4
# Short bookkeeping activities: retried until the database answers.
SHORT = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=2),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
    ),
)
# Errors that trying again cannot fix: the item fails at once.
PERMANENT_ERRORS = ["ValidationError", "InsufficientCreditsError"]


@dataclass
class InFlight:
    stage: int
    items: list[ItemRef]
    task: asyncio.Task[None] | None = None
    cancelled: bool = False


@dataclass
class Flags:
    wake: bool = False
    record: bool = True
    cancel_inflight: bool = False


class BatchesMixin:
    """Needs the workflow's `inp`, `s`, `run_id`, `inflight`, `flags` and `status`."""

    inp: RunInput
    s: RunState
    run_id: str
    inflight: dict[int, InFlight]
    flags: Flags
    status: str

    def _window(self, stage: int) -> int:
        return min(5000, max(500, 2 * self._batch_size(stage) * self._concurrency(stage)))

    def _batch_retry(self) -> RetryPolicy:
        o = self.inp.options
        return RetryPolicy(
            initial_interval=timedelta(seconds=o.retry_initial_seconds),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=o.retry_maximum_seconds),
            maximum_attempts=o.retry_maximum_attempts,
            non_retryable_error_types=PERMANENT_ERRORS,
        )

    def _batch_size(self, stage: int) -> int:
        return max(1, self.inp.options.batch_sizes.get(stage, STAGES[Stage(stage)].batch_size))

    def _concurrency(self, stage: int) -> int:
        return max(1, self.inp.options.concurrency.get(stage, STAGES[Stage(stage)].concurrency))

    async def _plan(self, stage: int, first: bool) -> PlanStageResult:
        manual = self.inp.manual
        return await workflow.execute_activity_method(
            StageActivities.plan_stage,
            PlanStageInput(
                run_id=self.run_id,
                account_id=self.inp.account_id,
                site_id=self.inp.site_id,
                stage=stage,
                window=self._window(stage),
                manual_item_ids=manual.item_ids if manual and manual.stage == stage else None,
                first=first,
            ),
            **SHORT,
        )

    def _apply_plan(self, st: StageState, plan: PlanStageResult) -> None:
        """The database's counts are the truth; the window is what to dispatch next."""
        if plan.skip_message:
            st.status = "skipped"
            st.message = plan.skip_message
            return
        st.total, st.completed, st.failed_total = plan.total, plan.completed, plan.failed
        loaded = {i.id for i in st.pending}
        st.pending.extend(i for i in plan.items if i.id not in loaded)
        known = {f.id for f in st.failed}
        for item in plan.rejected:
            if item.id not in known and len(st.failed) < MAX_FAILED_KEPT:
                st.failed.append(item)

    def _processing(self, stage: int) -> int:
        return sum(len(f.items) for f in self.inflight.values() if f.stage == stage)

    def _unloaded(self, st: StageState) -> int:
        """Pending items in the database not yet loaded into the window."""
        return (
            st.total - st.completed - st.failed_total - self._processing(st.stage) - len(st.pending)
        )

    def _dispatch(self, stage: int, st: StageState) -> None:
        size = self._batch_size(stage)
        if self._unloaded(st) <= 0 and st.pending:
            # Even batches: 2 001 keywords make two batches of ~1 000, not 2 000 + 1.
            count = math.ceil(len(st.pending) / size)
            size = math.ceil(len(st.pending) / count)
        while st.pending and len(self.inflight) < self._concurrency(stage):
            items, st.pending = st.pending[:size], st.pending[size:]
            self.s.batch_counter += 1
            flight = InFlight(stage=stage, items=items)
            self.inflight[self.s.batch_counter] = flight
            flight.task = asyncio.create_task(self._run_batch(self.s.batch_counter, flight))

    async def _run_batch(self, batch_no: int, flight: InFlight) -> None:
        st = self.s.stages[flight.stage]
        ids = [i.id for i in flight.items]
        try:
            result = await workflow.execute_activity_method(
                StageActivities.process_batch,
                BatchInput(
                    run_id=self.run_id,
                    account_id=self.inp.account_id,
                    site_id=self.inp.site_id,
                    stage=flight.stage,
                    batch_no=batch_no,
                    item_ids=ids,
                ),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(seconds=self.inp.options.heartbeat_timeout_seconds),
                retry_policy=self._batch_retry(),
                cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            )
            self._apply_batch(st, flight, result)
        except (ActivityError, asyncio.CancelledError) as exc:
            cause = exc.cause if isinstance(exc, ActivityError) else None
            cancelled = not isinstance(exc, ActivityError) or isinstance(cause, CancelledError)
            error = None if cancelled else self._error_from(cause, "AI_CALL")
            # Ask the database what happened to each item (some may have completed).
            settled = await workflow.execute_activity_method(
                StageActivities.mark_items,
                MarkItemsInput(
                    run_id=self.run_id,
                    stage=flight.stage,
                    item_ids=ids,
                    status="pending" if cancelled else "failed",
                    error=error,
                ),
                **SHORT,
            )
            self._apply_reconciled(st, flight, settled, error)
        finally:
            self.inflight.pop(batch_no, None)
            self.flags.wake = True

    def _apply_batch(self, st: StageState, flight: InFlight, result: BatchResult) -> None:
        names = {i.id: i.name for i in flight.items}
        seen: set[int] = set()
        for out in result.outcomes:
            seen.add(out.id)
            if out.status == "completed":
                item = ItemRef(id=out.id, name=names.get(out.id, ""))
                self._add_completion(st, item, out.result)
            elif out.status == "failed":
                self._add_failure(st, out.id, names.get(out.id, ""), out.error, out.attempts)
        self.s.credits_used += result.credits_charged  # the ledger corrects it at each record
        back = [i for i in flight.items if i.id not in seen]
        st.pending = back + st.pending
        if result.insufficient_credits:
            self.s.paused = True
            self.s.pause_reason = result.insufficient_credits.error_message
            self.s.error = result.insufficient_credits
            self.status = "paused"
            self.flags.record = True

    def _apply_reconciled(
        self,
        st: StageState,
        flight: InFlight,
        settled: SettledItems,
        error: ErrorInfo | None,
    ) -> None:
        by_id = {i.id: i for i in flight.items}
        statuses = settled.statuses
        for item_id in statuses.get("completed", []):
            self._add_completion(st, by_id[item_id], settled.results.get(item_id, {}))
        for item_id in statuses.get("failed", []):
            self._add_failure(
                st, item_id, by_id[item_id].name, settled.errors.get(item_id, error), 0
            )
        st.pending = [by_id[i] for i in statuses.get("pending", []) if i in by_id] + st.pending
        if error:
            st.last_error = error

    def _add_completion(self, st: StageState, item: ItemRef, result: dict[str, int]) -> None:
        st.completed += 1
        if st.stage == Stage.REVIEW and result.get("approved"):
            self.s.to_publish.append(item.id)
        for key, value in result.items():
            st.result[key] = st.result.get(key, 0) + value
        st.recent_completed = [*st.recent_completed, item][-RECENT_KEPT:]

    def _add_failure(
        self, st: StageState, item_id: int, name: str, error: ErrorInfo | None, attempts: int
    ) -> None:
        st.failed_total += 1
        if error:
            st.last_error = error
        if len(st.failed) < MAX_FAILED_KEPT:
            st.failed.append(
                FailedItem(
                    id=item_id,
                    name=name,
                    attempts=attempts,
                    error_type=error.error_type if error else "Error",
                    error_message=(error.error_message if error else "")[:300],
                    retryable=error.retryable if error else False,
                )
            )

    def _error_from(self, cause: BaseException | None, phase: str) -> ErrorInfo:
        if isinstance(cause, ApplicationError):
            retryable = not cause.non_retryable
            return ErrorInfo(
                error_type=cause.type or "ApplicationError",
                error_message=cause.message,
                phase=phase,
                timestamp=workflow.now(),
                retryable=retryable,
                action="retry" if retryable else "fix_input",
            )
        message = str(cause) if cause else "activity failed"
        return ErrorInfo(
            error_type=type(cause).__name__ if cause else "Error",
            error_message=message,
            phase=phase,
            timestamp=workflow.now(),
            retryable=True,
            action="retry",
        )

    async def _publish_approved(self, st: StageState) -> None:
        """Auto-publish: each approved article through its own publish workflow (a child, so
        cancelling the run cancels them), a few at a time."""
        ids, slots = list(self.s.to_publish), asyncio.Semaphore(PUBLISH_CONCURRENCY)
        st.message = f"Publishing {len(ids)} articles to WordPress"

        async def publish(content_id: int) -> None:
            async with slots:
                try:
                    await workflow.execute_child_workflow(
                        PUBLISH_WORKFLOW,
                        PublishContentInput(
                            content_id=content_id,
                            account_id=self.inp.account_id,
                            site_id=self.inp.site_id,
                        ),
                        id=publish_workflow_id(content_id),
                        result_type=PublishResult,
                    )
                    key = "published"
                except WorkflowAlreadyStartedError:
                    key = "published"  # another publish of this article is under way
                except ChildWorkflowError as exc:
                    key = "publish_failed"
                    st.last_error = self._error_from(exc.cause, "SAVE")
                st.result[key] = st.result.get(key, 0) + 1

        await asyncio.gather(*(publish(content_id) for content_id in ids))
        self.s.to_publish = []
