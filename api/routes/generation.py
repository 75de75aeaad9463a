"""Generation status of a site's items: where each one stands in the latest run that took it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import CurrentAccount, SessionDep, SiteId, get_site_or_404
from contracts.stages import STAGES
from models import AutomationRun, StageItem
from models.schemas import MAX_ID

router = APIRouter(tags=["runs"])
ItemKind = Literal["keyword", "cluster", "idea", "task", "content", "image"]
MAX_STATUS_IDS = 500


class ItemGeneration(BaseModel):
    status: str = Field(description="pending | processing | completed | failed | cancelled")
    stage: int
    run_id: str
    attempts: int
    error_type: str | None = None
    error_message: str | None = None


class GenerationStatuses(BaseModel):
    kind: str
    statuses: dict[int, ItemGeneration] = Field(
        description="By item id; items no run has taken are left out"
    )


@router.get("/sites/{site_id}/generation-status", response_model=GenerationStatuses)
def read_generation_status(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    kind: Annotated[ItemKind, Query(description="What the ids are")],
    ids: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]],
        Query(min_length=1, max_length=MAX_STATUS_IDS, description="Item ids (repeat the key)"),
    ],
) -> GenerationStatuses:
    """The generation status of up to 500 items, from the latest run whose stage took each one
    (the stages that take this kind of item: keywords stage 1, clusters 2, …)."""
    site = get_site_or_404(session, account, site_id)
    stages = [int(info.stage) for info in STAGES.values() if info.item_kind == kind]
    query = (
        select(StageItem)
        .join(AutomationRun, col(AutomationRun.id) == col(StageItem.run_id))
        .where(AutomationRun.site_id == site.id)
        .where(col(StageItem.stage).in_(stages))
        .where(col(StageItem.item_id).in_(ids))
        .order_by(col(StageItem.updated_at), col(StageItem.id))
    )
    latest: dict[int, ItemGeneration] = {}
    for row in session.exec(query):
        latest[row.item_id] = ItemGeneration(
            status=row.status,
            stage=row.stage,
            run_id=row.run_id,
            attempts=row.attempts,
            error_type=row.error_type if row.status == "failed" else None,
            error_message=(row.error_message or None) if row.status == "failed" else None,
        )
    return GenerationStatuses(kind=kind, statuses=latest)
