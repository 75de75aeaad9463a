"""A whole run on the `openai` provider against an OpenAI-compatible server with faults, and
the credit ledger audited against what was made."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import func
from sqlmodel import select
from temporalio.client import Client

from contracts.run import RunProgress
from core.db import session_scope
from models import AIUsage, Cluster, Content, ContentIdea, CreditTransaction, Image, Task
from services import credits, runs
from tests.helpers import count, seed_site
from tests.helpers.fake_openai import FakeOpenAI
from tests.helpers.openai_inputs import run_settings
from tests.helpers.runs import assert_matches_db
from worker import build_worker


def ledger_total(run_id: str) -> int:
    with session_scope() as s:
        return -int(
            s.exec(
                select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
                    CreditTransaction.run_id == run_id
                )
            ).one()
        )


async def test_full_run_on_openai_with_faults_charges_each_item_once(
    client: Client, task_queue: str, fake: FakeOpenAI
) -> None:
    account_id, site_id = seed_site(keywords=20)
    settings = run_settings(fake, task_queue)
    # Transient trouble all along the way: rate limits (with Retry-After), server errors,
    # a hang past the client timeout, and a truncated answer.
    fake.inject("rate_limit", times=2, retry_after=1, endpoint="embeddings")
    fake.inject("server_error", times=2, endpoint="chat")
    fake.inject("hang", times=1, seconds=5, endpoint="chat")
    fake.inject("truncated", times=2)
    fake.inject("server_error", times=3, endpoint="images")
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    assert all(s.failed == 0 for s in result.stages)
    tasks = count(Task, site_id=site_id)
    assert tasks and count(Content, site_id=site_id, status="review") == tasks
    with session_scope() as s:
        made_by = set(s.exec(select(Content.provider).where(Content.site_id == site_id)))
        made_by |= set(s.exec(select(Cluster.provider).where(Cluster.site_id == site_id)))
        made_by |= set(s.exec(select(ContentIdea.provider).where(ContentIdea.site_id == site_id)))
        made_by |= set(s.exec(select(Image.provider).where(Image.site_id == site_id)))
        usage = s.exec(select(AIUsage).where(AIUsage.run_id == run_id)).all()
    assert made_by == {"openai"}
    assert usage and all(u.provider == "openai" for u in usage)
    assert sum(u.tokens_in for u in usage) > 0
    # The progress shows what each stage spent, stage 1 included. An attempt whose answer was
    # saved but whose completion Temporal never heard of is recorded per call, not counted
    # again by its retry: the progress may only be short of the records, never above them.
    for st in result.stages:
        recorded = [u for u in usage if u.stage == st.stage]
        assert (st.tokens_in > 0) == bool(recorded), st
        assert st.tokens_in <= sum(u.tokens_in for u in recorded), st
        assert st.cost_usd <= sum(u.cost_usd for u in recorded) + 1e-9, st
    stage_1 = [u for u in usage if u.stage == 1]
    assert result.stages[0].tokens_in == sum(u.tokens_in for u in stage_1) > 0
    # The ledger equals the cost of what was made: each item charged exactly once.
    expected = sum(credits.cost_per_item(st.stage, settings) * st.completed for st in result.stages)
    assert ledger_total(run_id) == expected == result.credits_used
    assert_matches_db(result)
    assert any(r.fault == "rate_limit" for r in fake.requests)


async def test_permanent_refusal_fails_items_with_a_clear_error(
    client: Client, task_queue: str, fake: FakeOpenAI
) -> None:
    account_id, site_id = seed_site(keywords=12)
    settings = run_settings(fake, task_queue).model_copy(
        update={"openai_api_key": SecretStr("sk-wrong-key-000")}
    )
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    stage1 = result.stages[0]
    assert stage1.failed == 12 and stage1.completed == 0
    assert stage1.error and stage1.error.error_type == "AIProviderError"
    assert not stage1.error.retryable and "401" in stage1.error.error_message
    assert "sk-wrong-key-000" not in result.model_dump_json()
    assert ledger_total(run_id) == 0  # reservations released
