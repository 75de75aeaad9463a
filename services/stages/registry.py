"""The stage services by stage number, and counts of the work waiting for each."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from contracts.stages import Stage
from services.stages.base import StageService
from services.stages.planning import ClusterKeywords, GenerateIdeas, QueueIdeas
from services.stages.writing import (
    GenerateContent,
    GenerateImagePrompts,
    GenerateImages,
    Review,
)

SERVICES: dict[Stage, StageService] = {
    s.stage: s
    for s in (
        ClusterKeywords(),
        GenerateIdeas(),
        QueueIdeas(),
        GenerateContent(),
        GenerateImagePrompts(),
        GenerateImages(),
        Review(),
    )
}


def service_for(stage: int) -> StageService:
    return SERVICES[Stage(stage)]


def eligible_count(session: Session, site_id: int, stage: int) -> int:
    """Items a run of this site would pick for the stage right now."""
    query = service_for(stage).eligible_query(site_id).subquery()
    return int(session.exec(select(func.count()).select_from(query)).one())
