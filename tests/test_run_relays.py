"""Relays keep the AI stages' slots busy across continue-as-new (workflows/relay.py): while the
run's continue-as-new is due, a free slot of an AI stage gets a relay workflow, which outlives the
continue-as-new and whose report the next run collects. Runs with slow AI calls on the suite's
dev server (it suggests continue-as-new after a few hundred events) continue as new several
times; every item is still made and charged once, and no workflow task fails, even when relays
end while their run drains: nothing of a relay's reaches a run's history. A cancel or an
immediate pause stops the relays and leaves nothing processing and nothing charged twice; a relay
terminated by hand is settled by its run; the relays of a terminated run finish their item and
end.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from temporalio import activity
from temporalio.api.enums.v1 import WorkflowTaskFailedCause
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from contracts.relay import (
    ACT_COLLECT_RELAYS,
    ACT_START_RELAYS,
    RELAY_WORKFLOW,
    SIGNAL_REPORT_RELAY,
    RelayReport,
    relay_workflow_id,
)
from contracts.run import RunProgress
from contracts.stages import STAGES, Stage
from core.config import get_settings
from core.db import session_scope
from core.search_attributes import SA_SITE
from models import AIUsage, AutomationConfig, Cluster, Content, CreditTransaction, StageItem, Task
from services import credits, runs
from tests.helpers import ControlledProvider, count, seed_site, wait_for
from tests.helpers.histories import chain_events
from tests.helpers.runs import (
    assert_matches_db,
    db_counts,
    replay_chain,
    run_row,
    settled,
    start,
    worker_for,
)
from workflows.relay import ItemRelayWorkflow

AI_ITEM_STAGES = [s for s in STAGES if STAGES[s].uses_ai and s != Stage.CLUSTER_KEYWORDS]
# Seconds per AI call: items wait in the windows while the run's history grows.
SLOW = {
    "generate_ideas": 0.3,
    "generate_article": 0.8,
    "generate_image_prompts": 0.3,
    "generate_image": 0.2,
}


def slow_site(keywords: int = 30, concurrency: int = 3) -> tuple[int, int]:
    """A site whose AI stages run `concurrency` calls at a time, so items wait in the windows."""
    account_id, site_id = seed_site(keywords=keywords)
    with session_scope() as s:
        s.add(
            AutomationConfig(
                account_id=account_id,
                site_id=site_id,
                concurrency={str(stage): concurrency for stage in AI_ITEM_STAGES},
            )
        )
    return account_id, site_id


class RelayAware(ControlledProvider):
    """The local provider with SLOW calls; a call made by a relay first awaits `relay_call` and
    then `relay_call_made`, and a call made by a run's own activity (a flight) awaits
    `flight_call_made` once made."""

    def __init__(self) -> None:
        super().__init__()
        self.delay.update(SLOW)
        self.relay_calls = 0

    async def relay_call(self, relay_id: str) -> None:
        """What a relay's call does before it is made."""

    async def relay_call_made(self, relay_id: str) -> None:
        """What a relay's call does once made."""

    async def flight_call_made(self, run_id: str) -> None:
        """What a flight's call does once made (`run_id`: the run of the chain it belongs to)."""

    async def _first(self) -> None:
        info = activity.info()
        if info.workflow_type == RELAY_WORKFLOW:
            self.relay_calls += 1
            await self.relay_call(info.workflow_id or "")

    async def _then(self) -> None:
        info = activity.info()
        if info.workflow_type == RELAY_WORKFLOW:
            await self.relay_call_made(info.workflow_id or "")
        else:
            await self.flight_call_made(info.workflow_run_id or "")

    async def agenerate_ideas(self, cluster):  # type: ignore[no-untyped-def]
        await self._first()
        made = await super().agenerate_ideas(cluster)
        await self._then()
        return made

    async def agenerate_article(self, brief):  # type: ignore[no-untyped-def]
        await self._first()
        made = await super().agenerate_article(brief)
        await self._then()
        return made

    async def agenerate_image_prompts(self, brief):  # type: ignore[no-untyped-def]
        await self._first()
        made = await super().agenerate_image_prompts(brief)
        await self._then()
        return made

    async def agenerate_image(self, prompt, width, height):  # type: ignore[no-untyped-def]
        await self._first()
        made = await super().agenerate_image(prompt, width, height)
        await self._then()
        return made


