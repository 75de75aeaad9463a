"""The API served for real (uvicorn on a free port, in the test's event loop) and an SSE
reader, for tests that need streaming or disconnects, which ASGITransport cannot do."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve the app on 127.0.0.1 and yield its base URL (…/api/v1)."""
    server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        server.should_exit = True
        await task


@dataclass
class Event:
    id: int
    event: str
    data: dict[str, Any]


@dataclass
class EventReader:
    """Reads a run's event stream in the background, keeping every event in order."""

    events: list[Event] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self, url: str, headers: dict[str, str]) -> None:
        async with (
            httpx.AsyncClient(timeout=None) as http,
            http.stream("GET", url, headers=headers) as response,
        ):
            assert response.status_code == 200, await response.aread()
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value.strip()
                    continue
                if "data" in fields:
                    self.events.append(
                        Event(
                            int(fields["id"]),
                            fields.get("event", "message"),
                            json.loads(fields["data"]),
                        )
                    )
                fields = {}
        self.closed.set()

    async def wait_for(self, predicate: Any, timeout: float = 30) -> Event:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if predicate(event):
                    return event
            await asyncio.sleep(0.01)
        raise AssertionError(f"no such event in {[(e.event, e.id) for e in self.events]}")
