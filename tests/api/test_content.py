"""What the stages made, as a user browses and edits it."""

from __future__ import annotations

import httpx

from core.db import session_scope
from models import Cluster, Content, ContentIdea, Image, Task
from tests.helpers import Tenant


def _seed(t: Tenant) -> dict[str, int]:
    with session_scope() as s:
        ids: dict[str, int] = {}
        for name in ("shoes", "vests"):
            cluster = Cluster(account_id=t.account_id, site_id=t.site_id, name=name)
            s.add(cluster)
            s.flush()
            idea = ContentIdea(
                account_id=t.account_id,
                site_id=t.site_id,
                cluster_id=cluster.id,
                title=f"Best {name}",
                outline=[{"heading": "Why", "subheadings": []}],
            )
            s.add(idea)
            s.flush()
            task = Task(
                account_id=t.account_id,
                site_id=t.site_id,
                cluster_id=cluster.id,
                idea_id=idea.id,
                title=f"Best {name}",
            )
            s.add(task)
            s.flush()
            content = Content(
                account_id=t.account_id,
                site_id=t.site_id,
                task_id=task.id,
                cluster_id=cluster.id,
                title=f"Best {name} of 2026",
                content_html="<h2>Why</h2><p>one two three</p>",
                word_count=4,
            )
            s.add(content)
            s.flush()
            s.add(
                Image(
                    account_id=t.account_id,
                    site_id=t.site_id,
                    content_id=content.id,
                    prompt="a shoe",
                    file_path=None,
                )
            )
            ids[name] = cluster.id  # type: ignore[assignment]
            ids[f"content_{name}"] = content.id  # type: ignore[assignment]
        return ids


async def test_lists_filter_and_paginate(api: httpx.AsyncClient, tenant: Tenant) -> None:
    ids = _seed(tenant)
    h, site = tenant.headers, f"/sites/{tenant.site_id}"
    clusters = (await api.get(f"{site}/clusters", headers=h, params={"q": "VEST"})).json()
    assert [c["name"] for c in clusters["items"]] == ["vests"]
    ideas = (await api.get(f"{site}/ideas", headers=h, params={"cluster_id": ids["shoes"]})).json()
    assert ideas["total"] == 1 and ideas["items"][0]["outline"][0]["heading"] == "Why"
    tasks = (await api.get(f"{site}/tasks", headers=h, params={"status": "queued"})).json()
    assert tasks["total"] == 2
    content = (await api.get(f"{site}/content", headers=h, params={"limit": 1})).json()
    assert content["total"] == 2 and len(content["items"]) == 1
    assert "content_html" not in content["items"][0], "lists leave the bodies out"
    images = (await api.get(f"{site}/images", headers=h, params={"has_file": False})).json()
    assert images["total"] == 2 and images["items"][0]["file_url"] is None
    assert (await api.get(f"{site}/images", headers=h, params={"has_file": True})).json()[
        "total"
    ] == 0


async def test_editing_follows_editorial_transitions(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    content_id = _seed(tenant)["content_shoes"]
    url, h = f"/content/{content_id}", tenant.headers
    full = (await api.get(url, headers=h)).json()
    assert full["content_html"].startswith("<h2>") and full["status"] == "draft"
    r = await api.patch(
        url,
        headers=h,
        json={
            "title": "Best trail shoes",
            "content_html": "<p>" + "word " * 120 + "</p>",
            "meta_description": "Shoes for trails",
            "status": "review",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["word_count"] == 120 and r.json()["status"] == "review"
    r = await api.patch(url, headers=h, json={"status": "published"})
    assert r.status_code == 409 and "publish it instead" in r.json()["error"]["message"]
    assert (await api.patch(url, headers=h, json={"status": "approved"})).status_code == 200
    assert (await api.patch(url, headers=h, json={"status": "archived"})).status_code == 200
    r = await api.patch(url, headers=h, json={"status": "approved"})
    assert r.status_code == 409 and r.json()["error"]["details"]["allowed"] == ["draft"]
    for bad in (
        {"status": "gone"},
        {"title": ""},
        {"title": "t" * 301},
        {"slug": "Not A Slug"},
        {"meta_description": "m" * 501},
        {"word_count": 5},
        {"content_html": 5},
    ):
        r = await api.patch(url, headers=h, json=bad)
        assert r.status_code == 422, (bad, r.text)
    with session_scope() as s:
        stored = s.get(Content, content_id)
        assert stored is not None and stored.status == "archived"
        assert stored.title == "Best trail shoes"
