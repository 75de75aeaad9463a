"""The WordPress round trip against the real WordPress, through the igny8 API and the real
workflows: an editor's edits made on WordPress are reported (with the diff), never overwritten
without a person's choice (adopt, keep, or an explicit overwrite), deleted posts are not
re-created behind the editor's back, and every media item is attached to its post."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlmodel import select
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from api.deps import get_temporal
from api.main import create_app
from contracts.wordpress import PublishContentInput
from core.config import get_settings
from core.db import session_scope
from core.errors import WordPressConflictError
from models import Content, Image, Site
from services.accounts import create_account
from services.wp_sync import SYNC_OVERLAP
from tests.helpers.wordpress import (
    BODY,
    WP,
    FaultProxy,
    publish,
    row,
    seed_content,
    seed_wp_site,
    wp_posts_with_marker,
    wp_worker,
)


@asynccontextmanager
async def igny8_api(client: Client, task_queue: str) -> AsyncIterator[httpx.AsyncClient]:
    """The igny8 HTTP API (a fresh account's key) with a WordPress worker on `task_queue`."""
    app = create_app(get_settings().model_copy(update={"task_queue": task_queue}))
    app.dependency_overrides[get_temporal] = lambda: client
    with session_scope() as s:
        _account, key = create_account(s, f"roundtrip {uuid.uuid4().hex[:6]}", 100)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test/api/v1",
            headers={"Authorization": f"Bearer {key}"},
        ) as api,
        wp_worker(client, task_queue),
    ):
        yield api


async def connected_site(api: httpx.AsyncClient, wp: WP) -> tuple[int, int]:
    """A site connected to the WordPress through the API: (account id, site id)."""
    made = await api.post(
        "/sites",
        json={
            "name": "Round trip",
            "wordpress": {"url": wp.url, "username": wp.username, "app_password": wp.app_password},
            "publish_status": "publish",
        },
    )
    assert made.status_code == 201, made.text
    site_id = made.json()["id"]
    return row(Site, site_id).account_id, site_id


async def publish_via_api(
    api: httpx.AsyncClient, client: Client, content_id: int, **body: Any
) -> dict[str, Any]:
    """POST /content/{id}/publish and wait for the workflow's result (raises on failure)."""
    started = await api.post(f"/content/{content_id}/publish", json=body)
    assert started.status_code == 202, started.text
    result: dict[str, Any] = await client.get_workflow_handle(
        started.json()["workflow_id"]
    ).result()
    return result


async def sync_via_api(api: httpx.AsyncClient, client: Client, site_id: int, full: bool) -> dict:
    started = await api.post(f"/sites/{site_id}/wordpress/sync", json={"full": full})
    assert started.status_code == 202, started.text
    result: dict[str, Any] = await client.get_workflow_handle(
        started.json()["workflow_id"]
    ).result()
    return result


def sync_from_now(site_id: int) -> None:
    """Make the next incremental sync ask only for posts modified from now on (the shared
    WordPress holds other developers' posts too)."""
    with session_scope() as s:
        site = s.get(Site, site_id)
        assert site is not None
        site.wp_last_sync_at = datetime.now(UTC).replace(microsecond=0) + SYNC_OVERLAP
        s.add(site)


def attached_media(wp: WP, post_id: int) -> set[int]:
    """The media items WordPress says were uploaded to the post ("Uploaded to")."""
    found = httpx.get(
        f"{wp.url}/wp-json/wp/v2/media",
        params={"parent": post_id, "per_page": 100, "context": "edit"},
        auth=(wp.username, wp.app_password),
        timeout=30,
    )
    found.raise_for_status()
    return {int(m["id"]) for m in found.json()}


def media_ids(content_id: int) -> set[int]:
    with session_scope() as s:
        ids = s.exec(select(Image.external_media_id).where(Image.content_id == content_id)).all()
    return {int(i) for i in ids if i}


async def editor_edits(wp: WP, post_id: int, **fields: str) -> dict[str, Any]:
    """An editor saves the post on WordPress (its REST API, the admin's application password).
    A second passes first: WordPress keeps modification times to the second."""
    await asyncio.sleep(1.1)
    with wp.client() as c:
        return c.update_post(post_id, fields)


