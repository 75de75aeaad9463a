"""Helpers for the tests against the real WordPress (see scripts/wordpress_setup.sh): its
credentials, the fault proxy, seeding a connected site and an article with image files, a worker
for the WordPress workflows. The `wordpress` and `proxy` fixtures are in tests/conftest.py."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from PIL import Image as PILImage
from sqlmodel import select
from temporalio.client import Client
from temporalio.worker import Worker

from activities.link_refresh import LinkRefreshActivities
from activities.wordpress import WordPressActivities
from contracts.wordpress import PublishContentInput, PublishResult, publish_workflow_id
from core.config import get_settings
from core.crypto import encrypt
from core.db import session_scope
from integrations.wordpress.client import WordPressClient
from models import Account, Content, Image, Site
from services.wp_connection import client_factory
from services.wp_markup import post_marker
from workflows.link_refresh import RefreshInternalLinksWorkflow
from workflows.publish import PublishContentWorkflow
from workflows.wp_sync import WordPressSyncWorkflow

REPO = Path(__file__).resolve().parents[2]
WP_DIR = Path(os.environ.get("IGNY8_WP_DIR", REPO / ".data" / "wordpress"))
BODY = "<p>Intro.</p><h2>Choosing</h2><p>First part.</p><h2>Caring</h2><p>Second part.</p>"


def _load_fault_proxy():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "wp_fault_proxy", REPO / "scripts" / "wp_fault_proxy.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["wp_fault_proxy"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


FaultProxy = _load_fault_proxy().FaultProxy


@dataclass(frozen=True)
class WP:
    url: str
    username: str
    app_password: str

    def client(self, url: str | None = None) -> WordPressClient:
        return WordPressClient(url or self.url, self.username, self.app_password)


def read_credentials() -> WP | None:
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


def setup_script(action: str) -> subprocess.CompletedProcess[str]:
    script = REPO / "scripts" / "wordpress_setup.sh"
    return subprocess.run(
        ["bash", str(script), action, "--dir", str(WP_DIR)],
        capture_output=True,
        text=True,
        timeout=900,
    )


def seed_wp_site(wp: WP, url: str | None = None) -> tuple[int, int]:
    """An account and a site connected to this WordPress (or to `url`, e.g. a fault proxy)."""
    with session_scope() as s:
        account = Account(name="wp test")
        s.add(account)
        s.flush()
        site = Site(
            account_id=account.id,
            name="wp site",
            wp_url=url or wp.url,
            wp_username=wp.username,
            wp_app_password_encrypted=encrypt(wp.app_password),
            publish_status="publish",
        )
        s.add(site)
        s.flush()
        return account.id, site.id  # type: ignore[return-value]


def seed_content(account_id: int, site_id: int, in_article: int = 2, **fields: object) -> int:
    """An article with a featured image and `in_article` images (real PNG files)."""
    tag = uuid.uuid4().hex[:6]
    values: dict[str, object] = {
        "title": f"Trail shoes {tag}",
        "content_html": BODY,
        "excerpt": "Short summary.",
        "meta_title": "Trail shoes | test",
        "meta_description": "All about trail shoes.",
        "categories": [f"Gear {tag}"],
        "tags": [f"trail-{tag}", "shoes"],
        "status": "approved",
    }
    values.update(fields)
    images_dir = get_settings().data_dir / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    with session_scope() as s:
        content = Content(account_id=account_id, site_id=site_id, **values)  # type: ignore[arg-type]
        s.add(content)
        s.flush()
        for kind, position in [("featured", 0)] + [
            ("in_article", p) for p in range(1, in_article + 1)
        ]:
            name = f"c{content.id}-{kind}-{position}.png"
            PILImage.new("RGB", (64, 48), (40 * position, 120, 200)).save(images_dir / name)
            s.add(
                Image(
                    account_id=account_id,
                    site_id=site_id,
                    content_id=content.id,
                    kind=kind,
                    position=position,
                    alt_text=f"{kind} {position} {tag}",
                    file_path=f"images/{name}",
                    width=64,
                    height=48,
                )
            )
        return content.id  # type: ignore[return-value]


def row(model: type, id_: int):  # type: ignore[no-untyped-def]
    with session_scope() as s:
        return s.get(model, id_)


@asynccontextmanager
async def wp_worker(client: Client, task_queue: str, timeout: float = 30.0) -> AsyncIterator[None]:
    factory = client_factory(timeout=timeout)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[PublishContentWorkflow, RefreshInternalLinksWorkflow, WordPressSyncWorkflow],
        activities=[*WordPressActivities(factory).all(), *LinkRefreshActivities(factory).all()],
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


def delete_posts(wp: WP, ids: list[int]) -> None:
    with wp.client() as client:
        for post_id in ids:
            with contextlib.suppress(Exception):  # best effort; one is deleted by the test
                client.delete_post(post_id)


def remove_published(wp: WP) -> None:
    """Delete from WordPress the posts and media this test session's database made."""
    with session_scope() as s:
        posts = [
            p for p in s.exec(select(Content.external_id).where(Content.source == "igny8")) if p
        ]
        media = [m for m in s.exec(select(Image.external_media_id)) if m]
    with wp.client() as client:
        for post_id in posts:
            with contextlib.suppress(Exception):  # best effort
                client.delete_post(post_id)
        for media_id in media:
            with contextlib.suppress(Exception):
                client.delete_media(media_id)


def connect_site(
    site_id: int, url: str, username: str, password: str, auto_publish: bool = True
) -> None:
    """Give a test site its WordPress connection (the password stored encrypted, as the API
    does) and, by default, auto-publish with status `publish`."""
    from core.crypto import encrypt
    from core.db import session_scope
    from models import Site

    with session_scope() as s:
        site = s.get(Site, site_id)
        assert site is not None
        site.wp_url, site.wp_username = url, username
        site.wp_app_password_encrypted = encrypt(password)
        site.auto_publish, site.publish_status = auto_publish, "publish"
        s.add(site)
