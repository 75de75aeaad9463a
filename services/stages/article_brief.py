"""What the writer gets for one task: the idea's outline and keywords, the sibling articles of
its cluster to link to, and where the site's articles may link."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from core.config import Settings
from models import ContentIdea, Site, Task
from services.ai.schemas import ArticleBrief, LinkTarget, OutlineSection, SiteLinks
from services.article_contract import host_of
from services.internal_links import Sibling, link_targets, placeholder_href


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:200]


def site_links(site: Site | None, settings: Settings) -> SiteLinks:
    """Where the site's articles may link: its domain, its WordPress host, the known sources."""
    own = [host_of(v) for v in (site.domain, site.wp_url) if v] if site else []
    return SiteLinks(own_domains=[h for h in own if h], source_domains=settings.link_source_domains)


def sibling_links(session: Session, task: Task) -> list[LinkTarget]:
    """The articles of the task's cluster its article must link to (services.internal_links:
    the hub to all the others, the others to the hub), by idea."""
    rows = session.exec(
        select(ContentIdea.id, ContentIdea.title, ContentIdea.role)
        .where(ContentIdea.cluster_id == task.cluster_id, ContentIdea.id != task.idea_id)
        .order_by(col(ContentIdea.id))
    ).all()
    siblings = [Sibling(idea_id=r[0], title=r[1], role=r[2]) for r in rows if r[0] is not None]
    return [
        LinkTarget(
            idea_id=s.idea_id,
            title=s.title,
            slug=slugify(s.title),
            role=s.role,  # type: ignore[arg-type]
            href=placeholder_href(s.idea_id),
        )
        for s in link_targets(task.role, siblings)
    ]


def article_brief(
    session: Session, task: Task, site: Site | None, settings: Settings
) -> ArticleBrief:
    """The writer's brief for a task."""
    return ArticleBrief(
        title=task.title,
        description=task.description,
        outline=[OutlineSection.model_validate(s) for s in task.outline],
        primary_keyword=task.primary_keyword,
        keywords=task.keywords,
        content_type=task.content_type,
        content_structure=task.content_structure,
        target_word_count=task.target_word_count,
        site_name=site.name if site else "",
        role=task.role,  # type: ignore[arg-type]
        links_to=sibling_links(session, task),
        site=site_links(site, settings),
    )
