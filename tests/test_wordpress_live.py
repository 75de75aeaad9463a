"""Publishing to and importing from a real WordPress (Debian's package, set up by
scripts/wordpress_setup.sh) through the real workflows on the Temporal dev server, with a fault
proxy in front of WordPress for the failures that matter: a timeout after WordPress created the
post, a 500 on a media upload, a dropped answer, a concurrent term creation."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image as PILImage
from sqlmodel import select
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.deps import get_temporal
from api.main import create_app
from contracts.wordpress import (
    PublishContentInput,
    PublishProgress,
    PublishResult,
    SyncProgress,
    SyncResult,
    WordPressSyncInput,
    publish_workflow_id,
    sync_workflow_id,
)
from core.config import get_settings
from core.crypto import encrypt
from core.db import session_scope
from core.temporal import SA_SITE, SA_STATUS
from models import Account, Content, ContentTaxonomy, ContentTaxonomyLink, Image, Site
from services.accounts import create_account
from services.wp_connection import check_site_connection
from services.wp_markup import post_marker
from services.wp_sync import SYNC_OVERLAP
from tests.conftest import temporal_cli_path
from tests.helpers import WP, FaultProxy, publish, wp_posts_with_marker, wp_worker
from workflows.publish import PublishContentWorkflow
from workflows.wp_sync import WordPressSyncWorkflow

BODY = "<p>Intro.</p><h2>Choosing</h2><p>First part.</p><h2>Caring</h2><p>Second part.</p>"


def seed_site(wp: WP, url: str | None = None) -> tuple[int, int]:
    with session_scope() as s:
        account = Account(name="wp test")
        s.add(account)
        s.flush()
        site = Site(
            account_id=account.id,
            name="wp site",
            wp_url=url or wp.url,
            wp_username=wp.username,
            wp_app_password_encrypted=encrypt(wp.app_password),
            publish_status="publish",
        )
        s.add(site)
        s.flush()
        return account.id, site.id  # type: ignore[return-value]


def seed_content(account_id: int, site_id: int, in_article: int = 2, **fields: object) -> int:
    """An article with a featured image and `in_article` images (real PNG files)."""
    tag = uuid.uuid4().hex[:6]
    values: dict[str, object] = {
        "title": f"Trail shoes {tag}",
        "content_html": BODY,
        "excerpt": "Short summary.",
        "meta_title": "Trail shoes | test",
        "meta_description": "All about trail shoes.",
        "categories": [f"Gear {tag}"],
        "tags": [f"trail-{tag}", "shoes"],
        "status": "approved",
    }
    values.update(fields)
    images_dir = get_settings().data_dir / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    with session_scope() as s:
        content = Content(account_id=account_id, site_id=site_id, **values)  # type: ignore[arg-type]
        s.add(content)
        s.flush()
        for kind, position in [("featured", 0)] + [
            ("in_article", p) for p in range(1, in_article + 1)
        ]:
            name = f"c{content.id}-{kind}-{position}.png"
            PILImage.new("RGB", (64, 48), (40 * position, 120, 200)).save(images_dir / name)
            s.add(
                Image(
                    account_id=account_id,
                    site_id=site_id,
                    content_id=content.id,
                    kind=kind,
                    position=position,
                    alt_text=f"{kind} {position} {tag}",
                    file_path=f"images/{name}",
                    width=64,
                    height=48,
                )
            )
        return content.id  # type: ignore[return-value]


def row(model: type, id_: int):  # type: ignore[no-untyped-def]
    with session_scope() as s:
        return s.get(model, id_)


def test_connection_test_reports_the_user_and_capabilities(wordpress: WP) -> None:
    account_id, site_id = seed_site(wordpress)
    report = check_site_connection(account_id, site_id)
    assert report.ok, report.problems
    assert report.user == wordpress.username and "administrator" in report.roles
    assert report.rest_mode == "pretty" and not report.missing_capabilities

    bad_account, bad_site = seed_site(WP(wordpress.url, wordpress.username, "wrong pass word"))
    report = check_site_connection(bad_account, bad_site)
    assert not report.ok and "Authorization header" in report.message


async def test_publish_with_images_terms_and_update(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_site(wordpress)
    content_id = seed_content(account_id, site_id)
    inp = PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id)
    async with wp_worker(client, task_queue):
        handle = await client.start_workflow(
            PublishContentWorkflow.run,
            inp,
            id=publish_workflow_id(content_id) + uuid.uuid4().hex[:4],
            task_queue=task_queue,
        )
        result: PublishResult = await handle.result()
        progress = await handle.query("progress", result_type=PublishProgress)
    assert result.created and result.wp_status == "publish" and result.media_uploaded == 3
    assert progress.status == "completed" and progress.percentage == 100
    assert progress.stages[0].name == "publish" and progress.post_id == result.post_id

    content = row(Content, content_id)
    assert content.external_id == result.post_id and content.status == "published"
    assert content.external_status == "publish" and content.external_url == result.post_url
    with session_scope() as s:
        images = s.exec(
            select(Image).where(Image.content_id == content_id).order_by(Image.position)
        ).all()
        terms = s.exec(
            select(ContentTaxonomy)
            .join(ContentTaxonomyLink)
            .where(ContentTaxonomyLink.content_id == content_id)
        ).all()
    assert all(i.external_media_id for i in images)

    with wordpress.client() as wp:
        post = wp.get_post(result.post_id)
        assert post["status"] == "publish" and post["featured_media"] == images[0].external_media_id
        raw = post["content"]["raw"]
        # In-article image N sits right after the N-th H2.
        assert (
            raw.index("Choosing</h2>")
            < raw.index(f"wp-image-{images[1].external_media_id}")
            < raw.index("First part")
        )
        assert (
            raw.index("Caring</h2>")
            < raw.index(f"wp-image-{images[2].external_media_id}")
            < raw.index("Second part")
        )
        assert post["excerpt"]["raw"] == "Short summary."
        media = wp.find_media_by_slug(
            f"igny8-c{content_id}-" + post_marker(content).rsplit("-", 1)[1] + "-featured-0"
        )
        assert media and media["alt_text"] == images[0].alt_text
        category = next(t for t in terms if t.type == "category")
        assert post["categories"] == [category.external_id]
        assert sorted(post["tags"]) == sorted(t.external_id for t in terms if t.type == "tag")
        assert wp.get_term("category", category.external_id or 0).name == content.categories[0]

    # Published already: a second publish is refused, unless it is an update.
    with session_scope() as s:
        c = s.get(Content, content_id)
        c.title = c.title + " (revised)"  # type: ignore[union-attr]
    async with wp_worker(client, task_queue):
        with pytest.raises(WorkflowFailureError) as refused:
            await publish(client, task_queue, inp)
        assert "already published" in str(refused.value.cause)
        again = await publish(client, task_queue, inp.model_copy(update={"update": True}))
    assert again.post_id == result.post_id and not again.created
    assert again.media_uploaded == 0 and again.media_reused == 3
    with wordpress.client() as wp:
        assert wp.get_post(result.post_id)["title"]["raw"].endswith("(revised)")
    assert len(wp_posts_with_marker(wordpress, content_id)) == 1


async def test_timeout_after_create_still_makes_one_post(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    account_id, site_id = seed_site(wordpress, url=proxy.url)
    content_id = seed_content(account_id, site_id, in_article=0)
    # WordPress creates the post; its answer never arrives before the client's 3 s timeout.
    proxy.add_rule("POST", r"^/wp/v2/posts$", "hang", seconds=6)
    async with wp_worker(client, task_queue, timeout=3):
        result = await publish(
            client,
            task_queue,
            PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id),
        )
    posts = wp_posts_with_marker(wordpress, content_id)
    assert [p["id"] for p in posts] == [result.post_id]
    assert not result.created  # the retry found the post the timed-out attempt made
    assert proxy.count("POST", r"^/wp/v2/posts$") == 1
    assert proxy.count("POST", rf"^/wp/v2/posts/{result.post_id}$") == 1
    assert row(Content, content_id).external_id == result.post_id


async def test_failed_and_dropped_media_uploads_make_one_media_item_each(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    account_id, site_id = seed_site(wordpress, url=proxy.url)
    content_id = seed_content(account_id, site_id, in_article=1)
    proxy.add_rule("POST", r"^/wp/v2/media$", "error", status=500)  # the featured image, once
    proxy.add_rule("POST", r"^/wp/v2/media$", "drop")  # then the answer to an upload is lost
    async with wp_worker(client, task_queue):
        result = await publish(
            client,
            task_queue,
            PublishContentInput(
                content_id=content_id, account_id=account_id, site_id=site_id, status="draft"
            ),
        )
    assert result.wp_status == "draft" and row(Content, content_id).status == "approved"
    with session_scope() as s:
        images = s.exec(select(Image).where(Image.content_id == content_id)).all()
        marker = post_marker(s.get(Content, content_id))  # type: ignore[arg-type]
    with wordpress.client() as wp:
        for image in images:
            slug = f"igny8-c{content_id}-{marker.rsplit('-', 1)[1]}-{image.kind}-{image.position}"
            found = httpx.get(
                f"{wordpress.url}/wp-json/wp/v2/media",
                params={"slug": slug},
                auth=(wordpress.username, wordpress.app_password),
            ).json()
            assert [m["id"] for m in found] == [image.external_media_id]
        assert wp.get_post(result.post_id)["featured_media"] == images[0].external_media_id
    # 500 (nothing made), dropped (made, answer lost), then the one still to upload.
    assert proxy.count("POST", r"^/wp/v2/media$") == 3


async def test_term_created_concurrently_is_used(
    client: Client, task_queue: str, wordpress: WP, proxy: FaultProxy
) -> None:
    account_id, site_id = seed_site(wordpress, url=proxy.url)
    tag = f"race-{uuid.uuid4().hex[:6]}"
    content_id = seed_content(account_id, site_id, in_article=0, tags=[tag], categories=[])
    proxy.add_rule("POST", r"^/wp/v2/tags$", "term_race")
    async with wp_worker(client, task_queue):
        result = await publish(
            client,
            task_queue,
            PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id),
        )
    assert "term_race" in " ".join(s.outcome for s in proxy.log)
    found = httpx.get(f"{wordpress.url}/wp-json/wp/v2/tags", params={"search": tag}).json()
    assert len(found) == 1
    with wordpress.client() as wp:
        assert wp.get_post(result.post_id)["tags"] == [found[0]["id"]]
    with session_scope() as s:
        taxonomy = s.exec(select(ContentTaxonomy).where(ContentTaxonomy.slug == tag)).one()
    assert taxonomy.external_id == found[0]["id"]


async def wait_for_status(handle, status: str) -> PublishProgress:  # type: ignore[no-untyped-def]
    for _ in range(150):
        progress = await handle.query("progress", result_type=PublishProgress)
        if progress.status == status:
            return progress
        await asyncio.sleep(0.1)
    raise AssertionError(f"never {status}: {progress}")


async def test_scheduled_publish_waits_for_its_time(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_site(wordpress)
    content_id = seed_content(account_id, site_id, in_article=0)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    inp = PublishContentInput(
        content_id=content_id, account_id=account_id, site_id=site_id, publish_at=at
    )
    async with wp_worker(client, task_queue):
        handle = await client.start_workflow(
            PublishContentWorkflow.run,
            inp,
            id=f"publish-sched-{uuid.uuid4().hex[:6]}",
            task_queue=task_queue,
        )
        progress = await wait_for_status(handle, "scheduled")
        assert progress.scheduled_for == at and progress.stages[0].status == "scheduled"
        assert row(Content, content_id).external_id is None  # nothing on WordPress yet
        result = await handle.result()
    assert datetime.now(UTC) >= at and result.wp_status == "publish"
    with wordpress.client() as wp:
        assert wp.get_post(result.post_id)["date_gmt"] == at.replace(tzinfo=None).isoformat()
    assert row(Content, content_id).status == "published"


async def test_cancelled_schedule_is_withdrawn_from_wordpress(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_site(wordpress)
    content_id = seed_content(account_id, site_id, in_article=0)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    inp = PublishContentInput(
        content_id=content_id,
        account_id=account_id,
        site_id=site_id,
        status="future",
        publish_at=at,
    )
    async with wp_worker(client, task_queue):
        handle = await client.start_workflow(
            PublishContentWorkflow.run,
            inp,
            id=f"publish-future-{uuid.uuid4().hex[:6]}",
            task_queue=task_queue,
        )
        await wait_for_status(handle, "scheduled")
        content = row(Content, content_id)
        assert content.external_status == "future" and content.status == "approved"
        with wordpress.client() as wp:
            post = wp.get_post(content.external_id)
        assert (
            post["status"] == "future" and post["date_gmt"] == at.replace(tzinfo=None).isoformat()
        )
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        progress = await handle.query("progress", result_type=PublishProgress)
    assert progress.status == "cancelled"
    with wordpress.client() as wp:
        assert wp.get_post(content.external_id)["status"] == "draft"
    assert row(Content, content_id).external_status == "draft"


async def test_secrets_never_reach_the_workflow_history(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_site(wordpress)
    content_id = seed_content(account_id, site_id, in_article=1)
    with session_scope() as s:
        encrypted = s.get(Site, site_id).wp_app_password_encrypted  # type: ignore[union-attr]
    workflow_id = f"publish-secret-{uuid.uuid4().hex[:6]}"
    async with wp_worker(client, task_queue):
        await client.execute_workflow(
            PublishContentWorkflow.run,
            PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id),
            id=workflow_id,
            task_queue=task_queue,
        )
    events = (await client.get_workflow_handle(workflow_id).fetch_history()).events
    # The serialized protobuf holds payloads as raw bytes (the JSON form base64-encodes them).
    history = History(events=events).SerializeToString()
    assert b"post_url" in history and b"Trail shoes" not in history  # results yes, rows no
    for secret in (wordpress.app_password, wordpress.app_password.replace(" ", ""), encrypted):
        assert secret and secret.encode() not in history


def _delete_posts(wp: WP, ids: list[int]) -> None:
    with wp.client() as client:
        for post_id in ids:
            with contextlib.suppress(Exception):  # best effort; one is deleted by the test
                client.delete_post(post_id)


async def test_sync_imports_updates_and_marks_missing_posts(
    client: Client, task_queue: str, wordpress: WP, request: pytest.FixtureRequest
) -> None:
    account_id, site_id = seed_site(wordpress)
    tag = uuid.uuid4().hex[:6]
    with wordpress.client() as wp:
        category = wp.find_or_create_term("category", f"Imported {tag}")
        made = [
            wp.create_post(
                {
                    "title": f"Imported {tag} {n}",
                    "content": f"<p>Body {n}</p>",
                    "status": status,
                    "categories": [category.id],
                }
            )
            for n, status in enumerate(["publish", "draft"])
        ]
    ids = [p["id"] for p in made]
    request.addfinalizer(lambda: _delete_posts(wordpress, ids))

    async def sync(full: bool) -> tuple[SyncResult, SyncProgress]:
        handle = await client.start_workflow(
            WordPressSyncWorkflow.run,
            WordPressSyncInput(site_id=site_id, account_id=account_id, full=full, per_page=5),
            id=f"{sync_workflow_id(site_id)}-{uuid.uuid4().hex[:6]}",
            task_queue=task_queue,
        )
        return await handle.result(), await handle.query("progress", result_type=SyncProgress)

    def imported() -> dict[int, Content]:
        with session_scope() as s:
            rows = s.exec(select(Content).where(Content.site_id == site_id)).all()
        return {r.external_id: r for r in rows if r.external_id in ids}

    async with wp_worker(client, task_queue):
        first, progress = await sync(full=True)
        assert first.created >= 2 and progress.status == "completed"
        assert progress.pages_done == progress.total_pages == first.pages >= 1
        rows = imported()
        assert {r.source for r in rows.values()} == {"wordpress"}
        assert rows[ids[0]].status == "published" and rows[ids[1]].status == "draft"
        assert rows[ids[0]].categories == [f"Imported {tag}"]
        with session_scope() as s:
            linked = s.exec(
                select(ContentTaxonomy)
                .join(ContentTaxonomyLink)
                .where(ContentTaxonomyLink.content_id == rows[ids[0]].id)
            ).all()
        assert [t.external_id for t in linked] == [category.id]
        assert row(Site, site_id).wp_last_sync_at is not None

        # Pretend the last sync was just now (its overlap window included), so only what is
        # edited from here on is new to an incremental sync.
        with session_scope() as s:
            site = s.get(Site, site_id)
            site.wp_last_sync_at = datetime.now(UTC).replace(microsecond=0) + SYNC_OVERLAP  # type: ignore[union-attr]
        await asyncio.sleep(1.1)  # WordPress keeps modification times to the second
        with wordpress.client() as wp:
            wp.update_post(ids[1], {"title": f"Edited {tag}"})
        second, _ = await sync(full=False)
        assert (second.total_posts, second.created, second.updated) == (1, 0, 1)
        assert imported()[ids[1]].title == f"Edited {tag}"

        with wordpress.client() as wp:
            wp.delete_post(ids[0])
        third, progress = await sync(full=True)
    assert (
        third.missing is not None and third.missing >= 1 and progress.posts_missing == third.missing
    )
    rows = imported()
    assert rows[ids[0]].external_missing and not rows[ids[1]].external_missing


async def test_http_api_tests_publishes_and_syncs(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    app = create_app(get_settings().model_copy(update={"task_queue": task_queue}))
    app.dependency_overrides[get_temporal] = lambda: client
    with session_scope() as s:
        account, key = create_account(s, "wp api", 100)
        _, other_key = create_account(s, "wp api other", 100)
    auth = {"Authorization": f"Bearer {key}"}
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test/api/v1", headers=auth) as api,
        wp_worker(client, task_queue),
    ):
        connection = {
            "url": wordpress.url,
            "username": wordpress.username,
            "app_password": wordpress.app_password,
        }
        made = await api.post(
            "/sites",
            json={"name": "API site", "wordpress": connection, "publish_status": "publish"},
        )
        assert made.status_code == 201, made.text
        assert wordpress.app_password not in made.text
        site_id = made.json()["id"]
        tested = await api.post(f"/sites/{site_id}/wordpress/test")
        assert tested.status_code == 200 and tested.json()["ok"], tested.text

        content_id = seed_content(account.id or 0, site_id, in_article=0)
        bad = await api.post(f"/content/{content_id}/publish", json={"status": "future"})
        assert bad.status_code == 422
        foreign = await api.post(
            f"/content/{content_id}/publish", headers={"Authorization": f"Bearer {other_key}"}
        )
        assert foreign.status_code == 404

        started = await api.post(f"/content/{content_id}/publish")
        assert started.status_code == 202, started.text
        assert started.json()["workflow_id"] == f"publish-content-{content_id}"
        result = await client.get_workflow_handle(started.json()["workflow_id"]).result()
        assert result["wp_status"] == "publish"
        again = await api.post(f"/content/{content_id}/publish")
        assert again.status_code == 409 and "already published" in again.json()["error"]["message"]
        update = await api.post(f"/content/{content_id}/publish", json={"update": True})
        assert update.status_code == 202
        handle = client.get_workflow_handle(update.json()["workflow_id"])
        await handle.result()
        described = await handle.describe()
        assert described.typed_search_attributes.get(SA_STATUS) == "completed"
        assert described.typed_search_attributes.get(SA_SITE) == site_id

        synced = await api.post(f"/sites/{site_id}/wordpress/sync", json={"full": True})
        assert synced.status_code == 202, synced.text
        outcome = await client.get_workflow_handle(synced.json()["workflow_id"]).result()
        assert outcome["total_posts"] >= 1
        bare = await api.post("/sites", json={"name": "No WordPress"})
        no_wp = await api.post(f"/sites/{bare.json()['id']}/wordpress/sync")
        assert no_wp.status_code == 422
    published = row(Content, content_id)
    # The sync saw igny8's own post and kept the article (not WordPress's rendering of it).
    assert published.source == "igny8" and published.external_status == "publish"
    assert published.content_html == BODY


async def test_long_sync_continues_as_new(
    wordpress: WP, task_queue: str, request: pytest.FixtureRequest
) -> None:
    account_id, site_id = seed_site(wordpress)
    with wordpress.client() as wp:
        ids = [wp.create_post({"title": f"Paged {n}", "status": "draft"})["id"] for n in range(3)]
    request.addfinalizer(lambda: _delete_posts(wordpress, ids))
    # A server of its own that suggests continue-as-new after a handful of events.
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        data_converter=pydantic_data_converter,
        ui=False,
        dev_server_extra_args=[
            "--dynamic-config-value",
            "limit.historyCount.suggestContinueAsNew=12",
        ],
    )
    try:
        async with wp_worker(env.client, task_queue):
            handle = await env.client.start_workflow(
                WordPressSyncWorkflow.run,
                WordPressSyncInput(site_id=site_id, account_id=account_id, full=True, per_page=1),
                id=f"sync-can-{uuid.uuid4().hex[:6]}",
                task_queue=task_queue,
            )
            result: SyncResult = await handle.result()
            progress = await handle.query("progress", result_type=SyncProgress)
        first_run = [
            e
            async for e in env.client.get_workflow_handle(
                handle.id, run_id=handle.first_execution_run_id
            ).fetch_history_events()
        ]
    finally:
        await env.shutdown()
    assert any(
        e.HasField("workflow_execution_continued_as_new_event_attributes") for e in first_run
    )
    assert result.pages == result.total_posts == result.created >= 3
    assert progress.pages_done == progress.total_pages == result.pages


async def test_post_deleted_on_wordpress_is_published_anew(
    client: Client, task_queue: str, wordpress: WP
) -> None:
    account_id, site_id = seed_site(wordpress)
    content_id = seed_content(account_id, site_id, in_article=0)
    inp = PublishContentInput(content_id=content_id, account_id=account_id, site_id=site_id)
    async with wp_worker(client, task_queue):
        first = await publish(client, task_queue, inp)
        with wordpress.client() as wp:
            wp.delete_post(first.post_id)
        again = await publish(client, task_queue, inp.model_copy(update={"update": True}))
    assert again.created and again.post_id != first.post_id
    assert [p["id"] for p in wp_posts_with_marker(wordpress, content_id)] == [again.post_id]
    assert row(Content, content_id).external_id == again.post_id
