"""Automation runs and manual AI runs: start, estimate, list, read, steer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from sqlmodel import col

from api.deps import (
    CurrentAccount,
    PageDep,
    ProgressHubDep,
    RunId,
    SessionDep,
    SettingsDep,
    SiteId,
    TemporalDep,
    caller_site,
    get_site_or_404,
)
from api.pagination import paginate, site_rows
from contracts.run import ManualSelection, QueueStatus, RunProgress, StageQueuePage
from contracts.stages import MANUAL_AI_STAGES, STAGE_BY_NAME, STAGES, Stage
from contracts.status import RunStatus
from core.db import read_session
from core.errors import ValidationError
from models import Account, AutomationRun
from models.run_schemas import (
    EstimateRequest,
    ManualRunRequest,
    PauseRequest,
    QueueNo,
    RetryRequest,
    RetryResponse,
    RunCreate,
    RunEstimate,
    RunStarted,
    RunSummary,
)
from models.schemas import Page
from services import run_control as control
from services import runs as svc
from services.estimates import estimate_run
from services.progress_feed import load_run
from services.stages.registry import service_for

router = APIRouter(tags=["runs"])
ManualStageName = Literal[tuple(STAGES[s].name for s in MANUAL_AI_STAGES)]  # type: ignore[valid-type]
RunStatusName = Literal[tuple(s.value for s in RunStatus)]  # type: ignore[valid-type]


async def _caller_run(account: Account, run_id: str) -> AutomationRun:
    """The caller's run (404 otherwise), read in a thread (see api.deps)."""
    return await asyncio.to_thread(load_run, run_id, account.id)


@router.post("/sites/{site_id}/runs", status_code=202, response_model=RunStarted)
async def start_run(
    site_id: SiteId,
    account: CurrentAccount,
    client: TemporalDep,
    settings: SettingsDep,
    body: RunCreate | None = None,
) -> RunStarted:
    """Start an automation run of the site; 409 while the site already has an active run."""
    site = await asyncio.to_thread(caller_site, account, site_id)
    assert site.id is not None and account.id is not None
    run_id = await svc.start_run(
        client,
        settings,
        account_id=account.id,
        site_id=site.id,
        trigger="api",
        stages=body.stages if body else None,
    )
    return RunStarted(run_id=run_id, status="running")


@router.post("/sites/{site_id}/runs/estimate", response_model=RunEstimate)
def estimate_run_cost(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    settings: SettingsDep,
    body: EstimateRequest | None = None,
) -> RunEstimate:
    """Credits a run would need, per stage: items waiting now plus what earlier stages make."""
    site = get_site_or_404(session, account, site_id)
    assert site.id is not None and account.id is not None
    stages = body.stages if body and body.stages else None
    if stages is None:
        stages = svc.run_options(session, site.id, settings).stages
    return estimate_run(session, settings, account.id, site.id, stages)


@router.get("/sites/{site_id}/runs", response_model=Page[RunSummary])
def list_runs(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[RunStatusName | None, Query()] = None,  # type: ignore[valid-type]
    kind: Annotated[Literal["automation", "manual"] | None, Query()] = None,
) -> Page[RunSummary]:
    """The site's runs, newest first."""
    query = site_rows(session, account, site_id, AutomationRun, status=status, kind=kind)
    order = (col(AutomationRun.started_at).desc(), col(AutomationRun.id).desc())
    return paginate(session, query, page, RunSummary, order)


@router.post("/sites/{site_id}/ai/{stage_name}", status_code=202, response_model=RunStarted)
async def start_manual_ai_run(
    site_id: SiteId,
    stage_name: Annotated[ManualStageName, Path(description="The stage to run on the items")],  # type: ignore[valid-type]
    body: ManualRunRequest,
    account: CurrentAccount,
    client: TemporalDep,
    settings: SettingsDep,
) -> RunStarted:
    """Run one AI stage on items you picked (keywords, clusters, tasks, articles or images
    by the stage); read it like any run. 422 lists ids that are not the site's."""
    assert account.id is not None
    selection = await asyncio.to_thread(
        _manual_selection, account, site_id, STAGE_BY_NAME[stage_name], body.ids
    )
    run_id = await svc.start_run(
        client,
        settings,
        account_id=account.id,
        site_id=site_id,
        trigger="api",
        manual=selection,
    )
    return RunStarted(run_id=run_id, status="running")


