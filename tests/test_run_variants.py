"""Runs that skip, run out of credits, or work on items a user picked."""

from __future__ import annotations

from sqlmodel import select
from temporalio.client import Client

from contracts.run import ManualSelection, RunProgress
from core.db import session_scope
from models import Cluster, Content, CreditTransaction, Keyword, Task
from services import credits, runs
from tests.helpers import count, seed_site, wait_for
from tests.helpers.runs import assert_matches_db, settings_for, settled, start, worker_for
from worker import build_worker


async def test_too_few_keywords_skip_every_stage_without_charge(client: Client, task_queue: str):
    site = seed_site(keywords=3)
    async with worker_for(client, task_queue):
        run_id = await start(client, task_queue, site)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    assert [s.status for s in result.stages] == ["skipped"] * 7
    assert result.stages[0].message == "Only 3 new keywords: clustering needs at least 5"
    assert result.credits_used == 0
    assert count(Cluster, site_id=site[1]) == 0


async def test_running_out_of_credits_pauses_and_top_up_resumes(client: Client, task_queue: str):
    site = seed_site(keywords=30, balance=400)  # enough to plan, not to write every article
    account_id, site_id = site
    async with worker_for(client, task_queue):
        run_id = await start(client, task_queue, site)
        paused = await wait_for(lambda: settled(client, run_id), timeout=60)
        assert paused.error and paused.error.error_type == "InsufficientCreditsError"
        assert paused.error.action == "top_up"
        assert paused.pause_reason and paused.pause_reason.startswith("Not enough credits")
        assert_matches_db(paused)
        with session_scope() as s:
            credits.top_up(s, account_id, 100_000, key=f"test-top-up:{run_id}")
        await runs.resume_run(client, run_id)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    assert count(Content, site_id=site_id) == count(Task, site_id=site_id)
    with session_scope() as s:
        spent = -sum(
            t.amount
            for t in s.exec(select(CreditTransaction).where(CreditTransaction.run_id == run_id))
        )
    per_item = {
        st.stage: credits.cost_per_item(st.stage, settings_for(task_queue)) for st in result.stages
    }
    expected = sum(per_item[st.stage] * st.completed for st in result.stages)
    assert spent == expected == result.credits_used


async def test_manual_run_on_chosen_keywords(client: Client, task_queue: str):
    account_id, site_id = seed_site(keywords=40)
    with session_scope() as s:
        ids = [
            k.id
            for k in s.exec(
                select(Keyword).where(Keyword.site_id == site_id).order_by(Keyword.id).limit(12)
            )
        ]
    settings = settings_for(task_queue)
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client,
            settings,
            account_id=account_id,
            site_id=site_id,
            trigger="api",
            manual=ManualSelection(stage=1, item_ids=[*ids, 999_999]),
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.kind == "manual" and [s.stage for s in result.stages] == [1]
    stage = result.stages[0]
    assert stage.completed == 12 and stage.failed == 1  # the unknown id, with its reason
    assert count(Keyword, site_id=site_id, status="mapped") == 12
    assert count(Keyword, site_id=site_id, status="new") == 28
    page = runs.queue_page
    with session_scope() as s:
        failed = page(s, run_id, 1, "failed", 0, 10)
    assert failed.items[0].id == 999_999 and "not found" in (failed.items[0].error_message or "")
