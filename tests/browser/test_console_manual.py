"""Manual AI runs in a real browser: pick rows, run the stage, read its own messages and the
success line with counts; a run whose dialog was closed announces its end with a notice."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

KEYWORDS = [
    "trail running shoes",
    "best trail running shoes",
    "waterproof trail running shoes",
    "marathon training plan",
    "half marathon training plan",
    "beginner marathon training schedule",
    "best running watch",
    "gps running watch for beginners",
]


async def test_manual_runs_report_counts_and_finish_notice(
    signed_in, tenant, console, shot
) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    headers = {"Authorization": f"Bearer {tenant.key}"}
    async with httpx.AsyncClient(base_url=console.origin + "/api/v1", headers=headers) as api:
        site = (await api.post("/sites", json={"name": "Manual runs site"})).json()
        added = await api.post(
            f"/sites/{site['id']}/keywords", json=[{"keyword": k} for k in KEYWORDS]
        )
        assert added.json()["created"] == len(KEYWORDS)
    await page.reload()
    await page.get_by_role("link", name="Keywords").click()
    await page.get_by_label("Select all on this page").check()
    await page.get_by_role("button", name=f"Cluster keywords ({len(KEYWORDS)})").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(f"{len(KEYWORDS)} keywords mapped into", timeout=60_000)
    await expect(dialog.locator(".badge").first).to_have_attribute("data-status", "completed")
    await shot(page, "manual-run-dialog")
    await dialog.get_by_role("button", name="Close", exact=True).click()
    await expect(page.locator("td.gen .badge").first).to_have_attribute("data-status", "completed")

    # A run whose dialog is closed at once still says when it is done.
    console.provider.delay["generate_ideas"] = 1.0
    await page.get_by_role("link", name="Clusters").click()
    await page.get_by_label("Select all on this page").check()
    await page.get_by_role("button", name="Generate ideas").click()
    await expect(dialog).to_contain_text("You can close this window")
    await dialog.get_by_role("button", name="Close", exact=True).click()
    await expect(dialog).to_have_count(0)
    notice = page.locator(".notice", has_text="Generate ideas finished")
    await expect(notice).to_contain_text("content ideas for", timeout=60_000)
    await shot(page, "manual-run-notice")
