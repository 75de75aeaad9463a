"""AutomationRunWorkflow: one site's pending work through the seven stages, durably.

Per-item truth lives in the database (the run's stage queues); this workflow keeps counters,
the in-flight window and bounded samples, and continues-as-new when Temporal suggests it.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from activities.stages import StageActivities
    from core.messages import done_message, failed_suffix
    from core.stages import STAGES, Stage
    from core.temporal import SA_STAGE, SA_STATUS
    from workflows.contracts import (
        UPDATE_PAUSE,
        UPDATE_RESUME,
        UPDATE_RETRY_FAILED,
        BatchInput,
        BatchResult,
        BeginRunInput,
        ErrorInfo,
        FailedItem,
        ItemRef,
        MarkItemsInput,
        PauseInput,
        PlanStageInput,
        PlanStageResult,
        RecordRunInput,
        ResumeInput,
        RetryInput,
        RetryResult,
        RunInput,
        RunProgress,
        RunRef,
        RunState,
        SettledItems,
        StageQueueInput,
        StageQueuePage,
        StageState,
    )
    from workflows.progress import build_progress, current_details, queue_page
    from workflows.wp_contracts import (
        PUBLISH_WORKFLOW,
        PublishContentInput,
        PublishResult,
        publish_workflow_id,
    )

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
MAX_FAILED_KEPT = 100
PUBLISH_CONCURRENCY = 4  # failures listed in the workflow's state; the database has them all
RECENT_KEPT = 50
SHORT = dict(
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
    started: float = 0.0
    cancelled: bool = False


@dataclass
class Flags:
    wake: bool = False
    record: bool = True
    cancel_inflight: bool = False


@workflow.defn(name="AutomationRunWorkflow")
class AutomationRunWorkflow:
    @workflow.init
    def __init__(self, inp: RunInput) -> None:
        self.inp = inp
        self.s: RunState = inp.state or RunState()
        self.inflight: dict[int, InFlight] = {}
        self.flags = Flags()
        self.status = "paused" if self.s.paused else "running"
        # The workflow id is the run id; a schedule's runs get ids Temporal makes for them.
        self.run_id = workflow.info().workflow_id
        self.retry_lock = asyncio.Lock()

    # --- the run --------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: RunInput) -> RunProgress:
        s = self.s
        try:
            if not s.begun and not await self._begin(inp):
                return self._progress()
            while s.position < len(s.stage_order):
                await self._run_stage(s.stage_order[s.position])
                if s.rewind_to is not None:
                    for st in s.stage_order:
                        if st >= s.rewind_to:
                            s.stages[st].planned = False
                    s.position = s.stage_order.index(s.rewind_to)
                    s.rewind_to = None
                else:
                    s.position += 1
            self.status = "completed"
            self._show_details()
            await self._record(finished=True)
            await workflow.wait_condition(workflow.all_handlers_finished)
            return self._progress()
        except BaseException as exc:
            # A cancel can surface as asyncio.CancelledError or, while an activity was awaited,
            # as an ActivityError caused by CancelledError: both must clean up.
            if isinstance(exc, asyncio.CancelledError) or is_cancelled_exception(exc):
                await self._on_cancel()
            raise

    async def _begin(self, inp: RunInput) -> bool:
        """Record the run as the site's active one; False if the site already has one."""
        s = self.s
        begun = await workflow.execute_activity_method(
            StageActivities.begin_run,
            BeginRunInput(
                run_id=self.run_id,
                account_id=inp.account_id,
                site_id=inp.site_id,
                trigger=inp.trigger,
                kind="manual" if inp.manual else "automation",
                stages=inp.options.stages,
                manual_stage=inp.manual.stage if inp.manual else None,
                retry_of=inp.retry_of,
                scheduled_for=self._scheduled_time(),
            ),
            **SHORT,
        )
        if not begun.accepted:
            self.status = "skipped"
            s.error = ErrorInfo(
                error_type="ConflictError",
                error_message=begun.reason or "",
                retryable=False,
                action="retry",
            )
            self._upsert_search_attributes()
            return False
        s.begun = True
        s.started_at = workflow.now()
        s.stage_order = sorted(set(inp.options.stages))
        s.stages = {st: StageState(stage=st) for st in s.stage_order}
        return True

    async def _run_stage(self, stage: int) -> None:
        s, st = self.s, self.s.stages[stage]
        await self._wait_while_paused()
        st.status = "running"
        st.started_at = st.started_at or workflow.now()
        self.flags.record = True
        if not st.planned:
            self._apply_plan(st, await self._plan(stage, first=True))
            st.planned = True
            if st.message and st.status == "skipped":
                self.flags.record = True
                await self._record()
                return
        while True:
            await self._record()
            if self.flags.cancel_inflight:
                self.flags.cancel_inflight = False
                for flight in self.inflight.values():
                    if flight.task and not flight.cancelled:
                        flight.cancelled = True
                        flight.task.cancel()
            can_suggested = workflow.info().is_continue_as_new_suggested()
            if not s.paused and not can_suggested:
                self._dispatch(stage, st)
                if not st.pending and not self.inflight and self._unloaded(st) > 0:
                    self._apply_plan(st, await self._plan(stage, first=False))
                    continue
            if not st.pending and not self.inflight and self._unloaded(st) <= 0:
                break
            if can_suggested and not self.inflight:
                await self._continue_as_new()
            self._show_details()
            await workflow.wait_condition(lambda: self.flags.wake)
            self.flags.wake = False
        if stage == Stage.REVIEW and s.to_publish:
            await self._publish_approved(st)
        st.status = "completed"
        st.finished_at = workflow.now()
        st.message = done_message(stage, st.result) + failed_suffix(st.failed_total)
        self.flags.record = True
        await self._record()

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

    async def _wait_while_paused(self) -> None:
        while self.s.paused:
            await self._record()
            if workflow.info().is_continue_as_new_suggested() and not self.inflight:
                await self._continue_as_new()
            self._show_details()
            await workflow.wait_condition(lambda: self.flags.wake)
            self.flags.wake = False

    def _scheduled_time(self) -> datetime | None:
        """The logical time a schedule started this run for (None when not scheduled)."""
        return workflow.info().typed_search_attributes.get(SCHEDULED_START)

    # --- planning and batches -------------------------------------------------------------------

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
            flight = InFlight(stage=stage, items=items, started=workflow.time())
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

    # --- keeping the database row and the UI in step --------------------------------------------

    def _current_stage(self) -> int | None:
        s = self.s
        return s.stage_order[s.position] if s.position < len(s.stage_order) else None

    def _show_details(self) -> None:
        """Keep the UI's "current details" of the run up to date (stage, counts, last error)."""
        workflow.set_current_details(current_details(self._progress()))

    def _progress(self) -> RunProgress:
        return build_progress(
            self.run_id,
            self.inp,
            self.s,
            self.status,
            self._current_stage(),
            self.inflight,
            workflow.now(),
        )

    def _upsert_search_attributes(self) -> None:
        stage = self._current_stage()
        workflow.upsert_search_attributes(
            [
                SA_STATUS.value_set(self.status),
                SA_STAGE.value_set(STAGES[Stage(stage)].name if stage else "done"),
            ]
        )

    async def _record(self, finished: bool = False) -> None:
        if not (self.flags.record or finished):
            return
        self.flags.record = False
        self._upsert_search_attributes()
        progress = self._progress()
        result = await workflow.execute_activity_method(
            StageActivities.record_run,
            RecordRunInput(
                run_id=self.run_id,
                status=self.status,
                current_stage=self._current_stage(),
                pause_reason=self.s.pause_reason,
                progress=progress.model_dump(mode="json"),
                error=self.s.error,
                finished=finished,
            ),
            **SHORT,
        )
        self.s.credits_used = result.credits_used

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.s.continued += 1
        workflow.continue_as_new(self.inp.model_copy(update={"state": self.s}))

    async def _on_cancel(self) -> None:
        """Cancelled: in-flight batches put their items back, the rest become cancelled."""
        for flight in list(self.inflight.values()):
            if flight.task and not flight.task.done():
                flight.task.cancel()
        pending = [f.task for f in self.inflight.values() if f.task]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await workflow.execute_activity_method(
            StageActivities.release_run_items, RunRef(run_id=self.run_id), **SHORT
        )
        self.status = "cancelled"
        for st in self.s.stages.values():
            if st.status in ("running", "pending"):
                st.status = "cancelled"
                st.pending = []
        await self._record(finished=True)

    # --- handlers -------------------------------------------------------------------------------

    def _pause(self, inp: PauseInput) -> None:
        self.s.paused = True
        self.s.pause_reason = inp.reason or f"paused by operator ({inp.mode})"
        self.status = "paused"
        if inp.mode == "immediate":
            self.flags.cancel_inflight = True
        self.flags.record = self.flags.wake = True

    def _resume(self) -> None:
        self.s.paused = False
        self.s.pause_reason = None
        if self.s.error and self.s.error.action == "top_up":
            self.s.error = None
        self.status = "running"
        self.flags.record = self.flags.wake = True

    @workflow.signal(
        name="pause",
        description=(
            'Pause the run. No new batch starts. {"mode": "drain"} (default) lets batches in '
            'flight finish; {"mode": "immediate"} cancels them and puts their items back in the '
            "queue."
        ),
    )
    def pause(self, inp: PauseInput | None = None) -> None:
        self._pause(inp or PauseInput())

    @workflow.signal(name="resume", description="Resume a paused run (no input needed).")
    def resume(self, inp: ResumeInput | None = None) -> None:
        self._resume()

    @workflow.update(
        name=UPDATE_PAUSE,
        description=(
            "Pause the run and answer with its progress (same input as the pause signal)."
        ),
    )
    def pause_run(self, inp: PauseInput | None = None) -> RunProgress:
        self._pause(inp or PauseInput())
        return self._progress()

    @workflow.update(name=UPDATE_RESUME, description="Resume the run and answer with its progress.")
    def resume_run(self, inp: ResumeInput | None = None) -> RunProgress:
        self._resume()
        return self._progress()

    @workflow.update(
        name=UPDATE_RETRY_FAILED,
        description=(
            'Put failed items back in their stage queue: {} for all, {"stage": 4} for one stage, '
            '{"stage": 4, "item_ids": [12, 13]} for some items.'
        ),
    )
    async def retry_failed(self, inp: RetryInput | None = None) -> RetryResult:
        inp = inp or RetryInput()
        async with self.retry_lock:  # one retry at a time: each sees what the last one left
            requeued, stages = 0, []
            for number, st in self.s.stages.items():
                if (inp.stage is not None and number != inp.stage) or not st.failed_total:
                    continue
                settled = await workflow.execute_activity_method(
                    StageActivities.mark_items,
                    MarkItemsInput(
                        run_id=self.run_id,
                        stage=number,
                        item_ids=inp.item_ids or [],
                        all_failed=inp.item_ids is None,
                        status="pending",
                        only_from_failed=True,
                    ),
                    **SHORT,
                )
                if not settled.changed_count:
                    continue
                moved = {i.id for i in settled.changed}
                st.failed = (
                    [] if inp.item_ids is None else [f for f in st.failed if f.id not in moved]
                )
                st.failed_total -= settled.changed_count
                loaded = {i.id for i in st.pending}
                # Items past the first few stay pending in the database; the stage loads them.
                st.pending += [i for i in settled.changed if i.id not in loaded]
                requeued += settled.changed_count
                stages.append(number)
                current = self._current_stage()
                if current is not None and number < current:
                    self.s.rewind_to = min(number, self.s.rewind_to or number)
            self.flags.record = self.flags.wake = True
            return RetryResult(requeued=requeued, stages=stages)

    @retry_failed.validator
    def _validate_retry(self, inp: RetryInput | None = None) -> None:
        self._validate_open()
        if self._current_stage() is None:
            raise ValueError("The run is finishing; retry its failed items as a new run")
        if inp and inp.stage is not None and inp.stage not in self.s.stages:
            raise ValueError(f"stage {inp.stage} is not part of this run")

    @pause_run.validator
    def _validate_pause(self, inp: PauseInput | None = None) -> None:
        self._validate_open()

    @resume_run.validator
    def _validate_resume(self, inp: ResumeInput | None = None) -> None:
        self._validate_open()

    def _validate_open(self) -> None:
        if self.status not in ("running", "paused"):
            raise ValueError(f"The run is {self.status}")

    @workflow.query(
        name="progress",
        description=(
            "Overall and per-stage progress: counts, messages, phase, credits, errors (DESIGN §5)."
        ),
    )
    def progress(self) -> RunProgress:
        return self._progress()

    @workflow.query(
        name="stage_queue",
        description=(
            "A page of one stage's queue: "
            '{"stage": 4, "status": "failed", "offset": 0, "limit": 50}.'
            " Status: pending | processing | completed | failed."
        ),
    )
    def stage_queue(self, inp: StageQueueInput | None = None) -> StageQueuePage:
        inp = inp or StageQueueInput()
        stage = inp.stage or self._current_stage() or max(self.s.stage_order, default=1)
        return queue_page(self.s, stage, inp, self.inflight)
