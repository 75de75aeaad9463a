"""Many people watching one run cost the run nothing more: they share one reader, and every one
of them still sees the run move and end."""

from __future__ import annotations

import asyncio
import time

from temporalio.client import Client

from contracts.run import RunProgress
from services.progress_feed import load_run
from services.progress_hub import ProgressHub
from tests.helpers import ControlledProvider, seed_site
from tests.helpers.runs import start, worker_for

WATCHERS = 25


async def test_watchers_share_one_reader_and_all_see_the_end(
    client: Client, task_queue: str
) -> None:
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.3
    hub = ProgressHub(client, interval=0.25)
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        run = load_run(run_id)
        started = time.monotonic()

        async def watch() -> list[RunProgress]:
            return [p async for p in hub.follow(run)]

        seen = await asyncio.gather(*(watch() for _ in range(WATCHERS)))
        seconds = time.monotonic() - started
        # The progress says completed a moment before the workflow closes (its last record):
        # the worker stays until it has, or a later read would find it open with nobody to ask.
        await client.get_workflow_handle(run_id).result()
    assert all(views and views[-1].status == "completed" for views in seen)
    assert all(len(views) > 1 for views in seen), "every watcher saw the run move"
    # One reader polls every 0.25 s whatever the number of watchers (not 25 times as often).
    assert hub.reads <= seconds / 0.25 + 5, (hub.reads, seconds)
    # A read right after is served from the shared answer, not from the workflow.
    reads = hub.reads
    again = await hub.current(run)
    assert again.status == "completed" and hub.reads <= reads + 1
