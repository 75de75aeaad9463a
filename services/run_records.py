"""Keeps AutomationRun rows in step with their workflows (called from activities)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, update

from contracts.run import BeginRunInput, BeginRunResult, RecordRunInput
from contracts.status import GenerationStatus as GS
from contracts.status import RunStatus
from core.config import Settings
from core.db import session_scope
from core.errors import ConflictError
from models import AutomationRun, Site, StageItem
from services import cluster_steps, credits
from services.estimates import estimate_run
from services.runs import insert_run_row


def begin_run(inp: BeginRunInput, settings: Settings) -> BeginRunResult:
    """Accept the run if its row exists (API/CLI made it) or can be made (a schedule started
    the workflow); refuse when the site already has another active run. An accepted automation
    run carries the estimate made now, to be shown beside what it really used."""
    accepted = BeginRunResult(accepted=True)
    with session_scope() as session:
        if inp.kind == "automation":
            estimate = estimate_run(session, settings, inp.account_id, inp.site_id, inp.stages)
            accepted.credits_estimated = estimate.total_credits
        row = session.get(AutomationRun, inp.run_id)
        if row is not None:
            if row.status in (RunStatus.RUNNING, RunStatus.PAUSED):
                return accepted
            return BeginRunResult(accepted=False, reason=f"Run {inp.run_id} already {row.status}")
        if session.get(Site, inp.site_id) is None:
            # A schedule can outlive its site; there is nothing to run and no row to write.
            return BeginRunResult(accepted=False, reason=f"Site {inp.site_id} no longer exists")
        try:
            insert_run_row(
                session,
                AutomationRun(
                    id=inp.run_id,
                    account_id=inp.account_id,
                    site_id=inp.site_id,
                    kind=inp.kind,
                    manual_stage=inp.manual_stage,
                    trigger=inp.trigger,
                    status=RunStatus.RUNNING,
                    stages=inp.stages,
                    retry_of=inp.retry_of,
                    scheduled_for=inp.scheduled_for,
                ),
            )
        except ConflictError as exc:
            session.add(
                AutomationRun(
                    id=inp.run_id,
                    account_id=inp.account_id,
                    site_id=inp.site_id,
                    kind=inp.kind,
                    trigger=inp.trigger,
                    status=RunStatus.SKIPPED,
                    stages=inp.stages,
                    scheduled_for=inp.scheduled_for,
                    error={"error_type": "ConflictError", "error_message": exc.message},
                    finished_at=datetime.now(UTC),
                )
            )
            return BeginRunResult(accepted=False, reason=exc.message)
    return accepted


def record_run(inp: RecordRunInput) -> int:
    """Write the run's status and progress snapshot; returns credits used (from the ledger)."""
    with session_scope() as session:
        row = session.get(AutomationRun, inp.run_id)
        if row is None:
            return 0
        used = credits.credits_used(session, inp.run_id)
        row.status = inp.status
        row.current_stage = inp.current_stage
        row.pause_reason = inp.pause_reason
        row.credits_used = used
        if inp.progress:
            progress = dict(inp.progress)
            progress["credits_used"] = used
            row.progress = progress
            row.stage_results = {
                str(s["stage"]): s.get("result", {}) for s in progress.get("stages", [])
            }
        row.error = inp.error.model_dump(mode="json") if inp.error else None
        row.updated_at = datetime.now(UTC)
        if inp.finished:
            row.finished_at = datetime.now(UTC)
            cluster_steps.forget(session, inp.run_id)  # a retry is a new run: nobody reads them
        session.add(row)
    return used


def release_unfinished_items(run_id: str) -> int:
    """On cancel (or a failed stage): nothing stays pending, queued or processing; returns how
    many items were released."""
    with session_scope() as session:
        result = session.execute(
            update(StageItem)
            .where(
                col(StageItem.run_id) == run_id,
                col(StageItem.status).in_((GS.PENDING, GS.QUEUED, GS.PROCESSING)),
            )
            .values(status=GS.CANCELLED, updated_at=datetime.now(UTC))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
