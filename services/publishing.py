"""Publishing one article to its site's WordPress, idempotently.

Each step commits what it made as soon as WordPress confirms it (media ids, term ids, the post
id), so a retry after any failure continues instead of starting over. Before creating anything
the step looks for what an earlier, interrupted attempt may have created (see services.wp_markup).
An existing post is read before it is updated: one changed or deleted on WordPress since igny8
last published it is refused unless the caller says `overwrite` (see services.wp_guard).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from contracts.status import EditorialStatus, ImageKind, PublishStatus
from core.db import get_engine, session_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from integrations.wordpress.client import Term, WordPressClient
from integrations.wordpress.errors import WordPressNotFoundError, WordPressRejectedError, wp_code
from models import Content, ContentTaxonomy, ContentTaxonomyLink, Image, Site
from models.base import utcnow
from services import wp_changes, wp_guard, wp_markup, wp_media
from services.link_resolution import resolve_internal_links
from services.wp_connection import ClientFactory, client_factory, load_site
from services.wp_media import Heartbeat


class AlreadyPublishedError(ConflictError):
    """The article is already live on WordPress; publishing again needs `update=True`."""

    def __init__(self, content_id: int, url: str | None) -> None:
        super().__init__(
            f"Content {content_id} is already published{f' at {url}' if url else ''}; "
            "publish with update=true to update the post",
            details={"content_id": content_id, "url": url},
        )


@dataclass
class PublishOutcome:
    content_id: int
    post_id: int
    post_url: str
    wp_status: str
    created: bool  # False: an existing post (stored, or found by its marker) was updated
    media_uploaded: int = 0
    media_reused: int = 0
    media_attached: int = 0
    terms: int = 0
    seo_meta: bool = False
    skipped_images: list[int] = field(default_factory=list)


def load_content(session: Session, account_id: int, site_id: int, content_id: int) -> Content:
    content = session.get(Content, content_id)
    if content is None or content.account_id != account_id or content.site_id != site_id:
        raise NotFoundError(f"Content {content_id} not found")
    return content


def check_publishable(
    session: Session, content: Content, site: Site, update: bool, overwrite: bool = False
) -> None:
    """Refuse what cannot or must not be published (raises a domain error). `overwrite`
    replaces a post changed or deleted on WordPress, and implies `update`."""
    if not (site.wp_url and site.wp_username and site.wp_app_password_encrypted):
        raise ValidationError(f"Site {site.id} has no WordPress connection")
    if not content.title.strip() or not content.content_html.strip():
        raise ValidationError(f"Content {content.id} has no title or no body to publish")
    if not overwrite and wp_changes.conflict_of(content):
        raise wp_changes.conflict_error(content)
    if content.status == EditorialStatus.PUBLISHED and not (update or overwrite):
        raise AlreadyPublishedError(content.id or 0, content.external_url)


def check_content(
    account_id: int, site_id: int, content_id: int, update: bool, overwrite: bool = False
) -> None:
    """check_publishable for ids, in its own session."""
    with Session(get_engine()) as session:
        site = load_site(session, account_id, site_id)
        content = load_content(session, account_id, site_id, content_id)
        check_publishable(session, content, site, update, overwrite)


def _sync_terms(
    client: WordPressClient, site: Site, content: Content, out: PublishOutcome
) -> dict[str, list[int]]:
    """Find or create the article's categories and tags; link them to the content."""
    found: list[tuple[str, Term]] = []
    for kind, names in (("category", content.categories), ("tag", content.tags)):
        wanted = {name.strip().casefold(): name.strip() for name in names if name.strip()}
        found += [(kind, client.find_or_create_term(kind, name)) for name in wanted.values()]
    # Written after all the HTTP calls: no database transaction waits on WordPress.
    with session_scope() as session:
        rows = [upsert_taxonomy(session, site, kind, t.id, t.name, t.slug) for kind, t in found]
        link_taxonomies(session, content.id or 0, [row.id or 0 for row in rows])
    out.terms = len(rows)
    return {kind: [t.id for k, t in found if k == kind] for kind in ("category", "tag")}


def upsert_taxonomy(
    session: Session, site: Site, kind: str, external_id: int, name: str, slug: str
) -> ContentTaxonomy:
    """The site's ContentTaxonomy row for a WordPress term, by term id, else by slug."""
    by_site = select(ContentTaxonomy).where(
        ContentTaxonomy.site_id == site.id, ContentTaxonomy.type == kind
    )
    row = session.exec(by_site.where(ContentTaxonomy.external_id == external_id)).first()
    row = row or session.exec(by_site.where(ContentTaxonomy.slug == slug)).first()
    if row is None:
        row = ContentTaxonomy(
            account_id=site.account_id, site_id=site.id or 0, type=kind, name="", slug=""
        )
    row.name, row.slug, row.external_id = name[:200], slug[:200], external_id
    session.add(row)
    session.flush()
    return row


def link_taxonomies(session: Session, content_id: int, taxonomy_ids: list[int]) -> None:
    """Make the content's term links exactly `taxonomy_ids`."""
    session.exec(
        delete(ContentTaxonomyLink).where(
            col(ContentTaxonomyLink.content_id) == content_id,
            col(ContentTaxonomyLink.taxonomy_id).not_in(taxonomy_ids),
        )
    )
    have = set(
        session.exec(
            select(ContentTaxonomyLink.taxonomy_id).where(
                ContentTaxonomyLink.content_id == content_id
            )
        ).all()
    )
    for taxonomy_id in dict.fromkeys(taxonomy_ids):
        if taxonomy_id not in have:
            session.add(ContentTaxonomyLink(content_id=content_id, taxonomy_id=taxonomy_id))


