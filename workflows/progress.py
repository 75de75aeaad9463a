"""Builds the progress contract and queue pages from a run's workflow state.
Pure and bounded: query handlers call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from contracts.messages import plural, running_message
from contracts.run import (
    STAGE_FINISHED,
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
from contracts.wordpress import PUBLISH_STAGE


class Flight(Protocol):
    stage: int
    items: Any


class Flights(Protocol):
    """What the progress needs of the scheduler: the flights in the air, relays included."""

    def airborne(self, stage: int) -> Sequence[Flight]: ...


def _flights_of(flights: Flights, stage: int) -> list[Flight]:
    return list(flights.airborne(stage))


def _stage_progress(st: StageState, flights: list[Flight], now: datetime) -> StageProgress:
    info = STAGES.get(Stage(st.stage)) if st.stage in STAGES else None
    name = info.name if info else "publish"
    processing = sum(len(f.items) for f in flights)
    failed = st.failed_total
    pending = max(st.total - st.completed - failed - processing, 0)
    done = st.completed + failed
    out = StageProgress(
        stage=st.stage,
        name=name,
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
        tokens_in=st.cost.tokens_in,
        tokens_out=st.cost.tokens_out,
        cost_usd=st.cost.cost_usd,
    )
    if st.status == "running":
        if flights:
            current = flights[-1].items[0]
            out.current_item = current.name or None
            out.message = (
                running_message(st.stage, current.name, processing)
                if info
                else f"Publishing {plural(processing, 'article')} to WordPress"
            )
            out.phase = "AI_CALL" if info and info.uses_ai else "SAVE"
        else:
            out.phase = "PREP"
            out.message = f"Waiting for {name.replace('_', ' ')} work" if not st.total else ""
        # Wall time in the stage: items overlap, so their own durations would overcount.
        seconds = (now - st.started_at).total_seconds() if st.started_at else 0.0
        if done and seconds > 0:
            out.estimated_seconds_remaining = round(seconds / done * (pending + processing))
    elif st.status in ("completed", "skipped"):
        out.phase = "DONE"
    return out


def _own_percentage(p: StageProgress) -> float:
    if p.status in STAGE_FINISHED:
        return 100.0
    return p.items_processed * 100 / p.items_total if p.items_total else 0.0


def _summary(status: str, p: RunProgress) -> str:
    if status == "completed":
        return "Completed" + (
            f" with {plural(p.failed_items, 'failed item')}" if p.failed_items else ""
        )
    if status == "failed":
        return p.error.error_message if p.error else "Failed"
    if status == "paused":
        return f"Paused: {p.pause_reason}" if p.pause_reason else "Paused"
    if status == "cancelled":
        return "Cancelled"
    if status == "skipped":
        return p.error.error_message if p.error else "Not started"
    current = next((s for s in p.stages if s.stage == p.current_stage), None)
    if current is None:
        return "Starting"
    return f"Stage {current.stage} of 7, {current.name.replace('_', ' ')}: {current.message}"


def build_progress(
    run_id: str,
    inp: RunInput,
    s: RunState,
    status: str,
    current_stage: int | None,
    flights: Flights,
    now: datetime,
) -> RunProgress:
    """Overall = the mean of the seven stages' own progress (with stages in strict order this
    is completed stages * 100 / n + the current stage's progress / n)."""
    stages = [
        _stage_progress(s.stages[number], _flights_of(flights, number), now)
        for number in s.stage_order
    ]
    publish_state = s.stages.get(PUBLISH_STAGE)
    publish = (
        _stage_progress(publish_state, _flights_of(flights, PUBLISH_STAGE), now)
        if publish_state is not None and publish_state.status != "pending"
        else None
    )
    own = {p.stage: _own_percentage(p) for p in stages}
    if publish is not None and publish.items_total and Stage.REVIEW in own:
        own[Stage.REVIEW] = (own[Stage.REVIEW] + _own_percentage(publish)) / 2
        review = next(p for p in stages if p.stage == Stage.REVIEW)
        if review.status == "completed" and publish.status == "running":
            review.status, review.message = "running", publish.message
    percentage = 100.0 if status == "completed" else sum(own.values()) / max(len(stages), 1)
    error = s.error
    if error is None:
        error = next((p.error for p in reversed(stages) if p.error), None)
    every = [*stages, *([publish] if publish else [])]
    progress = RunProgress(
        run_id=run_id,
        kind="manual" if inp.manual else "automation",
        site_id=inp.site_id,
        status=status,
        paused=s.paused,
        pause_reason=s.pause_reason,
        current_stage=current_stage,
        percentage=round(min(percentage, 100.0), 1),
        stages=stages,
        publish=publish,
        credits_used=s.credits_used,
        credits_estimated=s.credits_estimated,
        tokens_in=sum(p.tokens_in for p in every),
        tokens_out=sum(p.tokens_out for p in every),
        cost_usd=round(sum(p.cost_usd for p in every), 6),
        failed_items=sum(p.failed for p in every),
        error=error,
        started_at=s.started_at,
        finished_at=now if status in ("completed", "cancelled", "failed") else None,
    )
    progress.summary = _summary(status, progress)
    return progress


def queue_page(s: RunState, stage: int, inp: StageQueueInput, flights: Flights) -> StageQueuePage:
    """A page of the stage's queue from what the workflow holds (see StageQueuePage.complete)."""
    st = s.stages.get(stage) or StageState(stage=stage)
    complete = True
    mine = _flights_of(flights, stage)
    items: Iterable[QueueItem]
    if inp.status == "processing":
        items = [
            QueueItem(id=i.id, name=i.name, status="processing") for f in mine for i in f.items
        ]
        total = sum(len(f.items) for f in mine)
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
        total, complete = st.completed, len(st.recent_completed) >= st.completed
    else:
        items = [QueueItem(id=i.id, name=i.name, status="pending") for i in st.window]
        processing = sum(len(f.items) for f in mine)
        total = max(st.total - st.completed - st.failed_total - processing, 0)
        complete = len(st.window) >= total
    listed = list(items)
    return StageQueuePage(
        stage=stage,
        status=inp.status,
        total=total,
        offset=inp.offset,
        limit=inp.limit,
        items=listed[inp.offset : inp.offset + inp.limit],
        complete=complete,
    )


def current_details(p: RunProgress) -> str:
    """A few readable lines for the Temporal UI's "current details" of a run."""
    lines = [f"**{p.status.upper()}** {p.percentage:.0f}% — {p.summary}"]
    for st in [*p.stages, *([p.publish] if p.publish else [])]:
        if st.status in ("running", "completed", "skipped", "failed") or st.failed:
            lines.append(
                f"{st.stage}. {st.name}: {st.status} — {st.completed} done, {st.pending} pending, "
                f"{st.processing} in flight, {st.failed} failed. {st.message}"
            )
    if p.error:
        lines.append(f"Last error: {p.error.error_type}: {p.error.error_message}")
    lines.append(f"Credits used: {p.credits_used}; AI cost ${p.cost_usd:.4f}")
    return "\n\n".join(lines)
