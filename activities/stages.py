"""The stage activities: thin wrappers that hand ids to services/stages and report back.

Bookkeeping and batch stages run in threads (SQLModel sessions are blocking). `process_item`,
one AI call, is async: it runs on the AI task queue, whose workers hold many calls in flight
and whose limits the Temporal server enforces for every run and worker together.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import random
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import pydantic
from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError

from activities.errors import to_application_error
from activities.heartbeat import heartbeating, interval_for, while_awaiting
from contracts.messages import running_message
from contracts.run import (
    ACT_BEGIN_RUN,
    ACT_MARK_ITEMS,
    ACT_PLAN_STAGE,
    ACT_PROCESS_BATCH,
    ACT_PROCESS_ITEM,
    ACT_RECORD_RUN,
    ACT_RELEASE_RUN_ITEMS,
    BatchInput,
    BatchResult,
    BeginRunInput,
    BeginRunResult,
    ErrorInfo,
    ItemInput,
    ItemResult,
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
from core.error_info import error_info
from core.errors import AIProviderError, Igny8Error
from core.logging import bind_item
from services import run_records
from services.ai.base import AIProvider
from services.ai.observed import observed
from services.stages import queue, runner
from services.stages.base import StageContext
from services.stages.registry import service_for

T = TypeVar("T")


class StageActivities:
    """Registered as bound methods; dependencies come from the worker, never from inputs."""

    def __init__(
        self,
        settings: Settings,
        provider_factory: Callable[[int], AIProvider],
        db_threads: int = 48,
    ) -> None:
        self.settings = settings
        self.provider_factory = provider_factory  # account id -> provider (per-account prompts)
        # The async AI activities' database steps run here, never on the event loop: enough
        # threads that the AI worker's activities (twice its calls in flight) seldom queue.
        self._db = ThreadPoolExecutor(max_workers=db_threads, thread_name_prefix="igny8-db")
        # Calls to the provider in flight from this worker. The worker takes more activities
        # than this (AI_ACTIVITIES_PER_CALL): while some save or load in the database, others
        # hold the provider's slots, which would otherwise idle during those steps.
        self._calls = asyncio.Semaphore(settings.ai_max_in_flight)

    def _context(self, run_id: str, account_id: int, site_id: int, stage: int) -> StageContext:
        return StageContext(
            run_id=run_id,
            account_id=account_id,
            site_id=site_id,
            stage=Stage(stage),
            settings=self.settings,
            provider=observed(self.provider_factory(account_id)),
        )

    async def provider_call(self, call: Coroutine[Any, Any, T]) -> T:
        """`call` once one of the worker's provider slots is free (see `_calls`)."""
        try:
            await self._calls.acquire()
        except BaseException:
            call.close()  # cancelled while waiting: the call never starts
            raise
        try:
            return await call
        finally:
            self._calls.release()

    async def _in_db(self, fn: Callable[..., T], *args: Any) -> tuple[T, bool]:
        """Run a database step in a thread, to its end even when the activity is cancelled
        meanwhile (a half-seen write would be counted wrong); says whether a cancel came."""
        # With this task's context (run, stage, item for logs and metrics), as to_thread does.
        context = contextvars.copy_context()
        step = asyncio.get_running_loop().run_in_executor(
            self._db, functools.partial(context.run, fn, *args)
        )
        cancelled = False
        while True:
            try:
                return await asyncio.shield(step), cancelled
            except asyncio.CancelledError:
                if step.cancelled():
                    raise
                cancelled = True

    @activity.defn(name=ACT_BEGIN_RUN)
    def begin_run(self, inp: BeginRunInput) -> BeginRunResult:
        """Record the run as active (or refuse: the site has another active run)."""
        return run_records.begin_run(inp, self.settings)

    @activity.defn(name=ACT_PLAN_STAGE)
    def plan_stage(self, inp: PlanStageInput) -> PlanStageResult:
        """Queue the stage's newly eligible items for this run and load the next window."""
        return queue.plan_stage(inp)

    # Cancellation is polled between items (no exception thrown into the thread mid-write).
    @activity.defn(name=ACT_PROCESS_BATCH, no_thread_cancel_exception=True)
    def process_batch(self, inp: BatchInput) -> BatchResult:
        """Process one batch of a stage without per-item AI calls; cancellable between items."""
        ctx = self._context(inp.run_id, inp.account_id, inp.site_id, inp.stage)
        with heartbeating(interval_for(self.settings.heartbeat_timeout_seconds)) as beat:
            try:
                return runner.process_batch(
                    ctx, inp.batch_no, inp.item_ids, activity.is_cancelled, beat
                )
            except runner.BatchCancelled as exc:
                raise CancelledError(str(exc)) from None
            except (Igny8Error, pydantic.ValidationError) as exc:
                raise to_application_error(exc) from exc

    @activity.defn(name=ACT_PROCESS_ITEM)
    async def process_item(self, inp: ItemInput) -> ItemResult:
        """One item of an AI stage: hold credits, make its one AI call, save. A transient
        failure costs this call alone (Temporal retries it, after Retry-After or a jittered
        backoff); the last attempt, or a permanent error, fails the item alone."""
        # The provider reads the account's prompts from the database: not on the event loop.
        ctx, _ = await self._in_db(
            self._context, inp.run_id, inp.account_id, inp.site_id, inp.stage
        )
        bind_item(inp.item_id)  # in this task's context, which every database step copies
        start, cancelled = await self._in_db(runner.start_item, ctx, inp.item_id)
        if cancelled:
            await self._in_db(runner.abandon_item, ctx, start, True)
            raise asyncio.CancelledError
        if start.insufficient_credits is not None:
            return ItemResult(insufficient_credits=start.insufficient_credits)
        if start.outcome is not None or start.work is None:
            return ItemResult(outcome=start.outcome)
        service = service_for(inp.stage)
        doing = running_message(inp.stage, start.work.name)
        try:
            return await self._call(ctx, start, inp, service.agenerate(ctx, start.work), doing)
        except runner.AttemptSuperseded:
            return ItemResult()  # a later attempt (or the run's window) has the item now

    async def _call(
        self,
        ctx: StageContext,
        start: runner.ItemStart,
        inp: ItemInput,
        call: Any,
        doing: str,
    ) -> ItemResult:
        """The AI call with its heartbeat, then the item's end: saved, failed or handed back."""
        interval = interval_for(self.settings.heartbeat_timeout_seconds)
        try:
            result = await while_awaiting(self.provider_call(call), interval, doing)
        except asyncio.CancelledError:
            await self._in_db(runner.abandon_item, ctx, start, True)
            raise
        except (Igny8Error, pydantic.ValidationError) as exc:
            info = given_up(exc, inp.max_attempts)
            if info is not None:
                failed, _ = await self._in_db(runner.fail_item, ctx, start, info)
                return ItemResult(outcome=failed)
            await self._in_db(runner.abandon_item, ctx, start, False)
            raise retry_later(exc, activity.info().attempt, self.settings) from exc
        except BaseException:
            await self._in_db(runner.abandon_item, ctx, start, False)
            raise
        # Saved even if a cancel arrives now: the answer is paid for, and the result says so.
        done, _ = await self._in_db(runner.finish_item, ctx, start, result)
        return ItemResult(outcome=done)

    @activity.defn(name=ACT_MARK_ITEMS)
    def mark_items(self, inp: MarkItemsInput) -> SettledItems:
        """Settle items whose flight ended without a result; answers their statuses."""
        return queue.settle_items(inp)

    @activity.defn(name=ACT_RECORD_RUN)
    def record_run(self, inp: RecordRunInput) -> RecordRunResult:
        """Keep the run's database row in step with the workflow."""
        return RecordRunResult(credits_used=run_records.record_run(inp))

    @activity.defn(name=ACT_RELEASE_RUN_ITEMS)
    def release_run_items(self, inp: RunRef) -> int:
        """After a cancel: items still pending, queued or processing become cancelled."""
        return run_records.release_unfinished_items(inp.run_id)

    def all(self) -> list[Callable[..., Any]]:
        """The activities of the run's own task queue (bookkeeping and batch stages)."""
        return [
            self.begin_run,
            self.plan_stage,
            self.process_batch,
            self.mark_items,
            self.record_run,
            self.release_run_items,
        ]


def given_up(exc: Igny8Error | pydantic.ValidationError, max_attempts: int) -> ErrorInfo | None:
    """The call's error when retrying cannot help (a permanent error, or this activity's last
    attempt); None when Temporal should try the call again."""
    info = error_info(exc, "AI_CALL")
    if not info.retryable or activity.info().attempt >= max_attempts:
        return info
    return None


def retry_later(exc: Igny8Error | pydantic.ValidationError, attempt: int, s: Settings) -> Any:
    """The retryable error with its next delay: the provider's Retry-After when it sent one,
    else exponential backoff with full jitter, so many items do not come back at once."""
    error = to_application_error(exc)
    wait = exc.retry_after_seconds if isinstance(exc, AIProviderError) else None
    if not wait:
        ceiling = min(s.retry_maximum_seconds, s.retry_initial_seconds * 2 ** (attempt - 1))
        wait = random.uniform(s.retry_initial_seconds / 2, max(ceiling, s.retry_initial_seconds))
    return ApplicationError(
        error.message,
        *error.details,
        type=error.type,
        non_retryable=False,
        next_retry_delay=timedelta(seconds=wait),
    )
