"""Domain errors become Temporal ApplicationErrors here, once."""

from __future__ import annotations

from datetime import timedelta

import pydantic
from temporalio.exceptions import ApplicationError

from core.errors import AIProviderError, Igny8Error


def to_application_error(exc: BaseException) -> ApplicationError:
    """Typed, classified: transient errors stay retryable (with Retry-After honoured),
    permanent ones are non-retryable so the item fails at once."""
    if isinstance(exc, Igny8Error):
        delay = None
        if isinstance(exc, AIProviderError) and exc.retry_after_seconds:
            delay = timedelta(seconds=exc.retry_after_seconds)
        return ApplicationError(
            exc.message,
            {"action": exc.action, "details": exc.details},
            type=exc.error_type,
            non_retryable=not exc.retryable,
            next_retry_delay=delay,
        )
    if isinstance(exc, pydantic.ValidationError):
        return ApplicationError(
            f"Invalid output: {exc}", type="ValidationError", non_retryable=True
        )
    return ApplicationError(str(exc) or type(exc).__name__, type=type(exc).__name__)
