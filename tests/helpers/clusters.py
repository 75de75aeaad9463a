"""Helpers for tests of a cluster's internal links: a run that writes (and maybe publishes) the
articles, its clusters with their hubs, the refreshes that follow publishing, and the links a
post holds on WordPress."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import col, select
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from contracts.link_refresh import RefreshLinksResult, refresh_links_workflow_id
from contracts.run import RunProgress
from contracts.wordpress import (
    PUBLISH_WORKFLOW,
    PublishContentInput,
    PublishResult,
    WpPostStatus,
    publish_workflow_id,
)
from core.db import read_session
from integrations.wordpress.client import WordPressClient
from models import Content, ContentIdea, Task
from services import runs
from tests.helpers import seed_site
from tests.helpers.runs import settings_for
from tests.helpers.wordpress import WP, connect_site
from workflows.link_refresh import RefreshInternalLinksWorkflow
from workflows.publish import PublishContentWorkflow

HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)


@dataclass
class Cluster:
    hub: Content
    others: list[Content]

    @property
    def articles(self) -> list[Content]:
        return [self.hub, *self.others]


async def run_site(
    client: Client, task_queue: str, wp: WP, auto_publish: bool, url: str | None = None
) -> int:
    """A site connected to this WordPress (through `url`, e.g. a fault proxy, if given), after
    a whole run on the test's worker (publishing its articles when `auto_publish`)."""
    account_id, site_id = seed_site(keywords=12, name="Cluster links")
    connect_site(site_id, url or wp.url, wp.username, wp.app_password, auto_publish=auto_publish)
    run_id = await runs.start_run(
        client, settings_for(task_queue), account_id=account_id, site_id=site_id, trigger="api"
    )
    result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed", result.summary
    return site_id


async def publish(
    client: Client,
    task_queue: str,
    content: Content,
    update: bool = False,
    status: WpPostStatus | None = None,
) -> PublishResult:
    """Publish as the API and the run's publish queue do (one workflow id per article)."""
    return await client.execute_workflow(
        PUBLISH_WORKFLOW,
        PublishContentInput(
            content_id=content.id or 0,
            account_id=content.account_id,
            site_id=content.site_id,
            update=update,
            status=status,
        ),
        id=publish_workflow_id(content.id or 0),
        task_queue=task_queue,
        result_type=PublishResult,
    )


async def supporting_live_first(
    client: Client, task_queue: str, wp: WP, url: str | None = None
) -> tuple[Cluster, PublishResult]:
    """After a run (no auto-publish): its largest cluster, one supporting article of which is
    live before the hub (so its link to the hub is text for now)."""
    cluster = clusters(await run_site(client, task_queue, wp, auto_publish=False, url=url))[0]
    return cluster, await publish(client, task_queue, cluster.others[0])


def clusters(site_id: int) -> list[Cluster]:
    """The site's clusters of articles, largest first, each with its hub."""
    with read_session() as s:
        rows = s.exec(
            select(Content, ContentIdea)
            .join(Task, col(Task.id) == col(Content.task_id))
            .join(ContentIdea, col(ContentIdea.id) == col(Task.idea_id))
            .where(Content.site_id == site_id)
            .order_by(col(ContentIdea.id))
        ).all()
    grouped: dict[int, list[tuple[Content, ContentIdea]]] = {}
    for content, idea in rows:
        grouped.setdefault(idea.cluster_id, []).append((content, idea))
    out = [
        Cluster(
            hub=next(c for c, i in group if i.role == "hub"),
            others=[c for c, i in group if i.role != "hub"],
        )
        for group in grouped.values()
    ]
    return sorted(out, key=lambda c: -len(c.others))


def reload(content: Content) -> Content:
    with read_session() as s:
        row = s.get(Content, content.id)
    assert row is not None
    return row


async def refreshes_settled(
    client: Client, content_ids: list[int]
) -> dict[int, RefreshLinksResult]:
    """Wait for the latest link refresh of each article (every publish has asked for its
    refreshes before it ended); the results of those that had one."""
    results: dict[int, RefreshLinksResult] = {}
    for content_id in content_ids:
        handle = client.get_workflow_handle(
            refresh_links_workflow_id(content_id), result_type=RefreshLinksResult
        )
        try:
            results[content_id] = await handle.result()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return results


def links_on_wordpress(client: WordPressClient, post_id: int) -> dict[str, str]:
    """href → anchor text of every link in the post as WordPress stores it."""
    raw = client.get_post(post_id)["content"]["raw"]
    assert "#igny8-idea-" not in raw, "a placeholder reached WordPress"
    return {href: text for href, text in HREF.findall(raw)}


async def replay_latest(client: Client, workflow_ids: list[str]) -> None:
    """Replay the latest run of each publish or link refresh workflow: raises on
    nondeterminism (what a worker restart or a query on a closed workflow would hit)."""
    replayer = Replayer(
        workflows=[PublishContentWorkflow, RefreshInternalLinksWorkflow],
        data_converter=pydantic_data_converter,
    )
    for workflow_id in workflow_ids:
        await replayer.replay_workflow(
            await client.get_workflow_handle(workflow_id).fetch_history()
        )
