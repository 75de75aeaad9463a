"""Steering a run for a person (API or CLI): refuse what cannot apply to an ended run, wait a
bounded time for the workflow's answer, and hand back the progress after the change."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio.client import Client

from contracts.run import PauseMode, RetryResult, RunProgress
from contracts.status import ACTIVE_RUN_STATUSES
from core.config import Settings
from core.errors import ConflictError
from models import AutomationRun
from services import runs
from services.progress_feed import load_run, progress_of

# How long a steering call waits for the workflow to answer (a worker must be polling).
STEER_TIMEOUT_SECONDS = 10.0
# How long a cancel waits for the run to wind down before answering with its state then.
CANCEL_WAIT_SECONDS = 5.0
T = TypeVar("T")


async def _within(call: Awaitable[T]) -> T:
    try:
        return await asyncio.wait_for(call, STEER_TIMEOUT_SECONDS)
    except TimeoutError:
        raise TimeoutError(
            "The run did not answer in time: is a worker running on its task queue?"
        ) from None


async def ensure_open(client: Client, run: AutomationRun, verb: str) -> None:
    """ConflictError when the run has ended (nothing can pause, resume or cancel it then)."""
    if run.status not in ACTIVE_RUN_STATUSES or not await runs.is_open(client, run.id):
        raise ConflictError(
            f"Run {run.id} has ended ({run.status}): it cannot be {verb}",
            details={"run_id": run.id, "status": run.status},
        )


async def pause(client: Client, run: AutomationRun, mode: PauseMode = "drain") -> RunProgress:
    await ensure_open(client, run, "paused")
    return await _within(runs.pause_run(client, run.id, mode))


async def resume(client: Client, run: AutomationRun) -> RunProgress:
    await ensure_open(client, run, "resumed")
    return await _within(runs.resume_run(client, run.id))


async def cancel(
    client: Client, run: AutomationRun, wait_seconds: float = CANCEL_WAIT_SECONDS
) -> RunProgress:
    """Request cancellation and wait (bounded) for the run to record it."""
    await ensure_open(client, run, "cancelled")
    await _within(runs.cancel_run(client, run.id))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while loop.time() < deadline and await runs.is_open(client, run.id):
        await asyncio.sleep(0.1)
    return await progress_of(client, await asyncio.to_thread(load_run, run.id))


async def retry(
    client: Client,
    settings: Settings,
    run: AutomationRun,
    *,
    trigger: str,
    stage: int | None = None,
    item_ids: list[int] | None = None,
) -> tuple[str, RetryResult, RunProgress]:
    """Retry failed items; returns (the run doing the work, what was requeued, its progress)."""
    working_id, result = await _within(
        runs.retry_run(client, settings, run, trigger=trigger, stage=stage, item_ids=item_ids)
    )
    progress = await progress_of(client, await asyncio.to_thread(load_run, working_id))
    return working_id, result, progress
