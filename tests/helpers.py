"""Test helpers: seeding a tenant, controllable AI providers, waiting on runs, the local
WordPress (its credentials and setup script) and a worker for the publish workflows."""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select
from temporalio.client import Client
from temporalio.worker import Worker

from activities.wordpress import WordPressActivities
from contracts.wordpress import PublishContentInput, PublishResult, publish_workflow_id
from core.db import session_scope
from core.errors import ValidationError
from integrations.wordpress.client import WordPressClient
from models import Account, Content, Keyword, Site
from services import credits
from services.ai.local import LocalProvider
from services.keyword_rows import normalize_keyword
from services.wp_connection import client_factory
from services.wp_markup import post_marker
from workflows.publish import PublishContentWorkflow
from workflows.wp_sync import WordPressSyncWorkflow

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample_keywords.csv"
WP_DIR = Path(os.environ.get("IGNY8_WP_DIR", REPO / ".data" / "wordpress"))


def seed_site(keywords: int = 60, balance: int = 1_000_000, name: str = "Test") -> tuple[int, int]:
    """An account with credits and a site with `keywords` keywords spread over the sample's
    topics. Returns (account_id, site_id)."""
    with open(SAMPLE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    step = max(len(rows) // keywords, 1)
    chosen = rows[::step][:keywords]
    with session_scope() as s:
        account = Account(name=name)
        s.add(account)
        s.flush()
        site = Site(account_id=account.id, name=f"{name} site", domain="example.test")
        s.add(site)
        s.flush()
        for r in chosen:
            s.add(
                Keyword(
                    account_id=account.id,
                    site_id=site.id,
                    text=r["keyword"],
                    normalized=normalize_keyword(r["keyword"]),
                    volume=int(r["volume"]),
                    difficulty=int(r["difficulty"]),
                    cpc=float(r["cpc"] or 0),
                    intent=r["intent"],
                )
            )
        if balance:
            credits.top_up(s, account.id, balance, key=f"seed:{account.id}")
        return account.id, site.id  # type: ignore[return-value]


def count(table: Any, **where: Any) -> int:
    with session_scope() as s:
        q = select(func.count()).select_from(table)
        for k, v in where.items():
            q = q.where(getattr(table, k) == v)
        return int(s.exec(q).one())


class ControlledProvider(LocalProvider):
    """The local provider with knobs: delay per call, a gate that holds a stage, and items
    that fail permanently."""

    def __init__(self) -> None:
        super().__init__()
        self.delay: dict[str, float] = {}
        self.gates: dict[str, threading.Event] = {}
        self.fail_titles: set[str] = set()
        self.fail_next_article = False  # fail the next article asked for (and keep failing it)
        self.calls: dict[str, int] = {}

    def _enter(self, fn: str) -> None:
        self.calls[fn] = self.calls.get(fn, 0) + 1
        gate = self.gates.get(fn)
        if gate is not None:
            gate.wait(timeout=120)
        if self.delay.get(fn):
            time.sleep(self.delay[fn])

    def cluster_keywords(self, keywords, existing):  # type: ignore[no-untyped-def]
        self._enter("cluster_keywords")
        return super().cluster_keywords(keywords, existing)

    def generate_ideas(self, cluster):  # type: ignore[no-untyped-def]
        self._enter("generate_ideas")
        return super().generate_ideas(cluster)

    def generate_article(self, brief):  # type: ignore[no-untyped-def]
        self._enter("generate_article")
        if self.fail_next_article:
            self.fail_next_article = False
            self.fail_titles.add(brief.title)
        if brief.title in self.fail_titles:
            raise ValidationError(f"Refusing to write '{brief.title}' (test fault)")
        return super().generate_article(brief)

    def generate_image_prompts(self, brief):  # type: ignore[no-untyped-def]
        self._enter("generate_image_prompts")
        return super().generate_image_prompts(brief)

    def generate_image(self, prompt, width, height):  # type: ignore[no-untyped-def]
        self._enter("generate_image")
        return super().generate_image(prompt, width, height)


async def wait_for(predicate: Callable[[], Any], timeout: float = 60, every: float = 0.1) -> Any:
    """Poll an (async or sync) predicate until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)


# --- the local WordPress -------------------------------------------------------------------


@dataclass(frozen=True)
class WP:
    url: str
    username: str
    app_password: str

    def client(self, url: str | None = None) -> WordPressClient:
        return WordPressClient(url or self.url, self.username, self.app_password)


def read_wp_credentials() -> WP | None:
    path = WP_DIR / "credentials.env"
    if not path.exists():
        return None
    env = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    wp = WP(env["WP_URL"], env["WP_USERNAME"], env["WP_APP_PASSWORD"])
    try:
        httpx.get(
            f"{wp.url}/wp-json/wp/v2/users/me", auth=(wp.username, wp.app_password), timeout=10
        ).raise_for_status()
    except httpx.HTTPError:
        return None
    return wp


def wp_setup_script(action: str) -> subprocess.CompletedProcess[str]:
    script = REPO / "scripts" / "wordpress_setup.sh"
    return subprocess.run(
        ["bash", str(script), action, "--dir", str(WP_DIR)],
        capture_output=True,
        text=True,
        timeout=900,
    )


@asynccontextmanager
async def wp_worker(client: Client, task_queue: str, timeout: float = 30.0) -> AsyncIterator[None]:
    acts = WordPressActivities(client_factory(timeout=timeout))
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[PublishContentWorkflow, WordPressSyncWorkflow],
        activities=acts.all(),
        activity_executor=ThreadPoolExecutor(8),
    ):
        yield


async def publish(client: Client, task_queue: str, inp: PublishContentInput) -> PublishResult:
    return await client.execute_workflow(
        PublishContentWorkflow.run,
        inp,
        id=f"{publish_workflow_id(inp.content_id)}-{uuid.uuid4().hex[:6]}",
        task_queue=task_queue,
        execution_timeout=timedelta(minutes=3),
    )


def _load_fault_proxy():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "wp_fault_proxy", REPO / "scripts" / "wp_fault_proxy.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["wp_fault_proxy"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


FaultProxy = _load_fault_proxy().FaultProxy  # scripts/wp_fault_proxy.py


def wp_posts_with_marker(wp: WP, content_id: int) -> list[dict]:
    with session_scope() as s:
        marker = post_marker(s.get(Content, content_id))  # type: ignore[arg-type]
    found = httpx.get(
        f"{wp.url}/wp-json/wp/v2/posts",
        auth=(wp.username, wp.app_password),
        params={"search": marker, "status": "any", "context": "edit"},
        timeout=30,
    ).json()
    return [p for p in found if marker in p["content"]["raw"]]
