"""Edits made on WordPress to posts igny8 published, told apart from igny8's own writes.

Right after each publish igny8 stores a fingerprint of the post *as WordPress stored it* (raw
fields, `context=edit`): per-field hashes of title, body, excerpt, slug, status and term ids. A
post whose fingerprint later differs was changed by someone else (an editor, a plugin); comparing
with what igny8 sent instead would flag every post WordPress normalised on save. The changed
post is kept beside igny8's article (`wp_version`) until a person adopts it or keeps igny8's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from contracts.status import ImageKind
from contracts.wordpress import WordPressVersion, WpConflict
from core.errors import ConflictError, WordPressConflictError
from core.html_sanitize import plain_text, sanitize_html
from models import Content, Image
from models.base import utcnow
from services.stages.writing import html_word_count
from services.wp_markup import as_utc, parse_wp_datetime, strip_post_html

COMPARED = ("title", "content_html", "excerpt", "slug", "status", "categories", "tags")
# The fingerprint of a post that is gone (deleted or in the trash). Stored as the baseline when
# a person chose to keep igny8's article over a deletion: the next publish re-creates the post.
DELETED: dict[str, str] = {"deleted": "true"}


def _raw(value: object) -> str:
    """A REST text field: `{"raw", "rendered"}` with context=edit, a plain string in payloads."""
    if isinstance(value, dict):
        return str(value.get("raw", value.get("rendered", "")) or "")
    return str(value or "")


def _status(value: object) -> str:
    # A post igny8 scheduled going live on WordPress's own clock is not an editor's edit.
    status = str(value or "")
    return "publish" if status == "future" else status


def remote_fields(post: dict[str, Any]) -> dict[str, Any]:
    """The compared fields of a post (a REST answer, or a payload igny8 sends)."""
    return {
        "title": _raw(post.get("title")),
        "content_html": _raw(post.get("content")),
        "excerpt": _raw(post.get("excerpt")),
        "slug": str(post.get("slug") or ""),
        "status": _status(post.get("status")),
        "categories": sorted(int(i) for i in post.get("categories") or []),
        "tags": sorted(int(i) for i in post.get("tags") or []),
    }


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def fingerprint(post: dict[str, Any] | None) -> dict[str, str]:
    """Per-field hashes of the post; DELETED for a post that is gone or in the trash."""
    if post is None or post.get("status") == "trash":
        return dict(DELETED)
    return {name: _hash(value) for name, value in remote_fields(post).items()}


def with_body(base: dict[str, str], content_html: str) -> dict[str, str]:
    """The fingerprint `base` would have with `content_html` as the post's body: what an update
    of the body alone leaves (see services.link_refresh)."""
    return {**base, "content_html": _hash(content_html)}


def matches_payload(post: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether the post already holds what igny8 is about to send (then it is igny8's own
    earlier write whose answer was lost, not an editor's)."""
    have, want = remote_fields(post), remote_fields(data)
    # Without a slug in the payload WordPress picks one: nothing to compare then.
    return all(have[f] == want[f] for f in COMPARED if f != "slug" or "slug" in data)


def conflict_of(content: Content) -> WpConflict | None:
    """Why publishing this article waits for a choice (None: it does not)."""
    if content.external_id is None:
        return None
    if content.external_missing and content.wp_fingerprint != DELETED:
        return "deleted"
    return "changed" if content.wp_changed_at is not None else None


def conflict_error(content: Content) -> WordPressConflictError:
    """The typed refusal for an article with a conflict (see conflict_of)."""
    version = wordpress_version(content)
    changed_at = as_utc(content.wp_changed_at).isoformat() if content.wp_changed_at else None
    return WordPressConflictError(
        content.id or 0,
        content.external_id,
        conflict_of(content) or "changed",
        changed_at=changed_at,
        fields=version.changed_fields if version else None,
    )


def wordpress_version(content: Content) -> WordPressVersion | None:
    return WordPressVersion.model_validate(content.wp_version) if content.wp_version else None


def in_article_media_ids(session: Session, content_id: int) -> set[int]:
    """The media ids igny8 placed inside the post's body (stripped again when reading it)."""
    ids = session.exec(
        select(Image.external_media_id).where(
            Image.content_id == content_id,
            Image.kind == ImageKind.IN_ARTICLE,
            col(Image.external_media_id).is_not(None),
        )
    ).all()
    return {int(i) for i in ids if i}


