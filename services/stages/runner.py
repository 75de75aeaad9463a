"""Runs stage work against the database: one item of an AI stage in three steps around its AI
call (`start_item`, `finish_item` / `fail_item` / `abandon_item`), or a batch of a stage whose
items make no AI call of their own.

The rules that make retries safe live here: an item's results, its `completed` status and its
credit settlement are committed in one transaction; an item found completed is skipped; credits
are held under a key of (run, stage, item) before the AI call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pydantic
from sqlmodel import Session, col, select

from contracts.run import BatchResult, Cost, ErrorInfo, ItemOutcome
from contracts.status import GenerationStatus as GS
from core import metrics
from core.db import session_scope
from core.error_info import error_info
from core.errors import Igny8Error, InsufficientCreditsError
from core.logging import bind_item
from models import StageItem
from services import cluster_steps, credits
from services.ai.schemas import AIResult
from services.ai_usage import record_usage
from services.stages.base import ItemWork, NothingToDo, StageContext
from services.stages.queue import row_error, set_status
from services.stages.registry import service_for


class BatchCancelled(Exception):  # noqa: N818
    """The batch stopped because its activity was cancelled; unprocessed items went back."""


def _start_items(ctx: StageContext, ids: list[int]) -> dict[int, StageItem]:
    """Mark the items processing (one more attempt each); returns them by id."""
    with session_scope() as session:
        return _mark_processing(session, ctx, ids)


def _mark_processing(session: Session, ctx: StageContext, ids: list[int]) -> dict[int, StageItem]:
    """In `session`: the items processing (one more attempt each), by id."""
    rows = session.exec(
        select(StageItem).where(
            StageItem.run_id == ctx.run_id,
            StageItem.stage == int(ctx.stage),
            col(StageItem.item_id).in_(ids),
        )
    ).all()
    for row in rows:
        # Items an earlier attempt finished (or failed for good) stay so.
        if row.status not in (GS.COMPLETED, GS.FAILED):
            row.status = GS.PROCESSING
            row.attempts += 1
            row.updated_at = datetime.now(UTC)
            session.add(row)
    return {r.item_id: r for r in rows}


@dataclass
class ItemStart:
    """An item made ready for its AI call: its work and its credit hold, or why not."""

    item_id: int
    attempts: int
    key: str
    cost: int = 0
    work: ItemWork | None = None
    outcome: ItemOutcome | None = None  # already settled by an earlier attempt
    insufficient_credits: ErrorInfo | None = None


def _settled_outcome(row: StageItem) -> ItemOutcome | None:
    if row.status == GS.COMPLETED:
        return ItemOutcome(
            id=row.item_id, status="completed", result=row.result, attempts=row.attempts
        )
    if row.status == GS.FAILED:
        error = row_error(row)
        return ItemOutcome(id=row.item_id, status="failed", error=error, attempts=row.attempts)
    return None


def start_item(ctx: StageContext, item_id: int) -> ItemStart:
    """Mark the item processing, load its work and hold its credits (under a key of run,
    stage and item, so a retried attempt never holds twice)."""
    service = service_for(ctx.stage)
    bind_item(item_id)
    key = credits.item_key(ctx.run_id, int(ctx.stage), item_id)
    cost = credits.cost_per_item(ctx.stage, ctx.settings) if service.info.uses_ai else 0
    nothing_to_do = False
    # One transaction for the three steps (each commit is a round trip the call waits for).
    try:
        with session_scope() as session:
            row = _mark_processing(session, ctx, [item_id]).get(item_id)
            if row is None:
                error = ErrorInfo(
                    error_type="NotFoundError", error_message="not in this run's queue"
                )
                failed = ItemOutcome(id=item_id, status="failed", error=error)
                return ItemStart(item_id, 0, key, outcome=failed)
            start = ItemStart(item_id, row.attempts, key, outcome=_settled_outcome(row))
            if start.outcome is not None:
                return start
            try:
                start.work = service.load(session, ctx, item_id)
            except NothingToDo:
                nothing_to_do = True
            else:
                start.cost = cost
                if cost:
                    credits.reserve(session, ctx.account_id, cost, key, ctx.run_id)
    except InsufficientCreditsError as exc:
        back_in_window(ctx, [item_id])  # nothing of this start was kept; the run pauses
        return ItemStart(item_id, 0, key, insufficient_credits=error_info(exc, "PREP"))
    if nothing_to_do:
        start.outcome = _complete_without_work(ctx, start)
    return start


class AttemptSuperseded(Exception):  # noqa: N818  (a signal, not a failure)
    """The item is no longer this attempt's: a cancel put it back, or a later attempt took it.
    Nothing this attempt made is kept, so nothing is saved or charged twice."""


@contextmanager
def _hold_returned_if_superseded(ctx: StageContext, start: ItemStart) -> Iterator[None]:
    """An attempt that lost its item (a cancelled run released it while the call was in the
    air) gives its hold back, in a transaction of its own since the claim's rolled back. A
    no-op when the item was settled; a later attempt that shares the hold is then charged
    its cost in full (the balance may dip below zero by that much), so the ledger stays exact
    either way."""
    try:
        yield
    except AttemptSuperseded:
        if start.cost:
            with session_scope() as session:
                credits.release(session, ctx.account_id, start.key, ctx.run_id)
        raise


def finish_item(ctx: StageContext, start: ItemStart, result: AIResult[Any] | None) -> ItemOutcome:
    """Save the results, settle the credits and complete the item, in one transaction, and
    only while this attempt still owns the item."""
    service = service_for(ctx.stage)
    assert start.work is not None
    try:
        with _hold_returned_if_superseded(ctx, start), session_scope() as session:
            # Claim first: the row is locked until commit, so a twin attempt waits, then finds
            # the item completed and changes nothing.
            owned = set_status(
                session,
                ctx.run_id,
                ctx.stage,
                [start.item_id],
                GS.COMPLETED,
                only_from=(GS.PROCESSING,),
                attempt=start.attempts,
            )
            if not owned:
                raise AttemptSuperseded
            counters = service.save(session, ctx, start.item_id, start.work, result)
            set_status(
                session, ctx.run_id, ctx.stage, [start.item_id], GS.COMPLETED, result=counters
            )
            record_usage(session, ctx, start.item_id, result)
            if start.cost:  # last: the account's row is locked from here to the commit
                credits.settle(session, ctx.account_id, start.key, start.cost, ctx.run_id)
    except NothingToDo:
        return _complete_without_work(ctx, start)
    metrics.item_finished(ctx.stage, GS.COMPLETED)
    return ItemOutcome(
        id=start.item_id,
        status="completed",
        result=counters,
        attempts=start.attempts,
        credits_charged=start.cost,
        cost=cost_of(result),
    )


def cost_of(result: AIResult | None) -> Cost:  # type: ignore[type-arg]
    """What an AI result spent, as the progress contract counts it."""
    if result is None:
        return Cost()
    u = result.usage
    return Cost(tokens_in=u.tokens_in, tokens_out=u.tokens_out, cost_usd=u.cost_usd)


def fail_item(ctx: StageContext, start: ItemStart, error: ErrorInfo) -> ItemOutcome:
    """The item fails for good (a permanent error, or the last attempt): the hold is released."""
    with _hold_returned_if_superseded(ctx, start), session_scope() as session:
        owned = set_status(
            session,
            ctx.run_id,
            ctx.stage,
            [start.item_id],
            GS.FAILED,
            error,
            only_from=(GS.PROCESSING,),
            attempt=start.attempts,
        )
        if not owned:
            raise AttemptSuperseded
        if start.cost:
            credits.release(session, ctx.account_id, start.key, ctx.run_id)
    metrics.item_finished(ctx.stage, GS.FAILED)
    return ItemOutcome(id=start.item_id, status="failed", error=error, attempts=start.attempts)


def abandon_item(ctx: StageContext, start: ItemStart, requeue: bool) -> None:
    """The attempt ends without a result (a transient error, or a cancel): release the hold;
    after a cancel the item goes back to the run's window."""
    with session_scope() as session:
        if start.cost:
            credits.release(session, ctx.account_id, start.key, ctx.run_id)
    if requeue:
        back_in_window(ctx, [start.item_id])


