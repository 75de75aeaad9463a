"""Composition root: builds clients and services, registers every workflow and activity."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from activities.clustering import ClusteringActivities
from activities.link_refresh import LinkRefreshActivities
from activities.log_context import LogContextInterceptor
from activities.relays import RELAY_ACTIVITIES
from activities.stages import StageActivities
from activities.wordpress import WordPressActivities
from core.config import ConfigurationError, Settings, get_settings, log_safety_summary
from core.db import init_db
from core.errors import (
    Igny8Error,
    SchemaOutOfDateError,
    TemporalConnectionError,
    TemporalTLSError,
)
from core.observability import start_worker_observability
from core.probes import WorkerProbes
from core.temporal import connect
from services.ai.base import AIProvider
from services.ai.factory import build_provider
from workflows.automation import AutomationRunWorkflow
from workflows.link_refresh import RefreshInternalLinksWorkflow
from workflows.publish import PublishContentWorkflow
from workflows.relay import ItemRelayWorkflow
from workflows.wp_sync import WordPressSyncWorkflow

log = logging.getLogger("igny8.worker")
# AI activities a worker runs per provider call it allows in flight (IGNY8_AI_MAX_IN_FLIGHT).
AI_ACTIVITIES_PER_CALL = 2
T = TypeVar("T")


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
    clustering = ClusteringActivities(stage_activities)
    wordpress = WordPressActivities()
    link_refresh = LinkRefreshActivities(wordpress.factory)
    workflows: list[type] = [
        AutomationRunWorkflow,
        ItemRelayWorkflow,
        PublishContentWorkflow,
        RefreshInternalLinksWorkflow,
        WordPressSyncWorkflow,
    ]
    activities: list[Callable[..., Any]] = [
        *stage_activities.all(),
        *clustering.main_queue(),
        *wordpress.all(),
        *link_refresh.all(),
        *RELAY_ACTIVITIES,  # async: they wait on Temporal, not in a thread
    ]
    main = Worker(
        client,
        task_queue=queue,
        workflows=workflows,
        activities=activities,
        # These activities are sync (SQLModel sessions, WordPress over httpx) and run in threads.
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_concurrent_activities=16,
        # On shutdown (SIGTERM) activities in flight get this long to finish; then they are
        # cancelled (through their heartbeats) and Temporal retries them on another worker.
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        interceptors=[LogContextInterceptor()],
    )
    per_second = settings.ai_calls_per_minute / 60 if settings.ai_calls_per_minute else None
    ai = Worker(
        client,
        task_queue=settings.ai_task_queue,
        activities=[stage_activities.process_item, *clustering.ai_queue()],
        # More activities than calls: an activity's database steps overlap other calls.
        max_concurrent_activities=settings.ai_max_in_flight * AI_ACTIVITIES_PER_CALL,
        max_task_queue_activities_per_second=per_second,
        interceptors=[LogContextInterceptor()],
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
    )
    return Igny8Workers(main, ai)


async def wait_for_dependencies(
    settings: Settings, probes: WorkerProbes | None = None, runtime: Runtime | None = None
) -> Client:
    """The database (schema current) and a Temporal client, waiting with backoff while either
    is unreachable; gives up after IGNY8_STARTUP_WAIT_SECONDS (unset: never). Settings errors
    (TLS files, schema out of date) stop at once: waiting would not fix them."""
    deadline = (
        None
        if settings.startup_wait_seconds is None
        else (time.monotonic() + settings.startup_wait_seconds)
    )
    pause = 1.0

    async def attempt(what: str, step: Callable[[], Awaitable[T]]) -> T:
        nonlocal pause
        while True:
            try:
                return await step()
            except (TemporalTLSError, SchemaOutOfDateError):
                raise
            except (TemporalConnectionError, OperationalError) as exc:
                reason = exc.message if isinstance(exc, Igny8Error) else str(exc.orig or exc)
                reason = reason.strip().splitlines()[0]
                if deadline is not None and time.monotonic() + pause > deadline:
                    raise TemporalConnectionError(
                        f"gave up waiting for {what} after {settings.startup_wait_seconds:g} s "
                        f"(IGNY8_STARTUP_WAIT_SECONDS): {reason}"
                    ) from None
                if probes is not None:
                    probes.set("starting", f"waiting for {what}")
                log.warning("waiting for %s: %s (retrying in %.0f s)", what, reason, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, settings.startup_retry_max_seconds)

    await attempt("the database", lambda: asyncio.to_thread(init_db))
    return await attempt("Temporal", lambda: connect(settings, runtime=runtime))


async def serve(
    settings: Settings,
    provider_for_account: Callable[[int], AIProvider] | None = None,
) -> bool:
    """Run a worker until SIGTERM/SIGINT, then shut it down gracefully (`igny8 worker`).
    False when activities outlived the shutdown bound (the caller exits without them)."""
    probes = WorkerProbes()
    if settings.worker_health_port is not None:
        await probes.start(settings.worker_health_host, settings.worker_health_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        runtime = start_worker_observability(settings)  # metrics endpoints and JSON logs
        log_safety_summary(settings, "worker")
        waiting = asyncio.ensure_future(wait_for_dependencies(settings, probes, runtime))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():
            waiting.cancel()
            log.info("stopped before Temporal and the database were reachable")
            return True
        stopped.cancel()
        worker = build_worker(waiting.result(), settings, None, provider_for_account)
        running = asyncio.ensure_future(worker.run())
        probes.set("ready")
        log.info(
            "worker ready on task queues %s and %s (AI provider: %s, %d AI calls in flight, "
            "%s a minute)",
            settings.task_queue,
            settings.ai_task_queue,
            settings.ai_provider,
            settings.ai_max_in_flight,
            settings.ai_calls_per_minute or "no limit",
        )
        await asyncio.wait(
            {running, asyncio.ensure_future(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
        )
        probes.set("stopping")
        if not running.done():
            log.info(
                "stopping: no new tasks; activities in flight get up to %g s to finish",
                settings.graceful_shutdown_seconds,
            )
            # The SDK's own bound cancels activities at graceful_shutdown_timeout; the margin
            # covers sync activities that only notice cancellation at their next heartbeat.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(worker.shutdown(), settings.graceful_shutdown_seconds + 15)
        done, _ = await asyncio.wait({running}, timeout=5)
        if not done:
            # An activity ignores cancellation (no heartbeat): leave it to Temporal's heartbeat
            # timeout and exit anyway, so the bound holds.
            log.warning("activities still running after the shutdown bound; exiting anyway")
            return False
        log.info("worker stopped")
        return True
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await probes.stop()


def main() -> None:
    """`python worker.py`: the same as `igny8 worker`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        clean = asyncio.run(serve(get_settings()))
    except Igny8Error as exc:
        log.error("%s", exc.message)
        raise SystemExit(1) from None
    except ConfigurationError as exc:
        log.error("Configuration: %s", exc)
        raise SystemExit(1) from None
    if not clean:
        exit_now()


def exit_now() -> None:
    """Exit without joining activity threads stuck past the shutdown bound."""
    logging.shutdown()
    os._exit(3)


if __name__ == "__main__":
    main()
