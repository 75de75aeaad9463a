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
from workflows.relay import ItemRelayWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def replay_fixture(name: str, workflow_id: str, workflow: type) -> None:
    """Replay a recorded history of tests/histories/ (of the workflow id it was recorded with:
    a run's relay ids derive from it) with today's code of `workflow`."""
    text = gzip.decompress((HISTORIES / name).read_bytes()).decode()
    history = WorkflowHistory.from_json(workflow_id, text)
    replayer = Replayer(workflows=[workflow], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(history)


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
    await replay_fixture(
        "run_draining_for_continue_as_new.json.gz", "site-run-before-relays", AutomationRunWorkflow
    )


@pytest.mark.parametrize(
    ("name", "workflow_id"),
    [
        # Carries relays from the run before it, starts its own while it drains, takes their
        # reports by signal, and continues as new (after a workflow task failed for a report
        # that came in meanwhile: what collecting relays put an end to).
        ("run_with_signalling_relays.json.gz", "site-1-run-20261203-180004-f418"),
        # Cancelled with relays out: it cancels them and waits for their signalled reports.
        ("run_cancelled_with_signalling_relays.json.gz", "site-1-run-20261203-180048-6bd0"),
    ],
)
async def test_a_history_with_child_relays_that_signal_replays(name: str, workflow_id: str) -> None:
    """Recorded by the workflow code before relays were started and collected by activities:
    relays were child workflows that signalled the run. Runs open at a deploy replay them as
    they were (RELAYS_COLLECTED_PATCH)."""
    await replay_fixture(name, workflow_id, AutomationRunWorkflow)


async def test_a_relay_that_signals_its_run_replays() -> None:
    """A relay started by a run from before collecting: it signals the run, as its input says."""
    await replay_fixture(
        "relay_signalling_its_run.json.gz",
        "site-1-run-20261203-180004-f418-relay-41",
        ItemRelayWorkflow,
    )
