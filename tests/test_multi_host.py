"""Two worker hosts with separate disks and S3 storage: one is killed after making images, the
other publishes them to a real WordPress. Read like an operator would: both Prometheus
endpoints during the run, the worker's JSON logs, and no secret anywhere in them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select
from temporalio.client import Client

from api.deps import get_temporal
from api.main import create_app
from contracts.run import RunProgress
from core.crypto import encrypt
from core.db import session_scope
from models import Content, Image, Site
from services import runs
from services.accounts import create_api_key
from tests.helpers import seed_site, wait_for
from tests.helpers.runs import settings_for
from tests.helpers.s3 import S3Server
from tests.helpers.wordpress import WP, wp_posts_with_marker

ROOT = Path(__file__).resolve().parents[1]
OPENAI_KEY = "sk-igny8-multihost-never-logged-9f8e7d"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Host:
    """A worker process with its own data folder, metrics ports and log file."""

    def __init__(self, name: str, tmp: Path, env: dict[str, str], image_delay: float) -> None:
        self.data_dir = tmp / f"host-{name}"
        self.log = tmp / f"host-{name}.log"
        self.metrics_port, self.sdk_port = free_port(), free_port()
        full = {
            **env,
            "IGNY8_DATA_DIR": str(self.data_dir),
            "IGNY8_METRICS_PORT": str(self.metrics_port),
            "IGNY8_SDK_METRICS_PORT": str(self.sdk_port),
            "IGNY8_METRICS_HOST": "127.0.0.1",
            "IGNY8_LOG_FORMAT": "json",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.worker_host", str(image_delay)],
            cwd=ROOT,
            env=full,
            stdout=subprocess.PIPE,
            stderr=self.log.open("wb"),
        )

    async def ready(self) -> None:
        import asyncio

        assert self.proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 60)
        assert line.strip() == b"worker ready", self.log.read_text()[-2000:]

    def scrape(self, sdk: bool = False) -> str:
        port = self.sdk_port if sdk else self.metrics_port
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text

    def log_lines(self) -> list[dict[str, Any]]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=30)


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def stored_images(site_id: int) -> set[int]:
    with session_scope() as s:
        ids = s.exec(
            select(Image.id).where(Image.site_id == site_id, col(Image.file_path).is_not(None))
        ).all()
    return {i for i in ids if i}


async def test_two_hosts_with_separate_disks_publish_through_s3(
    client: Client,
    task_queue: str,
    tmp_path: Path,
    s3_server: S3Server,
    wordpress: WP,  # noqa: F811  (the fixture imported above)
    temporal_env: Any,
) -> None:
    account_id, site_id = seed_site(keywords=10, name="Multi host")
    with session_scope() as s:
        site = s.get(Site, site_id)
        assert site is not None
        site.wp_url, site.wp_username = wordpress.url, wordpress.username
        site.wp_app_password_encrypted = encrypt(wordpress.app_password)
        site.auto_publish, site.publish_status = True, "publish"
        s.add(site)
        _, api_key = create_api_key(s, account_id)
    bucket = s3_server.make_bucket()
    env = {
        **os.environ,
        **s3_server.env(bucket, prefix="igny8/"),
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "IGNY8_TASK_QUEUE": task_queue,
        "OPENAI_API_KEY": OPENAI_KEY,
    }
    a = Host("a", tmp_path, env, image_delay=0.5)
    b: Host | None = None
    app = create_app(settings_for(task_queue))
    app.dependency_overrides[get_temporal] = lambda: client
    app.state.temporal = client
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")
    try:
        await a.ready()
        run_id = await runs.start_run(
            client, settings_for(task_queue), account_id=account_id, site_id=site_id, trigger="api"
        )
        await wait_for(lambda: stored_images(site_id), timeout=120)
        a.stop(signal.SIGKILL)  # host A dies with its disk; its images must not be needed
        made_by_a = stored_images(site_id)
        with session_scope() as s:
            mine = (Content.site_id == site_id, col(Content.external_id).is_not(None))
            assert not s.exec(select(Content.id).where(*mine)).all()

        b = Host("b", tmp_path, env, image_delay=0.0)
        await b.ready()
        host_b = b
        await wait_for(lambda: "igny8_stage_items_total{" in host_b.scrape(), timeout=120)
        headers = {"Authorization": f"Bearer {api_key}"}
        live = await api.get(f"/api/v1/runs/{run_id}", headers=headers)
        assert live.status_code == 200
        during = (await api.get("/metrics")).text
        assert "igny8_stage_queue_items{" in during and "igny8_active_runs" in during

        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        assert result.status == "completed", result
        worker_metrics, sdk_metrics = b.scrape(), b.scrape(sdk=True)
        api_metrics = (await api.get("/metrics")).text
    finally:
        await api.aclose()
        a.stop(signal.SIGKILL)
        if b is not None:
            b.stop()

    # The run: every article published, with the images host A made uploaded by host B.
    with session_scope() as s:
        contents = s.exec(select(Content).where(Content.site_id == site_id)).all()
        images = s.exec(select(Image).where(Image.site_id == site_id)).all()
    assert contents and all(c.status == "published" and c.external_id for c in contents)
    assert all(i.external_media_id and i.file_path for i in images)
    assert made_by_a and made_by_a <= {i.id for i in images if i.external_media_id}
    for content in contents[:2]:
        assert [p["id"] for p in wp_posts_with_marker(wordpress, content.id or 0)] == [
            content.external_id
        ]
    # The files live in the bucket under their keys, on neither host's disk.
    assert s3_server.keys(bucket) == sorted(f"igny8/{i.file_path}" for i in images)
    for host in (a, b):
        assert not list(host.data_dir.glob("images/**/*.png"))

    # Worker B's own metrics: what it finished, its AI calls, credits, publishing.
    published = len(contents)
    # Host A may have reviewed and published a few before it died (items run many at once);
    # B's own series count what B did, and B finished the run.
    assert 1 <= sample(worker_metrics, "igny8_stage_items_total", stage="review") <= published
    assert sample(worker_metrics, "igny8_stage_items_total", stage="generate_images") >= 1
    assert sample(
        worker_metrics, "igny8_ai_calls_total", provider="local", function="generate_image"
    ) == sample(worker_metrics, "igny8_stage_items_total", stage="generate_images")
    assert sample(worker_metrics, "igny8_ai_call_duration_seconds_count") > 0
    assert sample(worker_metrics, "igny8_credits_charged_total", stage="generate_images") > 0
    assert (
        1
        <= sample(worker_metrics, "igny8_publish_attempts_total", outcome="published")
        <= published
    )
    assert sample(worker_metrics, "igny8_storage_operations_total", backend="s3", operation="get")
    assert sample(sdk_metrics, "temporal_activity_execution_latency_count") > 0
    assert f'task_queue="{task_queue}"' in sdk_metrics
    dashboard = (ROOT / "deploy" / "grafana" / "igny8.json").read_text()
    for name in set(re.findall(r"\btemporal_\w+", dashboard)):
        if "failed" not in name:  # failure series appear only after a failure
            assert name.removesuffix("_bucket") in sdk_metrics, name
    # The API's: latency by route template (not the raw path), queue depth at zero once done.
    route = "/api/v1/runs/{run_id}"
    assert (
        sample(api_metrics, "igny8_api_request_duration_seconds_count", route=route, status="200")
        >= 1
    )
    assert run_id not in api_metrics
    assert sample(api_metrics, "igny8_stage_queue_items", status="pending") == 0

    # Worker B's JSON log lines name the run, the stage and the item.
    lines = b.log_lines()
    in_run = [line for line in lines if line.get("run_id") == run_id]
    assert in_run, lines[-5:]
    assert any(line.get("stage") == "generate_images" and line.get("item") for line in in_run)
    # No secret in any metric or log line of either host.
    texts = [worker_metrics, sdk_metrics, api_metrics, a.log.read_text(), b.log.read_text()]
    for secret in (s3_server.secret_key, wordpress.app_password, OPENAI_KEY, api_key):
        assert not any(secret in text for text in texts), secret
