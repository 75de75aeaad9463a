"""Starting and steering runs: the one place the API, the CLI, the demo and schedules go through.

The async functions here are called on the API's event loop: their database work runs in a
thread (asyncio.to_thread), never on the loop itself.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from contracts.run import (
    AUTOMATION_WORKFLOW,
    QUERY_PROGRESS,
    UPDATE_PAUSE,
    UPDATE_RESUME,
    UPDATE_RETRY_FAILED,
    ManualRun,
    ManualSelection,
    PauseInput,
    QueueItem,
    ResumeInput,
    RetryInput,
    RetryResult,
    RunInput,
    RunOptions,
    RunProgress,
    StageQueuePage,
)
from contracts.stages import AI_ITEM_STAGES, ALL_STAGES, STAGES, Stage
from contracts.status import ACTIVE_RUN_STATUSES, GenerationStatus, RunStatus
from contracts.wordpress import PUBLISH_STAGE
from core.config import Settings
from core.db import session_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from core.temporal import SA_ACCOUNT, SA_SITE, SA_STAGE, SA_STATUS
from models import AutomationConfig, AutomationRun, Content, StageItem
from services.stages.queue import enqueue


def new_run_id(site_id: int, manual_stage: int | None = None) -> str:
    """Readable, unique workflow ids: `site-12-run-20261121-140501-a1b2`."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    kind = f"ai-{STAGES[Stage(manual_stage)].name}" if manual_stage else "run"
    return f"site-{site_id}-{kind}-{stamp}-{secrets.token_hex(2)}"


def run_options(session: Session, site_id: int, settings: Settings) -> RunOptions:
    """The site's automation config turned into the workflow's options."""
    config = session.exec(
        select(AutomationConfig).where(AutomationConfig.site_id == site_id)
    ).first()
    options = RunOptions(
        ai_task_queue=settings.ai_task_queue,
        ai_call_timeout_seconds=settings.openai_timeout_seconds,
        heartbeat_timeout_seconds=settings.heartbeat_timeout_seconds,
        retry_initial_seconds=settings.retry_initial_seconds,
        retry_maximum_seconds=settings.retry_maximum_seconds,
        retry_maximum_attempts=settings.retry_maximum_attempts,
        # AI stages: calls in flight for this run, unless the site says otherwise.
        concurrency={int(s): settings.ai_run_concurrency for s in AI_ITEM_STAGES},
    )
    if config:
        if config.stages:
            options.stages = sorted(set(config.stages))
        options.batch_sizes = {int(k): v for k, v in config.batch_sizes.items()}
        options.concurrency.update({int(k): v for k, v in config.concurrency.items()})
        options.strict_order = config.strict_order
    return options


def active_run(session: Session, site_id: int) -> AutomationRun | None:
    return session.exec(
        select(AutomationRun).where(
            AutomationRun.site_id == site_id, col(AutomationRun.status).in_(ACTIVE_RUN_STATUSES)
        )
    ).first()


def insert_run_row(session: Session, run: AutomationRun) -> None:
    """Insert a run as active; the database refuses a second active run for the site."""
    session.add(run)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = active_run(session, run.site_id)
        raise ConflictError(
            f"Site {run.site_id} already has an active run"
            + (f": {existing.id} ({existing.status})" if existing else ""),
            details={"active_run_id": existing.id if existing else None},
        ) from None


def search_attributes(account_id: int, site_id: int, stage: int | None, status: str):
    """The search attributes an operator filters runs by in the Temporal UI."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SA_ACCOUNT, account_id),
            SearchAttributePair(SA_SITE, site_id),
            SearchAttributePair(SA_STAGE, STAGES[Stage(stage)].name if stage else "none"),
            SearchAttributePair(SA_STATUS, status),
        ]
    )


async def start_run(
    client: Client,
    settings: Settings,
    *,
    account_id: int,
    site_id: int,
    trigger: str,
    manual: ManualSelection | None = None,
    retry_of: str | None = None,
    stages: list[int] | None = None,
    requeue: dict[int, list[int]] | None = None,
) -> str:
    """Record and start a run; ConflictError while the site has an active one. `requeue`
    puts items straight into the run's queues (a retried run's failures, publishing included)."""
    if manual and manual.stage not in ALL_STAGES:
        raise ValidationError(f"Unknown stage {manual.stage}")
    run_id = new_run_id(site_id, manual.stage if manual else None)
    options = await asyncio.to_thread(
        _record_new_run,
        settings,
        run_id,
        account_id,
        site_id,
        trigger,
        manual,
        retry_of,
        stages,
        requeue or {},
    )
    run_input = RunInput(
        run_id=run_id,
        account_id=account_id,
        site_id=site_id,
        trigger=trigger,
        options=options,
        manual=ManualRun(stage=manual.stage, count=len(set(manual.item_ids))) if manual else None,
        retry_of=retry_of,
    )
    try:
        await client.start_workflow(
            AUTOMATION_WORKFLOW,
            run_input,
            id=run_id,
            task_queue=settings.task_queue,
            search_attributes=search_attributes(
                account_id, site_id, options.stages[0], RunStatus.RUNNING
            ),
        )
    except Exception as exc:
        await asyncio.to_thread(_record_start_failure, run_id, str(exc))
        raise
    return run_id


def _record_new_run(
    settings: Settings,
    run_id: str,
    account_id: int,
    site_id: int,
    trigger: str,
    manual: ManualSelection | None,
    retry_of: str | None,
    stages: list[int] | None,
    requeue: dict[int, list[int]],
) -> RunOptions:
    """Insert the run's row (ConflictError while the site has an active run); its options."""
    with session_scope() as session:
        options = run_options(session, site_id, settings)
        if stages:
            options.stages = sorted(set(stages))
        if manual and not stages:
            options.stages = [manual.stage]
        if manual:
            # The selection goes to the run's queue, not into the workflow's input.
            picked = list(dict.fromkeys(manual.item_ids))
            enqueue(session, run_id, manual.stage, [(item_id, "") for item_id in picked])
        queues = options.stages + ([PUBLISH_STAGE] if Stage.REVIEW in options.stages else [])
        for stage, ids in requeue.items():
            if stage in queues:
                enqueue(session, run_id, stage, [(i, n) for i, n in _names(session, stage, ids)])
        insert_run_row(
            session,
            AutomationRun(
                id=run_id,
                account_id=account_id,
                site_id=site_id,
                kind="manual" if manual else "automation",
                manual_stage=manual.stage if manual else None,
                trigger=trigger,
                status=RunStatus.RUNNING,
                stages=options.stages,
                retry_of=retry_of,
            ),
        )
    return options


