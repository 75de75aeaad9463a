"""The `igny8` CLI on the session's dev server and database, as an operator types it."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlmodel import select
from temporalio.client import Client
from typer.testing import CliRunner

from cli.main import app
from core.config import get_settings
from core.db import session_scope
from models import AutomationRun, Keyword
from services.accounts import authenticate
from tests.helpers import SAMPLE_KEYWORDS, FailingProvider, TokenProvider, count, seed_site
from worker import build_worker


@pytest.fixture
def cli_env(client: Client, task_queue: str) -> Iterator[None]:
    """The CLI's settings: this test's task queue on the session's dev server."""
    saved = {k: os.environ.get(k) for k in ("TEMPORAL_ADDRESS", "IGNY8_TASK_QUEUE")}
    os.environ["TEMPORAL_ADDRESS"] = client.service_client.config.target_host
    os.environ["IGNY8_TASK_QUEUE"] = task_queue
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


async def igny8(*args: str) -> Result:
    """Run a command in a thread (the CLI runs its own event loop, as in a shell)."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def as_json(result: Result) -> dict:  # type: ignore[type-arg]
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


async def test_operator_sets_up_an_account_and_imports_keywords(cli_env: None, tmp_path: Path):
    created = await igny8("accounts", "create", "Agency", "--credits", "5000")
    assert created.exit_code == 0 and "shown once" in created.stdout
    account = as_json(await igny8("accounts", "create", "Agency two", "--credits", "7", "--json"))
    with session_scope() as s:
        found = authenticate(s, account["api_key"])
        assert found is not None and found[0].credits_balance == 7
    site = as_json(
        await igny8(
            "sites",
            "create",
            "Blog",
            "--account",
            str(account["account_id"]),
            "--domain",
            "blog.example",
            "--json",
        )
    )
    listed = await igny8("sites", "list", "--account", str(account["account_id"]), "--json")
    assert [s["id"] for s in json.loads(listed.stdout)] == [site["id"]]
    result = as_json(
        await igny8("keywords", "import", str(SAMPLE_KEYWORDS), "--site", str(site["id"]), "--json")
    )
    assert result["created"] == count(Keyword, site_id=site["id"]) > 300
    again = await igny8("keywords", "import", str(SAMPLE_KEYWORDS), "--site", str(site["id"]))
    assert "already on the site" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"keyword\n\xff\xfe\x00garbage\n")
    refused = await igny8("keywords", "import", str(bad), "--site", str(site["id"]))
    assert refused.exit_code == 1 and "not UTF-8" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    missing = await igny8("keywords", "import", str(SAMPLE_KEYWORDS), "--site", "999999")
    assert missing.exit_code == 1 and "Site 999999 not found" in missing.stderr
    top = ["credits", "top-up", "--account", str(account["account_id"]), "100", "--key", "k1"]
    assert as_json(await igny8(*top, "--json")) == {
        "account_id": account["account_id"],
        "balance": 107,
        "applied": True,
    }
    assert as_json(await igny8(*top, "--json"))["applied"] is False


async def test_runs_start_watch_and_steer(client: Client, task_queue: str, cli_env: None):
    account = as_json(await igny8("accounts", "create", "Runner", "--credits", "100000", "--json"))
    site = as_json(
        await igny8(
            "sites", "create", "Run blog", "--account", str(account["account_id"]), "--json"
        )
    )
    await igny8("keywords", "import", str(SAMPLE_KEYWORDS), "--site", str(site["id"]))
    provider = TokenProvider()
    provider.release(10_000)
    async with build_worker(
        client, get_settings(), task_queue, provider_for_account=lambda _: provider
    ):
        watched = await igny8(
            "runs", "start", "--site", str(site["id"]), "--stages", "1,2", "--watch"
        )
        assert watched.exit_code == 0, (watched.stdout, watched.stderr)
        assert "completed" in watched.stdout and "keywords mapped into" in watched.stdout
        with session_scope() as s:
            run = s.exec(select(AutomationRun).where(AutomationRun.site_id == site["id"])).one()
            run_id = run.id
        shown = as_json(await igny8("runs", "show", run_id, "--json"))
        assert shown["status"] == "completed" and [x["stage"] for x in shown["stages"]] == [1, 2]
        paused = await igny8("runs", "pause", run_id)
        assert paused.exit_code == 1 and "has ended" in paused.stderr

        slow = TokenProvider()  # holds every article until released
    async with build_worker(
        client, get_settings(), task_queue, provider_for_account=lambda _: slow
    ):
        started = as_json(
            await igny8("runs", "start", "--site", str(site["id"]), "--stages", "3,4", "--json")
        )
        cancelled = await igny8("runs", "cancel", started["run_id"])
        slow.release(10_000)
        assert cancelled.exit_code == 0, cancelled.stderr
        watch = await igny8("runs", "watch", started["run_id"])
        assert watch.exit_code == 2 and "cancelled" in watch.stdout
    bad = await igny8("runs", "start", "--site", str(site["id"]), "--stages", "1,9")
    assert bad.exit_code == 1 and "1-7" in bad.stderr
    unknown = await igny8("runs", "watch", "no-such-run")
    assert unknown.exit_code == 1 and "not found" in unknown.stderr


async def test_a_run_with_failed_items_points_to_them(
    client: Client, task_queue: str, cli_env: None
):
    _, site_id = seed_site(keywords=8)
    provider = FailingProvider()  # refuses the first article
    async with build_worker(
        client, get_settings(), task_queue, provider_for_account=lambda _: provider
    ):
        watched = await igny8(
            "runs", "start", "--site", str(site_id), "--stages", "1,2,3,4", "--watch"
        )
    assert watched.exit_code == 0, (watched.stdout, watched.stderr)
    with session_scope() as s:
        run_id = s.exec(select(AutomationRun.id).where(AutomationRun.site_id == site_id)).one()
    assert "Completed with 1 failed item" in watched.stdout
    assert f"igny8 runs queue {run_id} --stage 4 --status failed" in watched.stdout
    assert f"igny8 runs retry {run_id}" in watched.stdout

    failed = await igny8("runs", "queue", run_id, "--stage", "4", "--status", "failed", "--json")
    pages = json.loads(failed.stdout)
    assert [(p["stage"], p["total"]) for p in pages] == [(4, 1)]
    assert "test fault" in pages[0]["items"][0]["error_message"]
    every = json.loads((await igny8("runs", "queue", run_id, "--json")).stdout)
    assert [p["stage"] for p in every] == [1, 2, 3, 4]  # the queues the run filled
    shown = await igny8("runs", "queue", run_id, "--status", "failed")
    assert shown.exit_code == 0 and "ValidationError" in shown.stdout
    unknown = await igny8("runs", "queue", "no-such-run")
    assert unknown.exit_code == 1 and "not found" in unknown.stderr
