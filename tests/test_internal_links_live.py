"""A run's cluster links, published to the real WordPress and read back from it: a link to a
live sibling is its WordPress URL, one to a sibling not published yet is plain text, and
re-publishing the hub once its supporting articles are live fills its links in."""

from __future__ import annotations

import re

from sqlmodel import col, select
from temporalio.client import Client

from contracts.run import RunProgress
from contracts.wordpress import PublishContentInput
from core.config import get_settings
from core.crypto import encrypt
from core.db import session_scope
from models import Content, ContentIdea, Site, Task
from services import runs
from tests.helpers import seed_site
from tests.helpers.wordpress import WP, publish, wp_worker
from worker import build_worker

HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)


def links_on_wordpress(wp: WP, post_id: int) -> dict[str, str]:
    """href → anchor text of every link in the post as WordPress stores it."""
    with wp.client() as client:
        raw = client.get_post(post_id)["content"]["raw"]
    assert "#igny8-idea-" not in raw, "a placeholder reached WordPress"
    return {href: text for href, text in HREF.findall(raw)}


def post_text(wp: WP, post_id: int) -> str:
    with wp.client() as client:
        return str(client.get_post(post_id)["content"]["raw"])


async def test_cluster_links_resolve_to_wordpress_urls_as_articles_go_live(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_site(keywords=12, name="Live links")
    with session_scope() as s:
        site = s.get(Site, site_id)
        assert site is not None
        site.wp_url, site.wp_username = wordpress.url, wordpress.username
        site.wp_app_password_encrypted = encrypt(wordpress.app_password)
        site.publish_status = "publish"
        s.add(site)
    settings = get_settings().model_copy(update={"task_queue": task_queue})
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"

    # The largest cluster: its hub and (at least) two supporting articles.
    with session_scope() as s:
        rows = s.exec(
            select(Content, ContentIdea)
            .join(Task, col(Task.id) == col(Content.task_id))
            .join(ContentIdea, col(ContentIdea.id) == col(Task.idea_id))
            .where(Content.site_id == site_id)
            .order_by(col(ContentIdea.id))
        ).all()
    clusters: dict[int, list[tuple[Content, ContentIdea]]] = {}
    for content, idea in rows:
        clusters.setdefault(idea.cluster_id, []).append((content, idea))
    cluster = max(clusters.values(), key=len)
    hub = next(c for c, i in cluster if i.role == "hub")
    first, second = [c for c, i in cluster if i.role != "hub"][:2]

    def inp(content: Content, update: bool = False) -> PublishContentInput:
        return PublishContentInput(
            content_id=content.id or 0, account_id=account_id, site_id=site_id, update=update
        )

    async with wp_worker(client, task_queue):
        # A supporting article goes live before its hub: the hub's title, without a link.
        out_first = await publish(client, task_queue, inp(first))
        assert not links_on_wordpress(wordpress, out_first.post_id)
        assert hub.title in post_text(wordpress, out_first.post_id)
        # The hub links to the supporting article that is live, not yet to the others.
        out_hub = await publish(client, task_queue, inp(hub))
        hub_links = links_on_wordpress(wordpress, out_hub.post_id)
        assert hub_links == {out_first.post_url: first.title}
        assert second.title in post_text(wordpress, out_hub.post_id)
        # Published after the hub: the link points at the hub's WordPress URL.
        out_second = await publish(client, task_queue, inp(second))
        assert links_on_wordpress(wordpress, out_second.post_id) == {out_hub.post_url: hub.title}
        # Re-publishing fills in what went live since.
        await publish(client, task_queue, inp(hub, update=True))
        await publish(client, task_queue, inp(first, update=True))
    assert links_on_wordpress(wordpress, out_hub.post_id) == {
        out_first.post_url: first.title,
        out_second.post_url: second.title,
    }
    assert links_on_wordpress(wordpress, out_first.post_id) == {out_hub.post_url: hub.title}
    # The URLs are the posts' real addresses on WordPress, and the stored article keeps its
    # placeholders (so a later publish can resolve them again).
    with session_scope() as s:
        stored = s.get(Content, hub.id)
        assert stored is not None and stored.external_url == out_hub.post_url
        assert stored.content_html.count('href="#igny8-idea-') == len(cluster) - 1
    assert all(u.startswith(wordpress.url) for u in (out_first.post_url, out_hub.post_url))