def remote_version(
    post: dict[str, Any], term_names: dict[tuple[str, int], str], media_ids: set[int]
) -> WordPressVersion:
    """The post as WordPress has it, in igny8's terms (term names, the body without our
    figures and marker)."""

    def names(kind: str, key: str) -> list[str]:
        ids = [int(i) for i in post.get(key) or []]
        return [term_names.get((kind, i), f"#{i}") for i in ids]

    return WordPressVersion(
        post_id=int(post["id"]),
        title=plain_text(_raw(post.get("title"))),
        # Editors' markup is as untrusted as any tenant input: kept only once sanitised.
        content_html=sanitize_html(strip_post_html(_raw(post.get("content")), media_ids)),
        excerpt=sanitize_html(_raw(post.get("excerpt"))),
        slug=str(post.get("slug") or ""),
        status=str(post.get("status") or ""),
        categories=names("category", "categories"),
        tags=names("tag", "tags"),
        modified_at=parse_wp_datetime(post.get("modified_gmt")),
        link=str(post.get("link") or "") or None,
        fingerprint=fingerprint(post),
    )


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _same_names(a: Iterable[str], b: Iterable[str]) -> bool:
    return {n.strip().casefold() for n in a} == {n.strip().casefold() for n in b}


def wp_diff(content: Content, version: WordPressVersion | None = None) -> list[str]:
    """The fields where WordPress's version differs from what igny8 would publish."""
    version = version or wordpress_version(content)
    if version is None:
        return []
    differ = {
        "title": not _same_text(content.title, version.title),
        "content_html": not _same_text(content.content_html, version.content_html),
        "excerpt": not _same_text(content.excerpt or content.meta_description, version.excerpt),
        # An article without a slug lets WordPress choose one: that is no difference.
        "slug": bool(content.slug) and content.slug != version.slug,
        # igny8 has no post status of its own to compare: what changed since it published.
        "status": "status" in version.changed_fields,
        "categories": not _same_names(content.categories, version.categories),
        "tags": not _same_names(content.tags, version.tags),
    }
    return [field for field in COMPARED if differ[field]]


def edited_fields(content: Content, post: dict[str, Any], version: WordPressVersion) -> list[str]:
    """What changed on WordPress since igny8's last publish ([] when nothing did). Articles
    published before fingerprints existed fall back to the modification time and the diff."""
    now = version.fingerprint
    if content.wp_fingerprint:
        base = content.wp_fingerprint
        return [] if now == base else [f for f in COMPARED if now.get(f) != base.get(f)]
    modified = parse_wp_datetime(post.get("modified_gmt"))
    seen = content.external_modified_at
    if seen is not None and modified is not None and as_utc(seen) == modified:
        return []
    return wp_diff(content, version)


def note_remote_post(
    content: Content,
    post: dict[str, Any],
    term_names: dict[tuple[str, int], str],
    media_ids: set[int],
) -> bool:
    """Compare the post with igny8's last publish and record the outcome on the row (not
    committed): kept beside the article when changed. Returns whether it is changed."""
    version = remote_version(post, term_names, media_ids)
    fields = edited_fields(content, post, version)
    if not fields:
        if content.wp_changed_at is not None and content.wp_fingerprint == version.fingerprint:
            content.wp_changed_at, content.wp_version = None, None  # the editor undid it
        return False
    version.changed_fields = fields
    content.wp_version = version.model_dump(mode="json")
    content.wp_changed_at = version.modified_at or utcnow()
    return True


def note_published(content: Content, post: dict[str, Any]) -> None:
    """igny8 just wrote this post: its stored form is the new baseline, any conflict is over."""
    content.wp_fingerprint = fingerprint(post)
    content.wp_changed_at, content.wp_version = None, None
    content.external_missing = False


def adopt_wordpress_version(content: Content) -> Content:
    """igny8's article becomes WordPress's version (editorial status kept); not committed."""
    version = wordpress_version(content)
    if conflict_of(content) == "deleted":
        raise ConflictError(
            f"Content {content.id}: its post was deleted on WordPress, there is nothing to adopt; "
            f"keep igny8's article (POST /content/{content.id}/wordpress/keep) to re-create it"
        )
    if version is None or content.wp_changed_at is None:
        raise ConflictError(f"Content {content.id} has no change on WordPress to adopt")
    content.title = (version.title.strip() or content.title)[:300]
    content.content_html = sanitize_html(version.content_html)
    content.word_count = html_word_count(version.content_html)
    content.excerpt = version.excerpt
    content.slug = version.slug[:300]
    content.categories, content.tags = list(version.categories), list(version.tags)
    content.external_status = version.status
    content.wp_fingerprint = version.fingerprint
    content.wp_changed_at, content.wp_version = None, None
    content.updated_at = utcnow()
    return content


def keep_igny8_version(content: Content) -> Content:
    """Keep igny8's article: the next publish overwrites the post (or re-creates a deleted
    one); a later edit on WordPress is caught again. Not committed."""
    conflict = conflict_of(content)
    if conflict is None:
        raise ConflictError(f"Content {content.id} has no change on WordPress to resolve")
    if conflict == "deleted":
        content.wp_fingerprint = dict(DELETED)
    else:
        version = wordpress_version(content)
        content.wp_fingerprint = version.fingerprint if version else None
    content.wp_changed_at, content.wp_version = None, None
    content.updated_at = utcnow()
    return content
