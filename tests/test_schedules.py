"""Recurring campaigns on the real dev server (the time-skipping server has no schedules), and
an operator steering a run with the real `temporal` CLI."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, select
from temporalio.client import Client, ScheduleActionStartWorkflow
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from contracts.run import RunInput, RunProgress
from core.config import get_settings
from core.db import session_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from models import AutomationConfig, Keyword, Site
from services import runs, schedules
from services.schedule_spec import schedule_id
from tests.helpers import ControlledProvider, Tenant, seed_site, wait_for
from tests.helpers.runs import run_row, settings_for
from tests.helpers.temporal import temporal_cli_path
from worker import build_worker

BERLIN = ZoneInfo("Europe/Berlin")
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
YEARLY = "0 0 1 1 *"  # never fires during a test: every trigger in these tests is explicit


def configure(site_id: int, cron: str | None = YEARLY, tz: str = "UTC", **fields: Any) -> None:
    with session_scope() as s:
        site = s.get(Site, site_id)
        assert site is not None
        s.add(
            AutomationConfig(
                account_id=site.account_id,
                site_id=site_id,
                schedule_cron=cron,
                schedule_timezone=tz,
                **fields,
            )
        )


def _config(s: Session, site_id: int) -> AutomationConfig:
    return s.exec(select(AutomationConfig).where(AutomationConfig.site_id == site_id)).one()


def config_of(site_id: int) -> AutomationConfig:
    with session_scope() as s:
        return _config(s, site_id)


def add_keywords(account_id: int, site_id: int, topic: str, n: int) -> None:
    with session_scope() as s:
        for i in range(n):
            text = f"{topic} {i}"
            s.add(Keyword(account_id=account_id, site_id=site_id, text=text, normalized=text))


@pytest.fixture
async def sites(client: Client) -> AsyncIterator[list[int]]:
    """Sites whose schedules the test makes; their schedules are removed afterwards."""
    made: list[int] = []
    yield made
    for site_id in made:
        await schedules.remove_schedule(client, site_id)


def new_site(sites: list[int], keywords: int = 20, **config: Any) -> tuple[int, int]:
    account_id, site_id = seed_site(keywords=keywords)
    configure(site_id, **config)
    sites.append(site_id)
    return account_id, site_id


async def test_triggered_schedule_runs_the_pipeline_as_scheduled(
    client: Client, task_queue: str, sites: list[int]
) -> None:
    _, site_id = new_site(sites, cron="0 6 * * 1", tz="Europe/Berlin", stages=[1, 2, 3])
    settings = settings_for(task_queue)
    info = await schedules.apply_schedule(client, settings, site_id)
    assert info.registered and not info.paused and len(info.next_run_times) == 5
    for at in info.next_run_times:  # Mondays 06:00 in Berlin, whatever the UTC offset
        local = at.astimezone(BERLIN)
        assert (local.weekday(), local.hour, local.minute) == (0, 6, 0)

    async with build_worker(client, settings, task_queue):
        info = await schedules.trigger_schedule(client, settings, site_id)
        assert info.trigger and info.trigger.outcome == "started"
        run_id = info.trigger.workflow_id
        assert run_id and run_id.startswith(f"site-{site_id}-scheduled-")
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed"
    assert [s.stage for s in result.stages] == [1, 2, 3], "options come from the site's config"
    row = run_row(run_id)
    assert (row.trigger, row.status, row.stages) == ("scheduled", "completed", [1, 2, 3])
    desc = await client.get_workflow_handle(run_id).describe()
    assert desc.typed_search_attributes.get(SCHEDULED_START) is not None
    assert row.scheduled_for is not None, "the run records the time it was scheduled for"
    info = await schedules.describe_schedule(client, site_id)
    assert [a.workflow_id for a in info.recent_actions] == [run_id]
    assert info.actions_taken == 1 and info.running_workflow_ids == []


async def test_trigger_during_an_active_run_is_skipped(
    client: Client, task_queue: str, sites: list[int]
) -> None:
    account_id, site_id = new_site(sites, stages=[1])
    settings = settings_for(task_queue)
    await schedules.apply_schedule(client, settings, site_id)
    provider = ControlledProvider()
    gates = [threading.Event(), threading.Event()]
    provider.gates["cluster_keywords"] = gates[0]
    try:
        async with build_worker(client, settings, task_queue, lambda _: provider):
            # The database guard: the site's run started by the API holds; the scheduled one
            # starts, finds it, and ends at once as "skipped".
            api_run = await runs.start_run(
                client, settings, account_id=account_id, site_id=site_id, trigger="api"
            )
            await wait_for(lambda: provider.calls.get("cluster_keywords"))
            info = await schedules.trigger_schedule(client, settings, site_id)
            assert info.trigger and info.trigger.outcome == "started"
            refused = info.trigger.workflow_id
            assert refused and info.active_run_id == api_run
            ended = await client.get_workflow_handle(refused, result_type=RunProgress).result()
            assert ended.status == "skipped"
            row = run_row(refused)
            assert (row.status, row.trigger) == ("skipped", "scheduled")
            assert api_run in row.error["error_message"]  # type: ignore[index]
            gates[0].set()
            await client.get_workflow_handle(api_run, result_type=RunProgress).result()

            # Overlap SKIP: while the schedule's own run is active, a trigger starts nothing.
            add_keywords(account_id, site_id, "trail shoes", 8)  # new work for the next run
            calls = provider.calls["cluster_keywords"]
            provider.gates["cluster_keywords"] = gates[1]
            info = await schedules.trigger_schedule(client, settings, site_id)
            assert info.trigger and info.trigger.outcome == "started"
            scheduled = info.trigger.workflow_id
            await wait_for(lambda: provider.calls["cluster_keywords"] > calls)
            info = await schedules.trigger_schedule(client, settings, site_id)
            assert info.trigger and info.trigger.outcome == "skipped"
            assert info.running_workflow_ids == [scheduled] and info.skipped_overlap == 1
            gates[1].set()
            done = await client.get_workflow_handle(scheduled, result_type=RunProgress).result()
            assert done.status == "completed"
    finally:
        for gate in gates:
            gate.set()
    assert run_row(scheduled).trigger == "scheduled"
    assert (await schedules.describe_schedule(client, site_id)).actions_taken == 2


async def test_pause_unpause_disable_and_remove(client: Client, sites: list[int]) -> None:
    _, site_id = new_site(sites)
    settings = get_settings()
    await schedules.apply_schedule(client, settings, site_id)

    info = await schedules.pause_schedule(client, settings, site_id, note="holidays")
    assert info.paused and info.note == "holidays" and config_of(site_id).schedule_paused
    info = await schedules.unpause_schedule(client, settings, site_id)
    assert not info.paused and not config_of(site_id).schedule_paused

    with session_scope() as s:  # what PUT /sites/{id}/automation does, then it syncs
        _config(s, site_id).enabled = False
    info = await schedules.sync_after_automation_change(client, settings, site_id)
    assert info.paused and info.note == "automation is disabled for this site"
    with pytest.raises(ConflictError, match="disabled"):
        await schedules.unpause_schedule(client, settings, site_id)

    with session_scope() as s:
        _config(s, site_id).schedule_cron = None
    info = await schedules.sync_after_automation_change(client, settings, site_id)
    assert not info.registered and info.cron is None
    with pytest.raises(NotFoundError, match="has no schedule"):
        await schedules.pause_schedule(client, settings, site_id)
    assert not await schedules.remove_schedule(client, site_id)


async def test_changing_the_cron_updates_the_one_schedule(client: Client, sites: list[int]) -> None:
    _, site_id = new_site(sites, cron="0 6 * * 1", tz="Europe/Berlin")
    settings = settings_for("queue-a")
    await schedules.apply_schedule(client, settings, site_id)
    with session_scope() as s:
        _config(s, site_id).stages = [1, 2]
    info = await schedules.set_schedule(
        client, settings_for("queue-b"), site_id, "30 7 * * *", "UTC"
    )
    assert (info.cron, info.timezone) == ("30 7 * * *", "UTC")
    assert {(t.hour, t.minute) for t in info.next_run_times} == {(7, 30)}

    desc = await client.get_schedule_handle(schedule_id(site_id)).describe()
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow) and action.task_queue == "queue-b"
    (run_input,) = await client.data_converter.decode(action.args, [RunInput])  # type: ignore[arg-type]
    assert (run_input.trigger, run_input.options.stages) == ("scheduled", [1, 2])

    async def listed() -> list[str]:
        return [s.id async for s in await client.list_schedules(f"Igny8SiteId = {site_id}")]

    assert await wait_for(listed, timeout=10) == [schedule_id(site_id)]


async def test_sync_restores_missing_and_removes_orphaned_schedules(
    client: Client, sites: list[int]
) -> None:
    settings = get_settings()
    _, missing = new_site(sites)  # in the database, never applied (Temporal was reset, say)
    _, orphan = new_site(sites)
    await schedules.apply_schedule(client, settings, orphan)
    with session_scope() as s:  # its schedule outlived its config (or its site)
        _config(s, orphan).schedule_cron = None

    async def listed() -> bool:
        ids = [s.id async for s in await client.list_schedules(f"Igny8SiteId = {orphan}")]
        return ids == [schedule_id(orphan)]

    await wait_for(listed, timeout=10)
    try:
        applied, removed = await schedules.sync_all_schedules(client, settings)
        assert applied >= 1 and removed >= 1
        assert (await schedules.describe_schedule(client, missing)).registered
        assert not (await schedules.describe_schedule(client, orphan)).registered
    finally:  # sync applied every schedule in the test database: take them down again
        with session_scope() as s:
            scheduled = [c.site_id for c in s.exec(select(AutomationConfig)) if c.schedule_cron]
        for site_id in scheduled:
            await schedules.remove_schedule(client, site_id)


async def test_bad_cron_or_time_zone_is_a_validation_error(
    client: Client, sites: list[int]
) -> None:
    _, site_id = new_site(sites, cron=None)
    settings = get_settings()
    cases = [
        ("0 6 * *", "UTC", "has 4 fields"),
        ("61 6 * * *", "UTC", "minute 61 is not in 0-59"),
        ("0 24 * * *", "UTC", "hour 24"),
        ("0 6 * * 8", "UTC", "day of week 8"),
        ("0 6 * * fri-mon", "UTC", "runs backwards"),
        ("*/0 * * * *", "UTC", "bad step"),
        ("0 6 * * 1", "Mars/Olympus_Mons", "Unknown time zone"),
        ("0 6 * * 1", "localtime", "Unknown time zone"),
    ]
    for cron, tz, message in cases:
        with pytest.raises(ValidationError, match=message):
            await schedules.set_schedule(client, settings, site_id, cron, tz)
    assert config_of(site_id).schedule_cron is None
    assert not (await schedules.describe_schedule(client, site_id)).registered
    with pytest.raises(NotFoundError):
        await schedules.set_schedule(client, settings, 10**9, "0 6 * * 1")
    info = await schedules.set_schedule(client, settings, site_id, " @daily ", "Asia/Tokyo")
    assert info.cron == "@daily" and info.registered
    assert {t.astimezone(ZoneInfo("Asia/Tokyo")).hour for t in info.next_run_times} == {0}


async def test_schedule_routes(
    api: httpx.AsyncClient,
    client: Client,
    task_queue: str,
    sites: list[int],
    tenant: Tenant,
    other: Tenant,
) -> None:
    sites.append(tenant.site_id)
    base = f"/sites/{tenant.site_id}/schedule"
    got = (await api.get(base, headers=tenant.headers)).json()
    assert got["cron"] is None and got["registered"] is False
    answer = await api.post(f"{base}/pause", headers=tenant.headers)
    assert answer.status_code == 404 and "has no schedule" in answer.json()["error"]["message"]
    configure(tenant.site_id, cron="0 6 * * 1", tz="Europe/Berlin")
    await schedules.apply_schedule(client, settings_for(task_queue), tenant.site_id)

    answer = await api.post(f"{base}/pause", headers=tenant.headers, json={"note": "audit"})
    assert answer.status_code == 200 and answer.json()["paused"] is True
    assert answer.json()["note"] == "audit"
    # "Run now" works on a paused schedule too (no worker polls this queue: end the run).
    answer = await api.post(f"{base}/trigger", headers=tenant.headers)
    started = answer.json()["trigger"]
    assert answer.status_code == 200 and started["outcome"] == "started"
    await client.get_workflow_handle(started["workflow_id"]).terminate("test over")
    answer = await api.post(f"{base}/unpause", headers=tenant.headers)
    assert answer.json()["paused"] is False and len(answer.json()["next_run_times"]) == 5
    for verb in ("", "/pause", "/trigger"):
        call = api.get if not verb else api.post
        answer = await call(f"{base}{verb}", headers=other.headers)
        assert answer.status_code == 404, verb


@pytest.fixture
def cli_env(temporal_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's settings pointed at the test's dev server."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_env.client.service_client.config.target_host)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_cli_sets_shows_and_pauses(cli_env: None) -> None:
    from cli.schedules import app

    _, site_id = seed_site(keywords=5)
    cli = CliRunner()
    site = ["--site", str(site_id)]
    out = cli.invoke(app, ["set", *site, "--cron", "0 6 * * mon", "--tz", "Europe/Berlin"])
    assert out.exit_code == 0, out.output
    assert "0 6 * * mon (Europe/Berlin)" in out.output and "next: Mon" in out.output
    out = cli.invoke(app, ["pause", *site, "--note", "launch freeze", "--json"])
    shown = json.loads(out.output)
    assert shown["paused"] is True and shown["note"] == "launch freeze"
    out = cli.invoke(app, ["set", *site, "--cron", "0 6 * *"])
    assert out.exit_code == 1 and "ValidationError" in out.output and "has 4 fields" in out.output
    out = cli.invoke(app, ["unpause", *site, "--json"])
    assert json.loads(out.output)["paused"] is False
    out = cli.invoke(app, ["set", *site, "--cron", "0 7 * * mon", "--json"])
    assert json.loads(out.output)["timezone"] == "Europe/Berlin", "the time zone is kept"
    out = cli.invoke(app, ["remove", *site])
    assert out.exit_code == 0 and "has no schedule" in out.output


async def temporal(env: WorkflowEnvironment, *args: str) -> str:
    """Run the real `temporal` CLI against the test's dev server, as an operator would."""
    address = env.client.service_client.config.target_host
    proc = await asyncio.create_subprocess_exec(
        temporal_cli_path(),
        *args,
        "--address",
        address,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, (args, out.decode(), err.decode())
    return out.decode()


async def test_operator_steers_a_run_with_the_temporal_cli(
    client: Client, temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    account_id, site_id = seed_site(keywords=20)
    configure(site_id, cron=None, stages=[1, 2])
    settings = settings_for(task_queue)
    provider = ControlledProvider()
    gate = provider.gates["cluster_keywords"] = threading.Event()
    try:
        async with build_worker(client, settings, task_queue, lambda _: provider):
            run_id = await runs.start_run(
                client, settings, account_id=account_id, site_id=site_id, trigger="cli"
            )
            await wait_for(lambda: provider.calls.get("cluster_keywords"))
            # The UI and the CLI send a signal with no input at all.
            await temporal(
                temporal_env, "workflow", "signal", "--workflow-id", run_id, "--name", "pause"
            )
            query = [
                "workflow",
                "query",
                "--workflow-id",
                run_id,
                "--name",
                "progress",
                "-o",
                "json",
            ]

            async def progress() -> dict[str, Any]:
                answer = json.loads(await temporal(temporal_env, *query))
                return answer["queryResult"][0]  # type: ignore[no-any-return]

            paused = await wait_for(progress_when(progress, paused=True), timeout=20)
            assert paused["status"] == "paused" and paused["current_stage"] == 1
            listing = [
                "workflow",
                "list",
                "-o",
                "json",
                "--query",
                f'Igny8SiteId = {site_id} AND Igny8Status = "paused"',
            ]
            found = await wait_for(lambda: listed_ids(temporal_env, listing), timeout=20)
            assert found == [run_id]

            gate.set()  # the batch in flight finishes (drain); the next stage does not start
            held = await wait_for(progress_when(progress, current_stage=2), timeout=20)
            first, second = held["stages"]
            assert held["paused"] and first["status"] == "completed"
            assert (second["status"], second["processing"], second["completed"]) == (
                "pending",
                0,
                0,
            )
            assert "generate_ideas" not in provider.calls
            await temporal(
                temporal_env, "workflow", "signal", "--workflow-id", run_id, "--name", "resume"
            )
            result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    finally:
        gate.set()
    assert result.status == "completed" and not result.paused
    assert run_row(run_id).status == "completed"


def progress_when(read: Any, **expected: Any) -> Any:
    async def check() -> dict[str, Any] | None:
        answer = await read()
        return answer if all(answer.get(k) == v for k, v in expected.items()) else None

    return check


async def listed_ids(env: WorkflowEnvironment, args: list[str]) -> list[str] | None:
    lines = (await temporal(env, *args)).strip()
    rows = (
        json.loads(lines)
        if lines.startswith("[")
        else [json.loads(line) for line in lines.splitlines() if line.strip()]
    )
    ids = [r["execution"]["workflowId"] for r in rows]
    return ids or None
