"""Reading a run's progress for people watching it: the API's event stream and `igny8 runs watch`.

A run's live progress comes from the workflow's `progress` query; when the workflow does not
answer in time (no worker polling, a busy worker) the last recorded snapshot stands in, so a
reader is never stuck for the server's 30-second query deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from temporalio.client import Client, WorkflowQueryFailedError

from contracts.run import RunProgress
from contracts.status import ACTIVE_RUN_STATUSES
from core.db import read_session
from core.errors import NotFoundError
from models import AutomationRun
from services.runs import read_progress, snapshot

QUERY_TIMEOUT_SECONDS = 5.0
log = logging.getLogger("igny8.progress")


def load_run(run_id: str, account_id: int | None = None) -> AutomationRun:
    """The run's row; NotFoundError if missing or (with `account_id`) another account's."""
    with read_session() as session:
        run = session.get(AutomationRun, run_id)
    if run is None or (account_id is not None and run.account_id != account_id):
        raise NotFoundError(f"Run {run_id} not found")
    return run


async def progress_of(
    client: Client, run: AutomationRun, timeout: float = QUERY_TIMEOUT_SECONDS
) -> RunProgress:
    """Live progress, or the recorded snapshot when the workflow does not answer in time."""
    try:
        return await asyncio.wait_for(read_progress(client, run), timeout)
    except TimeoutError:
        pass
    except WorkflowQueryFailedError as exc:
        # The workflow could not answer (e.g. its task failed); its record still can.
        log.warning("progress query of %s failed: %s", run.id, exc)
    # The record as it is now: the caller's row may be from before the run ended (a shared
    # reader keeps the row it started with).
    return snapshot(await asyncio.to_thread(load_run, run.id))


async def current_progress(
    client: Client, run_id: str, account_id: int | None = None
) -> RunProgress:
    run = await asyncio.to_thread(load_run, run_id, account_id)
    return await progress_of(client, run)


def is_finished(progress: RunProgress) -> bool:
    return progress.status not in ACTIVE_RUN_STATUSES


async def follow_progress(
    client: Client, run_id: str, account_id: int | None = None, interval: float = 0.25
) -> AsyncIterator[RunProgress]:
    """Yield the run's progress now and whenever it changes; stop after the run has ended."""
    last: str | None = None
    while True:
        progress = await current_progress(client, run_id, account_id)
        dumped = progress.model_dump_json()
        if dumped != last:
            last = dumped
            yield progress
        if is_finished(progress):
            return
        await asyncio.sleep(interval)
