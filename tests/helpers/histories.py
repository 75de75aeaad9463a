"""The continue-as-new chain of a workflow and what its histories hold: events per run and the
largest payload, measured from Temporal's own histories (for bounds tests and bench/)."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HistoryFigures:
    runs: int = 0  # workflow runs in the continue-as-new chain
    longest: int = 0  # events of the longest history
    total: int = 0
    largest_payload: int = 0  # bytes
    largest_where: str = ""
    longest_kinds: Counter[str] = field(default_factory=Counter)  # its events by type


def _payload_sizes(message: Any, where: str) -> Iterator[tuple[int, str]]:
    """(bytes, field path) of every Payloads (or lone Payload) inside a protobuf message."""
    from temporalio.api.common.v1 import Payload, Payloads

    if isinstance(message, Payloads | Payload):
        yield message.ByteSize(), where
        return
    for fd, value in message.ListFields():
        if fd.message_type is None:
            continue
        path = where if fd.name.endswith("_event_attributes") else f"{where}.{fd.name}"
        if fd.message_type.GetOptions().map_entry:
            if fd.message_type.fields_by_name["value"].message_type is None:
                continue
            children = list(value.values())
        elif fd.is_repeated:
            children = list(value)
        else:
            children = [value]
        for child in children:
            yield from _payload_sizes(child, path)


async def chain_events(client: Any, workflow_id: str, max_runs: int = 10_000) -> AsyncIterator[Any]:
    """The events of each history of the run's continue-as-new chain, from its latest run back
    to its first (WorkflowExecutionStarted.continued_execution_run_id)."""
    run_id = (await client.get_workflow_handle(workflow_id).describe()).run_id
    runs = 0
    while run_id and runs < max_runs:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        events = history.events
        runs += 1
        yield events
        started = events[0].workflow_execution_started_event_attributes if events else None
        run_id = started.continued_execution_run_id if started else ""


async def chain_histories(client: Any, workflow_id: str, max_runs: int = 10_000) -> HistoryFigures:
    """Walk the run's continue-as-new chain and measure each history."""
    from temporalio.api.enums.v1 import EventType

    out = HistoryFigures()
    async for events in chain_events(client, workflow_id, max_runs):
        out.runs += 1
        out.total += len(events)
        if len(events) > out.longest:
            out.longest = len(events)
            out.longest_kinds = Counter(
                EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events
            )
        activities: dict[int, str] = {}  # scheduled event id -> activity type
        for event in events:
            name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
            scheduled = event.activity_task_scheduled_event_attributes
            if event.HasField("activity_task_scheduled_event_attributes"):
                activities[event.event_id] = scheduled.activity_type.name
            for attrs in ("completed", "failed", "timed_out", "canceled"):
                field_name = f"activity_task_{attrs}_event_attributes"
                if event.HasField(field_name):
                    of = activities.get(getattr(event, field_name).scheduled_event_id, "?")
                    name = f"{name} of {of}"
            if event.HasField("activity_task_scheduled_event_attributes"):
                name = f"{name} of {scheduled.activity_type.name}"
            for size, where in _payload_sizes(event, name):
                if size > out.largest_payload:
                    out.largest_payload, out.largest_where = size, where
    return out
