"""Importing posts from WordPress: one page at a time (so a workflow can drive, heartbeat and
resume it), upserting Content by (site, WordPress post id) and mapping categories and tags."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from contracts.status import ContentSource, EditorialStatus
from core.db import read_session, session_scope
from core.html_sanitize import plain_text, sanitize_html
from integrations.wordpress.client import Term, WordPressClient
from models import Content, ContentTaxonomy, Site
from models.base import utcnow
from services import wp_changes
from services.publishing import link_taxonomies, upsert_taxonomy
from services.wp_connection import ClientFactory, client_factory, load_site
from services.wp_markup import as_utc, parse_wp_datetime

# Incremental syncs ask for posts modified since the last sync minus this window: it covers clock
# skew between us and WordPress and posts saved while the previous sync was paging.
SYNC_OVERLAP = timedelta(minutes=10)
MAX_PER_PAGE = 100  # the REST API's own limit
# WordPress post status → editorial status of an imported article.
EDITORIAL_FROM_WP = {
    "publish": EditorialStatus.PUBLISHED,
    "private": EditorialStatus.PUBLISHED,
    "future": EditorialStatus.APPROVED,
    "draft": EditorialStatus.DRAFT,
    "pending": EditorialStatus.REVIEW,
}
_TAG = re.compile(r"<[^>]+>")


@dataclass
class SyncPageOutcome:
    page: int
    total_pages: int
    total: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_on_wordpress: int = 0


def sync_since(account_id: int, site_id: int, full: bool) -> datetime | None:
    """`modified_after` for this sync: None (everything) on a full or a first sync."""
    with read_session() as session:
        site = load_site(session, account_id, site_id)
        if full or site.wp_last_sync_at is None:
            return None
        return as_utc(site.wp_last_sync_at) - SYNC_OVERLAP


def _text(field: object) -> str:
    """A post field that is `{"raw": ..., "rendered": ...}` in context=edit, or plain."""
    if isinstance(field, dict):
        raw = field.get("raw")
        return str(raw) if raw is not None else html.unescape(str(field.get("rendered") or ""))
    return str(field or "")


def _known_terms(
    session: Session, site: Site, posts: list[dict[str, Any]]
) -> tuple[dict[tuple[str, int], ContentTaxonomy], dict[str, list[int]]]:
    """The site's rows for the terms these posts use, and the term ids it has no row for."""
    rows: dict[tuple[str, int], ContentTaxonomy] = {}
    missing: dict[str, list[int]] = {}
    for kind, key in (("category", "categories"), ("tag", "tags")):
        ids = sorted({int(i) for post in posts for i in post.get(key) or []})
        if not ids:
            continue
        known = session.exec(
            select(ContentTaxonomy).where(
                ContentTaxonomy.site_id == site.id,
                ContentTaxonomy.type == kind,
                col(ContentTaxonomy.external_id).in_(ids),
            )
        ).all()
        rows.update({(kind, row.external_id or 0): row for row in known})
        missing[kind] = [i for i in ids if (kind, i) not in rows]
    return rows, missing


def _fetch_terms(client: WordPressClient, missing: dict[str, list[int]]) -> list[tuple[str, Term]]:
    fetched: list[tuple[str, Term]] = []
    for kind, ids in missing.items():
        for start in range(0, len(ids), MAX_PER_PAGE):
            chunk = ids[start : start + MAX_PER_PAGE]
            terms, _pages = client.list_terms(kind, per_page=MAX_PER_PAGE, include=chunk)
            fetched += [(kind, term) for term in terms]
    return fetched


