"""Runs stage work against the database: processes a batch of a stage's items.

The rules that make retries safe live here: an item's results, its `completed` status and its
credit settlement are committed in one transaction; an item found completed is skipped; credits
are held under a key of (run, stage, item) before the AI call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pydantic
from sqlmodel import Session, col, select

from contracts.run import BatchResult, ErrorInfo, ItemOutcome
from contracts.status import GenerationStatus as GS
from core.db import session_scope
from core.errors import Igny8Error, InsufficientCreditsError
from models import AIUsage, StageItem
from services import credits
from services.ai.schemas import AIResult
from services.stages.base import NothingToDo, StageContext
from services.stages.queue import error_info, set_status
from services.stages.registry import service_for


class BatchCancelled(Exception):  # noqa: N818
    """The batch stopped because its activity was cancelled; unprocessed items went back."""


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
    with session_scope() as session:
        work = service.load_batch(session, ctx, ids)  # type: ignore[attr-defined]
    todo = {k.id for k in work.brief[0]}
    # Charged per keyword clustered: the batch clusters the stage's whole remaining queue.
    cost = credits.cost_per_item(ctx.stage, ctx.settings) * len(todo)
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
