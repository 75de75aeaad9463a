"""One progress reader per run per API process, shared by everybody watching it.

Without it every event-stream watcher queried the workflow four times a second, and a query of an
evicted workflow replays its history on a worker: watching cost the run its speed. Here a run is
read at most once per `interval`, whatever the number of watchers; each watcher is woken when the
progress changes, and `GET /runs/{id}` within the same instant gets the same answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from temporalio.client import Client

from contracts.run import RunProgress
from models import AutomationRun
from services.progress_feed import is_finished, progress_of

READ_EVERY_SECONDS = 0.25


@dataclass
class _Reader:
    run: AutomationRun
    latest: RunProgress | None = None
    latest_json: str = ""
    read_at: float = 0.0
    version: int = 0
    watchers: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    reading: asyncio.Task[RunProgress] | None = None
    polling: asyncio.Task[None] | None = None


class ProgressHub:
    """The shared readers of one API process (kept in `app.state`)."""

    def __init__(self, client: Client, interval: float = READ_EVERY_SECONDS) -> None:
        self.client = client
        self.interval = interval
        self._readers: dict[str, _Reader] = {}
        self.reads = 0  # how often a workflow (or its record) was read: for tests and benchmarks

    def _reader(self, run: AutomationRun) -> _Reader:
        reader = self._readers.get(run.id)
        if reader is None:
            reader = self._readers[run.id] = _Reader(run=run)
        return reader

    async def current(self, run: AutomationRun) -> RunProgress:
        """The run's progress, read now unless another caller read it within `interval`."""
        reader = self._reader(run)
        try:
            if reader.latest is not None and time.monotonic() - reader.read_at < self.interval:
                return reader.latest
            return await self._read(reader)
        finally:
            self._forget_if_idle(reader)

    async def follow(self, run: AutomationRun) -> AsyncGenerator[RunProgress, None]:
        """The progress now and whenever it changes, until the run has ended."""
        reader = self._reader(run)
        reader.watchers += 1
        if reader.polling is None or reader.polling.done():
            reader.polling = asyncio.create_task(self._poll(reader))
        seen = [0]  # the version this watcher has had (0: none yet; a cell the predicate reads)
        try:
            while True:
                async with reader.changed:
                    await reader.changed.wait_for(lambda: reader.version != seen[0])
                    seen[0], progress = reader.version, reader.latest
                assert progress is not None
                yield progress
                if is_finished(progress):
                    return
        finally:
            reader.watchers -= 1
            self._forget_if_idle(reader)

    async def _read(self, reader: _Reader) -> RunProgress:
        """One read in flight per run: concurrent callers await the same one."""
        if reader.reading is None or reader.reading.done():
            reader.reading = asyncio.create_task(progress_of(self.client, reader.run))
            self.reads += 1
        progress = await asyncio.shield(reader.reading)
        reader.read_at = time.monotonic()
        dumped = progress.model_dump_json()
        if dumped != reader.latest_json:
            async with reader.changed:
                reader.latest, reader.latest_json = progress, dumped
                reader.version += 1
                reader.changed.notify_all()
        return progress

    async def _poll(self, reader: _Reader) -> None:
        """Read while anybody watches; stop once the run has ended (its last answer stays)."""
        while reader.watchers > 0:
            progress = await self._read(reader)
            if is_finished(progress):
                return
            await asyncio.sleep(self.interval)

    def _forget_if_idle(self, reader: _Reader) -> None:
        if reader.watchers == 0 and self._readers.get(reader.run.id) is reader:
            if reader.polling is not None and not reader.polling.done():
                reader.polling.cancel()
            del self._readers[reader.run.id]

    async def close(self) -> None:
        for reader in list(self._readers.values()):
            if reader.polling is not None:
                reader.polling.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader.polling
        self._readers.clear()