def upsert_post(
    session: Session,
    site: Site,
    post: dict[str, Any],
    terms: dict[tuple[str, int], ContentTaxonomy],
) -> tuple[str, bool]:
    """Create or update the Content row of one WordPress post: (created | updated | unchanged,
    whether an article igny8 published was changed on WordPress)."""
    post_id = int(post["id"])
    modified = parse_wp_datetime(post.get("modified_gmt"))
    row = session.exec(
        select(Content).where(Content.site_id == site.id, Content.external_id == post_id)
    ).first()
    if (
        row is not None
        and not row.external_missing
        and row.external_modified_at is not None
        and modified is not None
        and as_utc(row.external_modified_at) == modified
    ):
        return "unchanged", False
    outcome = "updated" if row else "created"
    if row is None:
        row = Content(
            account_id=site.account_id,
            site_id=site.id or 0,
            title="",
            source=ContentSource.WORDPRESS,
            provider="wordpress",
        )
    categories = [
        terms[("category", int(i))]
        for i in post.get("categories") or []
        if ("category", int(i)) in terms
    ]
    tags = [terms[("tag", int(i))] for i in post.get("tags") or [] if ("tag", int(i)) in terms]
    wp_status = str(post.get("status") or "")
    changed = False
    if row.source == ContentSource.WORDPRESS:
        # Imported articles mirror WordPress. igny8's own articles keep their text and editorial
        # status (WordPress holds a rendering of them with images and a marker inserted).
        body = sanitize_html(_text(post.get("content")))  # any WordPress's HTML: untrusted
        row.title = (plain_text(_text(post.get("title"))) or f"(untitled post {post_id})")[:300]
        row.content_html = body
        row.excerpt = sanitize_html(_text(post.get("excerpt")))
        row.slug = str(post.get("slug") or "")[:300]
        row.word_count = len(_TAG.sub(" ", body).split())
        row.categories = [t.name for t in categories]
        row.tags = [t.name for t in tags]
        row.status = EDITORIAL_FROM_WP.get(wp_status, EditorialStatus.DRAFT)
        if wp_status in ("publish", "private"):
            row.published_at = parse_wp_datetime(post.get("date_gmt"))
        wp_changes.note_published(row, post)  # mirrored: WordPress's version is igny8's
    else:
        # igny8's own article is not overwritten: an editor's edit is kept beside it, flagged.
        names = {key: term.name for key, term in terms.items()}
        media_ids = wp_changes.in_article_media_ids(session, row.id or 0)
        was_changed = row.wp_changed_at is not None
        changed = wp_changes.note_remote_post(row, post, names, media_ids) and not was_changed
    row.external_id = post_id
    row.external_url = str(post.get("link") or "")[:1000] or None
    row.external_status = wp_status
    row.external_modified_at = modified
    row.external_missing = False
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    link_taxonomies(session, row.id or 0, [t.id or 0 for t in [*categories, *tags]])
    return outcome, changed


def sync_page(
    account_id: int,
    site_id: int,
    page: int,
    per_page: int,
    modified_after: datetime | None,
    factory: ClientFactory | None = None,
) -> SyncPageOutcome:
    """Import one page of posts; committed before it returns. WordPress is asked first, then
    everything is written in one short transaction (none is held open across HTTP calls)."""
    with read_session() as session:
        site = load_site(session, account_id, site_id)
    with (factory or client_factory())(site) as client:
        result = client.list_posts(page, min(per_page, MAX_PER_PAGE), modified_after)
        with read_session() as session:
            _rows, missing = _known_terms(session, site, result.items)
        fetched = _fetch_terms(client, missing)
    out = SyncPageOutcome(page=page, total_pages=result.total_pages, total=result.total)
    with session_scope() as session:
        terms, _missing = _known_terms(session, site, result.items)
        for kind, term in fetched:
            terms[(kind, term.id)] = upsert_taxonomy(
                session, site, kind, term.id, term.name, term.slug
            )
        for post in result.items:
            outcome, changed = upsert_post(session, site, post, terms)
            setattr(out, outcome, getattr(out, outcome) + 1)
            out.changed_on_wordpress += changed
    return out


def mark_missing_posts(
    account_id: int,
    site_id: int,
    factory: ClientFactory | None = None,
    heartbeat: Callable[[str], None] | None = None,
) -> tuple[int, int]:
    """Flag content whose post is gone from WordPress (deleted or trashed), unflag the rest.
    Returns (missing now, present). Only the ids are listed, 100 a page."""
    present: set[int] = set()
    with read_session() as session:
        site = load_site(session, account_id, site_id)
    with (factory or client_factory())(site) as client:
        page, total_pages = 1, 1
        while page <= total_pages:
            result = client.list_posts(page, MAX_PER_PAGE, fields=["id"])
            present.update(int(item["id"]) for item in result.items)
            total_pages = result.total_pages
            if heartbeat:
                heartbeat(f"Listed post ids, page {page}/{total_pages}")
            page += 1
    with session_scope() as session:
        rows = session.exec(
            select(Content).where(Content.site_id == site_id, col(Content.external_id).is_not(None))
        ).all()
        missing = 0
        for row in rows:
            gone = row.external_id not in present
            missing += gone
            if row.external_missing != gone:
                row.external_missing = gone
                row.updated_at = utcnow()
                session.add(row)
        return missing, len(rows) - missing


def finish_sync(account_id: int, site_id: int, started_at: datetime) -> None:
    """Record the sync: the next incremental one starts from when this one started."""
    with session_scope() as session:
        site = load_site(session, account_id, site_id)
        site.wp_last_sync_at = started_at
        session.add(site)