def _complete_without_work(ctx: StageContext, start: ItemStart) -> ItemOutcome:
    """Done by an earlier (or a twin) attempt: complete it without charging again."""
    with session_scope() as session:
        credits.release(session, ctx.account_id, start.key, ctx.run_id)
        set_status(
            session,
            ctx.run_id,
            ctx.stage,
            [start.item_id],
            GS.COMPLETED,
            only_from=(GS.PROCESSING, GS.QUEUED, GS.PENDING),
        )
    metrics.item_finished(ctx.stage, GS.COMPLETED)
    return ItemOutcome(id=start.item_id, status="completed", attempts=start.attempts)


def back_in_window(ctx: StageContext, ids: list[int]) -> None:
    """Items this attempt will not finish go back to the workflow's window (`queued`), never
    left `processing`."""
    with session_scope() as session:
        set_status(
            session, ctx.run_id, ctx.stage, ids, GS.QUEUED, only_from=(GS.PROCESSING, GS.QUEUED)
        )


# --- batch stages -----------------------------------------------------------------------------


def process_batch(
    ctx: StageContext,
    batch_no: int,
    ids: list[int],
    is_cancelled: Callable[[], bool],
    heartbeat: Callable[[str], None],
) -> BatchResult:
    """Process a batch of a stage without AI calls per item (queue ideas, review) or the
    clustering of stage 1. Raises a retryable error (or an unexpected one) for Temporal to
    retry the batch; permanent errors fail only their item."""
    service = service_for(ctx.stage)
    if getattr(service, "batch_mode", False):
        return _process_whole_batch(ctx, batch_no, ids, heartbeat)
    outcomes: list[ItemOutcome] = []
    for index, item_id in enumerate(ids):
        if is_cancelled():
            back_in_window(ctx, ids[index:])
            raise BatchCancelled(f"{len(ids) - index} items re-queued")
        start = start_item(ctx, item_id)
        if start.insufficient_credits:
            back_in_window(ctx, ids[index:])
            return BatchResult(
                outcomes=outcomes,
                credits_charged=sum(o.credits_charged for o in outcomes),
                insufficient_credits=start.insufficient_credits,
            )
        if start.outcome is not None:
            outcomes.append(start.outcome)
            continue
        assert start.work is not None
        heartbeat(start.work.name)
        try:
            outcomes.append(finish_item(ctx, start, service.generate(ctx, start.work)))
        except (Igny8Error, pydantic.ValidationError) as exc:
            info = error_info(exc, "SAVE")
            if info.retryable:
                abandon_item(ctx, start, requeue=True)
                back_in_window(ctx, ids[index:])
                raise
            outcomes.append(fail_item(ctx, start, info))
        except BaseException:
            abandon_item(ctx, start, requeue=True)
            back_in_window(ctx, ids[index:])  # unexpected: Temporal retries the batch
            raise
    return BatchResult(outcomes=outcomes, credits_charged=sum(o.credits_charged for o in outcomes))


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
    # Keywords of groups whose naming call failed for good (stage 1 by calls) fail, uncharged.
    failed, failed_error = cluster_steps.failed_keywords(ctx.run_id, [k.id for k in work.brief[0]])
    todo = {k.id for k in work.brief[0]} - set(failed)
    # Charged per keyword clustered: the batch clusters the stage's whole remaining queue.
    cost = credits.cost_per_item(ctx.stage, ctx.settings) * len(todo)
    try:
        if cost and todo:
            with session_scope() as session:
                credits.reserve(session, ctx.account_id, cost, key, ctx.run_id)
    except InsufficientCreditsError as exc:
        back_in_window(ctx, ids)
        return BatchResult(outcomes=[], insufficient_credits=error_info(exc, "PREP"))
    try:
        result = service.generate(ctx, work)
        with session_scope() as session:
            per_item, batch_counters = service.save_batch(session, ctx, work, result)  # type: ignore[attr-defined]
            if cost and todo:
                credits.settle(session, ctx.account_id, key, cost, ctx.run_id)
            record_usage(session, ctx, None, result)
            mapped = [i for i in ids if i in per_item]
            failed_here = [i for i in ids if i in set(failed) and i not in per_item]
            done = [i for i in ids if i not in set(failed_here)]
            set_status(session, ctx.run_id, ctx.stage, done, GS.COMPLETED, result={})
            if failed_here and failed_error is not None:
                set_status(
                    session, ctx.run_id, ctx.stage, failed_here, GS.FAILED, error=failed_error
                )
            set_status(session, ctx.run_id, ctx.stage, mapped, GS.COMPLETED, result={"keywords": 1})
            # The batch's own counters ride on its first item, like in the outcomes below.
            set_status(
                session,
                ctx.run_id,
                ctx.stage,
                done[:1],
                GS.COMPLETED,
                result={**per_item.get(done[0], {}), **batch_counters} if done else {},
            )
    except BaseException:
        with session_scope() as session:
            credits.release(session, ctx.account_id, key, ctx.run_id)
        back_in_window(ctx, ids)
        raise
    metrics.item_finished(ctx.stage, GS.COMPLETED, len(done))
    if failed_here:
        metrics.item_finished(ctx.stage, GS.FAILED, len(failed_here))
    # The batch's counters (keywords mapped, clusters made) and what its AI calls spent ride on
    # its first item; the others are ids alone, so the answer stays small at any batch size.
    first = ItemOutcome(
        id=done[0] if done else ids[0],
        status="completed",
        result={"keywords": len(mapped), **batch_counters} if mapped else batch_counters,
        cost=cost_of(result),
    )
    return BatchResult(
        outcomes=[first] if done else [],
        completed_ids=done[1:],
        failed_ids=failed_here,
        failed_error=failed_error if failed_here else None,
        credits_charged=cost if todo else 0,
    )
