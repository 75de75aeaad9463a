"""What igny8 writes into WordPress besides the article itself: the idempotency markers that let a
post or a media item be found again after an ambiguous timeout, the in-article figures, the SEO
meta keys, and the post payload.

Why a marker in the post's HTML (and not a slug or a meta field): on a stock WordPress, custom
post meta is invisible to the REST API unless a plugin registers it, so it can be neither written
nor searched; and the slug is the article's public URL, which WordPress changes on collisions
("-2") and leaves empty on drafts created without one. An HTML comment survives the editor and
kses, is invisible to readers, and `?search=` (which matches the raw content) finds it. The marker
hashes the content's id with its creation time, so two installations (or a reset database) that
reuse a content id never adopt each other's posts.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime
from typing import Any

from models import Content, Image

_H2_END = re.compile(r"</h2\s*>", re.IGNORECASE)
# What build_post_html adds, to take it out again: a run of our figures, and the marker comment.
_FIGURE = r'<figure class="wp-block-image size-large"><img [^>]*?class="wp-image-(\d+)"/></figure>'
_FIGURE_RUN = re.compile(rf"\n((?:{_FIGURE}\n)+)")
_MARKER_COMMENT = re.compile(r"\n?<!-- igny8-\d+-[0-9a-f]{10} -->")

# Yoast SEO and Rank Math keys; WordPress ignores (or refuses) them when no plugin registers them.
SEO_META_KEYS = {
    "meta_title": ("_yoast_wpseo_title", "rank_math_title"),
    "meta_description": ("_yoast_wpseo_metadesc", "rank_math_description"),
    "primary_keyword": ("_yoast_wpseo_focuskw", "rank_math_focus_keyword"),
}


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (SQLite hands back naive ones)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def publish_key(content: Content) -> str:
    """A short, stable fingerprint of this content row (id + creation time)."""
    created = as_utc(content.created_at).isoformat(timespec="microseconds")
    raw = f"{content.account_id}:{content.site_id}:{content.id}:{created}"
    return hashlib.sha256(raw.encode()).hexdigest()[:10]


def post_marker(content: Content) -> str:
    """The search token written into the post (fixed-length hash: no token prefixes another)."""
    return f"igny8-{content.id}-{publish_key(content)}"


def media_slug(content: Content, image: Image) -> str:
    return f"igny8-c{content.id}-{publish_key(content)}-{image.kind}-{image.position}"


def media_filename(content: Content, image: Image, suffix: str = ".png") -> str:
    return media_slug(content, image) + suffix


def figure_html(image: Image) -> str:
    """A Gutenberg-style image figure for an uploaded in-article image."""
    alt = html.escape(image.alt_text or "", quote=True)
    src = html.escape(image.external_url or "", quote=True)
    media_id = image.external_media_id
    return (
        f'<figure class="wp-block-image size-large"><img src="{src}" alt="{alt}" '
        f'class="wp-image-{media_id}"/></figure>'
    )


def build_post_html(body: str, in_article: list[Image], marker: str) -> str:
    """The article with image N placed after its N-th H2 (at the end when there are fewer),
    and the idempotency marker appended."""
    ends = [m.end() for m in _H2_END.finditer(body)]
    inserts: dict[int, list[str]] = {}
    for image in sorted(in_article, key=lambda i: i.position):
        if not image.external_url:
            continue
        at = ends[image.position - 1] if 0 < image.position <= len(ends) else len(body)
        inserts.setdefault(at, []).append(figure_html(image))
    parts, last = [], 0
    for at in sorted(inserts):
        parts += [body[last:at], "\n", "\n".join(inserts[at]), "\n"]
        last = at
    parts.append(body[last:])
    out = "".join(parts)
    if marker not in out:
        out += f"\n<!-- {marker} -->"
    return out


def strip_post_html(html_text: str, in_article_media_ids: set[int]) -> str:
    """The article inside a post igny8 built (build_post_html's inverse): our in-article figures
    and the marker come out; figures an editor added (other media ids) stay."""

    def drop_ours(run: re.Match[str]) -> str:
        kept = [
            figure.group(0)
            for figure in re.finditer(_FIGURE, run.group(1))
            if int(figure.group(1)) not in in_article_media_ids
        ]
        return "".join(f"\n{figure}" for figure in kept) + ("\n" if kept else "")

    return _MARKER_COMMENT.sub("", _FIGURE_RUN.sub(drop_ours, html_text))


def seo_meta(content: Content) -> dict[str, str]:
    """The SEO plugin meta values this article has."""
    meta: dict[str, str] = {}
    for field, keys in SEO_META_KEYS.items():
        value = str(getattr(content, field) or "").strip()
        if value:
            meta.update(dict.fromkeys(keys, value))
    return meta


def wp_date(value: datetime) -> str:
    """A `date_gmt` value: ISO 8601 in UTC without offset, as WordPress expects."""
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="seconds")


def post_payload(
    content: Content,
    body: str,
    *,
    status: str,
    featured_media: int | None,
    categories: list[int],
    tags: list[int],
    publish_at: datetime | None,
) -> dict[str, Any]:
    """The REST body for creating or updating the post."""
    data: dict[str, Any] = {
        "title": content.title,
        "content": body,
        "excerpt": content.excerpt or content.meta_description or "",
        "status": status,
        "categories": categories,
        "tags": tags,
        "featured_media": featured_media or 0,
    }
    if content.slug:
        data["slug"] = content.slug
    if publish_at is not None:
        data["date_gmt"] = wp_date(publish_at)
    meta = seo_meta(content)
    if meta:
        data["meta"] = meta
    return data


def parse_wp_datetime(value: object) -> datetime | None:
    """A WordPress `*_gmt` field (no offset, UTC) as an aware datetime."""
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None
