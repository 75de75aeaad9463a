"""Domain errors become Temporal ApplicationErrors here, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pydantic
from temporalio.exceptions import ApplicationError

from core.errors import Igny8Error, WordPressError

T = TypeVar("T")


def to_application_error(exc: BaseException) -> ApplicationError:
    """Typed, classified: transient errors stay retryable (with Retry-After honoured),
    permanent ones are non-retryable so the item fails at once. The action a person should
    take rides in the details (core/error_info.py reads it back)."""
    if isinstance(exc, Igny8Error):
        wait = getattr(exc, "retry_after_seconds", None)
        details: dict[str, object] = {"action": exc.action, "details": exc.details}
        error_type = exc.error_type
        if isinstance(exc, WordPressError):
            # One Temporal type for WordPress failures; the precise kind rides along.
            details.update(kind=type(exc).__name__, status_code=exc.status_code)
            error_type = "WordPressError"
        return ApplicationError(
            exc.message,
            details,
            type=error_type,
            non_retryable=not exc.retryable,
            next_retry_delay=timedelta(seconds=wait) if wait else None,
        )
    if isinstance(exc, pydantic.ValidationError):
        return ApplicationError(
            f"Invalid output: {exc}",
            {"action": "fix_input"},
            type="ValidationError",
            non_retryable=True,
        )
    return ApplicationError(str(exc) or type(exc).__name__, type=type(exc).__name__)


def mapped(call: Callable[[], T]) -> T:
    """`call()`, its domain errors raised as ApplicationErrors (see to_application_error)."""
    try:
        return call()
    except Igny8Error as exc:
        raise to_application_error(exc) from exc
