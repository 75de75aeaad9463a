"""A provider that misbehaves like a real one, at a 20 % fault rate (429 with Retry-After, 500,
answers slower than the client's timeout, malformed JSON, truncated output), over a few hundred
keywords: the run completes, nothing is charged twice, and what could not be done is failed
with a typed error that a retry then clears. And a provider that fails every call: the run
fails in stage 1 with the provider's own words."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from temporalio.client import Client

from contracts.run import RunProgress
from core.config import Settings
from core.db import session_scope
from models import CreditTransaction, StageItem
from services import credits, runs
from tests.helpers import seed_site
from tests.helpers.fake_openai import FakeOpenAI
from tests.helpers.openai_inputs import run_settings
from tests.helpers.runs import run_row
from worker import build_worker


def openai_settings(fake: FakeOpenAI, task_queue: str) -> Settings:
    """A whole run on the fake provider, with a 1 s client timeout and six attempts a call."""
    return run_settings(fake, task_queue).model_copy(
        update={"openai_timeout_seconds": 1.0, "retry_maximum_attempts": 6}
    )


def ledger(run_id: str) -> tuple[int, int]:
    """Credits the run's ledger took, and how many items it charged."""
    with session_scope() as s:
        total = -int(
            s.exec(
                select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
                    CreditTransaction.run_id == run_id
                )
            ).one()
        )
        keys = s.exec(
            select(CreditTransaction.idempotency_key).where(CreditTransaction.run_id == run_id)
        ).all()
    return total, sum(1 for k in keys if k.startswith("settle:"))


async def test_a_run_rides_out_a_faulty_provider(client: Client, task_queue: str) -> None:
    account_id, site_id = seed_site(keywords=150)
    with FakeOpenAI(fault_rate=0.2, hang_seconds=2.5, cap_retry_after=0.3) as fake:
        settings = openai_settings(fake, task_queue)
        async with build_worker(client, settings, task_queue):
            run_id = await runs.start_run(
                client, settings, account_id=account_id, site_id=site_id, trigger="api"
            )
            handle = client.get_workflow_handle(run_id, result_type=RunProgress)
            result = await handle.result()
            faults = fake.faults_injected
            fake.fault_rate = 0.0
            failed = [s for s in result.stages if s.failed]
            if failed:  # whatever failed for good is retried once the provider behaves
                retried_id, _ = await runs.retry_run(
                    client, settings, run_row(run_id), trigger="api"
                )
                retried = await client.get_workflow_handle(
                    retried_id, result_type=RunProgress
                ).result()
                assert retried.status == "completed" and retried.failed_items == 0
    from collections import Counter

    seen = Counter((r.endpoint, r.fault) for r in fake.requests)
    assert faults > 20, ("the provider really misbehaved", result.summary, seen)
    assert result.status == "completed", result.summary
    for st in result.stages:
        if st.items_total:
            assert st.completed >= 0.99 * st.items_total, st
    with session_scope() as s:
        failures = s.exec(
            select(StageItem).where(StageItem.run_id == run_id, StageItem.status == "failed")
        ).all()
    assert all(f.error_type and f.error_message for f in failures)
    # Each completed item charged once, at its stage's price: no attempt ever paid twice.
    spent, charged = ledger(run_id)
    assert spent == result.credits_used
    expected = sum(credits.cost_per_item(st.stage, settings) * st.completed for st in result.stages)
    assert spent == expected
    paid_items = sum(
        st.completed for st in result.stages if credits.cost_per_item(st.stage, settings)
    )
    assert charged == paid_items - result.stages[0].completed + 1  # stage 1: one charge a batch


async def test_a_provider_that_fails_every_call_fails_the_run_in_stage_1(
    client: Client, task_queue: str
) -> None:
    account_id, site_id = seed_site(keywords=20)
    with FakeOpenAI(fault_rate=1.0, fault_kinds=("server_error",)) as fake:
        settings = openai_settings(fake, task_queue).model_copy(
            update={"retry_maximum_attempts": 2, "retry_maximum_seconds": 0.5}
        )
        async with build_worker(client, settings, task_queue):
            run_id = await runs.start_run(
                client, settings, account_id=account_id, site_id=site_id, trigger="api"
            )
            result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "failed"
    assert result.current_stage == 1
    assert result.stages[0].status == "failed"
    assert [s.status for s in result.stages[1:]] == ["cancelled"] * 6
    assert result.error is not None and "Stage 1" in result.error.error_message
    assert "OpenAI failed the embeddings request (500)" in result.summary
    row = run_row(run_id)
    assert row.status == "failed" and row.finished_at
    assert ledger(run_id)[0] == 0
