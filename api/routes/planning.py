"""What the planning stages made: clusters, content ideas and writer tasks of a site."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlmodel import col

from api.deps import CurrentAccount, PageDep, SessionDep, SiteId
from api.pagination import contains, paginate, site_rows
from models import Cluster, ContentIdea, Task
from models.item_schemas import ClusterPublic, IdeaPublic, TaskPublic
from models.schemas import MAX_ID, CleanStr, Page

router = APIRouter(prefix="/sites/{site_id}", tags=["planning"])

ClusterFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this cluster")]
Search = Annotated[CleanStr | None, Query(max_length=300, description="Name/title contains")]


@router.get("/clusters", response_model=Page[ClusterPublic])
def list_clusters(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[
        Literal["new", "mapped"] | None, Query(description="new: no ideas yet; mapped: has ideas")
    ] = None,
    q: Search = None,
) -> Page[ClusterPublic]:
    """The site's keyword clusters, oldest first."""
    query = site_rows(session, account, site_id, Cluster, status=status)
    if q:
        query = query.where(contains(Cluster.name, q))
    return paginate(session, query, page, ClusterPublic, col(Cluster.id))


@router.get("/ideas", response_model=Page[IdeaPublic])
def list_ideas(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[Literal["new", "queued", "completed"] | None, Query()] = None,
    cluster_id: ClusterFilter = None,
    q: Search = None,
) -> Page[IdeaPublic]:
    """The site's content ideas (with their outlines), oldest first."""
    query = site_rows(session, account, site_id, ContentIdea, status=status, cluster_id=cluster_id)
    if q:
        query = query.where(contains(ContentIdea.title, q))
    return paginate(session, query, page, IdeaPublic, col(ContentIdea.id))


@router.get("/tasks", response_model=Page[TaskPublic])
def list_tasks(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[Literal["queued", "completed"] | None, Query()] = None,
    cluster_id: ClusterFilter = None,
    q: Search = None,
) -> Page[TaskPublic]:
    """The site's writer tasks, oldest first."""
    query = site_rows(session, account, site_id, Task, status=status, cluster_id=cluster_id)
    if q:
        query = query.where(contains(Task.title, q))
    return paginate(session, query, page, TaskPublic, col(Task.id))
