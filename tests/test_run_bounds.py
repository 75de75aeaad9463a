"""Bounded at any size: a run that publishes far more articles than one history could hold
(the suite's dev server suggests continue-as-new at a few hundred events) continues-as-new
along the way, keeps every history and payload small, and publishes each article once."""

from __future__ import annotations

from sqlmodel import select
from temporalio.client import Client

from contracts.run import RunProgress
from core.db import session_scope
from models import Content
from services import runs
from tests.helpers import seed_site
from tests.helpers.fake_wordpress import fake_wordpress
from tests.helpers.histories import chain_histories
from tests.helpers.runs import settings_for
from tests.helpers.temporal import HISTORY_SUGGEST_CAN
from tests.helpers.wordpress import connect_site
from worker import build_worker

PAYLOAD_WARNING = 256 * 1024  # Temporal warns above this; it fails at 2 MB
HISTORY_WARNING = 10_240  # events: Temporal warns above this; it terminates at 51,200


async def test_a_large_auto_publishing_run_keeps_every_history_and_payload_small(
    client: Client, task_queue: str
) -> None:
    account_id, site_id = seed_site(keywords=60)
    with fake_wordpress() as wp:
        connect_site(site_id, wp.base_url, wp.username, wp.password)
        settings = settings_for(task_queue)
        async with build_worker(client, settings, task_queue):
            run_id = await runs.start_run(
                client, settings, account_id=account_id, site_id=site_id, trigger="api"
            )
            result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        stats = wp.stats()
    with session_scope() as s:
        contents = s.exec(select(Content).where(Content.site_id == site_id)).all()
    assert result.status == "completed" and result.failed_items == 0, result.summary
    assert len(contents) >= 25
    assert all(c.status == "published" and c.external_id for c in contents)
    assert stats["posts_created"] == stats["posts"] == len(contents)
    assert stats["markers_with_several_posts"] == 0
    histories = await chain_histories(client, run_id)
    # Publishing alone costs the run several events an article: one history could not hold it.
    assert histories.runs >= 3, histories
    assert histories.longest < min(HISTORY_WARNING, 3 * HISTORY_SUGGEST_CAN), histories
    assert histories.largest_payload < PAYLOAD_WARNING, histories
