"""Adopting or keeping WordPress's version of an article, through the API, without WordPress:
the rows are what a sync leaves behind, so the choices themselves are checked in isolation."""

from __future__ import annotations

import httpx

from core.db import session_scope
from models import Content, Image
from services import wp_changes
from services.wp_markup import build_post_html, strip_post_html
from tests.helpers.tenants import Tenant

BODY = "<p>Intro.</p><h2>One</h2><p>First.</p><h2>Two</h2><p>Second.</p>"


def _post(post_id: int = 77, **fields: object) -> dict:
    """A post as the REST API answers with context=edit."""
    post: dict = {
        "id": post_id,
        "title": {"raw": "igny8 title", "rendered": "igny8 title"},
        "content": {"raw": BODY + "\n<!-- igny8-1-0123456789 -->"},
        "excerpt": {"raw": "Summary."},
        "slug": "igny8-title",
        "status": "publish",
        "categories": [3],
        "tags": [5, 4],
        "modified_gmt": "2026-12-01T10:00:00",
        "link": "http://wp.test/igny8-title/",
    }
    post.update(fields)
    return post


def _published(t: Tenant, post: dict) -> int:
    """An article igny8 published as `post` (its fingerprint stored)."""
    with session_scope() as s:
        content = Content(
            account_id=t.account_id,
            site_id=t.site_id,
            title="igny8 title",
            content_html=BODY,
            excerpt="Summary.",
            categories=["Gear"],
            tags=["shoes", "trail"],
            status="published",
            external_id=post["id"],
            external_status="publish",
        )
        wp_changes.note_published(content, post)
        s.add(content)
        s.flush()
        return content.id or 0


def _seen_on_wordpress(content_id: int, post: dict) -> bool:
    with session_scope() as s:
        content = s.get(Content, content_id)
        assert content is not None
        names = {("category", 3): "Gear", ("tag", 4): "trail", ("tag", 5): "shoes"}
        changed = wp_changes.note_remote_post(content, post, names, set())
        s.add(content)
        return changed


def test_own_publish_and_wordpress_publishing_a_scheduled_post_are_not_edits() -> None:
    post = _post(status="future")
    assert wp_changes.fingerprint(post) == wp_changes.fingerprint(_post(status="publish"))
    assert wp_changes.fingerprint(_post(tags=[4, 5])) == wp_changes.fingerprint(_post())
    edited = wp_changes.fingerprint(_post(title={"raw": "Editor's"}))
    assert [k for k, v in edited.items() if wp_changes.fingerprint(post)[k] != v] == ["title"]
    assert wp_changes.fingerprint(None) == wp_changes.fingerprint(_post(status="trash"))


def test_the_article_comes_back_out_of_the_post_igny8_built() -> None:
    images = [
        Image(
            account_id=1,
            site_id=1,
            content_id=1,
            kind="in_article",
            position=p,
            external_media_id=10 + p,
            external_url=f"http://wp.test/{p}.png",
            alt_text=f'figure "{p}"',
        )
        for p in (1, 2, 3)
    ]
    built = build_post_html(BODY, images, "igny8-1-0123456789")
    assert built.count("wp-image-") == 3
    assert strip_post_html(built, {11, 12, 13}) == BODY
    # A figure an editor added (another media id) stays.
    editors = (
        '<figure class="wp-block-image size-large"><img src="x" class="wp-image-99"/></figure>'
    )
    with_editor = built.replace("<p>First.</p>", f"\n{editors}\n<p>First.</p>")
    assert editors in strip_post_html(with_editor, {11, 12, 13})


async def test_adopt_takes_wordpress_version_and_keeps_the_status(
    api: httpx.AsyncClient, tenant: Tenant, other: Tenant
) -> None:
    content_id = _published(tenant, _post())
    assert not _seen_on_wordpress(content_id, _post(modified_gmt="2026-12-01T11:00:00"))
    none = await api.post(f"/content/{content_id}/wordpress/adopt", headers=tenant.headers)
    assert none.status_code == 409 and "no change on WordPress" in none.json()["error"]["message"]

    edited = _post(
        title={"raw": "Editor's title"},
        content={"raw": BODY.replace("First.", "First, edited.") + "\n<!-- igny8-1-0123456789 -->"},
        tags=[4],
        modified_gmt="2026-12-01T12:00:00",
    )
    assert _seen_on_wordpress(content_id, edited)
    foreign = await api.post(f"/content/{content_id}/wordpress/adopt", headers=other.headers)
    assert foreign.status_code == 404
    shown = (await api.get(f"/content/{content_id}", headers=tenant.headers)).json()
    assert shown["wp_conflict"] == "changed"
    assert shown["wp_changed_at"].startswith("2026-12-01T12:00:00")
    assert shown["wp_diff"] == ["title", "content_html", "tags"]
    assert shown["wp_version"]["tags"] == ["trail"]

    adopted = await api.post(f"/content/{content_id}/wordpress/adopt", headers=tenant.headers)
    assert adopted.status_code == 200, adopted.text
    article = adopted.json()
    assert article["title"] == "Editor's title" and article["tags"] == ["trail"]
    assert article["content_html"] == BODY.replace("First.", "First, edited.")
    assert article["status"] == "published" and article["wp_conflict"] is None
    # What was adopted is the new baseline: the same post is no longer a change.
    assert not _seen_on_wordpress(content_id, edited)


async def test_keep_sets_the_edit_aside_until_the_next_one(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    content_id = _published(tenant, _post())
    edited = _post(excerpt={"raw": "Editor's summary."}, modified_gmt="2026-12-01T12:00:00")
    assert _seen_on_wordpress(content_id, edited)
    listed = await api.get(
        f"/sites/{tenant.site_id}/content", params={"wp_changed": True}, headers=tenant.headers
    )
    assert [i["id"] for i in listed.json()["items"]] == [content_id]
    kept = await api.post(f"/content/{content_id}/wordpress/keep", headers=tenant.headers)
    assert kept.status_code == 200 and kept.json()["excerpt"] == "Summary."
    assert kept.json()["wp_conflict"] is None
    again = await api.post(f"/content/{content_id}/wordpress/keep", headers=tenant.headers)
    assert again.status_code == 409
    assert not _seen_on_wordpress(content_id, edited)  # set aside
    assert _seen_on_wordpress(content_id, _post(slug="editors-slug"))  # a new edit is caught


async def test_a_deleted_post_waits_for_keep_or_overwrite(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    content_id = _published(tenant, _post())
    with session_scope() as s:
        content = s.get(Content, content_id)
        assert content is not None
        content.external_missing = True  # what a full sync marks
        s.add(content)
    shown = (await api.get(f"/content/{content_id}", headers=tenant.headers)).json()
    assert shown["wp_conflict"] == "deleted" and shown["external_missing"]
    adopt = await api.post(f"/content/{content_id}/wordpress/adopt", headers=tenant.headers)
    assert adopt.status_code == 409 and "deleted" in adopt.json()["error"]["message"]
    kept = await api.post(f"/content/{content_id}/wordpress/keep", headers=tenant.headers)
    assert kept.status_code == 200 and kept.json()["wp_conflict"] is None
    with session_scope() as s:
        content = s.get(Content, content_id)
        assert content is not None and content.wp_fingerprint == wp_changes.DELETED
