"""The compose topology without Docker: `igny8 db upgrade`, the API (`igny8 api`) and two workers
(`igny8 worker`) as separate processes on PostgreSQL with a Temporal server; a run started through
the API survives one worker killed mid-run, and every item is done exactly once."""

from __future__ import annotations

import csv
import os
import signal
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from core.db import engine_for
from models import Content, CreditTransaction, Image, StageItem, Task
from tests.helpers import SAMPLE_KEYWORDS as SAMPLE
from tests.helpers.process_helpers import Process, free_port, igny8

pytestmark = pytest.mark.sqlite_only  # it makes its own PostgreSQL database: once is enough


def _wait(predicate, timeout: float, what: str) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _keywords(n: int) -> list[dict[str, Any]]:
    with open(SAMPLE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    step = max(len(rows) // n, 1)
    return [
        {"keyword": r["keyword"], "volume": int(r["volume"]), "intent": r["intent"]}
        for r in rows[::step][:n]
    ]


def _healthy(http: httpx.Client) -> dict[str, Any] | None:
    try:
        response = http.get("/healthz")
    except httpx.TransportError:
        return None
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


def test_api_and_two_workers_as_processes_survive_a_killed_worker(
    new_postgres_database: str, temporal_env: WorkflowEnvironment
) -> None:
    url = new_postgres_database
    env = {
        "DATABASE_URL": url,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "IGNY8_TASK_QUEUE": f"topology-{uuid.uuid4().hex[:10]}",
    }
    migrate = igny8("db", "upgrade", env=env)
    assert migrate.proc.wait(timeout=120) == 0, migrate.output
    migrate.stop()
    assert "Upgraded" in migrate.output

    port = free_port()
    processes: list[Process] = [igny8("api", "--port", str(port), env=env)]
    processes += [igny8("worker", env=env) for _ in range(2)]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            health = _wait(lambda: _healthy(http), 90, "the API's /healthz")
            assert health == {"status": "ok", "database": "ok", "temporal": "ok"}
            for worker in processes[1:]:
                worker.wait_for_line("worker ready", timeout=90)

            key = http.post("/api/v1/accounts", json={"name": "Topology agency"}).json()["api_key"]
            http.headers["Authorization"] = f"Bearer {key}"
            site = http.post("/api/v1/sites", json={"name": "Topology", "domain": "topo.test"})
            site_id = site.json()["id"]
            added = http.post(f"/api/v1/sites/{site_id}/keywords", json=_keywords(40)).json()
            assert added["created"] == 40
            # One article per activity, two at a time: the run is long enough to kill a worker in.
            http.put(
                f"/api/v1/sites/{site_id}/automation",
                json={"batch_sizes": {"4": 1, "5": 1, "6": 1}, "concurrency": {"4": 2}},
            ).raise_for_status()
            started = http.post(f"/api/v1/sites/{site_id}/runs", json={})
            assert started.status_code == 202, started.text
            run_id = started.json()["run_id"]

            def articles_done() -> bool:
                stages = http.get(f"/api/v1/runs/{run_id}").json()["stages"]
                return any(s["stage"] == 4 and s["completed"] >= 3 for s in stages)

            _wait(articles_done, 180, "the first articles")
            victim = processes[1]
            os.kill(victim.proc.pid, signal.SIGKILL)  # no goodbye: its batches die with it
            victim.proc.wait(timeout=30)
            assert http.get(f"/api/v1/runs/{run_id}").json()["status"] == "running"

            def finished() -> dict[str, Any] | None:
                body = http.get(f"/api/v1/runs/{run_id}").json()
                return body if body["status"] not in ("running", "paused") else None

            final = _wait(finished, 300, "the run to finish on the surviving worker")
        assert final["status"] == "completed", final
        assert all(stage["failed"] == 0 for stage in final["stages"])
    finally:
        for process in processes:
            process.stop()
    assert "Traceback" not in processes[2].output  # the survivor

    with Session(engine_for(url)) as s:
        tasks = s.exec(select(func.count()).select_from(Task).where(Task.site_id == site_id)).one()
        per_task = s.exec(
            select(Content.task_id, func.count())
            .where(Content.site_id == site_id)
            .group_by(Content.task_id)
        ).all()
        per_slot = s.exec(
            select(Image.content_id, Image.kind, Image.position, func.count())
            .where(Image.site_id == site_id)
            .group_by(Image.content_id, Image.kind, Image.position)
        ).all()
        keys = s.exec(
            select(CreditTransaction.idempotency_key, func.count())
            .where(CreditTransaction.run_id == run_id)
            .group_by(CreditTransaction.idempotency_key)
        ).all()
        processing = s.exec(
            select(func.count())
            .select_from(StageItem)
            .where(StageItem.run_id == run_id, StageItem.status == "processing")
        ).one()
        unwritten = s.exec(
            select(Task.id, Task.status, StageItem.status, StageItem.attempts)
            .join(Content, col(Content.task_id) == Task.id, isouter=True)
            .join(
                StageItem,
                (StageItem.item_id == Task.id)
                & (StageItem.stage == 4)
                & (StageItem.run_id == run_id),
                isouter=True,
            )
            .where(Task.site_id == site_id, col(Content.id).is_(None))
        ).all()
    # What a reader of a failure needs: each task without an article, its status and its queue row.
    assert not unwritten, (unwritten, [st for st in final["stages"] if st["stage"] in (3, 4)])
    assert tasks > 3 and len(per_task) == tasks and all(n == 1 for _, n in per_task)
    assert per_slot and all(row[3] == 1 for row in per_slot)
    assert keys and all(n == 1 for _, n in keys)
    assert processing == 0
