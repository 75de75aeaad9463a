"""The run workflow replays its own histories: no nondeterminism in pause, resume, retries,
continue-as-new or cancel paths (what a worker restart or a query on a closed run does)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from services import runs
from tests.helpers import ControlledProvider, seed_site, wait_for
from tests.helpers.runs import replay_chain, stage_completed, start, worker_for
from workflows.automation import AutomationRunWorkflow

HISTORIES = Path(__file__).parent / "histories"


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


async def test_a_history_from_before_relays_replays() -> None:
    """Recorded by the workflow code before relays (workflows/relay.py): a run of the suite's
    slow-call relay test continued as new after draining its AI items. Runs open at a deploy
    replay such histories: relays are gated by a patch, so the drain replays as it was."""
    text = gzip.decompress((HISTORIES / "run_draining_for_continue_as_new.json.gz").read_bytes())
    history = WorkflowHistory.from_json("site-run-before-relays", text.decode())
    replayer = Replayer(workflows=[AutomationRunWorkflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)
