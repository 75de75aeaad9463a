"""Live progress of a run as server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import CurrentAccount, ProgressHubDep, RunId
from services.progress_feed import is_finished, load_run

router = APIRouter(tags=["runs"])
# One shared reader per run (services/progress_hub.py) queries the workflow every 0.25 s however
# many people watch, so an item finishing reaches every browser well within 1 s.
RECONNECT_MS = 1000
MAX_EVENT_ID = 2**53  # what a browser keeps exactly


def _next_id(last_event_id: str | None) -> int:
    """Ids continue from the client's Last-Event-ID, so they never go backwards."""
    try:
        last = int((last_event_id or "0").strip())
    except ValueError:
        last = 0
    return min(max(last, 0), MAX_EVENT_ID) + 1


@router.get(
    "/runs/{run_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
)
async def stream_run_events(
    run_id: RunId,
    request: Request,
    account: CurrentAccount,
    hub: ProgressHubDep,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> EventSourceResponse:
    """Server-sent events with the run's progress (the same JSON as GET /runs/{id}).

    `event: progress` comes at once (a snapshot) and again whenever the progress changes;
    `event: end` carries the final progress and closes the stream. Reconnecting with
    `Last-Event-ID` gets a fresh snapshot at once, with ids continuing upwards."""
    account_id = account.id
    assert account_id is not None
    run = await asyncio.to_thread(load_run, run_id, account_id)  # 404 before the stream starts
    first_id = _next_id(last_event_id)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        event_id = first_id
        # Closed with the stream, so a watcher who leaves stops counting at once.
        async with contextlib.aclosing(hub.follow(run)) as updates:
            async for progress in updates:
                if await request.is_disconnected():
                    return
                yield ServerSentEvent(
                    data=progress.model_dump_json(),
                    event="end" if is_finished(progress) else "progress",
                    id=str(event_id),
                    retry=RECONNECT_MS if event_id == first_id else None,
                )
                event_id += 1

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})
