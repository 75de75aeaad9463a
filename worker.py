"""Composition root: builds clients and services, registers every workflow and activity."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.stages import StageActivities
from activities.wordpress import WordPressActivities
from core.config import Settings, get_settings
from core.db import init_db
from core.temporal import connect
from services.ai.base import AIProvider
from services.ai.factory import build_provider
from workflows.automation import AutomationRunWorkflow
from workflows.publish import PublishContentWorkflow
from workflows.wp_sync import WordPressSyncWorkflow

log = logging.getLogger("igny8.worker")


def provider_factory(settings: Settings) -> Callable[[int], AIProvider]:
    """Account id -> the configured AI provider (per-account prompt overrides applied)."""
    if settings.ai_provider == "local":
        shared = build_provider(settings)  # stateless and prompt-free: one for everybody
        return lambda _account_id: shared
    return lambda account_id: build_provider(settings, account_id)


class Igny8Workers:
    """The two workers of an igny8 process: the run's own task queue (workflows, bookkeeping,
    batch stages) and the AI task queue (one activity per AI call). The AI queue's limits are
    the provider's: calls in flight per worker, and calls per second for the whole queue,
    which the Temporal server enforces across every worker."""

    def __init__(self, main: Worker, ai: Worker) -> None:
        self.main, self.ai = main, ai

    async def __aenter__(self) -> Igny8Workers:
        await self.main.__aenter__()
        try:
            await self.ai.__aenter__()
        except BaseException:
            await self.main.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.ai.__aexit__(*exc)
        finally:
            await self.main.__aexit__(*exc)

    async def run(self) -> None:
        await asyncio.gather(self.main.run(), self.ai.run())

    async def shutdown(self) -> None:
        await asyncio.gather(self.main.shutdown(), self.ai.shutdown())


def build_worker(
    client: Client,
    settings: Settings,
    task_queue: str | None = None,
    provider_for_account=None,  # type: ignore[no-untyped-def]
) -> Igny8Workers:
    """Workers with every workflow and activity of igny8 (`task_queue` overrides the
    settings' queue; its AI queue is then `<task_queue>-ai`)."""
    queue = task_queue or settings.task_queue
    if task_queue:
        settings = settings.model_copy(update={"task_queue": queue, "ai_task_queue_name": None})
    stage_activities = StageActivities(settings, provider_for_account or provider_factory(settings))
    wordpress = WordPressActivities()
    workflows: list[type] = [AutomationRunWorkflow, PublishContentWorkflow, WordPressSyncWorkflow]
    activities: list[Callable[..., Any]] = [*stage_activities.all(), *wordpress.all()]
    main = Worker(
        client,
        task_queue=queue,
        workflows=workflows,
        activities=activities,
        # These activities are sync (SQLModel sessions, WordPress over httpx) and run in threads.
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_concurrent_activities=16,
    )
    per_second = settings.ai_calls_per_minute / 60 if settings.ai_calls_per_minute else None
    ai = Worker(
        client,
        task_queue=settings.ai_task_queue,
        activities=[stage_activities.process_item],
        max_concurrent_activities=settings.ai_max_in_flight,
        max_task_queue_activities_per_second=per_second,
    )
    return Igny8Workers(main, ai)


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    init_db()
    client = await connect(settings)
    worker = build_worker(client, settings)
    log.info(
        "worker on task queues %s and %s (AI provider: %s, %d AI calls in flight, %s a minute)",
        settings.task_queue,
        settings.ai_task_queue,
        settings.ai_provider,
        settings.ai_max_in_flight,
        settings.ai_calls_per_minute or "no limit",
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
