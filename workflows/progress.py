"""Builds the progress contract (DESIGN §5) and queue pages from a run's workflow state.
Pure and bounded: query handlers call these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from contracts.messages import running_message
from contracts.run import (
    QueueItem,
    RunInput,
    RunProgress,
    RunState,
    StageProgress,
    StageQueueInput,
    StageQueuePage,
    StageState,
)
from contracts.stages import STAGES, Stage


class Flight(Protocol):
    stage: int
    items: Any


def _stage_progress(st: StageState, flights: list[Flight], seconds_spent: float) -> StageProgress:
    info = STAGES[Stage(st.stage)]
    processing = sum(len(f.items) for f in flights)
    failed = st.failed_total
    pending = max(st.total - st.completed - failed - processing, 0)
    done = st.completed + failed
    out = StageProgress(
        stage=st.stage,
        name=info.name,
        status=st.status,
        pending=pending,
        processing=processing,
        completed=st.completed,
        failed=failed,
        message=st.message,
        result=dict(st.result),
        items_total=st.total,
        items_processed=done,
        error=st.last_error,
    )
    if st.status == "running":
        if flights:
            current = flights[-1].items[0]
            out.current_item = current.name
            out.message = running_message(st.stage, current.name, processing)
            out.phase = "AI_CALL" if info.uses_ai else "SAVE"
        else:
            out.phase = "PREP"
            out.message = out.message or f"Preparing {info.name.replace('_', ' ')}"
        if done and seconds_spent > 0:
            out.estimated_seconds_remaining = round(seconds_spent / done * (pending + processing))
    elif st.status in ("completed", "skipped"):
        out.phase = "DONE"
    return out


def _seconds_since(start: datetime | None, now: datetime) -> float:
    return (now - start).total_seconds() if start else 0.0


def build_progress(
    run_id: str,
    inp: RunInput,
    s: RunState,
    status: str,
    current_stage: int | None,
    inflight: Mapping[int, Flight],
    now: datetime,
) -> RunProgress:
    """The §5 contract: overall = completed stages * 100 / n + current stage progress / n."""
    flights = list(inflight.values())
    stages = [
        _stage_progress(
            s.stages[number],
            [f for f in flights if f.stage == number],
            # Wall time in the stage: batches overlap, so their own durations would overcount.
            _seconds_since(s.stages[number].started_at, now),
        )
        for number in s.stage_order
    ]
    n = max(len(stages), 1)
    finished = sum(1 for p in stages if p.status in ("completed", "skipped"))
    current = next((p for p in stages if p.status == "running"), None)
    current_pct = (
        current.items_processed * 100 / current.items_total
        if (current and current.items_total)
        else 0.0
    )
    percentage = 100.0 if status == "completed" else finished * 100 / n + current_pct / n
    error = s.error
    if error is None:
        error = next((p.error for p in reversed(stages) if p.error), None)
    return RunProgress(
        run_id=run_id,
        kind="manual" if inp.manual else "automation",
        site_id=inp.site_id,
        status=status,
        paused=s.paused,
        pause_reason=s.pause_reason,
        current_stage=current_stage,
        percentage=round(min(percentage, 100.0), 1),
        stages=stages,
        credits_used=s.credits_used,
        error=error,
        started_at=s.started_at,
        finished_at=now if status in ("completed", "cancelled", "failed") else None,
    )


def queue_page(
    s: RunState, stage: int, inp: StageQueueInput, inflight: Mapping[int, Flight]
) -> StageQueuePage:
    """A page of the stage's queue from what the workflow holds (see StageQueuePage.complete)."""
    st = s.stages.get(stage) or StageState(stage=stage)
    complete = True
    if inp.status == "processing":
        items = [
            QueueItem(id=i.id, name=i.name, status="processing")
            for f in inflight.values()
            if f.stage == stage
            for i in f.items
        ]
        total = len(items)
    elif inp.status == "failed":
        items = [
            QueueItem(
                id=f.id,
                name=f.name,
                status="failed",
                attempts=f.attempts,
                error_type=f.error_type,
                error_message=f.error_message,
            )
            for f in st.failed
        ]
        total, complete = st.failed_total, len(st.failed) >= st.failed_total
    elif inp.status == "completed":
        items = [
            QueueItem(id=i.id, name=i.name, status="completed")
            for i in reversed(st.recent_completed)
        ]
        total, complete = st.completed, len(items) >= st.completed
    else:
        items = [QueueItem(id=i.id, name=i.name, status="pending") for i in st.pending]
        processing = sum(len(f.items) for f in inflight.values() if f.stage == stage)
        total = max(st.total - st.completed - st.failed_total - processing, 0)
        complete = len(items) >= total
    return StageQueuePage(
        stage=stage,
        status=inp.status,
        total=total,
        offset=inp.offset,
        limit=inp.limit,
        items=items[inp.offset : inp.offset + inp.limit],
        complete=complete,
    )


def current_details(p: RunProgress) -> str:
    """A few readable lines for the Temporal UI's "current details" of a run."""
    lines = [
        f"**{p.status.upper()}** {p.percentage:.0f}%"
        + (f" — paused: {p.pause_reason}" if p.paused and p.pause_reason else "")
    ]
    for st in p.stages:
        if st.status in ("running", "completed", "skipped") or st.failed:
            lines.append(
                f"{st.stage}. {st.name}: {st.status} — {st.completed} done, {st.pending} pending, "
                f"{st.processing} in flight, {st.failed} failed. {st.message}"
            )
    if p.error:
        lines.append(f"Last error: {p.error.error_type}: {p.error.error_message}")
    lines.append(f"Credits used: {p.credits_used}")
    return "\n\n".join(lines)