def _manual_selection(
    account: Account, site_id: int, stage: Stage, ids: list[int]
) -> ManualSelection:
    """The picked items of the caller's site; ValidationError naming the ids that are not."""
    ids = list(dict.fromkeys(ids))
    with read_session() as session:
        get_site_or_404(session, account, site_id)
        found = service_for(stage).names(session, site_id, ids)
    unknown = [i for i in ids if i not in found]
    if unknown:
        kind = STAGES[stage].item_kind
        raise ValidationError(
            f"{len(unknown)} of the ids are not {kind}s of site {site_id}",
            details={"invalid_ids": unknown},
        )
    return ManualSelection(stage=int(stage), item_ids=ids)


@router.get("/runs/{run_id}", response_model=RunProgress)
async def read_run_progress(
    run_id: RunId, account: CurrentAccount, hub: ProgressHubDep
) -> RunProgress:
    """The run's progress: live while it runs, the final record after it ended."""
    return await hub.current(await _caller_run(account, run_id))


@router.get("/runs/{run_id}/stages/{stage}/queue", response_model=StageQueuePage)
def read_stage_queue(
    run_id: RunId,
    stage: Annotated[QueueNo, Path()],
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[
        QueueStatus | None, Query(description="Only items with this generation status")
    ] = None,
) -> StageQueuePage:
    """A page of one stage's queue in the run: item id, name, status, attempts, error."""
    assert account.id is not None
    run = svc.get_run(session, run_id, account.id)
    return svc.queue_page(session, run.id, stage, status or "", page.offset, page.limit)


@router.post("/runs/{run_id}/pause", response_model=RunProgress)
async def pause_run(
    run_id: RunId,
    account: CurrentAccount,
    client: TemporalDep,
    body: PauseRequest | None = None,
) -> RunProgress:
    """Pause: no new batch starts; batches in flight finish (drain) or are re-queued
    (immediate). Answers with the progress after the pause took effect; 409 once it ended."""
    run = await _caller_run(account, run_id)
    return await control.pause(client, run, body.mode if body else "drain")


@router.post("/runs/{run_id}/resume", response_model=RunProgress)
async def resume_run(run_id: RunId, account: CurrentAccount, client: TemporalDep) -> RunProgress:
    """Resume a paused run (after a top-up, if it paused for credits)."""
    return await control.resume(client, await _caller_run(account, run_id))


@router.post("/runs/{run_id}/cancel", response_model=RunProgress)
async def cancel_run(run_id: RunId, account: CurrentAccount, client: TemporalDep) -> RunProgress:
    """Cancel the run: work in flight stops and its unfinished queue items become cancelled
    (the keywords, tasks... stay eligible for the next run). Answers with the progress once the
    run recorded it (or after 5 s, still winding down)."""
    return await control.cancel(client, await _caller_run(account, run_id))


@router.post("/runs/{run_id}/retry", response_model=RetryResponse)
async def retry_failed_items(
    run_id: RunId,
    account: CurrentAccount,
    client: TemporalDep,
    settings: SettingsDep,
    body: RetryRequest | None = None,
) -> RetryResponse:
    """Retry failed items (all, one stage's, or some ids): inside the run while it runs, as a
    new run limited to them after it ended."""
    run = await _caller_run(account, run_id)
    body = body or RetryRequest()
    working_id, result, progress = await control.retry(
        client, settings, run, trigger="api", stage=body.stage, item_ids=body.item_ids
    )
    return RetryResponse(
        run_id=working_id,
        new_run=working_id != run.id,
        requeued=result.requeued,
        stages=result.stages,
        progress=progress,
    )
