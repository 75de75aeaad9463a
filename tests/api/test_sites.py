"""Sites: create with a WordPress connection, read it back without the password, change,
automation settings, delete with everything below it."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from core.crypto import decrypt
from core.db import session_scope
from models import AutomationConfig, AutomationRun, Content, Image, Keyword, Site, StageItem
from tests.helpers import Tenant, count

WP = {"url": "https://blog.example.com/", "username": "editor", "app_password": "abcd efgh ijkl"}


async def test_site_lifecycle_keeps_the_wordpress_password_secret(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    h = tenant.headers
    r = await api.post("/sites", headers=h, json={"name": "Trail Blog", "wordpress": WP})
    assert r.status_code == 201, r.text
    site = r.json()
    assert site["wordpress"] == {
        "url": "https://blog.example.com",
        "username": "editor",
        "has_app_password": True,
    }
    assert "abcd" not in r.text and site["active_run_id"] is None
    with session_scope() as s:
        stored = s.get(Site, site["id"])
        assert stored and stored.wp_app_password_encrypted != WP["app_password"]
        assert decrypt(stored.wp_app_password_encrypted or "") == WP["app_password"]
    listed = (await api.get("/sites", headers=h)).json()
    assert {s["id"] for s in listed["items"]} == {tenant.site_id, site["id"]}
    assert "abcd" not in str(listed)
    r = await api.patch(f"/sites/{site['id']}", headers=h, json={"domain": "trail.example"})
    assert r.json()["domain"] == "trail.example" and r.json()["wordpress"]["username"] == "editor"
    r = await api.patch(f"/sites/{site['id']}", headers=h, json={"wordpress": None})
    assert r.json()["wordpress"] is None
    for bad in (
        {"name": None},
        {"name": ""},
        {"publish_status": "future"},
        {"wordpress": {"url": "ftp://x", "username": "a", "app_password": "b"}},
        {"wordpress": {"url": "https://x"}},
        {"auto_publish": "sometimes"},
        {"colour": "red"},
    ):
        r = await api.patch(f"/sites/{site['id']}", headers=h, json=bad)
        assert r.status_code == 422, (bad, r.text)


async def test_automation_settings(api: httpx.AsyncClient, tenant: Tenant) -> None:
    url = f"/sites/{tenant.site_id}/automation"
    r = await api.put(
        url,
        headers=tenant.headers,
        json={
            "stages": [4, 1, 2],
            "batch_sizes": {"generate_content": 3, "1": 500},
            "concurrency": {"4": 4},
            "auto_publish": True,
            "publish_status": "publish",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stages"] == [1, 2, 4]
    assert body["batch_sizes"] == {"4": 3, "1": 500} and body["concurrency"] == {"4": 4}
    assert body["auto_publish"] is True and body["publish_status"] == "publish"
    again = (await api.put(url, headers=tenant.headers, json={"concurrency": {}})).json()
    assert again["batch_sizes"] == {"4": 3, "1": 500}, "fields left out keep their value"
    assert again["concurrency"] == {}
    assert (await api.get(url, headers=tenant.headers)).json() == again
    for bad in (
        {"stages": [0]},
        {"stages": [8]},
        {"batch_sizes": {"writing": 3}},
        {"batch_sizes": {"4": 0}},
        {"concurrency": {"4": 10_000}},
        {"publish_status": "later"},
        {"schedule": "daily"},
    ):
        r = await api.put(url, headers=tenant.headers, json=bad)
        assert r.status_code == 422, (bad, r.text)
    assert count(AutomationConfig, site_id=tenant.site_id) == 1


def _fill_site(t: Tenant) -> str:
    """Rows below the site in every table that has them, and a finished run."""
    with session_scope() as s:
        s.add(Keyword(account_id=t.account_id, site_id=t.site_id, text="k", normalized="k"))
        content = Content(account_id=t.account_id, site_id=t.site_id, title="Article")
        s.add(content)
        s.flush()
        s.add(Image(account_id=t.account_id, site_id=t.site_id, content_id=content.id))
        run = AutomationRun(
            id=f"test-run-{t.site_id}",
            account_id=t.account_id,
            site_id=t.site_id,
            status="completed",
        )
        s.add(run)
        s.add(StageItem(run_id=run.id, stage=1, item_id=1))
        return run.id


async def test_delete_cascades_and_refuses_while_a_run_is_active(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    run_id = _fill_site(tenant)
    with session_scope() as s:
        s.add(
            AutomationRun(
                id=f"active-{tenant.site_id}",
                account_id=tenant.account_id,
                site_id=tenant.site_id,
                status="paused",
            )
        )
    r = await api.delete(f"/sites/{tenant.site_id}", headers=tenant.headers)
    assert r.status_code == 409 and "active run" in r.json()["error"]["message"]
    assert count(Keyword, site_id=tenant.site_id) == 1
    with session_scope() as s:
        active = s.get(AutomationRun, f"active-{tenant.site_id}")
        assert active is not None
        active.status = "cancelled"
        s.add(active)
    r = await api.delete(f"/sites/{tenant.site_id}", headers=tenant.headers)
    assert r.status_code == 204, r.text
    for table in (Keyword, Content, Image, AutomationRun):
        assert count(table, site_id=tenant.site_id) == 0, table
    assert count(StageItem, run_id=run_id) == 0
    with session_scope() as s:
        assert s.exec(select(Site).where(Site.id == tenant.site_id)).first() is None
    assert (await api.get(f"/sites/{tenant.site_id}", headers=tenant.headers)).status_code == 404


async def test_automation_schedule_is_created_updated_and_removed(api, tenant, other, client):
    """PUT /sites/{id}/automation with a schedule makes the site's Temporal Schedule."""
    from temporalio.service import RPCError

    from services.schedule_spec import schedule_id
    from services.schedules import describe_schedule

    url = f"/sites/{tenant.site_id}/automation"
    body = {"schedule": {"cron": "0 6 * * 1", "timezone": "Europe/Berlin"}, "stages": [1, 2, 3]}
    answer = await api.put(url, json=body, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["schedule"]["cron"] == "0 6 * * 1"
    info = await describe_schedule(client, tenant.site_id)
    assert info.registered and info.timezone == "Europe/Berlin"
    bad = await api.put(url, json={"schedule": {"cron": "61 * * * *"}}, headers=tenant.headers)
    assert bad.status_code == 422
    assert (await api.put(url, json=body, headers=other.headers)).status_code == 404
    gone = await api.put(url, json={"schedule": None}, headers=tenant.headers)
    assert gone.status_code == 200 and gone.json()["schedule"] is None
    assert not (await describe_schedule(client, tenant.site_id)).registered
    assert (await api.put(url, json=body, headers=tenant.headers)).status_code == 200
    deleted = await api.delete(f"/sites/{tenant.site_id}", headers=tenant.headers)
    assert deleted.status_code == 204
    with pytest.raises(RPCError):  # the schedule went with its site
        await client.get_schedule_handle(schedule_id(tenant.site_id)).describe()
