"""Stage 1 on a provider that charges per call: each embeddings request and each naming call is
an activity of its own on the AI task queue (the limits every run shares), retried alone; a
naming call that fails for good fails only its groups' keywords, and `retry` names them without
paying to embed anything again."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from contracts.run import RunProgress
from core.db import session_scope
from models import Keyword, StageItem
from services import runs
from tests.helpers import seed_site
from tests.helpers.fake_openai import FakeOpenAI
from tests.helpers.histories import chain_events
from tests.helpers.openai_inputs import run_settings
from tests.helpers.runs import run_row
from worker import build_worker


async def scheduled_activities(client: Client, run_id: str) -> Counter[tuple[str, str]]:
    """(activity type, task queue) of every activity the run scheduled, in all its histories."""
    scheduled = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    out: Counter[tuple[str, str]] = Counter()
    async for events in chain_events(client, run_id):
        for e in events:
            if e.event_type == scheduled:
                attrs = e.activity_task_scheduled_event_attributes
                out[(attrs.activity_type.name, attrs.task_queue.name)] += 1
    return out


async def test_stage_1_calls_are_ai_queue_activities_of_their_own(
    client: Client, task_queue: str, fake: FakeOpenAI
) -> None:
    account_id, site_id = seed_site(keywords=60)
    settings = run_settings(fake, task_queue)
    fake.inject("server_error", times=1, schema="ClusterLabelSet")
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed", result.summary
    assert result.stages[0].completed == 60 and result.stages[0].failed == 0
    activities = await scheduled_activities(client, run_id)
    ai_queue = f"{task_queue}-ai"
    naming_calls = fake.chat_requests("ClusterLabelSet")
    # One activity per naming call (the failed call's retry is the same activity, not a new
    # one), all on the AI queue; nothing of stage 1 that calls the provider on the main queue.
    assert activities[("name_clusters", ai_queue)] == len(naming_calls) - 1 >= 2
    assert activities[("embed_keywords", ai_queue)] == len(
        [r for r in fake.requests if r.endpoint == "embeddings"]
    )
    assert not [
        a for a, q in activities if a in ("name_clusters", "embed_keywords") and q != ai_queue
    ]
    assert result.stages[0].tokens_in > 0


async def test_a_naming_call_that_fails_for_good_fails_its_groups_alone(
    client: Client, task_queue: str, fake: FakeOpenAI
) -> None:
    account_id, site_id = seed_site(keywords=60)
    settings = run_settings(fake, task_queue)
    fake.inject(
        "status",
        times=1,
        schema="ClusterLabelSet",
        status=400,
        code="invalid_request_error",
        message="This naming request is not allowed",
    )
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        stage_1 = result.stages[0]
        assert result.status == "completed", result.summary
        assert 0 < stage_1.failed < 60 and stage_1.completed == 60 - stage_1.failed
        assert "not allowed" in (stage_1.error.error_message if stage_1.error else "")
        with session_scope() as s:
            failed = s.exec(
                select(StageItem).where(
                    StageItem.run_id == run_id, StageItem.stage == 1, StageItem.status == "failed"
                )
            ).all()
            assert len(failed) == stage_1.failed
            assert all("not allowed" in (f.error_message or "") for f in failed)
            unclustered = s.exec(
                select(Keyword.id).where(
                    Keyword.site_id == site_id,
                    Keyword.cluster_id == None,  # noqa: E711
                )
            ).all()
        assert sorted(unclustered) == sorted(f.item_id for f in failed)

        embeddings_before = len([r for r in fake.requests if r.endpoint == "embeddings"])
        retried_id, _ = await runs.retry_run(client, settings, run_row(run_id), trigger="api")
        retried = await client.get_workflow_handle(retried_id, result_type=RunProgress).result()
    assert retried.status == "completed" and retried.failed_items == 0, retried.summary
    with session_scope() as s:
        left = s.exec(
            select(Keyword.id).where(Keyword.site_id == site_id, Keyword.cluster_id == None)  # noqa: E711
        ).all()
    assert left == []
    # The vectors were kept: the retry named the groups again and embedded nothing.
    assert len([r for r in fake.requests if r.endpoint == "embeddings"]) == embeddings_before
