"""The one mapping from an exception to the `ErrorInfo` a person reads in progress and queues.

Used by services (an item's error in the database), activities and workflows (the cause of a
failed activity or child). Pure: no database or network; workflows pass their own clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic
from temporalio.exceptions import ApplicationError, FailureError, TimeoutError

from contracts.run import ErrorInfo
from core.errors import Igny8Error

MESSAGE_KEPT = 500  # characters of an error message kept in payloads and rows
_ACTIONS = ("retry", "top_up", "fix_input")


def error_info(
    exc: BaseException | None, phase: str | None = None, now: datetime | None = None
) -> ErrorInfo:
    """Typed and classified: what went wrong, whether trying again can help, what to do."""
    when = now or datetime.now(UTC)
    # A failed activity or child wraps the error that explains it.
    while isinstance(exc, FailureError) and not isinstance(exc, ApplicationError | TimeoutError):
        if exc.cause is None:
            break
        exc = exc.cause
    if isinstance(exc, Igny8Error):
        return _info(exc.error_type, exc.message, exc.retryable, exc.action, phase, when)
    if isinstance(exc, pydantic.ValidationError):
        return _info("ValidationError", f"Invalid output: {exc}", False, "fix_input", phase, when)
    if isinstance(exc, ApplicationError):
        retryable = not exc.non_retryable
        action = _action_of(exc) or ("retry" if retryable else "fix_input")
        return _info(exc.type or "ApplicationError", exc.message, retryable, action, phase, when)
    if isinstance(exc, TimeoutError):
        message = f"The attempt timed out ({exc.type.name.lower() if exc.type else 'timeout'})"
        return _info("TimeoutError", message, True, "retry", phase, when)
    name = type(exc).__name__ if exc is not None else "Error"
    message = (str(exc) if exc is not None else "") or name
    return _info(name, message, True, "retry", phase, when)


def _action_of(exc: ApplicationError) -> str | None:
    """The action an activity put in the error's details (see activities/errors.py)."""
    for detail in exc.details:
        if isinstance(detail, dict) and detail.get("action") in _ACTIONS:
            return str(detail["action"])
    return None


def _info(
    error_type: str,
    message: str,
    retryable: bool,
    action: str,
    phase: str | None,
    when: datetime,
) -> ErrorInfo:
    return ErrorInfo(
        error_type=error_type[:100],
        error_message=message[:MESSAGE_KEPT],
        phase=phase,
        timestamp=when,
        retryable=retryable,
        action=action if action in _ACTIONS else "retry",  # type: ignore[arg-type]
    )
