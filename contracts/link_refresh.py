"""Payloads of the internal-link refresh: once an article goes live, the posts of its cluster that
link to it (and its own) get their links filled in on WordPress (see services.link_refresh).

Ids and outcomes only, like every workflow payload (see contracts.wordpress).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

REFRESH_LINKS_WORKFLOW = "RefreshInternalLinksWorkflow"
SIGNAL_REFRESH_LINKS = "refresh_links"
# Activity names (the workflows call them by name, so they never import the activity code).
ACT_REQUEST_LINK_REFRESHES = "request_link_refreshes"
ACT_WAIT_FOR_LINK_REFRESH = "wait_for_link_refresh"
ACT_REFRESH_INTERNAL_LINKS = "refresh_internal_links"
# The publish workflow's patch marker: publishes started before it neither wait nor ask.
LINK_REFRESH_PATCH = "internal-link-refresh"

# What one round did to the post.
RefreshOutcome = Literal["updated", "unchanged", "deferred", "skipped"]
# Why a round left the post alone although its links are out of date.
SkipReason = Literal[
    "not_live",  # no live post (a draft, scheduled, or gone from WordPress)
    "awaiting_choice",  # changed or deleted on WordPress: a person chooses first
    "no_fingerprint",  # published before igny8 fingerprinted posts: edits cannot be told apart
    "edited_on_wordpress",  # someone changed the post since igny8's last write: it is kept
    "deleted_on_wordpress",
    "edited_in_igny8",  # the article changed in igny8 since its last publish: not ours to push
]


def refresh_links_workflow_id(content_id: int) -> str:
    """One link refresh per article at a time, so its rounds never overlap."""
    return f"refresh-links-content-{content_id}"


class LinkRefreshInput(BaseModel):
    """The article whose post is refreshed (the workflow's input and each round's)."""

    content_id: int
    account_id: int
    site_id: int


class RefreshLinksSignal(BaseModel):
    """Ask for one more round. No fields yet: a model, so the Temporal UI's `{}` is accepted
    and fields can be added later."""


class RefreshRoundResult(BaseModel):
    content_id: int
    outcome: RefreshOutcome
    skipped: SkipReason | None = None
    post_id: int | None = None
    message: str = ""


class RefreshLinksResult(BaseModel):
    content_id: int
    rounds: int
    updated: int  # rounds that updated the post
    last: RefreshRoundResult
