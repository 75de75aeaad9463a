"""A run's cluster links, published to the real WordPress and read back from it: each link is
the sibling's WordPress URL once both are live, whatever order they went live in, without
anyone publishing an article again; a post edited on WordPress keeps the edit."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from contracts.link_refresh import refresh_links_workflow_id
from contracts.wordpress import publish_workflow_id
from services import wp_changes
from tests.helpers.clusters import (
    clusters,
    links_on_wordpress,
    publish,
    refreshes_settled,
    reload,
    replay_latest,
    run_site,
    supporting_live_first,
)
from tests.helpers.runs import worker_for
from tests.helpers.wordpress import WP


async def test_the_hub_published_first_links_to_the_supporting_articles_that_follow(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    async with worker_for(client, task_queue):
        cluster = clusters(await run_site(client, task_queue, wordpress, auto_publish=False))[0]
        assert len(cluster.others) >= 2
        hub = await publish(client, task_queue, cluster.hub)
        with wordpress.client() as wp:
            assert links_on_wordpress(wp, hub.post_id) == {}  # nothing else is live yet
        # The supporting articles go live at the same moment: each asks to refresh the hub.
        others = await asyncio.gather(*(publish(client, task_queue, c) for c in cluster.others))
        await refreshes_settled(client, [c.id or 0 for c in cluster.articles])
        with wordpress.client() as wp:
            hub_links = links_on_wordpress(wp, hub.post_id)
            other_links = [links_on_wordpress(wp, out.post_id) for out in others]
            hub_post = wp.get_post(hub.post_id)
        assert hub_links == {
            out.post_url: c.title for out, c in zip(others, cluster.others, strict=True)
        }
        assert other_links == [{hub.post_url: cluster.hub.title}] * len(others)
        # igny8's own refresh is its baseline: publishing the hub again is no conflict.
        assert reload(cluster.hub).wp_fingerprint == wp_changes.fingerprint(hub_post)
        again = await publish(client, task_queue, cluster.hub, update=True)
        await replay_latest(
            client,
            [
                publish_workflow_id(cluster.hub.id or 0),
                refresh_links_workflow_id(cluster.hub.id or 0),
            ],
        )
    assert again.post_id == hub.post_id
    with wordpress.client() as wp:
        assert links_on_wordpress(wp, hub.post_id) == hub_links
    stored = reload(cluster.hub)
    assert stored.wp_changed_at is None and stored.external_url == hub.post_url
    # The stored article keeps its placeholders, so any later publish resolves them again.
    assert stored.content_html.count('href="#igny8-idea-') == len(cluster.others)


async def test_a_run_that_publishes_its_articles_links_every_cluster_on_wordpress(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    async with worker_for(client, task_queue):
        found = clusters(await run_site(client, task_queue, wordpress, auto_publish=True))
        await refreshes_settled(client, [c.id or 0 for k in found for c in k.articles])
    with wordpress.client() as wp:
        for cluster in found:
            hub, others = reload(cluster.hub), [reload(c) for c in cluster.others]
            assert hub.external_status == "publish" and hub.external_id
            assert links_on_wordpress(wp, hub.external_id) == {
                c.external_url: c.title for c in others
            }
            for other in others:
                assert other.external_id
                assert links_on_wordpress(wp, other.external_id) == {hub.external_url: hub.title}
                post = wp.get_post(other.external_id)
                assert other.wp_fingerprint == wp_changes.fingerprint(post)


async def test_a_sibling_edited_on_wordpress_keeps_the_edit_and_is_marked_nothing(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    async with worker_for(client, task_queue):
        # Supporting articles go live before their hub: the hub's title, without a link.
        cluster, first = await supporting_live_first(client, task_queue, wordpress)
        edited, untouched = cluster.others[:2]
        second = await publish(client, task_queue, untouched)
        with wordpress.client() as wp:
            assert links_on_wordpress(wp, first.post_id) == {}
            # An editor changes one of them on WordPress.
            raw = wp.get_post(first.post_id)["content"]["raw"]
            wp.update_post(first.post_id, {"content": raw + "\n<p>An editor's note.</p>"})
            edited_body = wp.get_post(first.post_id)["content"]["raw"]
        hub = await publish(client, task_queue, cluster.hub)
        refreshed = await refreshes_settled(client, [edited.id or 0, untouched.id or 0])
    with wordpress.client() as wp:
        assert wp.get_post(first.post_id)["content"]["raw"] == edited_body  # not overwritten
        assert links_on_wordpress(wp, second.post_id) == {hub.post_url: cluster.hub.title}
        assert links_on_wordpress(wp, hub.post_id)[first.post_url] == edited.title
    skipped = refreshed[edited.id or 0].last
    assert (skipped.outcome, skipped.skipped) == ("skipped", "edited_on_wordpress")
    assert "edited on WordPress" in skipped.message
    assert refreshed[untouched.id or 0].last.outcome == "updated"
    # Nothing marked: no conflict recorded, still published (a sync or the next publish tells).
    row = reload(edited)
    assert row.status == "published" and row.wp_changed_at is None and row.wp_version is None
    assert wp_changes.conflict_of(row) is None
