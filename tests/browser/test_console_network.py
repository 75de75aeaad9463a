"""The wizard over a network that drops mid-run: the page says it is reconnecting, keeps what it
showed, and is live again by itself once the network is back; the run completes on screen."""

from __future__ import annotations

import asyncio
import re

import httpx
from playwright.async_api import expect

KEYWORDS = [
    "trail running shoes",
    "best trail running shoes",
    "waterproof trail running shoes",
    "trail running shoes for women",
    "marathon training plan",
    "half marathon training plan",
    "beginner marathon training schedule",
    "what to eat before a marathon",
]


async def completed(page, stage: int) -> int:  # type: ignore[no-untyped-def]
    cell = page.locator(f'.stage-card[data-stage="{stage}"] [data-count="completed"]')
    return int((await cell.inner_text()).replace(",", ""))


async def test_wizard_reconnects_after_the_network_drops(signed_in, tenant, console, shot) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    console.provider.delay["generate_article"] = 0.4
    headers = {"Authorization": f"Bearer {tenant.key}"}
    async with httpx.AsyncClient(base_url=console.origin + "/api/v1", headers=headers) as api:
        site = (await api.post("/sites", json={"name": "Flaky network site"})).json()
        await api.put(
            f"/sites/{site['id']}/automation",
            json={"batch_sizes": {"4": 1}, "concurrency": {"4": 1}},
        )
        await api.post(f"/sites/{site['id']}/keywords", json=[{"keyword": k} for k in KEYWORDS])
        run_id = (await api.post(f"/sites/{site['id']}/runs")).json()["run_id"]
    await page.goto(f"{console.origin}/#/automation/{run_id}")
    await page.reload()  # the site was made through the API after the page loaded its sites
    live = page.locator(".live")
    await expect(live).to_have_text("Live")
    deadline = asyncio.get_running_loop().time() + 60
    while await completed(page, 4) < 1:
        assert asyncio.get_running_loop().time() < deadline, "no article written in time"
        await asyncio.sleep(0.1)

    console.network.cut()
    await expect(live).to_have_text("Reconnecting…", timeout=10_000)
    before = await completed(page, 4)
    await asyncio.sleep(2.0)  # the run goes on without us
    assert await completed(page, 4) == before, "the page changed with no network"
    await shot(page, "automation-reconnecting")

    console.network.restore()
    # Back on the stream: live again, or already the end if the run finished meanwhile.
    await expect(live).to_have_text(re.compile("Live|Finished"), timeout=40_000)
    await expect(page.locator(".run-title .badge")).to_have_attribute(
        "data-status", "completed", timeout=120_000
    )
    assert await completed(page, 4) > before
    assert await completed(page, 3) == await completed(page, 4)  # every task written
