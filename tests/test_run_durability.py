"""Durability: a worker killed mid-run, and continue-as-new on long runs."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select
from temporalio.client import Client

from contracts.run import RunProgress
from core.db import session_scope
from models import AutomationConfig, Content, CreditTransaction, Image, StageItem, Task
from tests.helpers import count, seed_site, wait_for
from tests.helpers.runs import (
    assert_matches_db,
    replay_chain,
    stage_completed,
    start,
    worker_for,
)

ROOT = Path(__file__).resolve().parents[1]


def no_duplicate_settlements(run_id: str) -> None:
    with session_scope() as s:
        rows = s.exec(
            select(CreditTransaction.idempotency_key, func.count())
            .where(CreditTransaction.run_id == run_id)
            .group_by(CreditTransaction.idempotency_key)
        ).all()
    assert rows and all(n == 1 for _, n in rows)


async def test_killed_worker_mid_run_completes_without_duplicates(
    client: Client, task_queue: str, temporal_env
) -> None:
    site = seed_site(keywords=40)
    _, site_id = site
    address = temporal_env.client.service_client.config.target_host
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.worker_process", task_queue, address, "0.3"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        await asyncio.to_thread(proc.stdout.readline)  # "worker ready"
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_completed(client, run_id, 4, at_least=3), timeout=90)
        os.kill(proc.pid, signal.SIGKILL)  # no goodbye: in-flight batches die with it
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    async with worker_for(client, task_queue):
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    tasks = count(Task, site_id=site_id)
    assert count(Content, site_id=site_id) == tasks
    with session_scope() as s:
        per_task = s.exec(
            select(Content.task_id, func.count())
            .where(Content.site_id == site_id)
            .group_by(Content.task_id)
        ).all()
        per_slot = s.exec(
            select(Image.content_id, Image.kind, Image.position, func.count())
            .where(Image.site_id == site_id)
            .group_by(Image.content_id, Image.kind, Image.position)
        ).all()
    assert all(n == 1 for _, n in per_task) and all(row[3] == 1 for row in per_slot)
    no_duplicate_settlements(run_id)
    assert count(StageItem, run_id=run_id, status="processing") == 0
    assert_matches_db(result)


async def test_continue_as_new_keeps_counts_and_queues(client: Client, task_queue: str) -> None:
    """The test server suggests continue-as-new after a few hundred events (conftest); batches
    of one item make a long history, so the run continues as new several times."""
    site = seed_site(keywords=30)
    _, site_id = site
    with session_scope() as s:  # batches of one item, as a site's automation config says
        s.add(
            AutomationConfig(
                account_id=site[0],
                site_id=site_id,
                batch_sizes={str(stage): 1 for stage in range(2, 8)},
            )
        )
    async with worker_for(client, task_queue):
        run_id = await start(client, task_queue, site)
        handle = client.get_workflow_handle(run_id, result_type=RunProgress)
        result = await handle.result()
    chain = [wf async for wf in client.list_workflows(f'WorkflowId = "{run_id}"')]
    assert len(chain) > 1, "the run continued as new"
    assert await replay_chain(client, run_id) == len(chain)  # every link replays
    assert result.status == "completed"
    assert result.stages[3].completed == count(Task, site_id=site_id)
    assert count(Content, site_id=site_id, status="review") == count(Task, site_id=site_id)
    assert_matches_db(result)
