"""AutomationRunWorkflow: one site's pending work through the seven stages, durably.

The workflow owns the run's state machine (running, paused, finished) and its handlers; the
StageScheduler fills and drains the stage queues. Per-item truth lives in the database; the
workflow keeps counters, bounded windows and samples, and continues-as-new when Temporal
suggests it, with no activity in the air, so every history stays small. Meanwhile the AI stages'
slots are kept busy by relays (workflows/relay.py), which outlive the continue-as-new.

A run closes (continues as new, or ends) only once nothing of its own can still arrive in its
history: no activity or relay request is in the air, and a pending timer is cancelled. Temporal
fails a workflow task that closes a run if a new event came in while it ran, and the worker then
replays the whole history.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from contracts.messages import plural
    from contracts.relay import (
        RELAY_PATCH,
        RELAYS_COLLECTED_PATCH,
        SIGNAL_REPORT_RELAY,
        RelayReport,
    )
    from contracts.run import (
        ACT_BEGIN_RUN,
        ACT_MARK_ITEMS,
        ACT_RECORD_RUN,
        ACT_RELEASE_RUN_ITEMS,
        AUTOMATION_WORKFLOW,
        QUERY_PROGRESS,
        QUERY_STAGE_QUEUE,
        SCHEDULER_RULES,
        SIGNAL_PAUSE,
        SIGNAL_RESUME,
        UPDATE_PAUSE,
        UPDATE_RESUME,
        UPDATE_RETRY_FAILED,
        BeginRunInput,
        BeginRunResult,
        ErrorInfo,
        MarkItemsInput,
        PauseInput,
        RecordRunInput,
        RecordRunResult,
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
    from contracts.stages import STAGES, Stage
    from contracts.wordpress import PUBLISH_STAGE
    from core.search_attributes import SA_STAGE, SA_STATUS
    from workflows.options import BOOKKEEPING
    from workflows.progress import build_progress, current_details, queue_page
    from workflows.scheduler import StageScheduler

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
# How often, at most, the run's database row follows the workflow while items are in flight.
RECORD_EVERY = timedelta(seconds=1)


@workflow.defn(name=AUTOMATION_WORKFLOW)
class AutomationRunWorkflow:
    @workflow.init
    def __init__(self, inp: RunInput) -> None:
        self.inp = inp
        self.s: RunState = inp.state or RunState()
        # The workflow id is the run id; a schedule's runs get ids Temporal makes for them.
        self.run_id = workflow.info().workflow_id
        self.status = "paused" if self.s.paused else "running"
        self.scheduler = StageScheduler(inp, self.s, self.run_id, self)
        self.retry_lock = asyncio.Lock()
        self._wake = False
        self._dirty = True  # the database row is behind the workflow
        self._recording: asyncio.Task[None] | None = None
        self._record_timer: asyncio.Task[None] | None = None
        self._last_record: datetime | None = None
        self._cancel_flights = False

    # --- RunEvents (the scheduler's reports) -----------------------------------------------------

    def changed(self) -> None:
        self._wake = self._dirty = True

    def credits_exhausted(self, error: ErrorInfo) -> None:
        self._set_paused(error.error_message)
        self.s.error = error

    # --- the run --------------------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: RunInput) -> RunProgress:
        try:
            if not self.s.begun and not await self._begin(inp):
                return self._progress()
            while True:
                if self._cancel_flights:
                    self._cancel_flights = False
                    self.scheduler.cancel_in_flight()
                continue_due = workflow.info().is_continue_as_new_suggested()
                # Asked only where a relay may start: a history from before relays replays
                # without them.
                relay = continue_due and not self.s.paused and workflow.patched(RELAY_PATCH)
                self.scheduler.advance(
                    active=not self.s.paused and not continue_due,
                    relay=relay,
                    collect=not continue_due,
                )
                failed = self.scheduler.failed_stage()
                if failed is not None:
                    await self._stop_failed(failed)
                    break
                if self.scheduler.finished() and not self.s.paused:
                    break  # a paused run that drained to its end completes once resumed
                await self._keep_recorded()
                if continue_due and not self.scheduler.in_flight():
                    await self.scheduler.unload_windows()
                    await self._finish_recording()
                    await self._continue_as_new()
                self._show_details()
                await workflow.wait_condition(lambda: self._wake)
                self._wake = False
            if self.status != "failed":
                self.status = "completed"
            self._show_details()
            await self._finish_recording()
            await self._record(finished=True)
            # Closing quietly, a collector still in the air (its relays were settled by signal
            # meanwhile) lands first.
            quiet = self._closes_quietly()
            await workflow.wait_condition(
                lambda: (
                    workflow.all_handlers_finished() and not (quiet and self.scheduler.in_flight())
                )
            )
            await self._silence_timer()
            return self._progress()
        except BaseException as exc:
            # A cancel can surface as asyncio.CancelledError or, while an activity was awaited,
            # as an ActivityError caused by CancelledError: both must clean up.
            if is_cancelled_exception(exc):
                await self._on_cancel()
            raise

    async def _begin(self, inp: RunInput) -> bool:
        """Record the run as the site's active one; False if the site already has one."""
        s = self.s
        begun = await workflow.execute_activity(
            ACT_BEGIN_RUN,
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
            result_type=BeginRunResult,
            **BOOKKEEPING,
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
        s.rules = SCHEDULER_RULES
        s.started_at = workflow.now()
        s.credits_estimated = begun.credits_estimated
        s.stage_order = sorted(set(inp.options.stages))
        s.stages = {st: StageState(stage=st) for st in s.stage_order}
        if Stage.REVIEW in s.stage_order:
            s.stages[PUBLISH_STAGE] = StageState(stage=PUBLISH_STAGE)
        return True

    async def _stop_failed(self, failed: StageState) -> None:
        """A stage ended with every item failed: nothing after it can run, so the run fails
        there, with the reason where every reader sees it."""
        self.scheduler.cancel_in_flight()
        await self.scheduler.wait_for_flights()
        await self._finish_recording()
        self.scheduler.stop_all()
        name = STAGES[Stage(failed.stage)].name
        last = failed.last_error
        self.s.error = ErrorInfo(
            error_type=last.error_type if last else "StageFailed",
            error_message=f"Stage {failed.stage} ({name}) failed: "
            + (
                f"every one of its {plural(failed.total, 'item')} failed"
                if failed.total and failed.failed_total >= failed.total
                else "it could not go on"
            )
            + (f". Last error: {last.error_message}" if last else ""),
            phase=last.phase if last else None,
            timestamp=workflow.now(),
            retryable=last.retryable if last else True,
            action=last.action if last else "retry",
        )
        await workflow.execute_activity(
            ACT_RELEASE_RUN_ITEMS, RunRef(run_id=self.run_id), result_type=int, **BOOKKEEPING
        )
        self.status = "failed"

    def _scheduled_time(self) -> datetime | None:
        """The logical time a schedule started this run for (None when not scheduled)."""
        return workflow.info().typed_search_attributes.get(SCHEDULED_START)

    def _set_paused(self, reason: str) -> None:
        self.s.paused = True
        self.s.pause_reason = reason
        self.status = "paused"
        self.changed()

    # --- keeping the database row and the UI in step --------------------------------------------

    def _show_details(self) -> None:
        """Keep the UI's "current details" of the run up to date (stage, counts, last error)."""
        workflow.set_current_details(current_details(self._progress()))

    def _progress(self) -> RunProgress:
        return build_progress(
            self.run_id,
            self.inp,
            self.s,
            self.status,
            self.scheduler.current_stage(),
            self.scheduler,
            workflow.now(),
        )

    def _upsert_search_attributes(self) -> None:
        stage = self.scheduler.current_stage() if self.s.begun else None
        workflow.upsert_search_attributes(
            [
                SA_STATUS.value_set(self.status),
                SA_STAGE.value_set(STAGES[Stage(stage)].name if stage else "done"),
            ]
        )

    async def _keep_recorded(self) -> None:
        """Keep the database row close behind the workflow without holding up dispatching:
        one record in the air at a time, at most every RECORD_EVERY while work is in flight
        (the completions that wake the loop bring the next chance), at once when idle."""
        if not self._dirty or (self._recording and not self._recording.done()):
            return
        idle = not self.scheduler.in_flight() and not self.s.relays
        since = workflow.now() - self._last_record if self._last_record else RECORD_EVERY
        if idle:
            await self._record()
        elif since >= RECORD_EVERY:
            self._recording = asyncio.create_task(self._record())
        elif not self._timer_pending():
            # Not due yet, and no completion may come to wake the loop: a timer will.
            self._record_timer = asyncio.create_task(self._wake_after(RECORD_EVERY - since))

    async def _wake_after(self, delay: timedelta) -> None:
        await workflow.sleep(delay)
        self._wake = True

    def _timer_pending(self) -> bool:
        return self._record_timer is not None and not self._record_timer.done()

    def _closes_quietly(self) -> bool:
        """Whether the run closes only once nothing of its own can still arrive (see the
        module's docstring); a run begun before RELAYS_COLLECTED_PATCH replays as it was."""
        return workflow.patched(RELAYS_COLLECTED_PATCH)

    async def _silence_timer(self) -> None:
        """In the task that closes the run (quietly): a pending record timer is cancelled
        rather than waited for. Temporal drops the timer's fire if it came in meanwhile, where
        the fire itself would fail the task."""
        if self._timer_pending() and self._closes_quietly():
            assert self._record_timer is not None
            self._record_timer.cancel()
            await asyncio.gather(self._record_timer, return_exceptions=True)

    async def _finish_recording(self) -> None:
        if self._recording is not None:
            await self._recording
            self._recording = None

    async def _record(self, finished: bool = False) -> None:
        if not (self._dirty or finished):
            return
        self._last_record = workflow.now()
        self._dirty = False
        self._upsert_search_attributes()
        progress = self._progress()
        result = await workflow.execute_activity(
            ACT_RECORD_RUN,
            RecordRunInput(
                run_id=self.run_id,
                status=self.status,
                current_stage=progress.current_stage,
                pause_reason=self.s.pause_reason,
                progress=progress.model_dump(mode="json"),
                error=self.s.error,
                finished=finished,
            ),
            result_type=RecordRunResult,
            **BOOKKEEPING,
        )
        self.s.credits_used = result.credits_used

    async def _continue_as_new(self) -> None:
        # A relay's report may have started settling its item (a short activity): that ends in
        # this run; the relays still out are carried over in the state.
        await workflow.wait_condition(
            lambda: workflow.all_handlers_finished() and not self.scheduler.in_flight()
        )
        await self._silence_timer()
        workflow.continue_as_new(self.inp.model_copy(update={"state": self.s}))

    async def _on_cancel(self) -> None:
        """Cancelled: in-flight items stop, and everything not finished becomes cancelled."""
        self.scheduler.cancel_in_flight()
        await self.scheduler.wait_for_flights()
        if self._recording is not None:
            await asyncio.gather(self._recording, return_exceptions=True)
        await workflow.execute_activity(
            ACT_RELEASE_RUN_ITEMS, RunRef(run_id=self.run_id), result_type=int, **BOOKKEEPING
        )
        self.status = "cancelled"
        self.scheduler.stop_all()
        await self._record(finished=True)

    # --- handlers -------------------------------------------------------------------------------

    def _pause(self, inp: PauseInput) -> None:
        self._set_paused(inp.reason or f"paused by operator ({inp.mode})")
        if inp.mode == "immediate":
            self._cancel_flights = True
            # At once, not at the loop's next turn: the run may be continuing as new, and its
            # relays would carry on calling the provider into the next run.
            self.scheduler.relays.cancel_all()

    def _resume(self) -> None:
        self.s.paused = False
        self.s.pause_reason = None
        if self.s.error and self.s.error.action == "top_up":
            self.s.error = None
        self.status = "running"
        self.changed()

    @workflow.signal(
        name=SIGNAL_PAUSE,
        description=(
            'Pause the run. No new item starts. {"mode": "drain"} (default) lets items in '
            'flight finish; {"mode": "immediate"} cancels them and puts them back in the queue.'
        ),
    )
    def pause(self, inp: PauseInput | None = None) -> None:
        self._pause(inp or PauseInput())

    @workflow.signal(name=SIGNAL_RESUME, description="Resume a paused run (no input needed).")
    def resume(self, inp: ResumeInput | None = None) -> None:
        self._resume()

    @workflow.update(
        name=UPDATE_PAUSE,
        description="Pause the run and answer with its progress (same input as the pause signal).",
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
            '{"stage": 4, "item_ids": [12, 13]} for some items. Stage 8 is the publish queue.'
        ),
    )
    async def retry_failed(self, inp: RetryInput | None = None) -> RetryResult:
        inp = inp or RetryInput()
        async with self.retry_lock:  # one retry at a time: each sees what the last one left
            requeued, stages = 0, []
            for number, st in self.s.stages.items():
                if (inp.stage is not None and number != inp.stage) or not st.failed_total:
                    continue
                settled = await workflow.execute_activity(
                    ACT_MARK_ITEMS,
                    MarkItemsInput(
                        run_id=self.run_id,
                        stage=number,
                        item_ids=inp.item_ids or [],
                        all_failed=inp.item_ids is None,
                        status="pending",
                        only_from_failed=True,
                    ),
                    result_type=SettledItems,
                    **BOOKKEEPING,
                )
                if not settled.changed_count:
                    continue
                if inp.item_ids is not None:
                    moved = set(inp.item_ids)
                    st.failed = [f for f in st.failed if f.id not in moved]
                self.scheduler.reopen(number, settled.changed_count)
                requeued += settled.changed_count
                stages.append(number)
            return RetryResult(requeued=requeued, stages=stages)

    @retry_failed.validator
    def _validate_retry(self, inp: RetryInput | None = None) -> None:
        self._validate_open()
        if self.scheduler.finished():
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

    @workflow.signal(
        name=SIGNAL_REPORT_RELAY,
        description=(
            "A relay workflow started by an older version of this run reports its item's end "
            "(newer relays are collected, without a signal). By hand, seldom needed: "
            '{"batch_no": N, "cancelled": true} (N ends the relay\'s id) settles its item at '
            "once, as the database says."
        ),
    )
    def report_relay(self, report: RelayReport | None = None) -> None:
        if report is not None:
            self.scheduler.relay_reported(report)

    @workflow.query(
        name=QUERY_PROGRESS,
        description="Overall and per-stage progress: counts, messages, phase, cost, errors.",
    )
    def progress(self) -> RunProgress:
        return self._progress()

    @workflow.query(
        name=QUERY_STAGE_QUEUE,
        description=(
            "A page of one stage's queue: "
            '{"stage": 4, "status": "failed", "offset": 0, "limit": 50}.'
            " Status: pending | processing | completed | failed. Stage 8 is the publish queue."
        ),
    )
    def stage_queue(self, inp: StageQueueInput | None = None) -> StageQueuePage:
        inp = inp or StageQueueInput()
        stage = inp.stage or self.scheduler.current_stage() or max(self.s.stage_order, default=1)
        return queue_page(self.s, stage, inp, self.scheduler)
