"""A run's stage queues in the database: planning them, and moving items between generation
statuses (the per-item truth the workflow's counters mirror)."""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from contracts.run import (
    ErrorInfo,
    FailedItem,
    ItemRef,
    MarkItemsInput,
    PlanStageResult,
    SettledItems,
)
from contracts.status import GenerationStatus as GS
from core import metrics
from core.db import session_scope
from core.errors import Igny8Error
from models import StageItem
from services.stages.registry import service_for

MAX_NAME = 120
ERROR_KEPT = 300  # characters of an error message carried in workflow payloads
RETRY_WINDOW = 1000  # retried items handed back to the workflow at once (the rest are refilled)


def error_info(exc: BaseException, phase: str) -> ErrorInfo:
    """The §5 error shape for an exception."""
    if isinstance(exc, Igny8Error):
        return ErrorInfo(
            error_type=exc.error_type,
            error_message=exc.message,
            phase=phase,
            timestamp=datetime.now(UTC),
            retryable=exc.retryable,
            action=exc.action,  # type: ignore[arg-type]
        )
    if isinstance(exc, pydantic.ValidationError):
        return ErrorInfo(
            error_type="ValidationError",
            error_message=f"Invalid output: {exc}"[:1000],
            phase=phase,
            timestamp=datetime.now(UTC),
            retryable=False,
            action="fix_input",
        )
    return ErrorInfo(
        error_type=type(exc).__name__,
        error_message=str(exc)[:1000] or type(exc).__name__,
        phase=phase,
        timestamp=datetime.now(UTC),
        retryable=True,
        action="retry",
    )


# --- planning ---------------------------------------------------------------------------------


def _counts(session: Session, run_id: str, stage: int) -> dict[str, int]:
    rows = session.exec(
        select(StageItem.status, func.count())
        .where(StageItem.run_id == run_id, StageItem.stage == stage)
        .group_by(StageItem.status)
    ).all()
    return {status: int(n) for status, n in rows}


def _enqueue(
    session: Session,
    run_id: str,
    stage: int,
    items: list[tuple[int, str]],
    status: str = GS.PENDING,
    error: ErrorInfo | None = None,
) -> None:
    known = set(
        session.exec(
            select(StageItem.item_id).where(StageItem.run_id == run_id, StageItem.stage == stage)
        ).all()
    )
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = [
        {
            "run_id": run_id,
            "stage": stage,
            "item_id": item_id,
            "item_name": (name or "")[:MAX_NAME],
            "status": status,
            "attempts": 0,
            "error_type": error.error_type if error else None,
            "error_message": error.error_message if error else "",
            "retryable": None,
            "result": {},
            "updated_at": now,
        }
        for item_id, name in items
        if item_id not in known
    ]
    for start in range(0, len(rows), 1000):
        session.execute(StageItem.__table__.insert(), rows[start : start + 1000])  # type: ignore[attr-defined]


def plan_stage(
    run_id: str, site_id: int, stage: int, window: int, manual_ids: list[int] | None, first: bool
) -> PlanStageResult:
    """Put the stage's items in the run's queue (first call) and return the next pending window."""
    service = service_for(stage)
    skip_message = None
    rejected: list[FailedItem] = []
    with session_scope() as session:
        if first and manual_ids is not None:
            names = service.names(session, site_id, manual_ids)
            accepted: list[tuple[int, str]] = []
            for item_id in dict.fromkeys(manual_ids):
                reason = (
                    f"{service.info.item_kind} {item_id} not found in this site"
                    if item_id not in names
                    else service.ineligible_reason(session, item_id)
                )
                if reason:
                    rejected.append(
                        FailedItem(
                            id=item_id,
                            name=names.get(item_id, ""),
                            error_type="ValidationError",
                            error_message=reason,
                        )
                    )
                else:
                    accepted.append((item_id, names[item_id]))
            _enqueue(session, run_id, stage, accepted)
            for item in rejected:
                _enqueue(
                    session,
                    run_id,
                    stage,
                    [(item.id, item.name)],
                    GS.FAILED,
                    ErrorInfo(error_type=item.error_type, error_message=item.error_message),
                )
            if not accepted and not rejected:
                skip_message = "Nothing to do: no items chosen"
        elif first:
            query = service.eligible_query(site_id)
            eligible = [(row[0], row[1]) for row in session.execute(query)]
            already = sum(_counts(session, run_id, stage).values())
            skip_message = service.skip_message(len(eligible)) if not already else None
            if skip_message is None:
                _enqueue(session, run_id, stage, eligible)
            elif already:
                skip_message = None
        counts = _counts(session, run_id, stage)
        pending = session.exec(
            select(StageItem.item_id, StageItem.item_name)
            .where(
                StageItem.run_id == run_id, StageItem.stage == stage, StageItem.status == GS.PENDING
            )
            .order_by(col(StageItem.id))
            .limit(window)
        ).all()
    return PlanStageResult(
        total=sum(counts.values()),
        pending_total=counts.get(GS.PENDING, 0),
        completed=counts.get(GS.COMPLETED, 0),
        failed=counts.get(GS.FAILED, 0),
        items=[ItemRef(id=i, name=n) for i, n in pending],
        skip_message=skip_message,
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
) -> int:
    """Set the generation status of queue items (optionally only those in `only_from`)."""
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
    stmt = update(StageItem).where(
        col(StageItem.run_id) == run_id,
        col(StageItem.stage) == stage,
        col(StageItem.item_id).in_(item_ids),
    )
    if only_from:
        stmt = stmt.where(col(StageItem.status).in_(only_from))
    return session.execute(stmt.values(**values)).rowcount  # type: ignore[attr-defined]


def settle_items(inp: MarkItemsInput) -> SettledItems:
    """See MarkItemsInput. Completed items are never touched."""
    if inp.only_from_failed:
        return _requeue_failed(inp)
    source: tuple[GS, ...] = (GS.PROCESSING, GS.PENDING)
    if inp.status != GS.PENDING:
        source = (GS.PROCESSING, GS.PENDING, GS.QUEUED)
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
        if row.status == GS.FAILED:
            out.errors[row.item_id] = ErrorInfo(
                error_type=row.error_type or "Error",
                error_message=(row.error_message or "")[:ERROR_KEPT],
                retryable=bool(row.retryable),
            )
    return out


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
        # Locked rows (PostgreSQL) / the write lock (SQLite): the update below moves these.
        rows = session.exec(
            select(StageItem.item_id, StageItem.item_name)
            .where(*where)
            .order_by(col(StageItem.id))
            .with_for_update()
        ).all()
        session.execute(
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
    return SettledItems(
        changed=[ItemRef(id=i, name=n) for i, n in rows[:RETRY_WINDOW]], changed_count=len(rows)
    )
