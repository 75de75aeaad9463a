"""A run never loops for ever: when planning keeps loading nothing while the database says
items are pending, the stage fails with a typed error and the run stops there, failed."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from activities.stages import StageActivities
from contracts.run import ACT_PLAN_STAGE, PlanStageInput, PlanStageResult, RunProgress
from services.ai.local import LocalProvider
from services.stages import queue
from tests.helpers import seed_site
from tests.helpers.runs import settings_for, start
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
