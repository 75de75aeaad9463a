"""Structured logs: one JSON object per line carrying the run, stage and item being worked on.

The run/stage/item come from a context variable that the activity interceptor
(core/observability.py) sets from each activity's input, and that the stage runner narrows to
the item; contextvars follow asyncio tasks and the activity thread, so concurrent activities
never mix them up. Temporal's own loggers add their activity/workflow info, which is folded in.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from core.config import Settings

_context: ContextVar[dict[str, Any] | None] = ContextVar("igny8_log_context", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# Temporal's activity.logger / workflow.logger put their info under these `extra` keys.
_TEMPORAL_KEYS = ("temporal_activity", "temporal_workflow")
_TEMPORAL_FIELDS = {
    "workflow_id": "workflow_id",
    "workflow_type": "workflow_type",
    "activity_type": "activity",
    "attempt": "attempt",
    "task_queue": "task_queue",
}


def current_context() -> dict[str, Any]:
    """The fields bound for the code running now (run_id, stage, item, ...)."""
    return dict(_context.get() or {})


def bind(**fields: Any) -> None:
    """Add fields to the current context (until the task or thread ends)."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}})


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Fields bound for the duration of a block."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind_item(item_id: int | None) -> None:
    """The item the stage runner works on now (one call per item)."""
    bind(item=item_id)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: ts, level, logger, message, the bound context, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _TEMPORAL_KEYS:
            info = getattr(record, key, None)
            if isinstance(info, dict):
                out.update(
                    {_TEMPORAL_FIELDS[k]: v for k, v in info.items() if k in _TEMPORAL_FIELDS}
                )
        out.update(getattr(record, "igny8_context", None) or current_context())
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _TEMPORAL_KEYS and key != "igny8_context":
                out.setdefault(key, value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable lines, with the bound context appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "igny8_context", None) or current_context()
        return line + "".join(f" {k}={v}" for k, v in context.items())


class ContextFilter(logging.Filter):
    """Captures the context where the record was made (a handler may format it elsewhere)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.igny8_context = current_context()
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(settings: Settings, stream: Any = None) -> logging.Handler:
    """Root logging for a worker or API process: IGNY8_LOG_FORMAT (json|text), IGNY8_LOG_LEVEL.
    Replaces handlers installed earlier by this function; returns the handler."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.set_name("igny8")
    root = logging.getLogger()
    # Ours from an earlier call, and the plain one `logging.basicConfig` put there before the
    # settings were read (it would print every line a second time).
    replaced = [
        h for h in root.handlers if h.get_name() == "igny8" or type(h) is logging.StreamHandler
    ]
    for old in replaced:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # uvicorn's lines go through the same handler (JSON too); httpx's per-request INFO lines
    # would repeat every WordPress and AI call.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return handler
