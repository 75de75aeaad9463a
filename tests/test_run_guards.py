"""Planning that goes wrong neither loops nor loses items: when planning keeps loading nothing
while the database says items are pending, the stage fails with a typed error and the run stops
there, failed; a plan retried after its answer was lost answers the items it had loaded."""

from __future__ import annotations

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.stages import StageActivities
from contracts.run import ACT_PLAN_STAGE, PlanStageInput, PlanStageResult, RunProgress
from contracts.stages import Stage
from models import Content, Task
from services.ai.local import LocalProvider
from services.stages import queue
from tests.helpers import count, seed_site
from tests.helpers.runs import assert_matches_db, settings_for, start, worker_for
from workflows.automation import AutomationRunWorkflow


@activity.defn(name=ACT_PLAN_STAGE)
def plan_that_loads_nothing(inp: PlanStageInput) -> PlanStageResult:
    """Stage 1's queue fills as usual, then no window is ever loaded (a broken plan)."""
    plan = queue.plan_stage(inp.model_copy(update={"window": 0}))
    return plan.model_copy(update={"items": []})


async def test_a_plan_that_loads_nothing_fails_the_stage_instead_of_looping(
    client: Client, task_queue: str
) -> None:
    site = seed_site(keywords=12)
    stages = StageActivities(settings_for(task_queue), lambda _account: LocalProvider())
    keep = [a for a in stages.all() if a.__name__ != "plan_stage"]
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[AutomationRunWorkflow],
        activities=[*keep, plan_that_loads_nothing],
        activity_executor=stages._db,
    ):
        run_id = await start(client, task_queue, site)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "failed" and result.current_stage == 1
    assert result.stages[0].status == "failed"
    assert result.error is not None and result.error.error_type == "PlanStalledError"
    assert "12 items pending" in result.error.error_message
    assert "could not go on" in result.summary


async def test_a_retried_plan_loses_no_item_its_lost_attempt_loaded(
    client: Client, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each plan of stage 4 loads its window, then its attempt dies before answering (as with a
    worker killed at that moment), so Temporal tries it again: the retry answers the window the
    lost attempt loaded. Every task gets its article, and the counts match the database."""
    plan_stage = queue.plan_stage

    def first_answer_lost(inp: PlanStageInput) -> PlanStageResult:
        plan = plan_stage(inp)
        if inp.stage == Stage.GENERATE_CONTENT and activity.info().attempt == 1:
            raise ApplicationError(f"the worker died after loading {len(plan.items)} items")
        return plan

    monkeypatch.setattr(queue, "plan_stage", first_answer_lost)
    site = seed_site(keywords=30)
    _, site_id = site
    async with worker_for(client, task_queue):
        run_id = await start(client, task_queue, site)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    tasks = count(Task, site_id=site_id)
    assert tasks > 0 and count(Content, site_id=site_id) == tasks
    assert_matches_db(result)
