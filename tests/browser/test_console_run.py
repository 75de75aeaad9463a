"""The console in a real browser, as a new user goes: sign in, create a site, import keywords
(a bad row shown with its line), start a run from the wizard, watch the stage cards move, pause
(nothing moves), resume, see it complete, then every page."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from models import Content
from tests.helpers import count

GOOD_ROWS = [
    "trail running shoes,33100,51,1.87,commercial,US",
    "best trail running shoes,18100,48,2.61,commercial,US",
    "trail running shoes for women,570,58,0.71,commercial,US",
    "waterproof trail running shoes,2400,40,1.20,commercial,US",
    "how to clean running shoes,1900,22,0.40,informational,US",
    "running shoes for flat feet,6600,45,1.95,commercial,US",
    "marathon training plan,14800,52,1.10,informational,US",
    "beginner marathon training schedule,2900,35,0.80,informational,US",
    "half marathon training plan,12100,47,0.95,informational,US",
    "what to eat before a marathon,3600,28,0.50,informational,US",
    "best running watch,9900,60,2.40,commercial,US",
    "gps running watch for beginners,880,38,1.70,commercial,US",
]
BAD_LINE = 5  # the header is line 1
CSV = "\n".join(
    ["keyword,volume,difficulty,cpc,intent,country"]
    + GOOD_ROWS[:3]
    + ["trail shoes rock plate,90,150,0.3,commercial,US"]  # difficulty outside 0-100
    + GOOD_ROWS[3:]
).encode()


async def counts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return await page.locator(".stage-card .count").all_inner_texts()


async def stage_count(page, stage: int, name: str) -> int:  # type: ignore[no-untyped-def]
    text = await page.locator(
        f'.stage-card[data-stage="{stage}"] [data-count="{name}"]'
    ).inner_text()
    return int(text.replace(",", ""))


async def wait_until(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_import_run_pause_resume_complete(signed_in, console, shot) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    console.provider.delay["generate_article"] = 0.5  # slow enough to watch and to pause
    console.provider.fail_next_article = True  # one article fails, to be retried later

    # Sites: create one, and make stage 4 write one article per batch, one batch at a time.
    new_site = page.get_by_role("form", name="New site")
    await new_site.get_by_label("Site name").fill("Browser trail site")
    await new_site.get_by_role("button", name="Create site").click()
    await expect(page.get_by_role("heading", name="Browser trail site")).to_be_visible()
    await page.get_by_label("Batch size of stage 4").fill("1")
    await page.get_by_label("Concurrency of stage 4").fill("1")
    await page.get_by_label("Cron").fill("0 6 * * 1")
    await page.get_by_label("Time zone").fill("Europe/Berlin")
    await page.get_by_role("button", name="Save automation settings").click()
    await expect(page.get_by_text("Automation settings saved.")).to_be_visible()
    await expect(page.get_by_text("Next runs (Europe/Berlin):")).to_be_visible()
    await expect(page.locator("fieldset ul.num li")).to_have_count(5)
    await expect(page.locator("fieldset ul.num li").first).to_contain_text("Mon")
    await expect(page.locator("fieldset ul.num li").first).to_contain_text("06:00")
    await shot(page, "sites")

    # Keywords: the CSV import reports what it did, the bad row with its line and reason.
    await page.get_by_role("link", name="Keywords").click()
    await page.get_by_label("File").set_input_files(
        {"name": "keywords.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    await page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator(".import-result")
    await expect(report).to_contain_text(f"{len(GOOD_ROWS)} created")
    await expect(report.locator("table.rejected")).to_contain_text(f"Line {BAD_LINE}")
    await expect(report.locator("table.rejected")).to_contain_text("difficulty")
    await expect(page.locator("table tbody tr[data-id]")).to_have_count(len(GOOD_ROWS))
    await shot(page, "keywords-import")

    # Automation: the estimate comes first, then the run starts.
    await page.get_by_role("link", name="Automation").click()
    await page.get_by_role("button", name="Plan a run…").click()
    await expect(page.locator("table.estimate")).to_contain_text("Cluster keywords")
    await page.get_by_role("button", name="Start run").click()
    await expect(page.locator(".stage-card")).to_have_count(8)  # seven stages, the publish queue
    await expect(page.locator('.stage-card[data-stage="8"]')).to_contain_text("Publishing")
    await expect(page.locator(".live")).to_have_text("Live")

    # The cards move: keywords get clustered, articles get written.
    await wait_until(lambda: stage_count(page, 1, "completed"), 60)
    assert await stage_count(page, 1, "completed") == len(GOOD_ROWS)
    await wait_until(lambda: stage_count(page, 4, "completed"), 60)
    await shot(page, "automation-running")

    # Pause (drain): once in-flight work is done, no count moves.
    await page.get_by_role("button", name="Pause", exact=True).click()
    await expect(page.locator(".run-title .badge")).to_have_attribute("data-status", "paused")

    async def drained() -> bool:
        return all([await stage_count(page, n, "processing") == 0 for n in range(1, 8)])

    await wait_until(drained, 30)
    await asyncio.sleep(1.0)  # the last event of the drained batch reaches the page
    frozen = await counts(page)
    assert await stage_count(page, 4, "pending") > 0, "the run finished before it could be paused"
    await asyncio.sleep(3.0)
    assert await counts(page) == frozen, "counts moved while the run was paused"
    await shot(page, "automation-paused")

    # Resume, and the run completes.
    await page.get_by_role("button", name="Resume").click()
    await expect(page.locator(".run-title .badge")).to_have_attribute(
        "data-status", "completed", timeout=180_000
    )
    await expect(page.locator(".run-title .badge")).to_have_text("Completed with 1 failed item")
    assert await stage_count(page, 4, "pending") == 0
    assert await stage_count(page, 4, "failed") == 1
    assert await stage_count(page, 7, "completed") > 0
    await expect(page.get_by_text("Run history")).to_be_visible()
    await expect(page.locator("table tbody tr").first).to_contain_text("completed")

    # The failed item is in stage 4's queue with its error in words; retrying it makes a new run.
    stage4 = page.locator('.stage-card[data-stage="4"]')
    await stage4.get_by_role("button", name="Queue").click()
    await expect(stage4.locator(".item-error")).to_contain_text("test fault")
    await shot(page, "automation-completed")
    console.provider.fail_titles.clear()
    await stage4.get_by_role("button", name="Retry stage 4 (1)").click()
    await expect(page.get_by_text("1 item back in the queue (in a new run)")).to_be_visible()
    await expect(page.locator(".run-title .badge")).to_have_attribute(
        "data-status", "completed", timeout=120_000
    )
    await expect(page.locator(".run-title .badge")).to_have_text("completed")
    history = page.locator("section.card", has_text="Run history").locator("tbody tr")
    await expect(history).to_have_count(2)

    # Every page shows what the run made.
    for name in ("Clusters", "Ideas", "Tasks", "Content", "Images"):
        await page.get_by_role("link", name=name, exact=True).click()
        await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        await expect(page.locator("table tbody tr[data-id]").first).to_be_visible()
        await expect(page.locator("td.gen .badge").first).to_have_attribute(
            "data-status", "completed"
        )
        await shot(page, name.lower())
    await page.get_by_role("link", name="Credits").click()
    await expect(page.get_by_role("heading", name="Ledger")).to_be_visible()
    await shot(page, "credits")

    # A phone-width screen: the same pages, nothing wider than the screen.
    await page.set_viewport_size({"width": 390, "height": 844})
    for name in ("Automation", "Content"):
        await page.get_by_role("link", name=name, exact=True).click()
        await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        await page.wait_for_timeout(300)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width}px wide on a 390px screen"
        await shot(page, f"phone-{name.lower()}")
    assert count(Content) > 0
