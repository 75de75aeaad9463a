"""Stage 7 with auto-publish on: a whole run ends with every article on a real WordPress,
through a connection that times out and fails on the way, with nothing made twice."""

from __future__ import annotations

from sqlmodel import select
from temporalio.client import Client

from contracts.run import RunProgress
from core.db import session_scope
from models import AutomationRun, Content, Image, Site
from services import runs
from tests.helpers import seed_site as seed_keywords_site
from tests.helpers.runs import settings_for
from tests.helpers.wordpress import WP, FaultProxy, connect_site, wp_posts_with_marker
from worker import build_worker


async def test_run_with_auto_publish_puts_every_article_on_wordpress_once(
    client: Client,
    task_queue: str,
    wordpress: WP,
    proxy: FaultProxy,
) -> None:
    account_id, site_id = seed_keywords_site(keywords=10)
    connect_site(site_id, proxy.url, wordpress.username, wordpress.app_password)
    # The connection misbehaves: a post created whose answer is lost, a failed media upload.
    proxy.add_rule("POST", r"^/wp/v2/posts$", "drop")
    proxy.add_rule("POST", r"^/wp/v2/media$", "error", status=500)
    settings = settings_for(task_queue)
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    review = result.stages[6]
    with session_scope() as s:
        contents = s.exec(select(Content).where(Content.site_id == site_id)).all()
        images = s.exec(select(Image).where(Image.site_id == site_id)).all()
    assert result.status == "completed" and contents
    assert review.result.get("published") == len(contents), review
    assert "published to WordPress" in review.message
    assert all(c.status == "published" and c.external_id for c in contents)
    assert all(i.external_media_id for i in images)
    for content in contents:
        assert [p["id"] for p in wp_posts_with_marker(wordpress, content.id)] == [
            content.external_id
        ]
    assert len({i.external_media_id for i in images}) == len(images)


async def test_failed_publishes_of_an_ended_run_are_retried_by_a_new_run(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    from core.crypto import encrypt

    account_id, site_id = seed_keywords_site(keywords=10)
    connect_site(site_id, wordpress.url, wordpress.username, "not the password")
    settings = settings_for(task_queue)
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        first = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        articles = first.stages[6].completed
        assert first.status == "completed" and articles
        assert first.failed_items == articles, first.summary  # every publish refused
        assert f"{articles} failed to publish" in first.stages[6].message
        with session_scope() as s:
            site = s.get(Site, site_id)
            site.wp_app_password_encrypted = encrypt(wordpress.app_password)
            s.add(site)
            row = s.get(AutomationRun, run_id)
        retried_id, requeued = await runs.retry_run(client, settings, row, trigger="api")
        assert retried_id != run_id and requeued.requeued == articles
        assert requeued.stages == [8]
        again = await client.get_workflow_handle(retried_id, result_type=RunProgress).result()
    assert again.status == "completed" and again.failed_items == 0, again.summary
    review = next(st for st in again.stages if st.stage == 7)
    assert review.result.get("published") == articles, review
    with session_scope() as s:
        contents = s.exec(select(Content).where(Content.site_id == site_id)).all()
    assert len(contents) == articles
    for content in contents:
        assert content.status == "published" and content.external_id
        assert [p["id"] for p in wp_posts_with_marker(wordpress, content.id)] == [
            content.external_id
        ]
