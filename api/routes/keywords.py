"""Keywords of a site: add a JSON list, import a CSV file, list with filters."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Query, UploadFile
from sqlmodel import col

from api.deps import CurrentAccount, PageDep, SessionDep, SiteId, get_site_or_404
from api.pagination import contains, paginate, site_rows
from core.db import session_scope
from models import Keyword
from models.item_schemas import KeywordPublic
from models.schemas import MAX_ID, CleanStr, ImportResult, KeywordIn, Page
from services.keyword_import import import_csv, import_keywords
from services.keyword_rows import normalize_keyword

router = APIRouter(prefix="/sites/{site_id}/keywords", tags=["keywords"])
MAX_JSON_KEYWORDS = 10_000


@router.post("", response_model=ImportResult)
def add_keywords(
    site_id: SiteId,
    account: CurrentAccount,
    items: Annotated[list[KeywordIn], Body(min_length=1, max_length=MAX_JSON_KEYWORDS)],
) -> ImportResult:
    """Add up to 10,000 keywords from a JSON list (use the CSV import for more).

    Rows are checked one by one: invalid rows are reported in `rejected` with their 1-based
    position and reason; keywords already on the site (compared lower-cased, spaces collapsed)
    or repeated in the list are counted, not added."""
    with session_scope() as session:
        return import_keywords(session, get_site_or_404(session, account, site_id), items)


@router.post("/import", response_model=ImportResult)
def import_keywords_csv(
    site_id: SiteId,
    account: CurrentAccount,
    file: Annotated[UploadFile, File(description="A CSV file, UTF-8 (a BOM is fine)")],
) -> ImportResult:
    """Import keywords from a CSV upload of up to 100,000 rows.

    Columns `keyword, volume, difficulty, cpc, intent, country`, in any order when the first
    row is a header (names are case-insensitive), in that order when there is none. A file
    that is not UTF-8 CSV or has too many rows is refused (422) and nothing is imported. Rows
    with an empty or over-long keyword, a volume that is not an integer, a difficulty outside
    0-100 or an unknown intent are listed in `rejected` with their line number; the rest are
    imported in one transaction."""
    with session_scope() as session:
        return import_csv(session, get_site_or_404(session, account, site_id), file.file)


@router.get("", response_model=Page[KeywordPublic])
def list_keywords(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[Literal["new", "mapped"] | None, Query()] = None,
    cluster_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    intent: Annotated[
        Literal["informational", "commercial", "transactional", "navigational"] | None, Query()
    ] = None,
    disabled: bool | None = None,
    q: Annotated[CleanStr | None, Query(max_length=300, description="Text contains")] = None,
) -> Page[KeywordPublic]:
    """The site's keywords, oldest first, filtered by status, cluster, intent or text."""
    query = site_rows(
        session,
        account,
        site_id,
        Keyword,
        status=status,
        cluster_id=cluster_id,
        intent=intent,
        disabled=disabled,
    )
    if q:
        query = query.where(contains(Keyword.normalized, normalize_keyword(q)))
    return paginate(session, query, page, KeywordPublic, col(Keyword.id))
