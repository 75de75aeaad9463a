"""Articles and their images: list, read, edit; image files."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlmodel import Session, col

from api.deps import (
    CurrentAccount,
    ItemId,
    PageDep,
    SessionDep,
    SettingsDep,
    SiteId,
)
from api.pagination import contains, paginate, site_rows
from core.db import session_scope
from core.errors import NotFoundError
from integrations.storage import (
    InvalidKeyError,
    StorageNotFoundError,
    content_type_for,
    storage_for,
)
from models import Account, Content, Image
from models.item_schemas import ContentPublic, ContentSummary, ContentUpdate, ImagePublic
from models.schemas import MAX_ID, CleanStr, Page
from services import wp_changes
from services.editorial import edit_content

router = APIRouter(tags=["content"])


def _content_or_404(session: Session, account: Account, content_id: int) -> Content:
    content = session.get(Content, content_id)
    if content is None or content.account_id != account.id:
        raise NotFoundError(f"Content {content_id} not found")
    return content


def content_summary(content: Content) -> ContentSummary:
    return ContentSummary.model_validate(
        {**content.model_dump(), "wp_conflict": wp_changes.conflict_of(content)}
    )


def content_public(content: Content) -> ContentPublic:
    """The article with WordPress's version beside it (and what differs) when changed there."""
    version = wp_changes.wordpress_version(content)
    return ContentPublic.model_validate(
        {
            **content.model_dump(),
            "wp_conflict": wp_changes.conflict_of(content),
            "wp_version": version,
            "wp_diff": wp_changes.wp_diff(content, version) if version else [],
        }
    )


def image_public(image: Image) -> ImagePublic:
    return ImagePublic(
        **image.model_dump(exclude={"file_path", "url"}),
        has_file=bool(image.file_path or image.url),
        file_url=f"/api/v1/images/{image.id}/file" if image.file_path else image.url,
    )


@router.get("/sites/{site_id}/content", response_model=Page[ContentSummary])
def list_content(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    status: Annotated[
        Literal["draft", "review", "approved", "published", "archived"] | None,
        Query(description="Editorial status"),
    ] = None,
    cluster_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    source: Annotated[Literal["igny8", "wordpress"] | None, Query()] = None,
    q: Annotated[CleanStr | None, Query(max_length=300, description="Title contains")] = None,
    wp_changed: Annotated[
        bool | None, Query(description="Only (or no) articles changed or missing on WordPress")
    ] = None,
) -> Page[ContentSummary]:
    """The site's articles without their bodies, oldest first."""
    query = site_rows(
        session, account, site_id, Content, status=status, cluster_id=cluster_id, source=source
    )
    if q:
        query = query.where(contains(Content.title, q))
    if wp_changed is not None:
        flagged = col(Content.wp_changed_at).is_not(None) | col(Content.external_missing)
        query = query.where(flagged if wp_changed else ~flagged)
    return paginate(session, query, page, ContentSummary, col(Content.id), content_summary)


@router.get("/sites/{site_id}/images", response_model=Page[ImagePublic])
def list_images(
    site_id: SiteId,
    session: SessionDep,
    account: CurrentAccount,
    page: PageDep,
    content_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[Literal["featured", "in_article"] | None, Query()] = None,
    has_file: Annotated[bool | None, Query(description="Whether the image was made")] = None,
) -> Page[ImagePublic]:
    """The site's image rows (prompts, and files once generated)."""
    query = site_rows(session, account, site_id, Image, content_id=content_id, kind=kind)
    if has_file is not None:
        made = col(Image.file_path).is_not(None) | col(Image.url).is_not(None)
        query = query.where(made if has_file else ~made)
    return paginate(session, query, page, ImagePublic, col(Image.id), image_public)


@router.get("/content/{content_id}", response_model=ContentPublic)
def read_content(content_id: ItemId, session: SessionDep, account: CurrentAccount) -> ContentPublic:
    """One article with its HTML body, and WordPress's version of it when changed there."""
    return content_public(_content_or_404(session, account, content_id))


@router.patch("/content/{content_id}", response_model=ContentPublic)
def update_content(
    content_id: ItemId, body: ContentUpdate, account: CurrentAccount
) -> ContentPublic:
    """Edit an article; status moves draft → review → approved (or back, or to archived)."""
    with session_scope() as session:
        content = edit_content(_content_or_404(session, account, content_id), body)
        session.add(content)
        session.flush()
        return content_public(content)


@router.get(
    "/images/{image_id}/file",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The image file"}},
)
def download_image_file(
    image_id: ItemId, session: SessionDep, account: CurrentAccount, settings: SettingsDep
) -> Response:
    """The generated image file (PNG), from whichever storage holds it."""
    image = session.get(Image, image_id)
    if image is None or image.account_id != account.id or not image.file_path:
        raise NotFoundError(f"Image file {image_id} not found")
    try:
        data = storage_for(settings).get(image.file_path)
    except (StorageNotFoundError, InvalidKeyError):
        raise NotFoundError(f"Image file {image_id} not found") from None
    return Response(data, media_type=content_type_for(image.file_path))
