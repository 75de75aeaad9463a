"""The run's relay activities (workflows/relay.py): starting the relays of a dispatch turn, and
waiting for relays to end.

A relay is neither a child of its run nor does it signal it: Temporal fails a workflow task that
continues a run as new if any new event arrived while the task ran, and child events and signals
arrive whenever a relay ends. So the run learns of its relays only through these activities,
whose ends it can wait for before it continues as new. They are async because they talk to
Temporal (`activity.client()`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from contracts.relay import (
    ACT_COLLECT_RELAYS,
    ACT_START_RELAYS,
    RELAY_WORKFLOW,
    CollectedRelays,
    CollectRelaysInput,
    RelayInput,
    RelayReport,
    StartRelaysInput,
    relay_summary,
    relay_workflow_id,
)

# After the first relay ends, how long the others get to end too and come in the same answer.
LINGER_SECONDS = 0.1


@activity.defn(name=ACT_START_RELAYS)
async def start_relays(inp: StartRelaysInput) -> None:
    """Start each relay; one already started (by an earlier attempt) counts as started."""
    client = activity.client()
    await asyncio.gather(*(_start(client, inp, batch_no) for batch_no in inp.items))


async def _start(client: Client, inp: StartRelaysInput, batch_no: int) -> None:
    item = inp.items[batch_no]
    # Batch numbers never repeat in a run's chain, so the id is only ever this relay's: taken,
    # it was started by an earlier attempt (and starting it again once it has ended would run
    # its item twice, hence REJECT_DUPLICATE).
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            RELAY_WORKFLOW,
            RelayInput(
                run_id=inp.run_id,
                batch_no=batch_no,
                item=item,
                options=inp.options,
                report_by_signal=False,
            ),
            id=relay_workflow_id(inp.run_id, batch_no),
            task_queue=inp.task_queue,
            execution_timeout=inp.execution_timeout,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=relay_summary(inp.run_id, item),
        )


@activity.defn(name=ACT_COLLECT_RELAYS)
async def collect_relays(inp: CollectRelaysInput) -> CollectedRelays:
    """The reports of the relays that end within `wait_seconds`: waits for the first, then
    lingers a moment for others; none when none ended. An error other than a relay's end
    fails the attempt, and the next one asks again (a relay's result stays)."""
    if not inp.batch_nos:
        return CollectedRelays(reports=[])
    client = activity.client()
    waits = [asyncio.ensure_future(_ended(client, inp.run_id, n)) for n in inp.batch_nos]
    try:
        done, pending = await asyncio.wait(
            waits, timeout=inp.wait_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        if done and pending:
            await asyncio.wait(pending, timeout=LINGER_SECONDS)
    finally:
        for wait in waits:
            wait.cancel()
    return CollectedRelays(reports=[w.result() for w in waits if w.done() and not w.cancelled()])


async def _ended(client: Client, run_id: str, batch_no: int) -> RelayReport:
    """The relay's report once it has ended. One that ended without a result (terminated, timed
    out) or cannot be found (never started, or past the namespace's retention) is reported
    `cancelled`: the run then settles its item from the database."""
    relay_id = relay_workflow_id(run_id, batch_no)
    handle = client.get_workflow_handle(relay_id, result_type=RelayReport)
    try:
        return await handle.result()
    except WorkflowFailureError as exc:
        activity.logger.warning("Relay %s ended without a report: %s", relay_id, exc.cause)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        activity.logger.warning("Relay %s was not found", relay_id)
    return RelayReport(batch_no=batch_no, cancelled=True)


# For the run's own worker.
RELAY_ACTIVITIES: list[Callable[..., Any]] = [start_relays, collect_relays]
