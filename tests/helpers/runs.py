"""Helpers for tests of automation runs: start one, read its progress, check it against the
database, and replay its histories."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, Worker

from contracts.run import RunProgress
from core.config import Settings, get_settings
from core.db import session_scope
from models import AutomationRun, StageItem
from services import runs
from services.ai.base import AIProvider
from worker import build_worker
from workflows.automation import AutomationRunWorkflow
from workflows.publish import PublishContentWorkflow
from workflows.wp_sync import WordPressSyncWorkflow


def settings_for(task_queue: str) -> Settings:
    """The session's settings, with runs on this test's task queue."""
    return get_settings().model_copy(update={"task_queue": task_queue})


def worker_for(client: Client, task_queue: str, provider: AIProvider | None = None) -> Worker:
    """igny8's worker on the test's task queue; `provider` serves every account (default: the
    configured one, local in tests)."""
    factory = None if provider is None else (lambda _account_id: provider)
    return build_worker(client, settings_for(task_queue), task_queue, factory)


async def start(client: Client, task_queue: str, site: tuple[int, int], **kw: Any) -> str:
    """Start a run of `site` (account_id, site_id) as the API would; returns its id."""
    account_id, site_id = site
    return await runs.start_run(
        client,
        settings_for(task_queue),
        account_id=account_id,
        site_id=site_id,
        trigger="api",
        **kw,
    )


async def progress(client: Client, run_id: str) -> RunProgress:
    """The run's live progress, from its workflow."""
    return await client.get_workflow_handle(run_id).query("progress", result_type=RunProgress)


def db_counts(run_id: str, stage: int) -> dict[str, int]:
    """How many of the stage's items the database holds per status."""
    with session_scope() as s:
        rows = s.exec(
            select(StageItem.status).where(StageItem.run_id == run_id, StageItem.stage == stage)
        ).all()
    out: dict[str, int] = {}
    for status in rows:
        out[status] = out.get(status, 0) + 1
    return out


def failed_item_ids(run_id: str, stage: int) -> list[int]:
    """Ids of the stage's failed items, as the database records them."""
    with session_scope() as s:
        return list(
            s.exec(
                select(StageItem.item_id).where(
                    StageItem.run_id == run_id,
                    StageItem.stage == stage,
                    StageItem.status == "failed",
                )
            ).all()
        )


def assert_matches_db(p: RunProgress) -> None:
    """Every stage count the workflow reports is what the database holds."""
    for st in p.stages:
        db = db_counts(p.run_id, st.stage)
        assert st.completed == db.get("completed", 0), (st.name, st, db)
        assert st.failed == db.get("failed", 0), (st.name, st, db)
        held = db.get("pending", 0) + db.get("queued", 0) + db.get("processing", 0)
        assert st.pending + st.processing == held, (st.name, st, db)


async def stage_completed(client: Client, run_id: str, stage: int, at_least: int) -> bool:
    p = await progress(client, run_id)
    return any(s.stage == stage and s.completed >= at_least for s in p.stages)


async def stage_processing(client: Client, run_id: str, stage: int) -> bool:
    p = await progress(client, run_id)
    return any(s.stage == stage and s.processing > 0 for s in p.stages)


async def stage_failed(client: Client, run_id: str, stage: int) -> bool:
    p = await progress(client, run_id)
    return any(s.stage == stage and s.failed > 0 for s in p.stages)


async def settled(client: Client, run_id: str) -> RunProgress | None:
    """The progress once the run is paused with nothing in flight, else None."""
    p = await progress(client, run_id)
    return p if p.paused and all(s.processing == 0 for s in p.stages) else None


async def replay_chain(client: Client, run_id: str) -> int:
    """Replay every run of the workflow id (its continue-as-new chain); raises on
    nondeterminism. Returns how many histories were replayed."""
    replayer = Replayer(
        workflows=[AutomationRunWorkflow, PublishContentWorkflow, WordPressSyncWorkflow],
        data_converter=pydantic_data_converter,
    )
    replayed = 0
    async for wf in client.list_workflows(f'WorkflowId = "{run_id}"'):
        history = await client.get_workflow_handle(wf.id, run_id=wf.run_id).fetch_history()
        await replayer.replay_workflow(history)
        replayed += 1
    return replayed


def run_row(run_id: str) -> AutomationRun:
    """The run's database row, detached (readable after its session closed)."""
    with session_scope() as s:
        row = s.get(AutomationRun, run_id)
        assert row is not None, run_id
        s.expunge(row)
        return row
