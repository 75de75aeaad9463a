"""The seven-stage run on a real dev server and a real database, as an operator sees it."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlmodel import col, select
from temporalio.client import Client, WorkflowFailureError

from contracts.run import RunProgress, StageProgress, StageQueueInput, StageQueuePage
from core.db import session_scope
from core.errors import ConflictError
from models import (
    AutomationConfig,
    AutomationRun,
    Cluster,
    Content,
    ContentIdea,
    Image,
    Keyword,
    StageItem,
    Task,
)
from services import credits, runs
from tests.helpers import ControlledProvider, count, seed_site, wait_for
from tests.helpers.runs import (
    assert_matches_db,
    failed_item_ids,
    progress,
    settled,
    stage_completed,
    stage_failed,
    stage_processing,
    start,
    worker_for,
)


async def test_full_run_takes_keywords_to_reviewed_articles(client: Client, task_queue: str):
    site = seed_site(keywords=60)
    async with worker_for(client, task_queue):
        run_id = await start(client, task_queue, site)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    _, site_id = site
    assert result.status == "completed" and result.percentage == 100.0
    assert [s.status for s in result.stages] == ["completed"] * 7
    clusters = count(Cluster, site_id=site_id)
    assert 3 <= clusters < 60, "clustering groups keywords by topic"
    assert count(Keyword, site_id=site_id, status="mapped") == 60
    ideas, tasks = count(ContentIdea, site_id=site_id), count(Task, site_id=site_id)
    assert ideas >= 3 * clusters and tasks == ideas
    assert count(Content, site_id=site_id, status="review") == tasks
    with session_scope() as s:
        images = s.exec(select(Image).where(Image.site_id == site_id)).all()
        run = s.get(AutomationRun, run_id)
        spent = credits.credits_used(s, run_id)
    assert images and all(i.file_path and i.width for i in images)
    stage1 = result.stages[0]
    assert stage1.message == f"60 keywords mapped into {clusters} clusters"
    assert result.stages[3].result["articles"] == tasks
    assert run is not None and run.status == "completed" and run.finished_at
    assert run.progress["status"] == "completed" and run.credits_used == spent > 0
    assert_matches_db(result)
    assert count(StageItem, run_id=run_id, status="processing") == 0


async def test_second_run_for_a_site_is_refused(client: Client, task_queue: str):
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["cluster_keywords"] = 1.0
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        with pytest.raises(ConflictError, match="already has an active run"):
            await start(client, task_queue, site)
        await client.get_workflow_handle(run_id).result()


async def test_pause_holds_and_resume_completes(client: Client, task_queue: str):
    site = seed_site(keywords=40)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.15
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        handle = client.get_workflow_handle(run_id, result_type=RunProgress)
        await wait_for(lambda: stage_completed(client, run_id, 4, at_least=2))
        await handle.signal("pause")  # as the UI sends it: no input
        held = await wait_for(lambda: settled(client, run_id))
        assert held.paused and held.status == "paused"
        await asyncio.sleep(2)
        later = await progress(client, run_id)
        assert [s.completed for s in later.stages] == [s.completed for s in held.stages]
        assert_matches_db(later)
        with session_scope() as s:
            assert s.get(AutomationRun, run_id).status == "paused"
        await handle.signal("resume", {})
        result = await handle.result()
    assert result.status == "completed"
    assert_matches_db(result)


async def test_immediate_pause_requeues_in_flight_work(client: Client, task_queue: str):
    site = seed_site(keywords=40)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 3.0  # long enough for the cancel to arrive mid-call
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_processing(client, run_id, 4))
        paused = await runs.pause_run(client, run_id, mode="immediate")
        assert paused.paused
        held = await wait_for(lambda: settled(client, run_id))
        stage4 = held.stages[3]
        assert stage4.processing == 0 and stage4.pending > 0
        assert count(StageItem, run_id=run_id, status="processing") == 0
        assert_matches_db(held)
        await runs.resume_run(client, run_id)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    _, site_id = site
    assert count(Content, site_id=site_id) == count(Task, site_id=site_id)


async def test_cancel_leaves_nothing_processing(client: Client, task_queue: str):
    site = seed_site(keywords=40)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 3.0  # long enough for the cancel to arrive mid-call
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_processing(client, run_id, 4))
        await runs.cancel_run(client, run_id)
        with pytest.raises(WorkflowFailureError):
            await client.get_workflow_handle(run_id).result()
    with session_scope() as s:
        run = s.get(AutomationRun, run_id)
        left = s.exec(
            select(StageItem).where(
                StageItem.run_id == run_id, col(StageItem.status).in_(["processing", "pending"])
            )
        ).all()
    assert run.status == "cancelled" and run.finished_at and not left
    assert count(StageItem, run_id=run_id, status="cancelled") > 0


async def test_failed_item_is_listed_and_retry_completes_it(client: Client, task_queue: str):
    site = seed_site(keywords=30)
    _, site_id = site
    provider = ControlledProvider()
    # Hold stage 5 so the run is still open when the operator retries.
    gate = provider.gates["generate_image_prompts"] = threading.Event()
    async with worker_for(client, task_queue, provider):
        provider.fail_next_article = True  # a permanent (validation) error for one article
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_failed(client, run_id, 4), timeout=60)
        handle = client.get_workflow_handle(run_id, result_type=RunProgress)
        page = await handle.query(
            "stage_queue", StageQueueInput(stage=4, status="failed"), result_type=StageQueuePage
        )
        assert page.total == 1 and page.items[0].error_type == "ValidationError"
        assert "test fault" in (page.items[0].error_message or "")
        db_page = failed_item_ids(run_id, 4)
        assert [i.id for i in page.items] == db_page
        provider.fail_titles = set()
        # Two operators retry at once: the item goes back to the queue once.
        both = await asyncio.gather(
            runs.retry_failed(client, run_id, stage=4), runs.retry_failed(client, run_id)
        )
        assert sorted(r.requeued for r in both) == [0, 1]
        gate.set()
        result = await handle.result()
    assert result.stages[3].failed == 0
    with pytest.raises(Exception, match="completed"):  # a finished run refuses in-run retries
        await runs.retry_failed(client, run_id)
    assert count(Content, site_id=site_id) == count(Task, site_id=site_id)
    assert count(Content, site_id=site_id, status="review") == count(Task, site_id=site_id)
    assert_matches_db(result)


async def test_retry_after_its_stage_closed_reaches_the_stages_after_it(
    client: Client, task_queue: str
):
    """An article retried after its stage closed, while the next stage is still busy and has
    already planned its last items, still gets its image prompts, images and review."""
    site = seed_site(keywords=30)
    account_id, site_id = site
    with session_scope() as s:
        # Image prompts held at the gate (15 items in flight: 12 calls and a quarter more) must
        # not take all 16 threads of the local provider while articles are still being written;
        # their window (24) still loads every article's, so their last plan comes early.
        s.add(AutomationConfig(account_id=account_id, site_id=site_id, concurrency={"5": 12}))
    provider = ControlledProvider()
    gate = provider.gates["generate_image_prompts"] = threading.Event()
    async with worker_for(client, task_queue, provider):
        provider.fail_next_article = True
        run_id = await start(client, task_queue, site)

        async def stage(number: int) -> StageProgress | None:
            p = await progress(client, run_id)
            return next((st for st in p.stages if st.stage == number), None)

        async def articles_closed() -> bool:
            return getattr(await stage(4), "status", None) == "completed"

        await wait_for(articles_closed, timeout=120)
        written = count(Content, site_id=site_id)

        async def prompts_planned_for_every_article() -> bool:
            return getattr(await stage(5), "items_total", None) == written

        await wait_for(prompts_planned_for_every_article, timeout=30)
        provider.fail_titles = set()
        assert (await runs.retry_failed(client, run_id, stage=4)).requeued == 1
        gate.set()
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed" and result.failed_items == 0, result.summary
    assert count(Content, site_id=site_id) == count(Task, site_id=site_id) == written + 1
    assert count(Content, site_id=site_id, status="review") == written + 1
    assert_matches_db(result)


@pytest.mark.parametrize("after", [0.0, 0.2])
async def test_cancel_right_after_start_is_recorded(client: Client, task_queue: str, after: float):
    """A cancel that lands while the run records itself or plans still cleans up: the site is
    free for the next run and the closed run still answers queries."""
    site = seed_site(keywords=10)
    async with worker_for(client, task_queue):
        run_id = await start(client, task_queue, site)
        await asyncio.sleep(after)
        await runs.cancel_run(client, run_id)
        with pytest.raises(WorkflowFailureError):
            await client.get_workflow_handle(run_id).result()
        answer = await progress(client, run_id)
        assert answer.status == "cancelled"
        with session_scope() as s:
            assert s.get(AutomationRun, run_id).status == "cancelled"
        next_run = await start(client, task_queue, site)  # the site is free again
        await client.get_workflow_handle(next_run).result()


async def test_a_run_terminated_in_the_ui_is_recorded_and_frees_its_site(
    client: Client, task_queue: str
):
    site = seed_site(keywords=20)
    provider = ControlledProvider()
    provider.delay["generate_article"] = 0.5
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: stage_processing(client, run_id, 4))
        await client.get_workflow_handle(run_id).terminate(reason="operator")
        with session_scope() as s:
            row = s.get(AutomationRun, run_id)
        answer = await runs.read_progress(client, row)
        assert answer.status == "failed"
        with session_scope() as s:
            row = s.get(AutomationRun, run_id)
            assert row.status == "failed" and row.error["error_type"] == "WorkflowClosed"
        next_run = await start(client, task_queue, site)  # the site is free again
        await client.get_workflow_handle(next_run).result()
