"""Fixtures for the API tests: the app on the session's dev server and database, and tenants
(an account with an API key and a site) to call it as."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from api.deps import get_temporal
from api.main import create_app
from core.config import get_settings
from core.db import session_scope
from models import Site
from services.accounts import create_account


@dataclass
class Tenant:
    account_id: int
    site_id: int
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def make_tenant(name: str = "Tenant", credits: int = 10_000) -> Tenant:
    with session_scope() as session:
        account, key = create_account(session, name, credits)
        site = Site(account_id=account.id, name=f"{name} site", domain="example.test")
        session.add(site)
        session.flush()
        return Tenant(account.id, site.id, key)  # type: ignore[arg-type]


@pytest.fixture
def app(client: Client, task_queue: str) -> FastAPI:
    """The API with its runs on this test's task queue and the session's Temporal client."""
    application = create_app(get_settings().model_copy(update={"task_queue": task_queue}))
    application.dependency_overrides[get_temporal] = lambda: client
    application.state.temporal = client  # for routes that need Temporal only sometimes
    return application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http


@pytest.fixture
def tenant() -> Tenant:
    return make_tenant("Alpha")


@pytest.fixture
def other() -> Tenant:
    return make_tenant("Bravo")
