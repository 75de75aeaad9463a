"""The run workflow replays its own histories: no nondeterminism in pause, resume, retries,
continue-as-new or cancel paths (what a worker restart or a query on a closed run does)."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowFailureError

from services import runs
from tests.helpers import ControlledProvider, seed_site, wait_for
from tests.helpers.runs import replay_chain, stage_completed, start, worker_for


async def test_paused_resumed_run_replays(client: Client, task_queue: str) -> None:
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.2
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_completed(client, run_id, 4, at_least=1))
        await runs.pause_run(client, run_id, mode="immediate")
        await runs.resume_run(client, run_id)
        await client.get_workflow_handle(run_id).result()
    assert await replay_chain(client, run_id) >= 1


async def test_cancelled_run_replays(client: Client, task_queue: str) -> None:
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.3
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_completed(client, run_id, 4, at_least=1))
        await runs.cancel_run(client, run_id)
        with pytest.raises(WorkflowFailureError):
            await client.get_workflow_handle(run_id).result()
    assert await replay_chain(client, run_id) == 1
