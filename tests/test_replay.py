"""The run workflow replays its own histories: no nondeterminism in pause, resume, retries,
continue-as-new or cancel paths (what a worker restart or a query on a closed run does)."""

from __future__ import annotations

import pytest
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from services import runs
from tests.helpers import ControlledProvider, seed_site, wait_for
from tests.test_automation_run import _stage_completed, settings_for, start
from worker import build_worker
from workflows.automation import AutomationRunWorkflow
from workflows.publish import PublishContentWorkflow
from workflows.wp_sync import WordPressSyncWorkflow


async def _replay_chain(client: Client, run_id: str) -> int:
    replayer = Replayer(
        workflows=[AutomationRunWorkflow, PublishContentWorkflow, WordPressSyncWorkflow],
        data_converter=pydantic_data_converter,
    )
    replayed = 0
    async for wf in client.list_workflows(f'WorkflowId = "{run_id}"'):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        await replayer.replay_workflow(history)  # raises on nondeterminism
        replayed += 1
    return replayed


async def test_paused_resumed_run_replays(client: Client, task_queue: str) -> None:
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.2
    async with build_worker(client, settings_for(task_queue), task_queue, lambda _: provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: _stage_completed(client, run_id, 4, at_least=1))
        await runs.pause_run(client, run_id, mode="immediate")
        await runs.resume_run(client, run_id)
        await client.get_workflow_handle(run_id).result()
    assert await _replay_chain(client, run_id) >= 1


async def test_cancelled_run_replays(client: Client, task_queue: str) -> None:
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.3
    async with build_worker(client, settings_for(task_queue), task_queue, lambda _: provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: _stage_completed(client, run_id, 4, at_least=1))
        await runs.cancel_run(client, run_id)
        with pytest.raises(WorkflowFailureError):
            await client.get_workflow_handle(run_id).result()
    assert await _replay_chain(client, run_id) == 1
