"""The WordPress activities: thin wrappers that hand ids to services.publishing / services.wp_sync.

Credentials are decrypted inside these activities (through the client factory) and never appear
in an input, a result or a log line. Every WordPress failure becomes an ApplicationError of type
"WordPressError", retryable exactly when the failure is transient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from temporalio import activity

from activities.errors import mapped
from activities.heartbeat import heartbeating
from contracts.wordpress import (
    ACT_CHECK_PUBLISHABLE,
    ACT_FINISH_SYNC,
    ACT_MARK_MISSING,
    ACT_PUBLISH_CONTENT,
    ACT_SYNC_PAGE,
    ACT_SYNC_SINCE,
    ACT_TEST_CONNECTION,
    CheckPublishableInput,
    FinishSyncInput,
    MarkMissingResult,
    PublishResult,
    PublishStepInput,
    SiteRef,
    SyncPageInput,
    SyncPageResult,
    SyncSinceInput,
    SyncSinceResult,
)
from core import metrics
from integrations.wordpress.diagnostics import ConnectionReport
from services import publishing, wp_connection, wp_sync

# Heartbeat period: a slow WordPress request must not look like a dead worker.
HEARTBEAT_EVERY_SECONDS = 2.0


class WordPressActivities:
    """Registered as bound methods; the HTTP timeout (and, in tests, the transport) is injected."""

    def __init__(self, factory: wp_connection.ClientFactory | None = None) -> None:
        self.factory = factory or wp_connection.client_factory()

    @activity.defn(name=ACT_TEST_CONNECTION)
    def test_wordpress_connection(self, inp: SiteRef) -> ConnectionReport:
        """Reachability, credentials, role and capabilities of the site's WordPress."""
        return mapped(
            lambda: wp_connection.check_site_connection(inp.account_id, inp.site_id, self.factory)
        )

    @activity.defn(name=ACT_CHECK_PUBLISHABLE)
    def check_publishable(self, inp: CheckPublishableInput) -> None:
        """Refuse an article that is incomplete, already published (unless updating), or whose
        post changed on WordPress (unless overwriting)."""
        mapped(
            lambda: publishing.check_content(
                inp.account_id, inp.site_id, inp.content_id, inp.update, inp.overwrite
            )
        )

    @activity.defn(name=ACT_PUBLISH_CONTENT)
    def publish_content(self, inp: PublishStepInput) -> PublishResult:
        """Upload images, set terms, create or update the post; every id stored on arrival."""
        with metrics.publish_attempt(), heartbeating(HEARTBEAT_EVERY_SECONDS) as beat:
            out = mapped(
                lambda: publishing.publish_content(
                    inp.account_id,
                    inp.site_id,
                    inp.content_id,
                    status=inp.status,
                    publish_at=inp.publish_at,
                    factory=self.factory,
                    heartbeat=beat,
                    overwrite=inp.overwrite,
                )
            )
        activity.logger.info(
            "content %s -> post %s (%s, %s)",
            inp.content_id,
            out.post_id,
            out.wp_status,
            "created" if out.created else "updated",
        )
        return PublishResult(**asdict(out))

    @activity.defn(name=ACT_SYNC_SINCE)
    def wordpress_sync_since(self, inp: SyncSinceInput) -> SyncSinceResult:
        """Where an incremental sync starts (None: from the beginning)."""
        since = mapped(lambda: wp_sync.sync_since(inp.account_id, inp.site_id, inp.full))
        return SyncSinceResult(modified_after=since)

    @activity.defn(name=ACT_SYNC_PAGE)
    def sync_wordpress_page(self, inp: SyncPageInput) -> SyncPageResult:
        """Import one page of posts."""
        with heartbeating(HEARTBEAT_EVERY_SECONDS) as beat:
            beat(f"Importing page {inp.page}")
            out = mapped(
                lambda: wp_sync.sync_page(
                    inp.account_id,
                    inp.site_id,
                    inp.page,
                    inp.per_page,
                    inp.modified_after,
                    self.factory,
                )
            )
        return SyncPageResult(**asdict(out))

    @activity.defn(name=ACT_MARK_MISSING)
    def mark_missing_wordpress_posts(self, inp: SiteRef) -> MarkMissingResult:
        """Flag content whose post disappeared from WordPress."""
        with heartbeating(HEARTBEAT_EVERY_SECONDS) as beat:
            missing, present = mapped(
                lambda: wp_sync.mark_missing_posts(inp.account_id, inp.site_id, self.factory, beat)
            )
        return MarkMissingResult(missing=missing, present=present)

    @activity.defn(name=ACT_FINISH_SYNC)
    def finish_wordpress_sync(self, inp: FinishSyncInput) -> None:
        """Record when the sync started, for the next incremental one."""
        mapped(lambda: wp_sync.finish_sync(inp.account_id, inp.site_id, inp.started_at))

    def all(self) -> list[Callable[..., object]]:
        """Every activity of this class, for the worker."""
        return [
            self.test_wordpress_connection,
            self.check_publishable,
            self.publish_content,
            self.wordpress_sync_since,
            self.sync_wordpress_page,
            self.mark_missing_wordpress_posts,
            self.finish_wordpress_sync,
        ]
