"""Filling in a live post's links to its cluster siblings once they are live too.

Publishing resolves an article's sibling placeholders to the URLs of the siblings live at that
moment (services.link_resolution); the others stay plain text. When a sibling goes live later,
the posts that link to it are out of date. A refresh updates such a post's body, and only its
body, to the article rendered exactly as a publish would render it now, when three things hold:

- the post is as igny8 last left it (its fingerprint, services.wp_changes): an edit made on
  WordPress since is kept, not overwritten, and not recorded as a conflict either;
- the post's body is igny8's article as last published, whatever its links resolved to then
  (services.internal_links.same_but_links): an edit made in igny8 and not published yet is not
  pushed by a machine, its next publish carries it with every link;
- the rendered body differs from what WordPress holds. igny8 stores the fingerprint of what
  WordPress stored, so this is known without asking WordPress: a refresh that changes nothing
  makes no request at all.

After the update the new fingerprint is stored, so the next publish sees igny8's own write.

Like publishing's own guard (wp_changes.matches_payload), this counts on WordPress keeping the
HTML as sent, which it does for users allowed unfiltered HTML (administrators and editors). A
site that rewrites the body on save never matches: its posts are read, found "edited in igny8"
and left alone, so there the next publish fills the links in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from contracts.link_refresh import RefreshRoundResult, SkipReason
from contracts.status import ImageKind, PublishStatus
from core.db import read_session, session_scope
from models import Content, Image, Task
from services import wp_changes
from services.internal_links import placeholder_ids, same_but_links
from services.link_resolution import resolve_internal_links
from services.publishing import load_content
from services.wp_connection import ClientFactory, client_factory, load_site
from services.wp_markup import build_post_html, parse_wp_datetime, post_marker

# A cluster has a handful of articles (3-7 ideas); the bound only keeps a malformed one from
# loading a whole site's articles.
SIBLINGS_MAX = 50

SKIP_MESSAGES: dict[SkipReason, str] = {
    "not_live": "it has no live post",
    "awaiting_choice": "its post was changed or deleted on WordPress and waits for a choice",
    "no_fingerprint": "it was published before igny8 kept fingerprints; publish it again to "
    "fill its links in",
    "edited_on_wordpress": "its post was edited on WordPress since igny8 published it; the edit "
    "is kept (publish it again, or adopt the edit, to fill its links in)",
    "deleted_on_wordpress": "its post is gone from WordPress",
    "edited_in_igny8": "it was edited in igny8 since its last publish; that publish fills its "
    "links in",
}


def _is_live(content: Content) -> bool:
    return bool(
        content.external_id
        and content.external_status == PublishStatus.PUBLISH
        and not content.external_missing
    )


def _renderer(session: Session, content: Content) -> Callable[[str], str]:
    """The article body -> the post's HTML, as publishing builds it (figures and marker)."""
    in_article = list(
        session.exec(
            select(Image)
            .where(Image.content_id == content.id, Image.kind == ImageKind.IN_ARTICLE)
            .order_by(col(Image.position))
        ).all()
    )
    marker = post_marker(content)
    return lambda body: build_post_html(body, in_article, marker)


def _rendered_now(session: Session, content: Content) -> tuple[str, Callable[[str], str]]:
    """The post's HTML with the links of every sibling live now, and the renderer."""
    render = _renderer(session, content)
    return render(resolve_internal_links(session, content.site_id, content.content_html)), render


def links_outdated(session: Session, content: Content) -> bool:
    """Whether the article's live post lacks what a publish would send now (told by its
    fingerprint, without asking WordPress)."""
    if not _is_live(content) or not placeholder_ids(content.content_html):
        return False
    html, _render = _rendered_now(session, content)
    base = content.wp_fingerprint
    return not base or wp_changes.with_body(base, html) != base


def _siblings_linking_to(session: Session, content: Content) -> list[Content]:
    """The live articles of the content's cluster whose stored HTML links to it."""
    if content.cluster_id is None or content.task_id is None:
        return []
    task = session.get(Task, content.task_id)
    if task is None:
        return []
    rows = session.exec(
        select(Content)
        .where(
            Content.site_id == content.site_id,
            Content.cluster_id == content.cluster_id,
            Content.id != content.id,
            Content.external_status == PublishStatus.PUBLISH,
            col(Content.external_id).is_not(None),
        )
        .order_by(col(Content.id))
        .limit(SIBLINGS_MAX)
    ).all()
    return [row for row in rows if task.idea_id in placeholder_ids(row.content_html)]


def outdated_articles(account_id: int, site_id: int, content_id: int) -> list[int]:
    """After a publish of this article: it and the live siblings that link to it, those whose
    posts' links are out of date now."""
    with read_session() as session:
        content = load_content(session, account_id, site_id, content_id)
        candidates = [content, *_siblings_linking_to(session, content)]
        return [c.id or 0 for c in candidates if links_outdated(session, c)]


def _skip(content: Content, reason: SkipReason) -> RefreshRoundResult:
    return RefreshRoundResult(
        content_id=content.id or 0,
        outcome="skipped",
        skipped=reason,
        post_id=content.external_id,
        message=f"Links of content {content.id} not refreshed: {SKIP_MESSAGES[reason]}",
    )


def _record(content: Content, post: dict[str, Any]) -> RefreshRoundResult:
    """The post as WordPress stored it is igny8's baseline now."""
    with session_scope() as session:
        row = session.get(Content, content.id)
        if row is not None:
            row.external_modified_at = parse_wp_datetime(post.get("modified_gmt"))
            wp_changes.note_published(row, post)
            # updated_at stays: the console tells "edited in igny8 since it was published" by
            # it, and filling in links is no edit of igny8's article.
    return RefreshRoundResult(
        content_id=content.id or 0,
        outcome="updated",
        post_id=content.external_id,
        message=f"Post {content.external_id} now links to the sibling articles that are live",
    )


def refresh_links(
    account_id: int, site_id: int, content_id: int, factory: ClientFactory | None = None
) -> RefreshRoundResult:
    """One round: update the post's body when its links are out of date and the post is
    igny8's to update (see the module docstring). Safe to repeat: a retry after a lost answer
    finds its own update on WordPress and only records it."""
    with read_session() as session:
        site = load_site(session, account_id, site_id)
        content = load_content(session, account_id, site_id, content_id)
        if not _is_live(content):
            return _skip(content, "not_live")
        if wp_changes.conflict_of(content):
            return _skip(content, "awaiting_choice")
        if not content.wp_fingerprint:
            return _skip(content, "no_fingerprint")
        html, render = _rendered_now(session, content)
    base, post_id = content.wp_fingerprint, content.external_id or 0
    ours = wp_changes.with_body(base, html)
    if ours == base:
        return RefreshRoundResult(
            content_id=content_id, outcome="unchanged", post_id=post_id, message="Links up to date"
        )
    with (factory or client_factory())(site) as client:
        post = client.find_post(post_id)
        remote = wp_changes.fingerprint(post)
        if remote == ours:
            assert post is not None
            return _record(content, post)  # an earlier attempt's update whose answer was lost
        if remote == wp_changes.DELETED:
            return _skip(content, "deleted_on_wordpress")
        if remote != base:
            return _skip(content, "edited_on_wordpress")
        assert post is not None
        body = wp_changes.remote_fields(post)["content_html"]
        if not same_but_links(content.content_html, body, render):
            return _skip(content, "edited_in_igny8")
        post = client.update_post(post_id, {"content": html})
    return _record(content, post)
