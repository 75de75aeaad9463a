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
from core.config import Settings, get_settings, log_safety_summary
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


def build_worker(
    client: Client,
    settings: Settings,
    task_queue: str | None = None,
    provider_for_account=None,  # type: ignore[no-untyped-def]
) -> Worker:
    """A worker with every workflow and activity of igny8 on the task queue."""
    stage_activities = StageActivities(settings, provider_for_account or provider_factory(settings))
    wordpress = WordPressActivities()
    workflows: list[type] = [AutomationRunWorkflow, PublishContentWorkflow, WordPressSyncWorkflow]
    activities: list[Callable[..., Any]] = [
        stage_activities.begin_run,
        stage_activities.plan_stage,
        stage_activities.process_batch,
        stage_activities.mark_items,
        stage_activities.record_run,
        stage_activities.release_run_items,
        *wordpress.all(),
    ]
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=workflows,
        activities=activities,
        # Activities are sync (SQLModel sessions, blocking AI clients) and run in threads.
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_concurrent_activities=16,
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    log_safety_summary(settings, "worker")
    init_db()
    client = await connect(settings)
    worker = build_worker(client, settings)
    log.info("worker on task queue %s (AI provider: %s)", settings.task_queue, settings.ai_provider)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
