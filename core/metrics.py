"""igny8's own Prometheus metrics, defined once; the code calls the one-line helpers below.

Labels hold names, statuses and ids of stages/models only: never an account, a site, a title or
a secret. Counters that mirror database writes (credits) count once the transaction commits, so a
rolled-back attempt that Temporal retries is not counted twice. docs/metrics.md lists them all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session

from contracts.stages import STAGES, Stage
from core.logging import current_context

log = logging.getLogger("igny8.items")

ITEMS = Counter(
    "igny8_stage_items",
    "Stage items that finished, by stage and final status (completed|failed).",
    ["stage", "status"],
)
AI_CALLS = Counter(
    "igny8_ai_calls",
    "AI provider calls by provider, model, function and outcome (ok or the error type).",
    ["provider", "model", "function", "outcome"],
)
AI_SECONDS = Histogram(
    "igny8_ai_call_duration_seconds",
    "How long one AI provider call took.",
    ["provider", "function"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160),
)
AI_TOKENS = Counter(
    "igny8_ai_tokens",
    "Tokens spent, by model and direction (in|out).",
    ["provider", "model", "direction"],
)
AI_COST = Counter(
    "igny8_ai_cost_usd", "What AI calls cost in USD, by model.", ["provider", "model"]
)
AI_RATE_LIMITED = Counter(
    "igny8_ai_rate_limited", "AI calls answered with HTTP 429.", ["provider", "model", "function"]
)
CREDITS_CHARGED = Counter(
    "igny8_credits_charged",
    "Credits charged for finished work (settled holds), by stage.",
    ["stage"],
)
CREDITS_ADDED = Counter("igny8_credits_topped_up", "Credits added to accounts by top-ups.")
PUBLISH = Counter(
    "igny8_publish_attempts",
    "WordPress publish attempts by outcome (published|retrying|failed) and error type.",
    ["outcome", "error_type"],
)
STORAGE_OPS = Counter(
    "igny8_storage_operations",
    "Reads and writes of stored files, by backend, operation and outcome.",
    ["backend", "operation", "outcome"],
)
STORAGE_BYTES = Counter(
    "igny8_storage_bytes", "Bytes written to or read from storage.", ["backend", "operation"]
)
API_SECONDS = Histogram(
    "igny8_api_request_duration_seconds",
    "API request latency by method, route template and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BUILD = Gauge("igny8_up", "1 while this igny8 process exports metrics.", ["component"])


def stage_name(stage: int | str | None) -> str:
    """The stage's name for a label ("" when unknown)."""
    if stage is None or stage == "":
        return ""
    if isinstance(stage, str) and not stage.isdigit():
        return stage
    try:
        return STAGES[Stage(int(stage))].name
    except ValueError:
        return str(stage)


# --- after-commit counting ----------------------------------------------------------------------

_PENDING = "igny8_metrics_after_commit"


def after_commit(session: Session, count: Callable[[], None]) -> None:
    """Run `count` once the session's transaction commits; dropped if it rolls back."""
    session.info.setdefault(_PENDING, []).append(count)


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    for count in session.info.pop(_PENDING, []):
        count()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- the one-line helpers -----------------------------------------------------------------------


def item_finished(stage: int, status: str, n: int = 1) -> None:
    """`n` items of a stage reached a final status (call after their commit); also the log line
    that says so, with the run/stage/item bound by the activity."""
    if n > 0:
        ITEMS.labels(stage_name(stage), status).inc(n)
        level = logging.WARNING if status == "failed" else logging.INFO
        log.log(level, "%s %s item%s %s", stage_name(stage), n, "" if n == 1 else "s", status)


def items_settled(session: Session, stage: int, status: str, n: int) -> None:
    """`n` items the workflow settled (failed or cancelled after their batch gave up), counted
    when `session` commits; items put back to pending are not counted."""
    if status in ("failed", "cancelled") and n > 0:
        after_commit(session, lambda: item_finished(stage, status, n))


def credits_charged(session: Session, amount: int) -> None:
    """A settlement of `amount` credits, counted when `session` commits, under the stage the
    running activity works on (bound by activities.log_context)."""
    if amount > 0:
        stage = stage_name(current_context().get("stage"))
        after_commit(session, lambda: CREDITS_CHARGED.labels(stage).inc(amount))


def credits_topped_up(session: Session, amount: int) -> None:
    """A top-up of `amount` credits, counted when `session` commits."""
    if amount > 0:
        after_commit(session, lambda: CREDITS_ADDED.inc(amount))


def ai_usage(provider: str, model: str, tokens_in: int, tokens_out: int, cost_usd: float) -> None:
    """Tokens and cost of one successful AI call."""
    if tokens_in:
        AI_TOKENS.labels(provider, model, "in").inc(tokens_in)
    if tokens_out:
        AI_TOKENS.labels(provider, model, "out").inc(tokens_out)
    if cost_usd > 0:
        AI_COST.labels(provider, model).inc(cost_usd)


@dataclass
class _Call:
    model: str = ""


@contextmanager
def ai_call(provider: str, function: str) -> Iterator[_Call]:
    """Time and count one AI call; set `.model` on what it yields once the answer names it.
    A failure is counted under its error type (a 429 also under igny8_ai_rate_limited)."""
    call = _Call()
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield call
    except BaseException as exc:
        outcome = str(getattr(exc, "error_type", "") or type(exc).__name__)
        details = getattr(exc, "details", None)
        if isinstance(details, dict):
            call.model = call.model or str(details.get("model") or "")
            if details.get("status_code") == 429:
                AI_RATE_LIMITED.labels(provider, call.model, function).inc()
        raise
    finally:
        AI_SECONDS.labels(provider, function).observe(time.perf_counter() - started)
        AI_CALLS.labels(provider, call.model, function, outcome).inc()


@contextmanager
def publish_attempt() -> Iterator[None]:
    """Count one publishing attempt: published, or failed/retrying with the error's type."""
    try:
        yield
    except BaseException as exc:
        final = bool(getattr(exc, "non_retryable", False)) or not getattr(exc, "retryable", True)
        error_type = str(getattr(exc, "type", None) or type(exc).__name__)
        PUBLISH.labels("failed" if final else "retrying", error_type).inc()
        raise
    PUBLISH.labels("published", "").inc()


def storage_op(backend: str, operation: str, outcome: str, size: int = 0) -> None:
    """One storage read/write (`size` bytes when it succeeded)."""
    STORAGE_OPS.labels(backend, operation, outcome).inc()
    if size:
        STORAGE_BYTES.labels(backend, operation).inc(size)


def api_request(method: str, route: str, status: int, seconds: float) -> None:
    API_SECONDS.labels(method, route, str(status)).observe(seconds)


def process_up(component: str) -> None:
    """Mark this process's component (worker|api) as exporting."""
    BUILD.labels(component).set(1)


def exposition() -> tuple[bytes, str]:
    """The default registry in the Prometheus text format, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "0.0.0.0") -> Any:
    """Serve the default registry over HTTP on a side thread (workers); None when port is 0."""
    if not port:
        return None
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host)
    return server