class RelaysOutlastTheirRun(RelayAware):
    """A relay's call ends only once the run that started it has continued as new, as a call of
    30-60 s does: what relays are for, made certain on a fast machine."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client
        self.outlasted = 0

    async def relay_call(self, relay_id: str) -> None:
        started = (await self.client.get_workflow_handle(relay_id).describe()).start_time
        run = self.client.get_workflow_handle(relay_id.rsplit("-relay-", 1)[0])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # A run of the chain that began after the relay: the one that started it is gone.
            if (await run.describe()).start_time > started:
                self.outlasted += 1
                return
            await asyncio.sleep(0.05)


class RelaysEndAsTheirRunContinuesAsNew(RelayAware):
    """A flight's call that ends while relays its run started are making theirs waits for them
    to be made: those relays end together with the run's last flights, as the run continues as
    new (had relays signalled, their reports would have come in just then)."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client
        # Relays' calls being made: relay id -> (the run that started the relay, made).
        self.calling: dict[str, tuple[str, asyncio.Event]] = {}
        self.waited = 0  # flights' calls that waited for relays of their run

    async def relay_call(self, relay_id: str) -> None:
        relay = await self.client.get_workflow_handle(relay_id).describe()
        run = await self.client.get_workflow_handle(relay_id.rsplit("-relay-", 1)[0]).describe()
        # Runs of a chain follow one another: the latest, if it began before the relay, was
        # open when the relay started, so it started it.
        started_by = run.run_id if run.start_time <= relay.start_time else ""
        self.calling[relay_id] = (started_by, asyncio.Event())

    async def relay_call_made(self, relay_id: str) -> None:
        self.calling.pop(relay_id)[1].set()

    async def flight_call_made(self, run_id: str) -> None:
        mine = [made for started_by, made in self.calling.values() if started_by == run_id]
        if mine:
            self.waited += 1
            await asyncio.wait_for(asyncio.gather(*(made.wait() for made in mine)), timeout=30)


class RelaysHeld(RelayAware):
    """Relays' calls wait until the test lets them go: a cancel or a pause meets them mid-call."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()
        self.waiting = 0
        self.held: list[str] = []  # relay ids, in the order their calls arrived

    async def relay_call(self, relay_id: str) -> None:
        self.waiting += 1
        self.held.append(relay_id)
        try:
            await self.go.wait()
        finally:
            self.waiting -= 1


@dataclass
class RelayChain:
    """The relays of a run's continue-as-new chain, from its histories (runs numbered oldest
    first): which run started each relay, and which run collected its report; and what must
    never be there: events of relays' own, and failed workflow tasks."""

    runs: int = 0
    ids: dict[int, str] = field(default_factory=dict)  # batch number -> relay workflow id
    started_in: dict[int, int] = field(default_factory=dict)
    reported_in: dict[int, int] = field(default_factory=dict)
    relay_events: int = 0  # child workflow events and report_relay signals
    task_failures: list[str] = field(default_factory=list)  # causes of failed workflow tasks

    @property
    def across(self) -> list[int]:
        """Relays whose item was in the air while the run continued as new: reported to a later
        run than the one that started them."""
        return [n for n, run in self.reported_in.items() if run > self.started_in.get(n, run)]


def _json(payloads: Any) -> Any:
    return json.loads(payloads.payloads[0].data)


async def relay_chain(client: Client, run_id: str) -> RelayChain:
    histories = [events async for events in chain_events(client, run_id)][::-1]
    chain = RelayChain(runs=len(histories))
    for index, events in enumerate(histories):
        activities: dict[int, str] = {}  # scheduled event id -> activity type
        for event in events:
            if event.HasField("activity_task_scheduled_event_attributes"):
                scheduled = event.activity_task_scheduled_event_attributes
                activities[event.event_id] = scheduled.activity_type.name
                if scheduled.activity_type.name == ACT_START_RELAYS:
                    for batch_no in map(int, _json(scheduled.input)["items"]):
                        chain.ids[batch_no] = relay_workflow_id(run_id, batch_no)
                        chain.started_in[batch_no] = index
            if event.HasField("activity_task_completed_event_attributes"):
                completed = event.activity_task_completed_event_attributes
                if activities.get(completed.scheduled_event_id) == ACT_COLLECT_RELAYS:
                    for report in _json(completed.result)["reports"]:
                        chain.reported_in.setdefault(report["batch_no"], index)
            signal = event.workflow_execution_signaled_event_attributes
            if event.HasField("start_child_workflow_execution_initiated_event_attributes") or (
                event.HasField("workflow_execution_signaled_event_attributes")
                and signal.signal_name == SIGNAL_REPORT_RELAY
            ):
                chain.relay_events += 1
            if event.HasField("workflow_task_failed_event_attributes"):
                cause = event.workflow_task_failed_event_attributes.cause
                chain.task_failures.append(WorkflowTaskFailedCause.Name(cause))
    return chain


async def every_relay_closed(client: Client, relay_ids: Iterable[str]) -> bool:
    for workflow_id in relay_ids:
        described = await client.get_workflow_handle(workflow_id).describe()
        if described.status == WorkflowExecutionStatus.RUNNING:
            return False
    return True


