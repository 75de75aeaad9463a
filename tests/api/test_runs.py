"""Runs through the API: start, refuse a second, estimate, manual AI runs, and a live run
followed over server-sent events while it is paused, resumed and finished."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from core.db import session_scope
from models import AutomationRun, Keyword
from services import progress_hub
from tests.helpers import SAMPLE_KEYWORDS, FailingProvider, Tenant, TokenProvider, count
from tests.helpers.live import EventReader, serve
from worker import build_worker


def sample_csv(rows: int) -> bytes:
    lines = SAMPLE_KEYWORDS.read_text(encoding="utf-8-sig").splitlines()
    return ("\n".join(lines[: rows + 1]) + "\n").encode()


def stage(progress: dict, number: int) -> dict:  # type: ignore[type-arg]
    """One stage's entry of a progress body ({} before the run has it)."""
    return next((s for s in progress["stages"] if s["stage"] == number), {})


async def import_sample(api: httpx.AsyncClient, t: Tenant, rows: int) -> None:
    r = await api.post(
        f"/sites/{t.site_id}/keywords/import",
        headers=t.headers,
        files={"file": ("k.csv", sample_csv(rows), "text/csv")},
    )
    assert r.status_code == 200 and r.json()["created"] == rows, r.text


async def test_start_refuses_a_second_run_and_other_accounts(
    api: httpx.AsyncClient, client: Client, tenant: Tenant, other: Tenant
) -> None:
    url = f"/sites/{tenant.site_id}/runs"
    r = await api.post(url, headers=tenant.headers)
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    try:
        again = await api.post(url, headers=tenant.headers, json={"stages": [1]})
        assert again.status_code == 409
        assert again.json()["error"]["details"]["active_run_id"] == run_id
        assert (await api.post(url, headers=other.headers)).status_code == 404
        assert (await api.post("/sites/999999999/runs", headers=tenant.headers)).status_code == 404
        listed = (await api.get(url, headers=tenant.headers, params={"status": "running"})).json()
        assert [x["id"] for x in listed["items"]] == [run_id]
        site = (await api.get(f"/sites/{tenant.site_id}", headers=tenant.headers)).json()
        assert site["active_run_id"] == run_id
        delete = await api.delete(f"/sites/{tenant.site_id}", headers=tenant.headers)
        assert delete.status_code == 409
        for bad in ({"stages": [9]}, {"stages": []}, {"stages": "all"}, {"x": 1}):
            assert (await api.post(url, headers=tenant.headers, json=bad)).status_code == 422
    finally:
        await client.get_workflow_handle(run_id).terminate()
        with session_scope() as s:
            row = s.get(AutomationRun, run_id)
            assert row is not None
            row.status = "cancelled"
            s.add(row)


