"""The stage activities: thin wrappers that hand ids to services/stages and report back."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable

import pydantic
from temporalio import activity
from temporalio.exceptions import CancelledError

from activities.errors import to_application_error
from contracts.run import (
    BatchInput,
    BatchResult,
    BeginRunInput,
    BeginRunResult,
    MarkItemsInput,
    PlanStageInput,
    PlanStageResult,
    RecordRunInput,
    RecordRunResult,
    RunRef,
    SettledItems,
)
from contracts.stages import Stage
from core.config import Settings
from core.errors import Igny8Error
from services import run_records
from services.ai.base import AIProvider
from services.ai.observed import observed
from services.stages import queue, runner
from services.stages.base import StageContext


class _Heartbeater:
    """Heartbeats from a side thread so a long AI call never looks like a dead worker."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.details = ""
        self._stop = threading.Event()
        ctx = contextvars.copy_context()
        self._thread = threading.Thread(target=ctx.run, args=(self._loop,), daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            activity.heartbeat(self.details)

    def beat(self, details: str) -> None:
        self.details = details
        activity.heartbeat(details)

    def __enter__(self) -> _Heartbeater:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


class StageActivities:
    """Registered as bound methods; dependencies come from the worker, never from inputs."""

    def __init__(self, settings: Settings, provider_factory: Callable[[int], AIProvider]) -> None:
        self.settings = settings
        self.provider_factory = provider_factory  # account id -> provider (per-account prompts)

    @activity.defn
    def begin_run(self, inp: BeginRunInput) -> BeginRunResult:
        """Record the run as active (or refuse: the site has another active run)."""
        return run_records.begin_run(inp)

    @activity.defn
    def plan_stage(self, inp: PlanStageInput) -> PlanStageResult:
        """Queue the stage's items for this run and return the next pending window."""
        return queue.plan_stage(
            inp.run_id, inp.site_id, inp.stage, inp.window, inp.manual_item_ids, inp.first
        )

    # Cancellation is polled between items (no exception thrown into the thread mid-write).
    @activity.defn(no_thread_cancel_exception=True)
    def process_batch(self, inp: BatchInput) -> BatchResult:
        """Process one batch of a stage's items; cancellable between items."""
        ctx = StageContext(
            run_id=inp.run_id,
            account_id=inp.account_id,
            site_id=inp.site_id,
            stage=Stage(inp.stage),
            settings=self.settings,
            provider=observed(self.provider_factory(inp.account_id)),
        )
        interval = max(self.settings.heartbeat_timeout_seconds / 3, 0.5)
        with _Heartbeater(interval) as beats:
            try:
                return runner.process_batch(
                    ctx, inp.batch_no, inp.item_ids, activity.is_cancelled, beats.beat
                )
            except runner.BatchCancelled as exc:
                raise CancelledError(str(exc)) from None
            except (Igny8Error, pydantic.ValidationError) as exc:
                raise to_application_error(exc) from exc

    @activity.defn
    def mark_items(self, inp: MarkItemsInput) -> SettledItems:
        """Settle items of a batch that ended without a result; answers their statuses."""
        return queue.settle_items(inp)

    @activity.defn
    def record_run(self, inp: RecordRunInput) -> RecordRunResult:
        """Keep the run's database row in step with the workflow."""
        return RecordRunResult(credits_used=run_records.record_run(inp))

    @activity.defn
    def release_run_items(self, inp: RunRef) -> int:
        """After a cancel: items still pending or processing become cancelled."""
        return run_records.release_unfinished_items(inp.run_id)