def _save_post(
    client: WordPressClient, post_id: int | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Create or update; SEO meta the site refuses is dropped rather than failing the post."""
    try:
        return client.update_post(post_id, data) if post_id else client.create_post(data)
    except WordPressRejectedError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        wp_data = details.get("data")
        refused = (wp_data.get("params") if isinstance(wp_data, dict) else None) or {}
        if wp_code(exc) != "rest_invalid_param" or "meta" not in refused or "meta" not in data:
            raise
    data = {k: v for k, v in data.items() if k != "meta"}
    return client.update_post(post_id, data) if post_id else client.create_post(data)


def publish_content(
    account_id: int,
    site_id: int,
    content_id: int,
    *,
    status: str | None = None,
    publish_at: datetime | None = None,
    factory: ClientFactory | None = None,
    heartbeat: Heartbeat | None = None,
    overwrite: bool = False,
) -> PublishOutcome:
    """Publish (or update) one article with its images and terms; returns where it went.
    A post changed or deleted on WordPress since is refused unless `overwrite`."""
    beat = heartbeat or (lambda _msg: None)
    with session_scope() as session:
        site = load_site(session, account_id, site_id)
        content = load_content(session, account_id, site_id, content_id)
        images = list(
            session.exec(
                select(Image)
                .where(Image.content_id == content_id)
                .order_by(col(Image.kind), col(Image.position))
            ).all()
        )
        # Links to sibling articles point at their WordPress URLs (those not live yet: text only).
        body = resolve_internal_links(session, site_id, content.content_html)
    # From here on the rows are detached copies: every HTTP call happens outside a database
    # transaction, and each result is written in a short one of its own.
    wp_status = status or site.publish_status or PublishStatus.DRAFT
    out = PublishOutcome(content_id, 0, "", wp_status, created=False)
    with (factory or client_factory())(site) as client:
        if content.external_id and not overwrite:
            beat(f"Checking post {content.external_id} on WordPress")
            # A deletion is refused before anything is uploaded; edits once the payload is known.
            wp_guard.check_post(client, content, client.find_post(content.external_id), None)
        wp_media.upload_images(client, content, images, out, beat)
        beat("Finding or creating categories and tags")
        terms = _sync_terms(client, site, content, out)
        featured = next((i.external_media_id for i in images if i.kind == ImageKind.FEATURED), None)
        in_article = [i for i in images if i.kind == ImageKind.IN_ARTICLE]
        marker = wp_markup.post_marker(content)
        data = wp_markup.post_payload(
            content,
            wp_markup.build_post_html(body, in_article, marker),
            status=wp_status,
            featured_media=featured,
            categories=terms["category"],
            tags=terms["tag"],
            publish_at=publish_at,
        )
        post = _create_or_update(client, content, data, marker, out, beat, overwrite)
        if wp_status == PublishStatus.PUBLISH and post.get("status") == PublishStatus.FUTURE:
            # WordPress's clock is behind ours and scheduled what is due now: date it with
            # WordPress's own "now" (the modification time it just wrote).
            data["date_gmt"] = post.get("modified_gmt")
            post = _save_post(client, int(post["id"]), data)
            _record_post(content, post)
        out.media_attached = wp_media.attach_media(client, int(post["id"]), images, beat)
    out.post_id = int(post["id"])
    out.post_url = str(post.get("link") or "")
    out.wp_status = str(post.get("status") or wp_status)
    out.seo_meta = any(k in (post.get("meta") or {}) for k in data.get("meta", {}))
    return out


def _create_or_update(
    client: WordPressClient,
    content: Content,
    data: dict[str, Any],
    marker: str,
    out: PublishOutcome,
    beat: Heartbeat,
    overwrite: bool,
) -> dict[str, Any]:
    """Update the stored post (unless changed on WordPress since, see services.wp_guard), else
    the one an interrupted attempt made, else create one; the post id is committed the moment
    WordPress answers."""
    post: dict[str, Any] | None = None
    if content.external_id:
        current = client.find_post(content.external_id)
        if not overwrite:
            wp_guard.check_post(client, content, current, data)
        if current is not None:  # a trashed post is restored by the update
            beat(f"Updating post {content.external_id}")
            # Deleted on WordPress meanwhile: it is published anew below.
            with contextlib.suppress(WordPressNotFoundError):
                post = _save_post(client, content.external_id, data)
    if post is None:
        beat("Looking for a post from an earlier attempt")
        found = client.find_post_by_marker(marker)
        post = _save_post(client, int(found["id"]) if found else None, data)
        out.created = found is None
    _record_post(content, post)
    return post


def _record_post(content: Content, post: dict[str, Any]) -> None:
    """Store where the article lives on WordPress; editorial status follows a live post only."""
    with session_scope() as session:
        row = session.get(Content, content.id)
        if row is None:
            return  # deleted meanwhile: nothing to record
        row.external_id = int(post["id"])
        row.external_url = str(post.get("link") or "") or None
        row.external_status = str(post.get("status") or "")
        row.external_modified_at = wp_markup.parse_wp_datetime(post.get("modified_gmt"))
        wp_changes.note_published(row, post)
        if row.external_status == PublishStatus.PUBLISH:
            row.status = EditorialStatus.PUBLISHED
            row.published_at = wp_markup.parse_wp_datetime(post.get("date_gmt")) or utcnow()
        elif row.status == EditorialStatus.PUBLISHED:
            row.status = EditorialStatus.APPROVED  # we took it offline (draft or scheduled)
        row.updated_at = utcnow()
    content.external_id = int(post["id"])