async def test_edit_on_wordpress_is_reported_refused_adopted_and_overwritten(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    async with igny8_api(client, task_queue) as api:
        account_id, site_id = await connected_site(api, wordpress)
        content_id = seed_content(account_id, site_id, in_article=2)
        first = await publish_via_api(api, client, content_id)
        post_id = first["post_id"]
        assert first["media_attached"] == 3
        assert attached_media(wordpress, post_id) == media_ids(content_id)  # featured + 2
        article = (await api.get(f"/content/{content_id}")).json()
        assert article["wp_conflict"] is None and article["wp_diff"] == []
        igny8_title = article["title"]

        # An editor changes the title and the body on WordPress.
        sync_from_now(site_id)
        with wordpress.client() as c:
            raw = c.get_post(post_id)["content"]["raw"]
        edited_title = f"{igny8_title} (editor's cut)"
        edited_raw = raw.replace("First part.", "First part, rewritten by the editor.")
        await editor_edits(wordpress, post_id, title=edited_title, content=edited_raw)

        synced = await sync_via_api(api, client, site_id, full=False)
        assert synced["changed_on_wordpress"] == 1
        article = (await api.get(f"/content/{content_id}")).json()
        assert article["wp_conflict"] == "changed" and article["wp_changed_at"]
        assert article["title"] == igny8_title and article["content_html"] == BODY  # igny8's kept
        version = article["wp_version"]
        assert version["title"] == edited_title and version["post_id"] == post_id
        # WordPress's body, without the figures and the marker igny8 put in.
        assert version["content_html"] == BODY.replace(
            "First part.", "First part, rewritten by the editor."
        )
        assert sorted(version["changed_fields"]) == ["content_html", "title"]
        assert sorted(article["wp_diff"]) == ["content_html", "title"]
        listed = (await api.get(f"/sites/{site_id}/content", params={"wp_changed": True})).json()
        assert [(i["id"], i["wp_conflict"]) for i in listed["items"]] == [(content_id, "changed")]

        # Publishing would overwrite the editor's work: refused, saying how to resolve it.
        refused = await api.post(f"/content/{content_id}/publish", json={"update": True})
        assert refused.status_code == 409, refused.text
        error = refused.json()["error"]
        assert error["type"] == "WordPressConflictError"
        assert "changed on WordPress" in error["message"]
        for way in ("/wordpress/adopt", "/wordpress/keep", '"overwrite": true'):
            assert way in error["message"]
        assert error["details"]["fields"] == ["title", "content_html"]

        # Adopt: igny8's article becomes WordPress's version; its editorial status stays.
        adopted = await api.post(f"/content/{content_id}/wordpress/adopt")
        assert adopted.status_code == 200, adopted.text
        article = adopted.json()
        assert article["title"] == edited_title and article["status"] == "published"
        assert "rewritten by the editor" in article["content_html"]
        assert article["wp_conflict"] is None and article["wp_version"] is None
        again = await api.post(f"/content/{content_id}/wordpress/adopt")
        assert again.status_code == 409  # nothing left to adopt
        republished = await publish_via_api(api, client, content_id, update=True)
        assert republished["post_id"] == post_id and republished["media_attached"] == 0
        with wordpress.client() as c:
            post = c.get_post(post_id)
        assert post["title"]["raw"] == edited_title
        assert post["content"]["raw"].count("rewritten by the editor") == 1
        assert post["content"]["raw"].count("wp-image-") == 2  # no figure doubled

        # Edited again, not synced since: publishing finds out itself, at publish time.
        await editor_edits(wordpress, post_id, title="Second editor title")
        with pytest.raises(WorkflowFailureError) as failed:
            await publish_via_api(api, client, content_id, update=True)
        assert "WordPressConflictError" in repr(failed.value.cause)
        assert "changed on WordPress" in str(failed.value.cause)
        with wordpress.client() as c:
            assert c.get_post(post_id)["title"]["raw"] == "Second editor title"  # untouched
        article = (await api.get(f"/content/{content_id}")).json()
        assert article["wp_conflict"] == "changed" and article["wp_diff"] == ["title"]
        assert article["wp_version"]["title"] == "Second editor title"

        # An explicit overwrite replaces WordPress's version with igny8's.
        overwritten = await publish_via_api(api, client, content_id, overwrite=True)
        assert overwritten["post_id"] == post_id
        with wordpress.client() as c:
            assert c.get_post(post_id)["title"]["raw"] == edited_title
        article = (await api.get(f"/content/{content_id}")).json()
        assert article["wp_conflict"] is None and article["wp_diff"] == []
        assert attached_media(wordpress, post_id) == media_ids(content_id)

        # Keep: the editor's next edit is set aside, and the next publish overwrites it.
        sync_from_now(site_id)
        await editor_edits(wordpress, post_id, excerpt="An editor's excerpt.")
        assert (await sync_via_api(api, client, site_id, full=False))["changed_on_wordpress"] == 1
        kept = await api.post(f"/content/{content_id}/wordpress/keep")
        assert kept.status_code == 200 and kept.json()["wp_conflict"] is None
        assert kept.json()["excerpt"] == "Short summary."
        await publish_via_api(api, client, content_id, update=True)
        with wordpress.client() as c:
            assert c.get_post(post_id)["excerpt"]["raw"] == "Short summary."
    assert len(wp_posts_with_marker(wordpress, content_id)) == 1


async def test_deleted_post_is_recreated_only_by_a_choice(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    async with igny8_api(client, task_queue) as api:
        account_id, site_id = await connected_site(api, wordpress)
        content_id = seed_content(account_id, site_id, in_article=1)
        first = await publish_via_api(api, client, content_id)
        with wordpress.client() as c:
            c.delete_post(first["post_id"])

        # Not synced yet: the publish finds the post gone and refuses, uploading nothing.
        with pytest.raises(WorkflowFailureError) as failed:
            await publish_via_api(api, client, content_id, update=True)
        assert "was deleted on WordPress" in str(failed.value.cause)
        assert wp_posts_with_marker(wordpress, content_id) == []
        article = (await api.get(f"/content/{content_id}")).json()
        assert article["wp_conflict"] == "deleted" and article["external_missing"]
        refused = await api.post(f"/content/{content_id}/publish", json={"update": True})
        assert refused.status_code == 409
        assert refused.json()["error"]["type"] == "WordPressConflictError"
        assert "/wordpress/keep" in refused.json()["error"]["message"]
        assert (await api.post(f"/content/{content_id}/wordpress/adopt")).status_code == 409

        # Keep igny8's article: the next publish re-creates the post, media attached to it.
        kept = await api.post(f"/content/{content_id}/wordpress/keep")
        assert kept.status_code == 200 and kept.json()["wp_conflict"] is None
        second = await publish_via_api(api, client, content_id, update=True)
        assert second["created"] and second["post_id"] != first["post_id"]
        assert [p["id"] for p in wp_posts_with_marker(wordpress, content_id)] == [second["post_id"]]
        assert attached_media(wordpress, second["post_id"]) == media_ids(content_id)

        # Deleted again and seen by a full sync: refused at once; `overwrite` re-creates it.
        with wordpress.client() as c:
            c.delete_post(second["post_id"])
        synced = await sync_via_api(api, client, site_id, full=True)
        assert synced["missing"] >= 1
        assert row(Content, content_id).external_missing
        refused = await api.post(f"/content/{content_id}/publish", json={"update": True})
        assert refused.status_code == 409 and "deleted" in refused.json()["error"]["message"]
        third = await publish_via_api(api, client, content_id, overwrite=True)
        assert third["created"] and third["post_id"] not in (first["post_id"], second["post_id"])
    assert [p["id"] for p in wp_posts_with_marker(wordpress, content_id)] == [third["post_id"]]
    assert not row(Content, content_id).external_missing


async def test_auto_publish_never_overwrites_a_post_changed_on_wordpress(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_wp_site(wordpress)
    content_id = seed_content(account_id, site_id, in_article=0)
    # What auto-publish starts for an approved article: no update, no overwrite.
    inp = PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id)
    async with wp_worker(client, task_queue):
        first = await publish(client, task_queue, inp)
        await editor_edits(wordpress, first.post_id, title="Chosen by the editor")
        with session_scope() as s:  # approved again in igny8 (reopened, reviewed)
            content = s.get(Content, content_id)
            assert content is not None
            content.status = "approved"
            s.add(content)
        with pytest.raises(WorkflowFailureError) as failed:
            await publish(client, task_queue, inp)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable
    assert cause.type == WordPressConflictError.__name__
    assert "changed on WordPress" in cause.message
    with wordpress.client() as c:
        assert c.get_post(first.post_id)["title"]["raw"] == "Chosen by the editor"
    assert row(Content, content_id).wp_changed_at is not None


async def test_igny8s_own_update_whose_answer_was_lost_is_no_edit(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    account_id, site_id = seed_wp_site(wordpress, url=proxy.url)
    content_id = seed_content(account_id, site_id, in_article=1)
    inp = PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id)
    # WordPress attaches a media item, the answer is lost: the retry attaches the rest.
    proxy.add_rule("POST", r"^/wp/v2/media/\d+$", "drop")
    async with wp_worker(client, task_queue):
        first = await publish(client, task_queue, inp)
        assert attached_media(wordpress, first.post_id) == media_ids(content_id)
        with session_scope() as s:
            content = s.get(Content, content_id)
            assert content is not None
            content.title += " (revised in igny8)"
            s.add(content)
        # WordPress saves igny8's update, the answer is lost: the retry is not refused.
        proxy.add_rule("POST", rf"^/wp/v2/posts/{first.post_id}$", "drop")
        again = await publish(client, task_queue, inp.model_copy(update={"update": True}))
    assert again.post_id == first.post_id
    # The retry after the lost attach answer updates once, then: dropped, and the retry.
    assert proxy.count("POST", rf"^/wp/v2/posts/{first.post_id}$") == 3
    with wordpress.client() as c:
        assert c.get_post(first.post_id)["title"]["raw"].endswith("(revised in igny8)")
    assert row(Content, content_id).wp_changed_at is None
    assert attached_media(wordpress, first.post_id) == media_ids(content_id)
