"""Runs stage work against the database: plans a run's stage queue and processes batches.

The rules that make retries safe live here: an item's results, its `completed` status and its
credit settlement are committed in one transaction; an item found completed is skipped; credits
are reserved under a key of (run, stage, item) before the AI call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pydantic
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import Igny8Error, InsufficientCreditsError
from core.status import GenerationStatus as GS
from models import AIUsage, StageItem
from services import credits
from services.ai.schemas import AIResult
from services.stages.base import NothingToDo, StageContext
from services.stages.registry import service_for
from workflows.contracts import (
    BatchResult,
    ErrorInfo,
    FailedItem,
    ItemOutcome,
    ItemRef,
    MarkItemsInput,
    PlanStageResult,
    SettledItems,
)

log = logging.getLogger(__name__)
MAX_NAME = 120
ERROR_KEPT = 300  # characters of an error message carried in workflow payloads
RETRY_WINDOW = 1000  # retried items handed back to the workflow at once (the rest are refilled)


class BatchCancelled(Exception):  # noqa: N818
    """The batch stopped because its activity was cancelled; unprocessed items went back."""


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
    rows = [
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
            eligible = [(row[0], row[1]) for row in session.exec(service.eligible_query(site_id))]
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
    source = (GS.PROCESSING, GS.PENDING)
    if inp.status != GS.PENDING:
        source = (GS.PROCESSING, GS.PENDING, GS.QUEUED)
    with session_scope() as session:
        set_status(
            session, inp.run_id, inp.stage, inp.item_ids, inp.status, inp.error, only_from=source
        )
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


def _record_usage(
    session: Session, ctx: StageContext, item_id: int | None, result: AIResult | None
) -> None:  # type: ignore[type-arg]
    if result is None:
        return
    u = result.usage
    session.add(
        AIUsage(
            account_id=ctx.account_id,
            site_id=ctx.site_id,
            run_id=ctx.run_id,
            stage=int(ctx.stage),
            item_id=item_id,
            operation=service_for(ctx.stage).info.name,
            provider=u.provider,
            model=u.model,
            tokens_in=u.tokens_in,
            tokens_out=u.tokens_out,
            cost_usd=u.cost_usd,
        )
    )


def _start_items(ctx: StageContext, ids: list[int]) -> dict[int, StageItem]:
    """Mark the items processing (one more attempt each); returns them by id."""
    with session_scope() as session:
        rows = session.exec(
            select(StageItem).where(
                StageItem.run_id == ctx.run_id,
                StageItem.stage == int(ctx.stage),
                col(StageItem.item_id).in_(ids),
            )
        ).all()
        for row in rows:
            # Items an earlier attempt of this batch finished (or failed for good) stay so.
            if row.status not in (GS.COMPLETED, GS.FAILED):
                row.status = GS.PROCESSING
                row.attempts += 1
                row.updated_at = datetime.now(UTC)
                session.add(row)
        return {r.item_id: r for r in rows}


# --- processing -------------------------------------------------------------------------------


def process_batch(
    ctx: StageContext,
    batch_no: int,
    ids: list[int],
    is_cancelled: Callable[[], bool],
    heartbeat: Callable[[str], None],
) -> BatchResult:
    """Process a batch. Raises a retryable Igny8Error (or an unexpected error) for Temporal to
    retry the batch; permanent errors fail only their item."""
    service = service_for(ctx.stage)
    if getattr(service, "batch_mode", False):
        return _process_whole_batch(ctx, batch_no, ids, heartbeat)
    rows = _start_items(ctx, ids)
    outcomes: list[ItemOutcome] = []
    charged = 0
    cost = credits.cost_per_item(ctx.stage, ctx.settings)
    for index, item_id in enumerate(ids):
        row = rows.get(item_id)
        if row is None:
            continue  # not in this run's queue (cannot happen through the workflow)
        if row.status == GS.COMPLETED:
            outcomes.append(
                ItemOutcome(
                    id=item_id, status="completed", result=row.result, attempts=row.attempts
                )
            )
            continue
        if row.status == GS.FAILED:
            error = ErrorInfo(
                error_type=row.error_type or "Error",
                error_message=row.error_message or "",
                retryable=False,
                action="fix_input",
            )
            outcomes.append(
                ItemOutcome(id=item_id, status="failed", error=error, attempts=row.attempts)
            )
            continue
        if is_cancelled():
            _requeue(ctx, ids[index:])
            raise BatchCancelled(f"{len(ids) - index} items re-queued")
        heartbeat(row.item_name)
        try:
            outcome, spent = _process_item(ctx, row, cost)
        except InsufficientCreditsError as exc:
            _requeue(ctx, ids[index:])
            return BatchResult(
                outcomes=outcomes,
                credits_charged=charged,
                insufficient_credits=error_info(exc, "PREP"),
            )
        except BaseException:
            _requeue(ctx, ids[index:])  # retryable or unexpected: Temporal retries the batch
            raise
        outcomes.append(outcome)
        charged += spent
    return BatchResult(outcomes=outcomes, credits_charged=charged)


def _process_item(ctx: StageContext, row: StageItem, cost: int) -> tuple[ItemOutcome, int]:
    """One item: load, reserve credits, generate, then save + settle + complete in one
    transaction. Permanent errors fail the item; others propagate (the hold released)."""
    service = service_for(ctx.stage)
    item_id = row.item_id
    key = credits.item_key(ctx.run_id, int(ctx.stage), item_id)
    ai_cost = cost if service.info.uses_ai else 0
    try:
        with session_scope() as session:
            work = service.load(session, ctx, item_id)
        if ai_cost:
            with session_scope() as session:
                credits.reserve(session, ctx.account_id, ai_cost, key, ctx.run_id)
        result = service.generate(ctx, work)
        with session_scope() as session:
            counters = service.save(session, ctx, item_id, work, result)
            if ai_cost:
                credits.settle(session, ctx.account_id, key, ai_cost, ctx.run_id)
            _record_usage(session, ctx, item_id, result)
            set_status(session, ctx.run_id, ctx.stage, [item_id], GS.COMPLETED, result=counters)
        return ItemOutcome(
            id=item_id, status="completed", result=counters, attempts=row.attempts
        ), ai_cost
    except NothingToDo:
        # Done by an earlier (or a twin) attempt: complete it without charging again.
        with session_scope() as session:
            credits.release(session, ctx.account_id, key, ctx.run_id)
            set_status(
                session,
                ctx.run_id,
                ctx.stage,
                [item_id],
                GS.COMPLETED,
                only_from=(GS.PROCESSING, GS.PENDING),
            )
        return ItemOutcome(id=item_id, status="completed", attempts=row.attempts), 0
    except InsufficientCreditsError:
        raise
    except (Igny8Error, pydantic.ValidationError) as exc:
        info = error_info(exc, "AI_CALL")
        with session_scope() as session:
            credits.release(session, ctx.account_id, key, ctx.run_id)
        if info.retryable:
            raise
        with session_scope() as session:
            set_status(session, ctx.run_id, ctx.stage, [item_id], GS.FAILED, info)
        return ItemOutcome(id=item_id, status="failed", error=info, attempts=row.attempts), 0
    except BaseException:
        with session_scope() as session:
            credits.release(session, ctx.account_id, key, ctx.run_id)
        raise


def _requeue(ctx: StageContext, ids: list[int]) -> None:
    """Items this batch will not finish go back to pending (never left `processing`)."""
    with session_scope() as session:
        set_status(
            session, ctx.run_id, ctx.stage, ids, GS.PENDING, only_from=(GS.PROCESSING, GS.PENDING)
        )


def _process_whole_batch(
    ctx: StageContext, batch_no: int, ids: list[int], heartbeat: Callable[[str], None]
) -> BatchResult:
    """Stage 1: the batch is clustered together, charged per keyword under one batch key."""
    service = service_for(ctx.stage)
    _start_items(ctx, ids)
    heartbeat(f"{len(ids)} keywords")
    key = credits.item_key(ctx.run_id, int(ctx.stage), ids[0]) + f":batch{len(ids)}"
    cost = credits.cost_per_item(ctx.stage, ctx.settings) * len(ids)
    with session_scope() as session:
        work = service.load_batch(session, ctx, ids)  # type: ignore[attr-defined]
    todo = {k.id for k in work.brief[0]}
    try:
        if cost and todo:
            with session_scope() as session:
                credits.reserve(session, ctx.account_id, cost, key, ctx.run_id)
    except InsufficientCreditsError as exc:
        _requeue(ctx, ids)
        return BatchResult(outcomes=[], insufficient_credits=error_info(exc, "PREP"))
    try:
        result = service.generate(ctx, work)
        with session_scope() as session:
            per_item, batch_counters = service.save_batch(session, ctx, work, result)  # type: ignore[attr-defined]
            if cost and todo:
                credits.settle(session, ctx.account_id, key, cost, ctx.run_id)
            _record_usage(session, ctx, None, result)
            mapped = [i for i in ids if i in per_item]
            set_status(session, ctx.run_id, ctx.stage, ids, GS.COMPLETED, result={})
            set_status(session, ctx.run_id, ctx.stage, mapped, GS.COMPLETED, result={"keywords": 1})
            # The batch's own counters ride on its first item, like in the outcomes below.
            set_status(
                session,
                ctx.run_id,
                ctx.stage,
                ids[:1],
                GS.COMPLETED,
                result={**per_item.get(ids[0], {}), **batch_counters},
            )
    except BaseException:
        with session_scope() as session:
            credits.release(session, ctx.account_id, key, ctx.run_id)
        _requeue(ctx, ids)
        raise
    outcomes = [ItemOutcome(id=i, status="completed", result=per_item.get(i, {})) for i in ids]
    if outcomes:
        outcomes[0].result = {**outcomes[0].result, **batch_counters}
    return BatchResult(outcomes=outcomes, credits_charged=cost if todo else 0)
