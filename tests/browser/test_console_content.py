"""The post editor and the publish guard in a real browser: an edited meta description is kept
after a reload; a double click on Publish makes exactly one WordPress post (counted on the real
WordPress by the article's unique title), after which only "View on WordPress" is offered. The
WordPress round trip: a title an editor changed on WordPress is shown beside igny8's, adopted,
caught again at publish time, and overwritten only after a confirmation."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
from playwright.async_api import expect

from core.crypto import encrypt
from core.db import session_scope
from models import Content, Site
from services.wp_sync import SYNC_OVERLAP

BODY = "<p>Intro.</p><h2>Choosing</h2><p>First part.</p><h2>Caring</h2><p>Second part.</p>"


def seed_article(account_id: int, **site_fields: object) -> tuple[int, int, str]:
    """A site and one approved article with a unique title: (site id, content id, title)."""
    title = f"Console trail shoes {uuid.uuid4().hex[:8]}"
    with session_scope() as s:
        site = Site(account_id=account_id, name="Console site", **site_fields)  # type: ignore[arg-type]
        s.add(site)
        s.flush()
        content = Content(
            account_id=account_id,
            site_id=site.id,  # type: ignore[arg-type]
            title=title,
            content_html=BODY,
            meta_title="Trail shoes",
            meta_description="All about trail shoes.",
            categories=["Gear"],
            tags=["trail"],
            status="approved",
        )
        s.add(content)
        s.flush()
        return site.id, content.id, title  # type: ignore[return-value]


async def test_meta_description_edit_is_kept(signed_in, tenant, console, shot) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    _, content_id, title = seed_article(tenant.account_id)
    await page.goto(f"{console.origin}/#/content/{content_id}")
    await expect(page.get_by_role("heading", name=title)).to_be_visible()
    await shot(page, "article")
    await page.get_by_role("tab", name="Edit").click()
    meta = page.get_by_label("Meta description")
    new_text = "Choosing trail shoes: grip, fit and cushioning explained for every kind of trail."
    await meta.fill(new_text)
    await expect(page.locator(".counter").nth(1)).to_have_text(f"{len(new_text)} / 160")
    await page.get_by_label("Tags").fill("trail, shoes, grip")
    await shot(page, "article-editor")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Saved at")).to_be_visible()

    await page.reload()
    await expect(page.locator(".meta-description")).to_have_text(new_text)
    await page.get_by_role("tab", name="Edit").click()
    await expect(page.get_by_label("Meta description")).to_have_value(new_text)
    await expect(page.get_by_label("Tags")).to_have_value("trail, shoes, grip")
    with session_scope() as s:
        saved = s.get(Content, content_id)
        assert saved is not None and saved.meta_description == new_text
        assert saved.tags == ["trail", "shoes", "grip"]

    # Bad input is explained, not dumped: a meta description over the column's 500 characters.
    await page.get_by_label("Meta description").evaluate("el => el.removeAttribute('maxlength')")
    await page.get_by_label("Meta description").fill("x" * 501)
    await page.get_by_role("button", name="Save").click()
    error = page.locator(".editor .error")
    await expect(error).to_contain_text("Please fix the input")
    await expect(error).to_contain_text("meta description")
    await expect(error).not_to_contain_text("{")


def wordpress_posts_titled(wp, title: str) -> list[dict]:  # type: ignore[no-untyped-def]
    found = httpx.get(
        f"{wp.url}/wp-json/wp/v2/posts",
        auth=(wp.username, wp.app_password),
        params={"search": title, "status": "any", "context": "edit", "per_page": 100},
        timeout=30,
    ).json()
    return [p for p in found if p["title"]["raw"] == title]


async def test_publish_guard_makes_one_post(signed_in, tenant, console, wordpress, shot) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    site_id, content_id, title = seed_article(tenant.account_id, publish_status="draft")
    await page.reload()
    await page.get_by_label("Current site").select_option(str(site_id))

    # The connection test explains a wrong password in words, then confirms the right one.
    await page.get_by_role("link", name="Sites").click()
    form = page.get_by_role("form", name="WordPress connection")
    await form.get_by_label("WordPress URL").fill(wordpress.url)
    await form.get_by_label("User name").fill(wordpress.username)
    await form.get_by_label("Application password").fill("wrong pass word here")
    await form.get_by_role("button", name="Save connection").click()
    await expect(page.get_by_text("Connection saved")).to_be_visible()
    await page.get_by_role("button", name="Test connection").click()
    await expect(page.get_by_text("Publishing cannot work yet.")).to_be_visible(timeout=30_000)
    await shot(page, "sites-wordpress-test-failed")
    form = page.get_by_role("form", name="WordPress connection")
    await form.get_by_label("Application password").fill(wordpress.app_password)
    await form.get_by_role("button", name="Save connection").click()
    # Saving redraws the section: the old report goes, the new connection is there to test.
    await expect(page.get_by_text("Publishing cannot work yet.")).to_have_count(0)
    await expect(page.get_by_text("Connection saved")).to_be_visible()
    await page.get_by_role("button", name="Test connection").click()
    await expect(page.get_by_text("Connection works.")).to_be_visible(timeout=30_000)

    try:
        await page.goto(f"{console.origin}/#/content/{content_id}")
        publish = page.locator("[data-testid=publish]")
        await expect(publish).to_be_visible()
        # Two clicks in the same instant, as an impatient double click delivers them.
        await publish.evaluate("button => { button.click(); button.click(); }")
        await expect(page.get_by_role("button", name="Publishing…")).to_be_visible()
        view = page.locator("[data-testid=view-on-wordpress]")
        await expect(view).to_be_visible(timeout=90_000)
        await expect(page.locator("[data-testid=publish]")).to_have_count(0)
        await shot(page, "article-published")
        assert len(wordpress_posts_titled(wordpress, title)) == 1

        # After a reload there is still no way to publish a second post.
        await page.reload()
        await expect(page.locator("[data-testid=view-on-wordpress]")).to_be_visible()
        await expect(page.locator("[data-testid=publish]")).to_have_count(0)
        assert len(wordpress_posts_titled(wordpress, title)) == 1
    finally:
        for post in wordpress_posts_titled(wordpress, title):  # leave WordPress as found
            httpx.delete(
                f"{wordpress.url}/wp-json/wp/v2/posts/{post['id']}",
                auth=(wordpress.username, wordpress.app_password),
                params={"force": "true"},
                timeout=30,
            )


def wp_post(wp, post_id: int, **fields: str) -> dict:  # type: ignore[no-untyped-def]
    """Read (or, given fields, change) a post on WordPress directly, as an editor would."""
    answer = (
        httpx.post(
            f"{wp.url}/wp-json/wp/v2/posts/{post_id}",
            auth=(wp.username, wp.app_password),
            json=fields,
            timeout=30,
        )
        if fields
        else httpx.get(
            f"{wp.url}/wp-json/wp/v2/posts/{post_id}",
            auth=(wp.username, wp.app_password),
            params={"context": "edit"},
            timeout=30,
        )
    )
    answer.raise_for_status()
    return answer.json()


def sync_from_now(site_id: int) -> None:
    """The next incremental sync asks only for posts modified from now on (the local WordPress
    holds other tests' posts too)."""
    with session_scope() as s:
        site = s.get(Site, site_id)
        assert site is not None
        site.wp_last_sync_at = datetime.now(UTC).replace(microsecond=0) + SYNC_OVERLAP
        s.add(site)


async def test_wordpress_edit_is_shown_adopted_and_overwritten(  # type: ignore[no-untyped-def]
    signed_in, tenant, console, wordpress, shot
) -> None:
    page = signed_in
    site_id, content_id, title = seed_article(
        tenant.account_id,
        wp_url=wordpress.url,
        wp_username=wordpress.username,
        wp_app_password_encrypted=encrypt(wordpress.app_password),
        publish_status="publish",
    )
    await page.reload()
    await page.get_by_label("Current site").select_option(str(site_id))
    post_id = None
    try:
        # Published from the console.
        await page.goto(f"{console.origin}/#/content/{content_id}")
        await page.locator("[data-testid=publish]").click()
        view = page.locator("[data-testid=view-on-wordpress]")
        await expect(view).to_be_visible(timeout=90_000)
        with session_scope() as s:
            post_id = s.get(Content, content_id).external_id  # type: ignore[union-attr]
        assert post_id

        # An editor changes the title on WordPress (a second later: WordPress keeps seconds),
        # and the site is synced from the Sites page.
        sync_from_now(site_id)
        await asyncio.sleep(1.1)
        edited = f"{title} (editor's cut)"
        wp_post(wordpress, post_id, title=edited)
        await page.get_by_role("link", name="Sites").click()
        await page.get_by_role("button", name="Import from WordPress").click()
        await expect(page.locator(".sync .badge")).to_have_attribute(
            "data-status", "completed", timeout=60_000
        )

        # The article shows the change, both titles side by side, and the three choices.
        await page.goto(f"{console.origin}/#/content/{content_id}")
        conflict = page.locator("[data-testid=wp-conflict]")
        await expect(conflict.get_by_role("heading")).to_contain_text("Changed on WordPress at")
        title_row = conflict.locator('tr[data-field="title"]')
        await expect(title_row.locator("[data-side=igny8]")).to_have_text(title)
        await expect(title_row.locator("[data-side=wordpress]")).to_have_text(edited)
        for name in ("Keep igny8's", "Publish and overwrite WordPress"):
            await expect(conflict.get_by_role("button", name=name)).to_be_enabled()
        await expect(page.locator("[data-testid=publish]")).to_have_count(0)
        await shot(page, "article-wordpress-conflict")

        # Adopt: igny8's title becomes WordPress's, and the notice goes.
        await conflict.get_by_role("button", name="Use WordPress's version").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(edited)
        await expect(conflict).to_have_count(0)
        with session_scope() as s:
            assert s.get(Content, content_id).title == edited  # type: ignore[union-attr]

        # Edited in igny8 afterwards: "Update on WordPress" is offered.
        await page.get_by_role("tab", name="Edit").click()
        await page.get_by_label("Meta description").fill("Trail shoes, as the editor wanted.")
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Edited in igny8 since it was published.")).to_be_visible()

        # Edited on WordPress again, not synced: the update finds out itself and says so.
        await asyncio.sleep(1.1)
        wp_post(wordpress, post_id, title="Second editor title")
        await page.get_by_role("button", name="Update on WordPress").click()
        await expect(conflict.locator('tr[data-field="title"] [data-side=wordpress]')).to_have_text(
            "Second editor title", timeout=90_000
        )
        await expect(page.locator(".publish .error")).to_contain_text("Changed on WordPress")
        await shot(page, "article-wordpress-conflict-at-publish")
        assert wp_post(wordpress, post_id)["title"]["raw"] == "Second editor title"

        # Overwrite, once confirmed: WordPress gets igny8's title back.
        page.once("dialog", lambda dialog: dialog.accept())
        await conflict.get_by_role("button", name="Publish and overwrite WordPress").click()
        await expect(conflict).to_have_count(0, timeout=90_000)
        await expect(view).to_be_visible()
        assert wp_post(wordpress, post_id)["title"]["raw"] == edited
    finally:
        if post_id:  # leave WordPress as found
            httpx.delete(
                f"{wordpress.url}/wp-json/wp/v2/posts/{post_id}",
                auth=(wordpress.username, wordpress.app_password),
                params={"force": "true"},
                timeout=30,
            )