async def relay_reports(client: Client, chain: RelayChain) -> list[RelayReport]:
    """What each relay ended with (its workflow's result)."""
    return [
        await client.get_workflow_handle(workflow_id, result_type=RelayReport).result()
        for workflow_id in chain.ids.values()
    ]


async def replay_relays(client: Client, chain: RelayChain) -> int:
    replayer = Replayer(workflows=[ItemRelayWorkflow], data_converter=pydantic_data_converter)
    for workflow_id in chain.ids.values():
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        await replayer.replay_workflow(history)
    return len(chain.ids)


def ledger_total(run_id: str) -> int:
    with session_scope() as s:
        spent = s.exec(
            select(func.coalesce(func.sum(CreditTransaction.amount), 0)).where(
                CreditTransaction.run_id == run_id
            )
        ).one()
    return -int(spent)


async def assert_completed_cleanly(
    client: Client, run_id: str, site_id: int, result: RunProgress, chain: RelayChain
) -> None:
    """What a user checks after a run with relays: every article reviewed, every item made and
    charged once, the ledger and the progress agree with the database, and the chain replays;
    and no workflow task of the chain failed (nothing of a relay's came into a run)."""
    assert result.status == "completed" and result.failed_items == 0, result.summary
    assert not chain.task_failures and not chain.relay_events, chain
    tasks = count(Task, site_id=site_id)
    assert tasks and count(Content, site_id=site_id, status="review") == tasks
    assert_each_item_made_and_charged_once(run_id, [s.stage for s in result.stages])
    assert ledger_total(run_id) == result.credits_used
    assert_matches_db(result)
    assert await replay_chain(client, run_id) == chain.runs


def assert_each_item_made_and_charged_once(run_id: str, stages: list[int]) -> None:
    """Per AI stage, one AI usage row per item and as many as it completed; and a ledger that
    is exactly the price of what was completed."""
    settings = get_settings()
    with session_scope() as s:
        usage = s.exec(
            select(AIUsage.stage, AIUsage.item_id, func.count())
            .where(AIUsage.run_id == run_id, col(AIUsage.stage).in_(AI_ITEM_STAGES))
            .group_by(col(AIUsage.stage), col(AIUsage.item_id))
        ).all()
    assert all(n == 1 for *_, n in usage), "an item's AI call was paid for twice"
    completed = {stage: db_counts(run_id, stage).get("completed", 0) for stage in stages}
    for stage in AI_ITEM_STAGES:
        if stage in completed:
            assert sum(1 for st, *_ in usage if st == stage) == completed[stage], stage
    expected = sum(credits.cost_per_item(st, settings) * n for st, n in completed.items())
    assert ledger_total(run_id) == expected


async def test_relays_carry_ai_calls_across_continue_as_new(
    client: Client, task_queue: str
) -> None:
    site = slow_site()
    _, site_id = site
    provider = RelaysOutlastTheirRun(client)
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    assert result.status == "completed" and result.failed_items == 0, result.summary
    chain = await relay_chain(client, run_id)
    assert chain.runs >= 3, chain
    # Slots that freed while continue-as-new was due were filled by relays, whose calls were in
    # the air while the run continued as new, and the next run collected their reports.
    assert chain.ids and provider.outlasted == provider.relay_calls > 0, chain
    assert sorted(chain.reported_in) == sorted(chain.ids), "every relay was collected"
    assert len(chain.across) >= provider.outlasted, chain
    assert await every_relay_closed(client, chain.ids.values())
    # In the Temporal UI a relay names its run, and filters by site list runs only.
    relay = await client.get_workflow_handle(next(iter(chain.ids.values()))).describe()
    assert run_id in (await relay.static_summary() or "")
    assert relay.typed_search_attributes.get(SA_SITE) is None
    # Every item made once, by one call, and charged once.
    await assert_completed_cleanly(client, run_id, site_id, result, chain)
    assert provider.calls["generate_article"] == count(Task, site_id=site_id)
    assert provider.calls["generate_ideas"] == count(Cluster, site_id=site_id)
    assert await replay_relays(client, chain) == len(chain.ids)


async def test_cancel_with_relays_in_flight_loses_and_double_charges_nothing(
    client: Client, task_queue: str
) -> None:
    site = slow_site()
    provider = RelaysHeld()
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: provider.waiting > 0, timeout=120)
        await runs.cancel_run(client, run_id)
        with pytest.raises(WorkflowFailureError):
            await client.get_workflow_handle(run_id).result()
        chain = await relay_chain(client, run_id)
        # The run stopped its relays before it ended: none keeps calling the provider.
        await wait_for(lambda: every_relay_closed(client, chain.ids.values()), timeout=10)
        reports = await relay_reports(client, chain)
        provider.go.set()
    assert any(r.cancelled for r in reports), reports
    assert provider.waiting == 0
    with session_scope() as s:
        unfinished = s.exec(
            select(StageItem).where(
                StageItem.run_id == run_id,
                col(StageItem.status).in_(["pending", "queued", "processing"]),
            )
        ).all()
    assert not unfinished
    assert run_row(run_id).status == "cancelled"
    assert_each_item_made_and_charged_once(run_id, list(range(1, 8)))
    assert await replay_chain(client, run_id) == chain.runs
    assert await replay_relays(client, chain) == len(chain.ids)


