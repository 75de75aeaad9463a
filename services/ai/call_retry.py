"""Retrying one AI call on its own, inside an activity that makes several (stage 1 embeds in
chunks and names clusters in groups): a transient failure costs that call alone, never the
calls already answered. Item stages make one call per activity and leave retries to Temporal."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.config import Settings
from core.errors import AIProviderError

T = TypeVar("T")


async def with_retries(call: Callable[[], Awaitable[T]], settings: Settings) -> T:
    """`call()` until it succeeds, a permanent error, or the operator's bound of attempts;
    waits the provider's Retry-After, else an exponential backoff with full jitter."""
    attempt = 1
    while True:
        try:
            return await call()
        except AIProviderError as exc:
            if not exc.retryable or attempt >= settings.retry_maximum_attempts:
                raise
            ceiling = min(
                settings.retry_maximum_seconds, settings.retry_initial_seconds * 2 ** (attempt - 1)
            )
            wait = exc.retry_after_seconds or random.uniform(0, ceiling)
            await asyncio.sleep(min(wait, settings.retry_maximum_seconds))
            attempt += 1
