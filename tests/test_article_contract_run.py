"""The article contract and the cluster's internal links in whole runs on a real dev server:
the openai provider against a server that writes flawed articles, and the local provider; what
an operator reads in the run summary and what the API returns per article."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import col, select
from temporalio.client import Client

from contracts.run import RunProgress
from core.config import Settings, get_settings
from core.db import session_scope
from models import Content, ContentIdea, StageItem, Task
from services import runs
from services.accounts import create_api_key
from services.article_contract import scan_html
from services.internal_links import placeholder_href
from tests.helpers import seed_site
from tests.helpers.fake_openai import FakeOpenAI
from worker import build_worker


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


async def run_to_end(client: Client, settings: Settings, site: tuple[int, int]) -> RunProgress:
    account_id, site_id = site
    async with build_worker(client, settings, settings.task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        return await client.get_workflow_handle(run_id, result_type=RunProgress).result()


@pytest.fixture
async def api_for() -> AsyncIterator[Any]:
    """An HTTP client of the real API app for an account (its own API key)."""
    from api.main import create_app

    opened: list[httpx.AsyncClient] = []

    async def make(account_id: int) -> httpx.AsyncClient:
        with session_scope() as session:
            _, key = create_api_key(session, account_id)
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(get_settings())),
            base_url="http://test/api/v1",
            headers={"Authorization": f"Bearer {key}"},
        )
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


class FlawedWriter:
    """Edits the fake's articles by title: "Common Mistakes…" ones break the contract in their
    first answer only (a fixable flaw), the first "How to Choose…" one in every answer."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, int] = {}
        self.stubborn: str | None = None

    def __call__(self, value: dict[str, Any]) -> None:
        title = str(value["title"])
        with self.lock:
            answer = self.seen[title] = self.seen.get(title, 0) + 1
            if title.startswith("How to Choose") and self.stubborn is None:
                self.stubborn = title
        if title.startswith("Common Mistakes") and answer == 1:
            value["meta_description"] = "Too short."
            value["content_html"] += '<p><a href="https://rival.example/">rival</a></p>'
        if title == self.stubborn:
            value["content_html"] = "<h1>One</h1><h1>Two</h1>" + value["content_html"]


async def test_openai_run_repairs_fixable_articles_and_fails_the_unfixable_one(
    client: Client, task_queue: str, fake: FakeOpenAI, api_for: Any
) -> None:
    site = seed_site(keywords=12, name="Contract")
    account_id, site_id = site
    writer = FlawedWriter()
    fake.edits["ArticleDraft"] = writer
    settings = get_settings().model_copy(
        update={
            "task_queue": task_queue,
            "ai_provider": "openai",
            "openai_base_url": fake.base_url,
            "openai_api_key": SecretStr(fake.api_key),
            "openai_timeout_seconds": 5.0,
        }
    )
    result = await run_to_end(client, settings, site)

    stage4 = result.stages[3]
    with session_scope() as s:
        tasks = s.exec(select(Task).where(Task.site_id == site_id)).all()
        contents = s.exec(select(Content).where(Content.site_id == site_id)).all()
        failed = s.exec(
            select(StageItem).where(
                StageItem.run_id == result.run_id,
                StageItem.stage == 4,
                StageItem.status == "failed",
            )
        ).all()
    repaired = sum(1 for t in tasks if t.title.startswith("Common Mistakes"))
    assert repaired and writer.stubborn
    # The unfixable article fails its item with the typed error, listing the violations.
    assert [f.item_name for f in failed] == [writer.stubborn]
    assert failed[0].error_type == "ValidationError"
    assert "after one repair round" in (failed[0].error_message or "")
    assert "single_h1: 2 <h1> in the body" in (failed[0].error_message or "")
    assert writer.seen[writer.stubborn] == 2  # one repair round, not a retry loop
    assert stage4.failed == 1 and stage4.completed == len(tasks) - 1 == len(contents)
    assert stage4.result["contract_passed"] == len(contents)
    assert stage4.result["contract_repaired"] == repaired
    assert stage4.message.endswith(
        f", {len(contents)} passed the article contract ({repaired} after a repair round)"
        " (1 item failed)"
    )
    assert result.status == "completed"
    # Every saved article passed, and says so per rule; the repaired ones say they needed it.
    for content in contents:
        assert content.quality and content.quality["passed"], content.quality
        assert "rival.example" not in content.content_html
        assert (content.quality["repair_rounds"] == 1) == content.title.startswith("Common")
    # The API returns the verdict with the article and in the list.
    api = await api_for(account_id)
    repaired_one = next(c for c in contents if c.title.startswith("Common"))
    one = (await api.get(f"/content/{repaired_one.id}")).json()
    assert one["quality"]["passed"] and one["quality"]["repair_rounds"] == 1
    rules = {r["rule"]: r for r in one["quality"]["rules"]}
    assert (
        rules["meta_description"]["passed"]
        and "characters (120-160" in (rules["meta_description"]["reason"])
    )
    listed = (await api.get(f"/sites/{site_id}/content")).json()["items"]
    assert len(listed) == len(contents) and all(i["quality"]["passed"] for i in listed)
    assert {i["role"] for i in listed} <= {"hub", "supporting", "attribute"}


async def test_local_run_links_each_cluster_hub_and_supporting_articles(
    client: Client, task_queue: str, api_for: Any
) -> None:
    site = seed_site(keywords=30, name="Links")
    account_id, site_id = site
    result = await run_to_end(
        client, get_settings().model_copy(update={"task_queue": task_queue}), site
    )
    assert result.status == "completed" and all(s.failed == 0 for s in result.stages)

    with session_scope() as s:
        ideas = s.exec(
            select(ContentIdea).where(ContentIdea.site_id == site_id).order_by(col(ContentIdea.id))
        ).all()
        tasks = {t.idea_id: t for t in s.exec(select(Task).where(Task.site_id == site_id))}
        contents = {c.task_id: c for c in s.exec(select(Content).where(Content.site_id == site_id))}
    by_cluster: dict[int, list[ContentIdea]] = {}
    for idea in ideas:
        by_cluster.setdefault(idea.cluster_id, []).append(idea)
    for cluster_ideas in by_cluster.values():
        hubs = [i for i in cluster_ideas if i.role == "hub"]
        assert len(hubs) == 1, [i.role for i in cluster_ideas]
        hub = hubs[0]
        for idea in cluster_ideas:
            task = tasks[idea.id]
            content = contents[task.id]
            assert task.role == content.role == idea.role
            links = set(scan_html(content.content_html).links)
            if idea is hub:
                others = {placeholder_href(i.id or 0) for i in cluster_ideas if i is not hub}
                assert links == others
            else:
                assert links == {placeholder_href(hub.id or 0)}
            assert content.quality and content.quality["passed"]
    assert result.stages[3].message.endswith(f", {len(contents)} passed the article contract")
    api = await api_for(account_id)
    hub_content = next(c for c in contents.values() if c.role == "hub")
    body = (await api.get(f"/content/{hub_content.id}")).json()
    assert body["role"] == "hub" and body["quality"]["passed"]
    assert 'href="#igny8-idea-' in body["content_html"]
    idea_roles = {i["role"] for i in (await api.get(f"/sites/{site_id}/ideas")).json()["items"]}
    assert "hub" in idea_roles
