"""The Sites page's automation settings in a real browser: "strict order" is saved and shown
again after a reload."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

STRICT = "Run stages one at a time (strict order)"


async def test_strict_order_is_saved(signed_in, tenant, console) -> None:  # type: ignore[no-untyped-def]
    page = signed_in
    new_site = page.get_by_role("form", name="New site")
    await new_site.get_by_label("Site name").fill("Strict site")
    await new_site.get_by_role("button", name="Create site").click()
    form = page.get_by_role("form", name="Automation settings")
    await expect(form.get_by_label(STRICT)).not_to_be_checked()

    await form.get_by_label(STRICT).check()
    await form.get_by_role("button", name="Save automation settings").click()
    await expect(form.get_by_text("Automation settings saved.")).to_be_visible()

    await page.reload()
    form = page.get_by_role("form", name="Automation settings")
    await expect(form.get_by_label(STRICT)).to_be_checked()
    site_id = await page.get_by_label("Current site").input_value()
    async with httpx.AsyncClient(timeout=30) as api:  # the API runs in this event loop
        answer = await api.get(
            f"{console.origin}/api/v1/sites/{site_id}/automation",
            headers={"Authorization": f"Bearer {tenant.key}"},
        )
    assert answer.json()["strict_order"] is True