async def test_immediate_pause_stops_relays_and_resume_completes(
    client: Client, task_queue: str
) -> None:
    site = slow_site()
    _, site_id = site
    provider = RelaysHeld()
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: provider.waiting > 0, timeout=120)
        await runs.pause_run(client, run_id, mode="immediate")
        # Its relays stop at their next heartbeat, and a collector (after the continue-as-new,
        # if one was due) brings their reports: slow on a loaded machine.
        held = await wait_for(lambda: settled(client, run_id), timeout=180)
        stopped = await relay_chain(client, run_id)
        await wait_for(lambda: every_relay_closed(client, stopped.ids.values()), timeout=10)
        assert any(r.cancelled for r in await relay_reports(client, stopped))
        assert count(StageItem, run_id=run_id, status="processing") == 0
        assert_matches_db(held)
        provider.go.set()
        await runs.resume_run(client, run_id)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        chain = await relay_chain(client, run_id)
        await wait_for(lambda: every_relay_closed(client, chain.ids.values()), timeout=10)
    await assert_completed_cleanly(client, run_id, site_id, result, chain)
    assert await replay_relays(client, chain) == len(chain.ids)


async def test_a_relay_terminated_by_hand_is_settled_by_its_run(
    client: Client, task_queue: str
) -> None:
    site = slow_site()
    _, site_id = site
    provider = RelaysHeld()
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: provider.waiting > 0, timeout=120)
        relay_id = provider.held[0]
        await client.get_workflow_handle(relay_id).terminate(reason="operator")
        provider.go.set()
        # Nobody tells the run: it collects the relay as ended without a report, and asks the
        # database what became of its item.
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        chain = await relay_chain(client, run_id)
        await wait_for(lambda: every_relay_closed(client, chain.ids.values()), timeout=10)
    assert int(relay_id.rsplit("-", 1)[1]) in chain.reported_in
    await assert_completed_cleanly(client, run_id, site_id, result, chain)


async def test_relays_of_a_terminated_run_finish_their_item_and_end(
    client: Client, task_queue: str
) -> None:
    site = slow_site()
    provider = RelaysHeld()
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        await wait_for(lambda: provider.waiting > 0, timeout=120)
        held = list(provider.held)
        await client.get_workflow_handle(run_id).terminate(reason="operator")
        provider.go.set()
        # Each makes its item and ends without failing (nobody collects its report: the
        # database has the item).
        reports = [
            await client.get_workflow_handle(relay_id, result_type=RelayReport).result()
            for relay_id in held
        ]
        # The run's own activities stop at their next heartbeat and give their holds back.
        await wait_for(lambda: count(StageItem, run_id=run_id, status="processing") == 0, 30)
    outcomes = [r.result.outcome for r in reports if r.result and r.result.outcome]
    assert len(outcomes) == len(held) and all(o.status == "completed" for o in outcomes)
    with session_scope() as s:
        made = set(
            s.exec(
                select(StageItem.item_id).where(
                    StageItem.run_id == run_id, StageItem.status == "completed"
                )
            ).all()
        )
    assert all(o.id in made for o in outcomes), "the relays' items were saved"
    assert_each_item_made_and_charged_once(run_id, list(range(1, 8)))


async def test_relays_ending_while_their_run_continues_as_new_fail_no_workflow_task(
    client: Client, task_queue: str
) -> None:
    """Relays that end as the run that started them lands its last flights and continues as
    new put nothing in its history (child relays that signalled put two events each there,
    just then), so no workflow task of the chain fails: Temporal fails a task that continues a
    run as new if a new event came in while it ran."""
    site = slow_site()
    _, site_id = site
    provider = RelaysEndAsTheirRunContinuesAsNew(client)
    async with worker_for(client, task_queue, provider):
        run_id = await start(client, task_queue, site)
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        chain = await relay_chain(client, run_id)
        await wait_for(lambda: every_relay_closed(client, chain.ids.values()), timeout=10)
    assert chain.runs >= 3 and provider.waited > 0, (chain, provider.waited)
    assert sorted(chain.reported_in) == sorted(chain.ids), "every relay was collected"
    assert not chain.task_failures, chain.task_failures
    await assert_completed_cleanly(client, run_id, site_id, result, chain)
    assert await replay_relays(client, chain) == len(chain.ids)
