"""Fixtures for the console's browser tests: Debian's Chromium driven by Playwright (never a
downloaded browser), the real API served by uvicorn with a worker on the session's Temporal dev
server, and a signed-in page."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from api.deps import get_temporal
from api.main import create_app
from core.config import get_settings
from core.db import session_scope
from services.accounts import create_account
from tests.browser.netlink import CuttableLink
from tests.helpers import ControlledProvider
from tests.helpers.live import serve
from worker import build_worker

CHROMIUM = os.environ.get("IGNY8_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".data" / "screenshots"
WP_DIR = Path(os.environ.get("IGNY8_WP_DIR", REPO / ".data" / "wordpress"))

playwright_api = pytest.importorskip("playwright.async_api")


@dataclass
class Console:
    origin: str  # through `network`, which a test may cut
    provider: ControlledProvider
    task_queue: str
    network: CuttableLink


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def console(client: Client, task_queue: str) -> AsyncIterator[Console]:
    """The real app (API and console) on a free port, with a worker on this test's queue."""
    provider = ControlledProvider()
    settings = get_settings().model_copy(update={"task_queue": task_queue})
    app = create_app(settings)
    app.dependency_overrides[get_temporal] = lambda: client
    app.state.temporal = client
    async with (
        build_worker(client, settings, task_queue, lambda _account_id: provider),
        serve(app) as base,
    ):
        link = CuttableLink(int(base.split(":")[2].split("/")[0]))
        await link.start()
        try:
            yield Console(f"http://127.0.0.1:{link.port}", provider, task_queue, link)
        finally:
            await link.stop()


@dataclass
class Tenant:
    account_id: int
    key: str


@dataclass(frozen=True)
class WordPressLogin:
    url: str
    username: str
    app_password: str


@pytest.fixture
def tenant() -> Tenant:
    """A fresh account with credits, and its API key."""
    with session_scope() as session:
        account, key = create_account(session, "Browser test", 1_000_000)
        assert account.id is not None
        return Tenant(account.id, key)


@pytest.fixture(scope="session")
def wordpress() -> WordPressLogin:
    """The machine's WordPress (scripts/wordpress_setup.sh), or a skip (a failure on CI)."""
    path = WP_DIR / "credentials.env"
    env = dict(
        line.split("=", 1) for line in (path.read_text() if path.exists() else "").splitlines()
    )
    login = None
    if "WP_URL" in env:
        login = WordPressLogin(env["WP_URL"], env["WP_USERNAME"], env["WP_APP_PASSWORD"])
        try:
            httpx.get(
                f"{login.url}/wp-json/wp/v2/users/me",
                auth=(login.username, login.app_password),
                timeout=10,
            ).raise_for_status()
        except httpx.HTTPError:
            login = None
    if login is None:
        reason = f"no WordPress answering with the credentials in {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return login


@pytest.fixture
async def page(browser, console: Console) -> AsyncIterator[object]:  # type: ignore[no-untyped-def]
    """A 1280 px wide tab on the console; JavaScript errors fail the test."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    await tab.goto(console.origin + "/")
    yield tab
    await context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"


@pytest.fixture
async def signed_in(page, tenant: Tenant):  # type: ignore[no-untyped-def]
    """The tab, signed in through the sign-in form with a fresh account's key."""
    await page.get_by_label("API key").fill(tenant.key)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("navigation", name="Pages").wait_for()
    return page


@pytest.fixture
def shot():  # type: ignore[no-untyped-def]
    """Keep a full-page screenshot as a test artefact: shot(page, "name") → .data/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async def take(page, name: str) -> None:  # type: ignore[no-untyped-def]
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
