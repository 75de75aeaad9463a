"""The processes as an operator runs them: `igny8 worker` waits for Temporal and stops gracefully
on SIGTERM, its probes answer, and `igny8 api` / `igny8 worker` refuse an out-of-date schema."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from contracts.run import RunProgress
from core.config import get_settings
from core.db import engine_for, session_scope
from core.devserver import temporal_cli
from core.schema import BASELINE, upgrade
from models import Content, StageItem, Task
from services import runs
from tests.helpers import count, seed_site, wait_for
from tests.helpers.process_helpers import Process, free_port, igny8
from worker import build_worker

GRACE_SECONDS = 3


def _probe(port: int, path: str) -> int:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code


async def _articles_written(client: Client, run_id: str, at_least: int) -> bool:
    handle = client.get_workflow_handle(run_id)
    progress = await handle.query("progress", result_type=RunProgress)
    return len(progress.stages) > 3 and progress.stages[3].completed >= at_least


def test_a_worker_started_before_temporal_waits_then_connects(tmp_path: Path) -> None:
    temporal_port, probe_port = free_port(), free_port()
    worker = igny8(
        "worker",
        env={
            "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
            "IGNY8_TASK_QUEUE": f"tq-{uuid.uuid4().hex[:12]}",
            "IGNY8_STARTUP_RETRY_MAX_SECONDS": "1",
            "IGNY8_WORKER_HEALTH_HOST": "127.0.0.1",
            "IGNY8_WORKER_HEALTH_PORT": str(probe_port),
        },
    )
    server: subprocess.Popen[bytes] | None = None
    try:
        line = worker.wait_for_line("waiting for Temporal")
        assert f"127.0.0.1:{temporal_port}" in line and "retrying in" in line
        assert _probe(probe_port, "/livez") == 200  # alive while it waits...
        assert _probe(probe_port, "/readyz") == 503  # ...but not ready
        server = subprocess.Popen(
            [temporal_cli(), "server", "start-dev", "--headless", "--ip", "127.0.0.1"]
            + ["--port", str(temporal_port), "--db-filename", str(tmp_path / "temporal.db")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker.wait_for_line("worker ready", timeout=90)
        assert _probe(probe_port, "/readyz") == 200
        assert worker.stop() == 0
        assert "worker stopped" in worker.output
        assert "Traceback" not in worker.output
    finally:
        worker.stop()
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


def test_a_worker_gives_up_after_the_bound_with_one_clear_line() -> None:
    worker = igny8(
        "worker",
        env={"TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}", "IGNY8_STARTUP_WAIT_SECONDS": "2"},
    )
    assert worker.proc.wait(timeout=60) == 1
    worker.stop()
    assert (
        "gave up waiting for Temporal after 2 s (IGNY8_STARTUP_WAIT_SECONDS)" in worker.flat_output
    )
    assert "Traceback" not in worker.output


async def test_sigterm_mid_activity_stops_the_worker_within_the_bound(
    client: Client, task_queue: str, temporal_env: WorkflowEnvironment
) -> None:
    site = seed_site(keywords=30)
    address = temporal_env.client.service_client.config.target_host
    worker = Process(
        [sys.executable, "-m", "tests.helpers.graceful_worker", "0.4"],
        env={
            "TEMPORAL_ADDRESS": address,
            "IGNY8_TASK_QUEUE": task_queue,
            "IGNY8_GRACEFUL_SHUTDOWN_SECONDS": str(GRACE_SECONDS),
        },
    )
    try:
        worker.wait_for_line("worker ready")
        settings = get_settings().model_copy(update={"task_queue": task_queue})
        run_id = await runs.start_run(
            client, settings, account_id=site[0], site_id=site[1], trigger="api"
        )
        await wait_for(lambda: _articles_written(client, run_id, 2), timeout=120)
        worker.proc.terminate()  # SIGTERM while article batches are in flight
        # The bound: the grace period plus the margin serve() allows sync activities.
        assert worker.proc.wait(timeout=GRACE_SECONDS + 20) == 0
    finally:
        worker.stop()
    assert "stopping: no new tasks" in worker.output and "worker stopped" in worker.output
    assert "Traceback" not in worker.output

    # Whatever was in flight finished or was handed back: another worker completes the run and
    # every task has exactly one article.
    async with build_worker(client, settings, task_queue):
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    site_id = site[1]
    assert count(Content, site_id=site_id) == count(Task, site_id=site_id) > 0
    with session_scope() as s:
        per_task = s.exec(
            select(Content.task_id, func.count())
            .where(Content.site_id == site_id)
            .group_by(Content.task_id)
        ).all()
    assert all(n == 1 for _, n in per_task)
    assert count(StageItem, run_id=run_id, status="processing") == 0


@pytest.mark.parametrize("process", ["api", "worker"])
def test_an_out_of_date_schema_stops_the_process_with_what_to_run(
    process: str, new_database: str
) -> None:
    upgrade(engine_for(new_database), BASELINE)
    child = igny8(
        process,
        *(["--port", str(free_port())] if process == "api" else []),
        env={"DATABASE_URL": new_database, "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}"},
    )
    assert child.proc.wait(timeout=60) == 1
    child.stop()
    assert "run `igny8 db upgrade`" in child.flat_output, child.output
    assert BASELINE in child.flat_output
    assert "Traceback" not in child.output
