"""Publishing's one step for internal links: sibling placeholders in an article's HTML become
the WordPress URLs of the siblings that are live (see services.internal_links)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from contracts.status import PublishStatus
from models import Content, Task
from services.internal_links import placeholder_ids, resolve_placeholders


def published_urls(session: Session, site_id: int, idea_ids: list[int]) -> dict[int, str]:
    """The live WordPress URL of each idea's article, for the ideas that have one."""
    if not idea_ids:
        return {}
    rows = session.exec(
        select(Task.idea_id, Content.external_url)
        .join(Content, col(Content.task_id) == col(Task.id))
        .where(
            Task.site_id == site_id,
            col(Task.idea_id).in_(idea_ids),
            Content.site_id == site_id,
            Content.external_status == PublishStatus.PUBLISH,
            col(Content.external_url).is_not(None),
        )
    ).all()
    return {int(idea_id): str(url) for idea_id, url in rows if url}


def resolve_internal_links(session: Session, site_id: int, content_html: str) -> str:
    """The article's HTML with its sibling placeholders resolved (the one call publishing makes)."""
    ids = placeholder_ids(content_html)
    if not ids:
        return content_html
    return resolve_placeholders(content_html, published_urls(session, site_id, ids))
