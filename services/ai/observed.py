"""A provider wrapper that times and counts every AI call (core.metrics), whatever the provider:
calls by provider/model/function/outcome, tokens and cost by model, 429s."""

from __future__ import annotations

import functools
import inspect
from typing import Any, cast

from core import metrics
from services.ai.base import AIProvider


class ObservedProvider:
    """Forwards everything to the wrapped provider; public methods are observed."""

    def __init__(self, inner: AIProvider) -> None:
        self._inner = inner
        self.name = inner.name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if attr.startswith("_") or not callable(value):
            return value
        if inspect.iscoroutinefunction(value):
            # `agenerate_image` is the async form of `generate_image`: one function to count.
            function = attr[1:] if attr.startswith("agenerate_") else attr

            @functools.wraps(value)
            async def observed_async(*args: Any, **kwargs: Any) -> Any:
                with metrics.ai_call(self.name, function) as call:
                    return _record(call, await value(*args, **kwargs))

            return observed_async

        @functools.wraps(value)
        def observed(*args: Any, **kwargs: Any) -> Any:
            with metrics.ai_call(self.name, attr) as call:
                return _record(call, value(*args, **kwargs))

        return observed


def _record(call: Any, result: Any) -> Any:
    usage = getattr(result, "usage", None)
    if usage is not None:
        call.model = usage.model
        metrics.ai_usage(
            usage.provider, usage.model, usage.tokens_in, usage.tokens_out, usage.cost_usd
        )
    return result


def observed(provider: AIProvider) -> AIProvider:
    """`provider`, observed (once: wrapping twice would count twice)."""
    if isinstance(provider, ObservedProvider):
        return cast(AIProvider, provider)
    return cast(AIProvider, ObservedProvider(provider))
