"""The publish-time check: before igny8 updates a post it already published, it reads the post
and refuses (WordPressConflictError) when someone changed or deleted it since, so a retry, a
re-publish or auto-publish never overwrites an editor's work unless a person chose so."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from core.db import session_scope
from core.errors import WordPressConflictError
from integrations.wordpress.client import WordPressClient
from models import Content, ContentTaxonomy
from services import wp_changes


def _term_names(
    client: WordPressClient, site_id: int, post: dict[str, Any]
) -> dict[tuple[str, int], str]:
    """Names of the post's categories and tags: the site's known terms, else asked of WordPress."""
    names: dict[tuple[str, int], str] = {}
    for kind, key in (("category", "categories"), ("tag", "tags")):
        ids = sorted({int(i) for i in post.get(key) or []})
        if not ids:
            continue
        with session_scope() as session:
            known = session.exec(
                select(ContentTaxonomy).where(
                    ContentTaxonomy.site_id == site_id,
                    ContentTaxonomy.type == kind,
                    col(ContentTaxonomy.external_id).in_(ids),
                )
            ).all()
            names.update({(kind, row.external_id or 0): row.name for row in known})
        unknown = [i for i in ids if (kind, i) not in names]
        if unknown:
            terms, _pages = client.list_terms(kind, per_page=100, include=unknown[:100])
            names.update({(kind, term.id): term.name for term in terms})
    return names


def _refusal(
    client: WordPressClient, content: Content, post: dict[str, Any] | None
) -> WordPressConflictError | None:
    """Record what WordPress has beside the article (so the API shows it) and return the
    refusal; None when the post turns out not to be changed after all."""
    names = _term_names(client, content.site_id, post) if post else {}
    with session_scope() as session:
        row = session.get(Content, content.id)
        if row is None:
            return None  # the article was deleted meanwhile: nothing to protect
        if wp_changes.fingerprint(post) == wp_changes.DELETED:
            row.external_missing = True
        else:
            assert post is not None
            media_ids = wp_changes.in_article_media_ids(session, row.id or 0)
            if not wp_changes.note_remote_post(row, post, names, media_ids):
                return None
        session.add(row)
        session.flush()
        return wp_changes.conflict_error(row)


def check_post(
    client: WordPressClient,
    content: Content,
    post: dict[str, Any] | None,
    data: dict[str, Any] | None,
) -> None:
    """Raise WordPressConflictError unless the post (None: deleted) is as igny8 left it, or
    already holds `data` (igny8's own update whose answer was lost). Without `data` (before
    the payload exists) only a deletion is certain, and only that is refused."""
    remote = wp_changes.fingerprint(post)
    if content.wp_fingerprint and remote == content.wp_fingerprint:
        return  # as igny8 left it (or, kept over a deletion, still gone: re-created next)
    ours = post is not None and (data is None or wp_changes.matches_payload(post, data))
    if remote != wp_changes.DELETED and ours:
        return
    refusal = _refusal(client, content, post)
    if refusal is not None:
        raise refusal
