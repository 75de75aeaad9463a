"""The one heartbeat helper. A heartbeat says the attempt is alive and what it is doing; it is
also how a cancellation (pause, cancel, a timed-out attempt) reaches the activity."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from temporalio import activity

T = TypeVar("T")


def interval_for(heartbeat_timeout_seconds: float) -> float:
    """Three beats per heartbeat timeout, so one late beat never looks like a dead worker."""
    return max(heartbeat_timeout_seconds / 3, 0.2)


@contextmanager
def heartbeating(interval: float) -> Iterator[Callable[[str], None]]:
    """For thread (sync) activities: beats from a side thread while the work runs, repeating
    the last details; yields `beat(details)` for the work to say where it is."""
    last = {"details": ""}
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            activity.heartbeat(last["details"])

    thread = threading.Thread(target=contextvars.copy_context().run, args=(loop,), daemon=True)
    thread.start()

    def beat(details: str) -> None:
        last["details"] = details
        activity.heartbeat(details)

    try:
        yield beat
    finally:
        stop.set()


async def while_awaiting(work: Awaitable[T], interval: float, details: str) -> T:
    """For async activities: beat only while `work` (a real call) is in progress. Cancelling
    the activity cancels `work` itself, so an abandoned attempt stops calling the provider."""
    task = asyncio.ensure_future(work)
    started = asyncio.get_running_loop().time()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=interval)
            if done:
                return task.result()
            waited = asyncio.get_running_loop().time() - started
            activity.heartbeat(f"{details} ({waited:.0f}s)")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
