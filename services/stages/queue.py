"""A run's stage queues in the database: planning them, and moving items between generation
statuses (the per-item truth the workflow's counters mirror)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Update, func, update
from sqlmodel import Session, col, select

from contracts.run import (
    FAILED_MESSAGE_KEPT,
    ErrorInfo,
    FailedItem,
    ItemRef,
    MarkItemsInput,
    PlanStageInput,
    PlanStageResult,
    SettledItems,
)
from contracts.stages import STAGES
from contracts.status import GenerationStatus as GS
from core import metrics
from core.db import session_scope
from models import StageItem
from services.stages.registry import service_for

MAX_NAME = 120
REJECTED_KEPT = 100  # rejected items of a manual selection listed in one plan's answer
ERRORS_REPORTED = 50  # failed items' errors in one settle answer (the rest: the flight's error)


# --- planning ---------------------------------------------------------------------------------


def _counts(session: Session, run_id: str, stage: int) -> dict[str, int]:
    rows = session.exec(
        select(StageItem.status, func.count())
        .where(StageItem.run_id == run_id, StageItem.stage == stage)
        .group_by(StageItem.status)
    ).all()
    return {status: int(n) for status, n in rows}


def enqueue(session: Session, run_id: str, stage: int, items: list[tuple[int, str]]) -> None:
    """Put items in a run's stage queue as `pending` (the caller knows they are not in it)."""
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = [
        {
            "run_id": run_id,
            "stage": stage,
            "item_id": item_id,
            "item_name": (name or "")[:MAX_NAME],
            "status": GS.PENDING,
            "attempts": 0,
            "error_type": None,
            "error_message": "",
            "retryable": None,
            "result": {},
            "updated_at": now,
        }
        for item_id, name in items
    ]
    for start in range(0, len(rows), 1000):
        session.execute(StageItem.__table__.insert(), rows[start : start + 1000])  # type: ignore[attr-defined]


def _new_eligible(session: Session, inp: PlanStageInput) -> list[tuple[int, str]]:
    """Items the stage would pick now that are not in this run's queue yet (an anti-join, so
    planning again while upstream works costs only what is new)."""
    service = service_for(inp.stage)
    known = (
        select(StageItem.id)
        .where(
            StageItem.run_id == inp.run_id,
            StageItem.stage == inp.stage,
            StageItem.item_id == service.table.id,
        )
        .exists()
    )
    query = service.eligible_query(inp.site_id).where(~known)
    return [(row[0], row[1]) for row in session.execute(query)]


def _load_window(
    session: Session, inp: PlanStageInput, rejected: list[FailedItem]
) -> list[ItemRef]:
    """The next pending items, now `queued` (held by the workflow's window) and marked with the
    plan's number. A manual selection is checked here, as it loads: an item that cannot be
    processed fails at once. A retried plan first answers what its lost attempt loaded: those
    items are `queued` already, and no other plan would ever load them again."""
    if inp.window <= 0:
        return []
    reloaded = (
        _queue_items(session, inp, StageItem.status == GS.QUEUED, StageItem.plan_no == inp.plan_no)
        if inp.plan_no
        else []
    )
    room = max(inp.window - len(reloaded), 0)
    items = _queue_items(session, inp, StageItem.status == GS.PENDING, limit=room)
    if inp.manual and items:
        items = _checked_selection(session, inp, items, rejected)
    ids = [i.id for i in items]
    set_status(session, inp.run_id, inp.stage, ids, GS.QUEUED)
    if inp.plan_no and ids:
        session.execute(_items(inp.run_id, inp.stage, ids).values(plan_no=inp.plan_no))
    return reloaded + items


def _queue_items(
    session: Session, inp: PlanStageInput, *where: Any, limit: int | None = None
) -> list[ItemRef]:
    """The stage queue's items that match `where`, in queue order, locked until the plan
    commits."""
    query = (
        select(StageItem.item_id, StageItem.item_name)
        .where(StageItem.run_id == inp.run_id, StageItem.stage == inp.stage, *where)
        .order_by(col(StageItem.id))
        .limit(limit)
        .with_for_update()
    )
    return [ItemRef(id=i, name=n) for i, n in session.exec(query).all()]


def _checked_selection(
    session: Session, inp: PlanStageInput, items: list[ItemRef], rejected: list[FailedItem]
) -> list[ItemRef]:
    service = service_for(inp.stage)
    names = service.names(session, inp.site_id, [i.id for i in items])
    accepted: list[ItemRef] = []
    for item in items:
        reason = (
            f"{service.info.item_kind} {item.id} not found in this site"
            if item.id not in names
            else service.ineligible_reason(session, item.id)
        )
        if reason is None:
            accepted.append(ItemRef(id=item.id, name=names[item.id]))
            continue
        error = ErrorInfo(error_type="ValidationError", error_message=reason, action="fix_input")
        set_status(session, inp.run_id, inp.stage, [item.id], GS.FAILED, error)
        if len(rejected) < REJECTED_KEPT:
            rejected.append(
                FailedItem(
                    id=item.id,
                    name=names.get(item.id, ""),
                    error_type=error.error_type,
                    error_message=reason,
                )
            )
    return accepted