async def test_estimate_projects_every_stage(api: httpx.AsyncClient, tenant: Tenant) -> None:
    await import_sample(api, tenant, 40)
    r = await api.post(f"/sites/{tenant.site_id}/runs/estimate", headers=tenant.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    stages = {s["name"]: s for s in body["stages"]}
    assert len(stages) == 7 and stages["cluster_keywords"]["eligible_now"] == 40
    clusters = stages["generate_ideas"]["projected"]
    assert clusters == 5 and stages["queue_ideas"]["projected"] == clusters * 5
    assert stages["generate_content"]["projected"] == clusters * 5
    assert stages["generate_images"]["projected"] == clusters * 5 * 4
    assert body["total_credits"] == sum(s["credits"] for s in body["stages"]) > 0
    assert body["sufficient"] == (body["total_credits"] <= body["balance"])
    only = await api.post(
        f"/sites/{tenant.site_id}/runs/estimate", headers=tenant.headers, json={"stages": [4]}
    )
    assert [s["stage"] for s in only.json()["stages"]] == [4]
    assert only.json()["total_credits"] == 0, "no tasks wait for stage 4 yet"


async def test_manual_run_checks_the_ids_belong_to_the_site(
    api: httpx.AsyncClient, client: Client, tenant: Tenant, other: Tenant
) -> None:
    await import_sample(api, tenant, 6)
    await import_sample(api, other, 6)
    with session_scope() as s:
        mine = [
            k.id
            for k in s.exec(Keyword.__table__.select().where(Keyword.site_id == tenant.site_id))
        ]  # type: ignore[attr-defined]
        theirs = [
            k.id for k in s.exec(Keyword.__table__.select().where(Keyword.site_id == other.site_id))
        ]  # type: ignore[attr-defined]
    url = f"/sites/{tenant.site_id}/ai/cluster_keywords"
    r = await api.post(url, headers=tenant.headers, json={"ids": mine[:3] + theirs[:2]})
    assert r.status_code == 422
    assert r.json()["error"]["details"]["invalid_ids"] == theirs[:2]
    for bad in ({"ids": []}, {"ids": list(range(1, 1002))}, {"ids": ["a"]}, {"ids": [0]}, {}):
        assert (await api.post(url, headers=tenant.headers, json=bad)).status_code == 422
    r = await api.post(
        f"/sites/{tenant.site_id}/ai/queue_ideas", headers=tenant.headers, json={"ids": mine}
    )
    assert r.status_code == 422, "queue_ideas is not an AI stage"
    r = await api.post(url, headers=tenant.headers, json={"ids": mine})
    assert r.status_code == 202, r.text
    run_id = r.json()["run_id"]
    assert "cluster_keywords" in run_id
    await client.get_workflow_handle(run_id).terminate()
    with session_scope() as s:
        row = s.get(AutomationRun, run_id)
        assert row is not None and row.kind == "manual" and row.manual_stage == 1
        row.status = "cancelled"
        s.add(row)


async def test_live_run_over_events_pause_resume_and_end(
    app: FastAPI, api: httpx.AsyncClient, client: Client, task_queue: str, tenant: Tenant
) -> None:
    await import_sample(api, tenant, 12)
    h = tenant.headers
    await api.put(
        f"/sites/{tenant.site_id}/automation",
        headers=h,
        # Strict order: stage 4 starts with all its tasks known, so the test can count them.
        json={"stages": [1, 2, 3, 4], "concurrency": {"4": 1}, "strict_order": True},
    )
    provider = TokenProvider()
    settings = app.state.settings
    async with (
        build_worker(client, settings, task_queue, provider_for_account=lambda _: provider),
        serve(app) as base,
    ):
        run_id = (await api.post(f"/sites/{tenant.site_id}/runs", headers=h)).json()["run_id"]
        reader = EventReader()
        reading = asyncio.create_task(reader.read(f"{base}/runs/{run_id}/events", h))
        writing = await reader.wait_for(lambda e: stage(e.data, 4).get("processing") == 1)
        tasks = stage(writing.data, 4)["items_total"]
        assert tasks >= 3
        provider.release()  # one article finishes: an event says so
        await reader.wait_for(lambda e: stage(e.data, 4).get("completed") == 1)

        paused = await api.post(f"/runs/{run_id}/pause", headers=h, json={"mode": "drain"})
        assert paused.status_code == 200 and paused.json()["paused"] is True, paused.text
        await reader.wait_for(lambda e: e.data["paused"] is True)
        provider.release(tasks)  # the article in flight may finish; no new one starts
        resumed = await api.post(f"/runs/{run_id}/resume", headers=h)
        assert resumed.status_code == 200 and resumed.json()["paused"] is False
        end = await reader.wait_for(lambda e: e.event == "end", timeout=60)
        await asyncio.wait_for(reading, 5)
    ids = [e.id for e in reader.events]
    assert ids == sorted(set(ids)) and reader.events[-1] is end
    assert end.data["status"] == "completed" and stage(end.data, 4)["completed"] == tasks
    final = (await api.get(f"/runs/{run_id}", headers=h)).json()
    assert final["status"] == "completed" and final["percentage"] == end.data["percentage"]
    queue = await api.get(
        f"/runs/{run_id}/stages/4/queue", headers=h, params={"status": "completed", "limit": 2}
    )
    assert queue.json()["total"] == tasks and len(queue.json()["items"]) == 2
    for verb in ("pause", "resume", "cancel"):
        r = await api.post(f"/runs/{run_id}/{verb}", headers=h)
        assert r.status_code == 409 and "has ended" in r.json()["error"]["message"], verb
    r = await api.post(f"/runs/{run_id}/retry", headers=h)
    assert r.status_code == 409 and "no failed items" in r.json()["error"]["message"]
    # A reconnect gets the final state at once, with ids continuing upwards.
    async with serve(app) as base:
        again = EventReader()
        await asyncio.wait_for(
            again.read(f"{base}/runs/{run_id}/events", {**h, "Last-Event-ID": str(ids[-1])}), 10
        )
    assert [(e.event, e.id) for e in again.events] == [("end", ids[-1] + 1)]


async def test_cancel_answers_with_the_cancelled_run(
    app: FastAPI, api: httpx.AsyncClient, client: Client, task_queue: str, tenant: Tenant
) -> None:
    await import_sample(api, tenant, 8)
    h = tenant.headers
    provider = TokenProvider()
    async with build_worker(
        client, app.state.settings, task_queue, provider_for_account=lambda _: provider
    ):
        run_id = (await api.post(f"/sites/{tenant.site_id}/runs", headers=tenant.headers)).json()[
            "run_id"
        ]
        for _ in range(300):
            progress = (await api.get(f"/runs/{run_id}", headers=tenant.headers)).json()
            if progress["current_stage"] == 4:
                break
            await asyncio.sleep(0.1)
        cancelling = asyncio.create_task(api.post(f"/runs/{run_id}/cancel", headers=h))
        await asyncio.sleep(0.5)
        provider.release(100)  # the articles in flight hold their batch until they finish
        r = await cancelling
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert count(AutomationRun, id=run_id, status="cancelled") == 1
    listed = (await api.get(f"/sites/{tenant.site_id}", headers=tenant.headers)).json()
    assert listed["active_run_id"] is None


async def test_retry_after_the_run_ended_starts_a_new_run_for_the_failed_items(
    app: FastAPI, api: httpx.AsyncClient, client: Client, task_queue: str, tenant: Tenant
) -> None:
    await import_sample(api, tenant, 8)
    h = tenant.headers
    provider = FailingProvider()
    async with build_worker(
        client, app.state.settings, task_queue, provider_for_account=lambda _: provider
    ):
        started = await api.post(
            f"/sites/{tenant.site_id}/runs", headers=h, json={"stages": [1, 2, 3, 4]}
        )
        run_id = started.json()["run_id"]
        await client.get_workflow_handle(run_id).result()
        first = (await api.get(f"/runs/{run_id}", headers=h)).json()
        assert stage(first, 4)["failed"] == 1, first
        failed = (
            await api.get(f"/runs/{run_id}/stages/4/queue", headers=h, params={"status": "failed"})
        ).json()
        assert failed["total"] == 1 and "test fault" in failed["items"][0]["error_message"]
        provider.heal()
        r = await api.post(f"/runs/{run_id}/retry", headers=h, json={"stage": 4})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["new_run"] is True and body["requeued"] == 1 and body["run_id"] != run_id
        await client.get_workflow_handle(body["run_id"]).result()
        again = (await api.get(f"/runs/{body['run_id']}", headers=h)).json()
        assert again["status"] == "completed" and stage(again, 4)["completed"] == 1
    for bad in ({"stage": 0}, {"item_ids": ["x"]}, {"item_ids": [0]}, {"stage": "four"}):
        assert (await api.post(f"/runs/{run_id}/retry", headers=h, json=bad)).status_code == 422


async def test_event_stream_stops_polling_when_the_client_goes(
    app: FastAPI, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = f"ghost-{tenant.site_id}"  # a run row without a workflow: polled forever if left
    with session_scope() as s:
        s.add(
            AutomationRun(
                id=run_id, account_id=tenant.account_id, site_id=tenant.site_id, status="running"
            )
        )
    calls = 0
    original = progress_hub.progress_of

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(progress_hub, "progress_of", counting)
    async with serve(app) as base:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream("GET", f"{base}/runs/{run_id}/events", headers=tenant.headers) as r,
        ):
            async for line in r.aiter_lines():
                if line.startswith("data:"):
                    break
        await asyncio.sleep(0.6)
        seen = calls
        await asyncio.sleep(1.2)
        assert calls == seen >= 1, "no polling after the client left"
    with session_scope() as s:
        row = s.get(AutomationRun, run_id)
        assert row is not None
        row.status = "cancelled"
        s.add(row)
