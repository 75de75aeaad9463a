"""Tenant isolation on every route: no key → 401; another account's ids → 404, and nothing of
theirs changes."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlmodel import select

from core.db import session_scope
from models import (
    ApiKey,
    AutomationRun,
    Cluster,
    Content,
    ContentIdea,
    Image,
    Keyword,
    Site,
    StageItem,
    Task,
)
from tests.helpers import Tenant, count

OPEN_ROUTES = {("POST", "/api/v1/accounts"), ("GET", "/api/v1/healthz")}
# A valid body for each route that takes one, so the answer is about the ids, not the body.
BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PATCH", "/sites/{site_id}"): {"json": {"name": "stolen"}},
    ("PUT", "/sites/{site_id}/automation"): {"json": {"auto_publish": True}},
    ("POST", "/sites/{site_id}/keywords"): {"json": [{"keyword": "injected"}]},
    ("POST", "/sites/{site_id}/keywords/import"): {
        "files": {"file": ("k.csv", b"keyword\ninjected\n", "text/csv")}
    },
    ("POST", "/sites/{site_id}/runs"): {"json": {"stages": [1]}},
    ("POST", "/sites/{site_id}/runs/estimate"): {"json": {}},
    ("POST", "/sites/{site_id}/ai/{stage_name}"): {"json": {"ids": [1]}},
    ("PATCH", "/content/{content_id}"): {"json": {"title": "stolen"}},
    ("POST", "/runs/{run_id}/pause"): {"json": {"mode": "drain"}},
    ("POST", "/runs/{run_id}/retry"): {"json": {}},
    ("GET", "/sites/{site_id}/generation-status"): {"params": {"kind": "keyword", "ids": [1]}},
}


def _resources(t: Tenant) -> dict[str, str]:
    """One of everything under the tenant's site; the path parameters that name them."""
    a, s = t.account_id, t.site_id
    with session_scope() as db:
        keyword = Keyword(account_id=a, site_id=s, text="k", normalized="k")
        cluster = Cluster(account_id=a, site_id=s, name="c")
        db.add_all([keyword, cluster])
        db.flush()
        idea = ContentIdea(account_id=a, site_id=s, cluster_id=cluster.id, title="i")
        db.add(idea)
        db.flush()
        task = Task(account_id=a, site_id=s, cluster_id=cluster.id, idea_id=idea.id, title="t")
        db.add(task)
        db.flush()
        content = Content(account_id=a, site_id=s, task_id=task.id, title="Article")
        db.add(content)
        db.flush()
        image = Image(account_id=a, site_id=s, content_id=content.id, file_path="images/x.png")
        run = AutomationRun(id=f"iso-run-{s}", account_id=a, site_id=s, status="failed")
        db.add_all(
            [
                image,
                run,
                StageItem(run_id=run.id, stage=1, item_id=keyword.id or 0, status="failed"),
            ]
        )
        db.flush()
        key = db.exec(select(ApiKey).where(ApiKey.account_id == a)).first()
        assert key is not None
        return {
            "site_id": str(s),
            "content_id": str(content.id),
            "image_id": str(image.id),
            "run_id": run.id,
            "key_id": str(key.id),
            "stage": "1",
            "stage_name": "cluster_keywords",
        }


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation the API documents under /api/v1."""
    paths = app.openapi()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1")
        for method in operations
    ]


def _snapshot(t: Tenant) -> tuple[object, ...]:
    with session_scope() as db:
        site = db.get(Site, t.site_id)
        content = db.exec(select(Content).where(Content.site_id == t.site_id)).one()
        assert site is not None
        fields = (site.name, site.auto_publish, content.title)
    counts = (
        count(Keyword, site_id=t.site_id),
        count(AutomationRun, site_id=t.site_id),
        count(ApiKey, account_id=t.account_id, revoked=False),
    )
    return fields + counts


async def test_every_route_needs_a_key_and_hides_other_accounts(
    app: FastAPI, api: httpx.AsyncClient, tenant: Tenant, other: Tenant
) -> None:
    params = _resources(tenant)
    before = _snapshot(tenant)
    routes = _routes(app)
    assert len(routes) >= 30
    checked_404 = 0
    for method, path in routes:
        url = re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "1"), path)
        local = path.removeprefix("/api/v1")
        body = BODIES.get((method, local), {})
        if (method, path) not in OPEN_ROUTES:
            r = await api.request(method, url.removeprefix("/api/v1"), **body)  # type: ignore[arg-type]
            assert r.status_code == 401, (method, path, r.status_code, r.text)
        if "{" not in path or local.startswith("/prompts/"):
            continue  # no id in the path (prompts are named by function, always the caller's)
        r = await api.request(
            method,
            url.removeprefix("/api/v1"),
            headers=other.headers,
            **body,  # type: ignore[arg-type]
        )
        if (method, local) in BODIES or not any(m in local for m in ("wordpress", "publish")):
            assert r.status_code == 404, (method, path, r.status_code, r.text)
            assert r.json()["error"]["type"] == "NotFoundError"
            checked_404 += 1
        else:  # a route of another module whose body this test does not know
            assert r.status_code in (404, 422), (method, path, r.status_code, r.text)
    assert checked_404 >= 20
    assert _snapshot(tenant) == before, "the other account changed nothing"


async def test_lists_show_only_the_callers_rows(
    api: httpx.AsyncClient, tenant: Tenant, other: Tenant
) -> None:
    _resources(tenant)
    sites = (await api.get("/sites", headers=other.headers)).json()
    assert [s["id"] for s in sites["items"]] == [other.site_id]
    await api.post(
        "/credits/top-up", headers=tenant.headers, json={"amount": 5, "idempotency_key": "mine"}
    )
    theirs = (await api.get("/credits/transactions", headers=other.headers)).json()
    assert all(tx["reference"] != "top up (API)" for tx in theirs["items"])
    keys = (await api.get("/api-keys", headers=other.headers)).json()
    assert {k["prefix"] for k in keys} == {other.key.split("_")[1]}
