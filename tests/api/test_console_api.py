"""The API parts the web console relies on: its static files at /, editable keywords and
taxonomy, items' generation status, and the progress of a publish or WordPress import."""

from __future__ import annotations

from datetime import timedelta

import httpx

from core.db import session_scope
from models import AutomationRun, Content, Keyword, StageItem
from models.base import utcnow
from tests.helpers.tenants import Tenant


async def test_console_is_served_at_the_root_with_a_strict_policy(api: httpx.AsyncClient) -> None:
    page = await api.get("http://test/")
    assert page.status_code == 200 and "<title>igny8 console</title>" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = await api.get("http://test/js/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    missing = await api.get("/no-such-endpoint")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFoundError"
    assert (await api.get("http://test/healthz")).status_code in (200, 503)


def _content(t: Tenant) -> int:
    with session_scope() as s:
        row = Content(
            account_id=t.account_id, site_id=t.site_id, title="T", content_html="<p>x</p>"
        )
        s.add(row)
        s.flush()
        return row.id  # type: ignore[return-value]


async def test_post_editor_fields_are_saved(api: httpx.AsyncClient, tenant: Tenant) -> None:
    content_id = _content(tenant)
    changes = {
        "primary_keyword": "trail shoes",
        "secondary_keywords": ["grip", "cushioning"],
        "categories": ["Gear"],
        "tags": ["trail", "shoes"],
    }
    answer = await api.patch(f"/content/{content_id}", json=changes, headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    read = (await api.get(f"/content/{content_id}", headers=tenant.headers)).json()
    assert {k: read[k] for k in changes} == changes
    too_many = await api.patch(
        f"/content/{content_id}",
        json={"tags": [f"t{i}" for i in range(51)]},
        headers=tenant.headers,
    )
    assert too_many.status_code == 422 and too_many.json()["error"]["type"] == "ValidationError"
    long_tag = await api.patch(
        f"/content/{content_id}", json={"tags": ["t" * 201]}, headers=tenant.headers
    )
    assert long_tag.status_code == 422


def _keyword_with_history(t: Tenant) -> int:
    """A keyword an older run completed and a newer run failed."""
    with session_scope() as s:
        keyword = Keyword(account_id=t.account_id, site_id=t.site_id, text="k", normalized="k")
        s.add(keyword)
        s.flush()
        now = utcnow()
        for n, (status, error) in enumerate([("completed", None), ("failed", "Too short")]):
            run_id = f"console-test-{t.site_id}-{n}"
            s.add(
                AutomationRun(
                    id=run_id,
                    account_id=t.account_id,
                    site_id=t.site_id,
                    status="completed",
                    started_at=now,
                )
            )
            s.add(
                StageItem(
                    run_id=run_id,
                    stage=1,
                    item_id=keyword.id,  # type: ignore[arg-type]
                    status=status,
                    attempts=n + 1,
                    error_type="ValidationError" if error else None,
                    error_message=error or "",
                    updated_at=now + timedelta(seconds=n),
                )
            )
        return keyword.id  # type: ignore[return-value]


async def test_generation_status_is_the_latest_runs(
    api: httpx.AsyncClient, tenant: Tenant, other: Tenant
) -> None:
    keyword_id = _keyword_with_history(tenant)
    url = f"/sites/{tenant.site_id}/generation-status"
    answer = await api.get(
        url, params={"kind": "keyword", "ids": [keyword_id, 999]}, headers=tenant.headers
    )
    assert answer.status_code == 200, answer.text
    statuses = answer.json()["statuses"]
    assert list(statuses) == [str(keyword_id)]  # 999 was never in a run
    latest = statuses[str(keyword_id)]
    assert latest["status"] == "failed" and latest["error_message"] == "Too short"
    assert latest["run_id"].endswith("-1") and latest["attempts"] == 2
    # The clusters' stage never took this id: nothing to report for it as a cluster.
    as_cluster = await api.get(
        url, params={"kind": "cluster", "ids": [keyword_id]}, headers=tenant.headers
    )
    assert as_cluster.json()["statuses"] == {}
    # Another account sees neither the site nor, through its own site, these runs.
    assert (
        await api.get(url, params={"kind": "keyword", "ids": [1]}, headers=other.headers)
    ).status_code == 404
    theirs = await api.get(
        f"/sites/{other.site_id}/generation-status",
        params={"kind": "keyword", "ids": [keyword_id]},
        headers=other.headers,
    )
    assert theirs.json()["statuses"] == {}
    too_many = await api.get(
        url, params={"kind": "keyword", "ids": list(range(1, 502))}, headers=tenant.headers
    )
    assert too_many.status_code == 422
    bad_kind = await api.get(url, params={"kind": "post", "ids": [1]}, headers=tenant.headers)
    assert bad_kind.status_code == 422


async def test_publish_and_sync_progress_before_any(
    api: httpx.AsyncClient, tenant: Tenant, other: Tenant
) -> None:
    content_id = _content(tenant)
    none_yet = await api.get(f"/content/{content_id}/publish", headers=tenant.headers)
    assert none_yet.status_code == 404 and none_yet.json()["error"]["message"].startswith("No ")
    theirs = await api.get(f"/content/{content_id}/publish", headers=other.headers)
    assert theirs.status_code == 404 and "not found" in theirs.json()["error"]["message"]
    sync = await api.get(f"/sites/{tenant.site_id}/wordpress/sync", headers=tenant.headers)
    assert sync.status_code == 404
    assert (
        await api.get(f"/sites/{tenant.site_id}/wordpress/sync", headers=other.headers)
    ).status_code == 404
