"""Payloads of the WordPress workflows and activities (publish, sync, connection test).

Ids, numbers, statuses and URLs only: never credentials or rows, because Temporal records every
payload in the workflow history that the UI shows. Only pydantic (and the shared run contracts,
themselves pure) is imported, so the API, the CLI and the workflows share these types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from contracts.run import RunProgress

PUBLISH_WORKFLOW = "PublishContentWorkflow"
SYNC_WORKFLOW = "WordPressSyncWorkflow"
QUERY_PROGRESS = "progress"
# Not automation stages (those are 1-7): the numbers the one stage of these workflows reports.
PUBLISH_STAGE = 8
SYNC_STAGE = 9

# Activity names (the workflows call them by name, so they never import the activity code).
ACT_CHECK_PUBLISHABLE = "check_publishable"
ACT_PUBLISH_CONTENT = "publish_content"
ACT_TEST_CONNECTION = "test_wordpress_connection"
ACT_SYNC_SINCE = "wordpress_sync_since"
ACT_SYNC_PAGE = "sync_wordpress_page"
ACT_MARK_MISSING = "mark_missing_wordpress_posts"
ACT_FINISH_SYNC = "finish_wordpress_sync"

WpPostStatus = Literal["draft", "publish", "future"]
# Why publishing an article waits for a person's choice: its post was changed, or deleted, on
# WordPress since igny8 last published it.
WpConflict = Literal["changed", "deleted"]


def publish_workflow_id(content_id: int) -> str:
    """One publish workflow per article at a time."""
    return f"publish-content-{content_id}"


def sync_workflow_id(site_id: int) -> str:
    """One sync per site at a time."""
    return f"wordpress-sync-site-{site_id}"


class SiteRef(BaseModel):
    account_id: int
    site_id: int


# --- publish ------------------------------------------------------------------------------------


class PublishContentInput(BaseModel):
    content_id: int
    account_id: int
    site_id: int
    update: bool = False
    # Replace the post even if it was changed or deleted on WordPress since igny8's last publish.
    overwrite: bool = False
    # None: the site's default (draft | publish). `future` with `publish_at` also shows the post
    # as scheduled in WordPress until igny8's timer publishes it.
    status: WpPostStatus | None = None
    publish_at: datetime | None = None


class CheckPublishableInput(BaseModel):
    content_id: int
    account_id: int
    site_id: int
    update: bool = False
    overwrite: bool = False


class PublishStepInput(BaseModel):
    content_id: int
    account_id: int
    site_id: int
    status: WpPostStatus | None = None
    publish_at: datetime | None = None
    overwrite: bool = False


class PublishResult(BaseModel):
    content_id: int
    post_id: int
    post_url: str
    wp_status: str
    created: bool
    media_uploaded: int = 0
    media_reused: int = 0
    media_attached: int = 0  # media items whose parent was set to the post by this publish
    terms: int = 0
    seo_meta: bool = False
    skipped_images: list[int] = Field(default_factory=list)


class WordPressVersion(BaseModel):
    """A post as WordPress has it, kept beside igny8's article after an editor changed it.
    `content_html` is the article without what igny8 adds (its in-article figures, marker)."""

    post_id: int
    title: str = ""
    content_html: str = ""
    excerpt: str = ""
    slug: str = ""
    status: str = ""
    categories: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    modified_at: datetime | None = None
    link: str | None = None
    # Fields changed on WordPress since igny8's last publish (all of them when unknown).
    changed_fields: list[str] = Field(default_factory=list)
    fingerprint: dict[str, str] = Field(default_factory=dict)


class PublishProgress(RunProgress):
    """Run progress with one stage named `publish`, plus where the post went."""

    content_id: int | None = None
    scheduled_for: datetime | None = None
    post_id: int | None = None
    post_url: str | None = None


# --- sync -----------------------------------------------------------------------------------------


class WordPressSyncInput(BaseModel):
    site_id: int
    account_id: int
    full: bool = False
    per_page: int = Field(default=50, ge=1, le=100)
    # Carried over continue-as-new only.
    state: SyncState | None = None


class SyncState(BaseModel):
    started_at: datetime
    modified_after: datetime | None = None
    next_page: int = 1
    total_pages: int = 0
    total_posts: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_on_wordpress: int = 0


class SyncSinceInput(BaseModel):
    account_id: int
    site_id: int
    full: bool


class SyncSinceResult(BaseModel):
    modified_after: datetime | None = None


class SyncPageInput(BaseModel):
    account_id: int
    site_id: int
    page: int
    per_page: int
    modified_after: datetime | None = None


class SyncPageResult(BaseModel):
    page: int
    total_pages: int
    total: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # igny8's articles whose post an editor changed on WordPress (newly seen on this page).
    changed_on_wordpress: int = 0


class MarkMissingResult(BaseModel):
    missing: int
    present: int


class FinishSyncInput(BaseModel):
    account_id: int
    site_id: int
    started_at: datetime


class SyncResult(BaseModel):
    site_id: int
    full: bool
    pages: int
    total_posts: int
    created: int
    updated: int
    unchanged: int
    changed_on_wordpress: int = 0
    missing: int | None = None  # counted on full syncs only


class SyncProgress(RunProgress):
    """Run progress with one stage named `wordpress_sync`, plus the sync's own counters."""

    pages_done: int = 0
    total_pages: int = 0
    posts_created: int = 0
    posts_updated: int = 0
    posts_unchanged: int = 0
    posts_changed_on_wordpress: int = 0
    posts_missing: int | None = None


WordPressSyncInput.model_rebuild()