def _record_start_failure(run_id: str, message: str) -> None:
    with session_scope() as session:
        row = session.get(AutomationRun, run_id)
        if row:
            row.status = RunStatus.FAILED
            row.error = {"error_type": "StartError", "error_message": message}
            row.finished_at = datetime.now(UTC)


def _handle(client: Client, run_id: str) -> WorkflowHandle[Any, Any]:
    return client.get_workflow_handle(run_id)


# How a workflow that closed without recording its end (terminated from the UI, timed out,
# failed) is written on its run row.
_CLOSED_AS = {
    WorkflowExecutionStatus.COMPLETED: RunStatus.COMPLETED,
    WorkflowExecutionStatus.CANCELED: RunStatus.CANCELLED,
    WorkflowExecutionStatus.TERMINATED: RunStatus.FAILED,
    WorkflowExecutionStatus.TIMED_OUT: RunStatus.FAILED,
    WorkflowExecutionStatus.FAILED: RunStatus.FAILED,
}


async def is_open(client: Client, run_id: str) -> bool:
    """Whether the run's workflow is still running (queries and signals reach it). A run whose
    workflow closed without recording it (e.g. terminated in the UI) is recorded now, so it no
    longer blocks its site. Temporal being unreachable is an error, not "closed"."""
    try:
        desc = await _handle(client, run_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        await asyncio.to_thread(
            _record_closed, run_id, RunStatus.FAILED, "The run's workflow no longer exists"
        )
        return False
    if desc.status == WorkflowExecutionStatus.RUNNING:
        return True
    final = _CLOSED_AS.get(desc.status, RunStatus.FAILED)  # type: ignore[arg-type]
    message = f"The workflow ended as {desc.status.name.lower()}"  # type: ignore[union-attr]
    await asyncio.to_thread(_record_closed, run_id, final, message)
    return False


def _record_closed(run_id: str, status: str, message: str) -> None:
    """Write the end of a run whose workflow could not (only if the row still says active)."""
    with session_scope() as session:
        row = session.get(AutomationRun, run_id)
        if row is None or row.status not in ACTIVE_RUN_STATUSES:
            return
        row.status = status
        row.finished_at = datetime.now(UTC)
        if status != RunStatus.COMPLETED:
            row.error = {"error_type": "WorkflowClosed", "error_message": message}
        if row.progress:
            row.progress = {**row.progress, "status": status, "paused": False}
        session.add(row)


def snapshot(run: AutomationRun) -> RunProgress:
    """The progress recorded in the database (the last snapshot the workflow wrote)."""
    if run.progress:
        return RunProgress.model_validate(run.progress)
    return RunProgress(
        run_id=run.id,
        kind=run.kind,
        site_id=run.site_id,
        status=run.status,
        current_stage=run.current_stage,
        credits_used=run.credits_used,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


async def read_progress(client: Client, run: AutomationRun) -> RunProgress:
    """Live progress from the workflow while it runs; the stored snapshot once it has ended."""
    if run.status in ACTIVE_RUN_STATUSES:
        if await is_open(client, run.id):
            try:
                return await _handle(client, run.id).query(QUERY_PROGRESS, result_type=RunProgress)
            except RPCError:
                pass  # closed between the check and the query
        run = await asyncio.to_thread(_reread, run)  # as the closed workflow (or we) left it
    return snapshot(run)


def _reread(run: AutomationRun) -> AutomationRun:
    with session_scope() as session:
        return session.get(AutomationRun, run.id) or run


async def pause_run(client: Client, run_id: str, mode: str = "drain") -> RunProgress:
    return await _handle(client, run_id).execute_update(
        UPDATE_PAUSE,
        PauseInput(mode=mode),
        result_type=RunProgress,  # type: ignore[arg-type]
    )


async def resume_run(client: Client, run_id: str) -> RunProgress:
    return await _handle(client, run_id).execute_update(
        UPDATE_RESUME, ResumeInput(), result_type=RunProgress
    )


async def cancel_run(client: Client, run_id: str) -> None:
    await _handle(client, run_id).cancel()


async def retry_failed(
    client: Client, run_id: str, stage: int | None = None, item_ids: list[int] | None = None
) -> RetryResult:
    """Put failed items of a running run back in their queues."""
    return await _handle(client, run_id).execute_update(
        UPDATE_RETRY_FAILED, RetryInput(stage=stage, item_ids=item_ids), result_type=RetryResult
    )


def failed_items(session: Session, run_id: str, stage: int | None = None) -> dict[int, list[int]]:
    """Failed item ids of a run, per stage (for retrying a finished run as a new one)."""
    query = select(StageItem.stage, StageItem.item_id).where(
        StageItem.run_id == run_id, StageItem.status == GenerationStatus.FAILED
    )
    if stage is not None:
        query = query.where(StageItem.stage == stage)
    out: dict[int, list[int]] = {}
    for st, item_id in session.exec(query):
        out.setdefault(st, []).append(item_id)
    return out


def queue_page(
    session: Session, run_id: str, stage: int, status: str, offset: int, limit: int
) -> StageQueuePage:
    """A page of one stage's queue of a run, read from the database (the full truth)."""
    base = select(StageItem).where(StageItem.run_id == run_id, StageItem.stage == stage)
    if status:
        # Loaded into the run's window (`queued`) is still waiting, as a person sees it.
        wanted = (status, "queued") if status == "pending" else (status,)
        base = base.where(col(StageItem.status).in_(wanted))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    rows = session.exec(base.order_by(col(StageItem.id)).offset(offset).limit(limit)).all()
    return StageQueuePage(
        stage=stage,
        status=status,
        total=total,
        offset=offset,
        limit=limit,
        items=[
            QueueItem(
                id=r.item_id,
                name=r.item_name,
                status=r.status,
                attempts=r.attempts,
                error_type=r.error_type,
                error_message=r.error_message or None,
            )
            for r in rows
        ],
    )


def _failed_items_of(run_id: str, stage: int | None) -> dict[int, list[int]]:
    with session_scope() as session:
        return failed_items(session, run_id, stage)


def _names(session: Session, stage: int, ids: list[int]) -> list[tuple[int, str]]:
    """The queue names of items a retry puts back (their titles, as planning would)."""
    if stage == PUBLISH_STAGE:
        rows = session.exec(select(Content.id, Content.title).where(col(Content.id).in_(ids)))
        titles = {int(i or 0): t for i, t in rows}
        return [(i, titles.get(i, "")) for i in ids]
    return [(i, "") for i in ids]


def get_run(session: Session, run_id: str, account_id: int) -> AutomationRun:
    run = session.get(AutomationRun, run_id)
    if run is None or run.account_id != account_id:
        raise NotFoundError(f"Run {run_id} not found")
    return run


async def retry_run(
    client: Client,
    settings: Settings,
    run: AutomationRun,
    *,
    trigger: str,
    stage: int | None = None,
    item_ids: list[int] | None = None,
) -> tuple[str, RetryResult]:
    """Retry failed items: inside the run while it is open; as a new run limited to the failed
    items (then carried through the later stages) once it has ended. Returns the run id that
    does the work."""
    if await is_open(client, run.id):
        return run.id, await retry_failed(client, run.id, stage, item_ids)
    failed = await asyncio.to_thread(_failed_items_of, run.id, stage)
    if item_ids is not None:
        wanted = set(item_ids)
        failed = {st: [i for i in ids if i in wanted] for st, ids in failed.items()}
        failed = {st: ids for st, ids in failed.items() if ids}
    if not failed:
        raise ConflictError(f"Run {run.id} has no failed items to retry")
    # The earliest stage's failures are the new run's selection; the later stages' go straight
    # into their queues, and failed publishes into its publish queue (after an empty review).
    first_stage = min(failed) if min(failed) in STAGES else Stage.REVIEW
    later = [s for s in (run.stages or list(ALL_STAGES)) if s > first_stage]
    stages = [first_stage] + ([] if run.kind == "manual" else later)
    new_id = await start_run(
        client,
        settings,
        account_id=run.account_id,
        site_id=run.site_id,
        trigger=trigger,
        manual=ManualSelection(stage=first_stage, item_ids=failed.get(first_stage, [])),
        retry_of=run.id,
        stages=stages,
        requeue={s: ids for s, ids in failed.items() if s != first_stage},
    )
    queues = stages + ([PUBLISH_STAGE] if Stage.REVIEW in stages else [])
    requeued = {s: ids for s, ids in failed.items() if s in queues}
    return new_id, RetryResult(
        requeued=sum(len(ids) for ids in requeued.values()), stages=sorted(requeued)
    )