def plan_stage(inp: PlanStageInput) -> PlanStageResult:
    """Fill the run's queue for the stage with what is newly eligible (a manual selection and
    the publish queue are filled by others), then load the next window. The last plan of a
    stage (`final`) that finds nothing at all skips it."""
    rejected: list[FailedItem] = []
    with session_scope() as session:
        queued_before = sum(_counts(session, inp.run_id, inp.stage).values())
        if inp.stage in STAGES and not inp.manual:
            fresh = _new_eligible(session, inp)
            if inp.final and not queued_before:
                skip = service_for(inp.stage).skip_message(len(fresh))
                if skip:
                    return PlanStageResult(total=0, skip_message=skip)
            enqueue(session, inp.run_id, inp.stage, fresh)
        elif inp.final and not queued_before:
            message = "Nothing to do: no items chosen" if inp.manual else "Nothing to publish"
            return PlanStageResult(total=0, skip_message=message)
        items = _load_window(session, inp, rejected)
        counts = _counts(session, inp.run_id, inp.stage)
    return PlanStageResult(
        total=sum(counts.values()),
        completed=counts.get(GS.COMPLETED, 0),
        failed=counts.get(GS.FAILED, 0),
        unloaded=counts.get(GS.PENDING, 0),
        items=items,
        rejected=rejected,
    )


# --- item status ------------------------------------------------------------------------------


def set_status(
    session: Session,
    run_id: str,
    stage: int,
    item_ids: list[int],
    status: str,
    error: ErrorInfo | None = None,
    only_from: tuple[str, ...] | None = None,
    result: dict[str, int] | None = None,
    attempt: int | None = None,
) -> int:
    """Set the generation status of queue items (optionally only those in `only_from`, and
    only while `attempt` is still the item's latest: a superseded attempt changes nothing)."""
    values: dict[str, object] = {"status": status, "updated_at": datetime.now(UTC)}
    if result is not None:
        values["result"] = result
    if error is not None:
        values.update(
            error_type=error.error_type,
            error_message=error.error_message,
            retryable=error.retryable,
        )
    elif status in (GS.PENDING, GS.COMPLETED):
        values.update(error_type=None, error_message="", retryable=None)
    stmt = _items(run_id, stage, item_ids)
    if only_from:
        stmt = stmt.where(col(StageItem.status).in_(only_from))
    if attempt is not None:
        stmt = stmt.where(col(StageItem.attempts) == attempt)
    return session.execute(stmt.values(**values)).rowcount  # type: ignore[attr-defined]


def _items(run_id: str, stage: int, item_ids: list[int]) -> Update:
    """An update of these items of the run's stage queue."""
    return update(StageItem).where(
        col(StageItem.run_id) == run_id,
        col(StageItem.stage) == stage,
        col(StageItem.item_id).in_(item_ids),
    )


# Where an item may be when its flight is settled: a cancel only puts back what was in flight,
# and unloading (before continue-as-new) only what the window held.
_SETTLE_FROM: dict[str, tuple[GS, ...]] = {
    GS.PENDING: (GS.QUEUED,),
    GS.QUEUED: (GS.PROCESSING,),
    GS.FAILED: (GS.PROCESSING, GS.PENDING, GS.QUEUED),
    GS.COMPLETED: (GS.PROCESSING, GS.PENDING, GS.QUEUED),
}


def settle_items(inp: MarkItemsInput) -> SettledItems:
    """See MarkItemsInput. Completed items are never touched."""
    if inp.only_from_failed:
        return _requeue_failed(inp)
    source = _SETTLE_FROM.get(inp.status)
    if source is None:
        raise ValueError(f"items cannot be settled as {inp.status!r}")
    with session_scope() as session:
        moved = set_status(
            session, inp.run_id, inp.stage, inp.item_ids, inp.status, inp.error, only_from=source
        )
        metrics.items_settled(session, inp.stage, inp.status, moved)
        rows = session.exec(
            select(StageItem).where(
                StageItem.run_id == inp.run_id,
                StageItem.stage == inp.stage,
                col(StageItem.item_id).in_(inp.item_ids),
            )
        ).all()
    out = SettledItems()
    for row in rows:
        out.statuses.setdefault(row.status, []).append(row.item_id)
        if row.status == GS.COMPLETED and row.result:
            out.results[row.item_id] = row.result
        if row.status == GS.FAILED and len(out.errors) < ERRORS_REPORTED:
            out.errors[row.item_id] = row_error(row)
    return out


def row_error(row: StageItem) -> ErrorInfo:
    """The error a failed queue item was left with."""
    retryable = bool(row.retryable)
    return ErrorInfo(
        error_type=row.error_type or "Error",
        error_message=(row.error_message or "")[:FAILED_MESSAGE_KEPT],
        retryable=retryable,
        action="retry" if retryable else "fix_input",
    )


def _requeue_failed(inp: MarkItemsInput) -> SettledItems:
    """Failed items back to pending, reporting exactly the ones this call moved (two retries
    at once never both claim the same item)."""
    where = [
        col(StageItem.run_id) == inp.run_id,
        col(StageItem.stage) == inp.stage,
        col(StageItem.status) == GS.FAILED,
    ]
    if not inp.all_failed:
        where.append(col(StageItem.item_id).in_(inp.item_ids))
    with session_scope() as session:
        # The update's row count is exactly what this call moved (the rows are locked by it).
        moved = session.execute(
            update(StageItem)
            .where(*where)
            .values(
                status=GS.PENDING,
                error_type=None,
                error_message="",
                retryable=None,
                updated_at=datetime.now(UTC),
            )
        )
    return SettledItems(changed_count=int(moved.rowcount))  # type: ignore[attr-defined]
