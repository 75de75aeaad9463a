"""AutomationRunWorkflow: one site's pending work through the seven stages, durably.

Per-item truth lives in the database (the run's stage queues); this workflow keeps counters,
the in-flight window and bounded samples, and continues-as-new when Temporal suggests it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import (
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from activities.stages import StageActivities
    from contracts.messages import done_message, failed_suffix
    from contracts.run import (
        UPDATE_PAUSE,
        UPDATE_RESUME,
        UPDATE_RETRY_FAILED,
        BeginRunInput,
        ErrorInfo,
        MarkItemsInput,
        PauseInput,
        RecordRunInput,
        ResumeInput,
        RetryInput,
        RetryResult,
        RunInput,
        RunProgress,
        RunRef,
        RunState,
        StageQueueInput,
        StageQueuePage,
        StageState,
    )
    from contracts.stages import STAGES, Stage
    from core.temporal import SA_STAGE, SA_STATUS
    from workflows.progress import build_progress, current_details, queue_page
    from workflows.run_batches import SHORT, BatchesMixin, Flags, InFlight

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn(name="AutomationRunWorkflow")
class AutomationRunWorkflow(BatchesMixin):
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
