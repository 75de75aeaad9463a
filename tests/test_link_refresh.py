"""The link refresh against the real WordPress, through the fault proxy that counts and breaks
requests: nothing to change asks WordPress nothing; an update whose answer is lost is not sent
twice and is igny8's baseline after; an edit made in igny8 and not published is not pushed; a
refresh that fails for good fails its own workflow, never the publish that asked for it; a
sibling taken offline leaves plain text behind."""

from __future__ import annotations

import pytest
from sqlmodel import col, update
from temporalio.client import Client, WorkflowFailureError

from contracts.link_refresh import RefreshLinksResult, refresh_links_workflow_id
from core.db import session_scope
from models import Content
from services import link_refresh, wp_changes
from tests.helpers.clusters import (
    clusters,
    links_on_wordpress,
    publish,
    refreshes_settled,
    reload,
    run_site,
    supporting_live_first,
)
from tests.helpers.runs import worker_for
from tests.helpers.wordpress import WP, FaultProxy


def post_route(post_id: int) -> str:
    return rf"^/wp/v2/posts/{post_id}$"


async def test_links_up_to_date_ask_wordpress_nothing(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    async with worker_for(client, task_queue):
        site_id = await run_site(client, task_queue, wordpress, auto_publish=True, url=proxy.url)
        articles = [c for cluster in clusters(site_id) for c in cluster.articles]
        await refreshes_settled(client, [c.id or 0 for c in articles])
    proxy.clear()
    outcomes = {
        link_refresh.refresh_links(c.account_id, c.site_id, c.id or 0).outcome for c in articles
    }
    assert outcomes == {"unchanged"}
    assert proxy.log == []


async def test_an_update_whose_answer_was_lost_is_sent_once_and_becomes_the_baseline(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    async with worker_for(client, task_queue):
        cluster, supporting = await supporting_live_first(client, task_queue, wordpress, proxy.url)
        # WordPress applies the refresh's update, but its answer never arrives.
        dropped = proxy.add_rule("POST", post_route(supporting.post_id), "drop")
        hub = await publish(client, task_queue, cluster.hub)
        refreshed = await refreshes_settled(client, [cluster.others[0].id or 0])
        assert dropped.hits == 1
        assert refreshed[cluster.others[0].id or 0].updated == 1
        assert proxy.count("POST", post_route(supporting.post_id)) == 1
        with wordpress.client() as wp:
            assert links_on_wordpress(wp, supporting.post_id) == {hub.post_url: cluster.hub.title}
            post = wp.get_post(supporting.post_id)
        assert reload(cluster.others[0]).wp_fingerprint == wp_changes.fingerprint(post)
        # The next publish sees igny8's own write, not an edit made on WordPress.
        again = await publish(client, task_queue, cluster.others[0], update=True)
    assert again.post_id == supporting.post_id


async def test_an_edit_made_in_igny8_and_not_published_is_not_pushed_by_a_refresh(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    async with worker_for(client, task_queue):
        cluster, supporting = await supporting_live_first(client, task_queue, wordpress, proxy.url)
        article = cluster.others[0]
        with wordpress.client() as wp:
            before = wp.get_post(supporting.post_id)["content"]["raw"]
        with session_scope() as s:  # an editor's draft of a change, in igny8
            s.exec(
                update(Content)
                .where(col(Content.id) == article.id)
                .values(content_html=article.content_html + "<p>Not ready yet.</p>")
            )
        await publish(client, task_queue, cluster.hub)
        refreshed = await refreshes_settled(client, [article.id or 0])
    last = refreshed[article.id or 0].last
    assert (last.outcome, last.skipped) == ("skipped", "edited_in_igny8")
    assert proxy.count("POST", post_route(supporting.post_id)) == 0  # never updated
    with wordpress.client() as wp:
        assert wp.get_post(supporting.post_id)["content"]["raw"] == before


async def test_a_refresh_that_fails_for_good_fails_its_workflow_not_the_publish(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    async with worker_for(client, task_queue):
        cluster, supporting = await supporting_live_first(client, task_queue, wordpress, proxy.url)
        article = cluster.others[0]
        # WordPress refuses every update of that post (403: a permanent error).
        proxy.add_rule("POST", post_route(supporting.post_id), "error", status=403, times=-1)
        hub = await publish(client, task_queue, cluster.hub)
        handle = client.get_workflow_handle(
            refresh_links_workflow_id(article.id or 0), result_type=RefreshLinksResult
        )
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    assert hub.wp_status == "publish"
    assert reload(cluster.hub).status == "published"
    assert reload(article).status == "published" and reload(article).wp_changed_at is None


async def test_a_sibling_taken_offline_leaves_its_title_without_a_link(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    async with worker_for(client, task_queue):
        cluster, supporting = await supporting_live_first(client, task_queue, wordpress)
        hub = await publish(client, task_queue, cluster.hub)
        with wordpress.client() as wp:
            assert links_on_wordpress(wp, hub.post_id) == {
                supporting.post_url: cluster.others[0].title
            }
        await publish(client, task_queue, cluster.others[0], update=True, status="draft")
        await refreshes_settled(client, [cluster.hub.id or 0])
    with wordpress.client() as wp:
        assert links_on_wordpress(wp, hub.post_id) == {}  # nothing on WordPress points at a draft
        assert cluster.others[0].title in wp.get_post(hub.post_id)["content"]["raw"]
