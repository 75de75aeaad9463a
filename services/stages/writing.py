"""Stages 4-7: write articles, make image prompts, make images, send drafts to review."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from contracts.stages import MAX_IN_ARTICLE_IMAGES, Stage
from contracts.status import ContentSource, EditorialStatus, IdeaStatus, ImageKind, TaskStatus
from contracts.wordpress import PUBLISH_STAGE
from core.errors import ValidationError
from integrations.storage import image_key, storage_for
from models import Content, ContentIdea, Image, Site, StageItem, Task
from services.ai.local_markup import visible_word_count
from services.ai.schemas import AIResult, ImagePromptBrief
from services.article_contract import check_clean_article
from services.stages.article_brief import article_brief, slugify
from services.stages.base import ItemWork, NothingToDo, StageContext, StageService

FEATURED_SIZE = (1200, 675)
IN_ARTICLE_SIZE = (800, 450)


class _H2Collector(HTMLParser):
    """The text of each <h2> of an article."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._in_h2 = tag == "h2"
        if self._in_h2:
            self.h2.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.h2[-1] += data


def html_word_count(html: str) -> int:
    """Words a reader sees (tags stripped): the one counting rule, shared with the writer."""
    return visible_word_count(html)


def html_h2_headings(html: str) -> list[str]:
    collector = _H2Collector()
    collector.feed(html)
    return [h.strip() for h in collector.h2 if h.strip()]


class GenerateContent(StageService):
    """Stage 4: one article per queued task, following the idea's outline."""

    stage = Stage.GENERATE_CONTENT
    table = Task
    name_column = "title"

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        return (
            select(Task.id, Task.title)
            .where(Task.site_id == site_id, Task.status == TaskStatus.QUEUED)
            .order_by(col(Task.id))
        )

    def ineligible_reason(self, session: Session, item_id: int) -> str | None:
        task = session.get(Task, item_id)
        if task is not None and task.status != TaskStatus.QUEUED:
            return "task already has an article"
        return None

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        task = session.get(Task, item_id)
        written = session.exec(select(Content.id).where(Content.task_id == item_id)).first()
        if task is None or written is not None:
            raise NothingToDo
        site = session.get(Site, ctx.site_id)
        return ItemWork(
            name=task.title,
            brief=article_brief(session, task, site, ctx.settings),
            extra={"target": task.target_word_count},
        )

    async def agenerate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        return await ctx.provider.agenerate_article(work.brief)

    def save(self, session, ctx, item_id, work, result):  # type: ignore[no-untyped-def]
        assert result is not None
        # Every provider's article meets the contract before it is a draft (the openai provider
        # has had its repair round already): what is still wrong fails the item, typed.
        draft, quality = check_clean_article(result.value, work.brief, work.brief.site)
        quality.repair_rounds = result.usage.repair_rounds
        if not quality.passed:
            raise ValidationError(
                f"The article failed the article contract: {quality.violation_text()}",
                details={"quality": quality.model_dump(mode="json")},
            )
        task = session.get(Task, item_id)
        body = draft.content_html  # sanitised by the check
        words = html_word_count(body)
        session.add(
            Content(
                account_id=ctx.account_id,
                site_id=ctx.site_id,
                task_id=item_id,
                cluster_id=task.cluster_id,
                title=draft.title,
                content_html=body,
                excerpt=draft.excerpt,
                slug=slugify(draft.title),
                meta_title=draft.meta_title,
                meta_description=draft.meta_description,
                primary_keyword=draft.primary_keyword,
                secondary_keywords=draft.secondary_keywords,
                word_count=words,
                content_type=task.content_type,
                content_structure=task.content_structure,
                role=task.role,
                quality=quality.model_dump(mode="json"),
                tags=draft.tags,
                categories=draft.categories,
                source=ContentSource.IGNY8,
                status=EditorialStatus.DRAFT,
                provider=result.usage.provider,
                model=result.usage.model,
            )
        )
        task.status = TaskStatus.COMPLETED
        session.add(task)
        idea = session.get(ContentIdea, task.idea_id)
        if idea is not None:
            idea.status = IdeaStatus.COMPLETED
            session.add(idea)
        repaired = 1 if quality.repair_rounds else 0
        return {"articles": 1, "words": words, "contract_passed": 1, "contract_repaired": repaired}


class GenerateImagePrompts(StageService):
    """Stage 5: one featured and up to MAX_IN_ARTICLE_IMAGES in-article image prompts."""

    stage = Stage.GENERATE_IMAGE_PROMPTS
    table = Content
    name_column = "title"

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        has_images = select(Image.id).where(Image.content_id == Content.id).exists()
        return (
            select(Content.id, Content.title)
            .where(
                Content.site_id == site_id,
                Content.source == ContentSource.IGNY8,
                Content.status == EditorialStatus.DRAFT,
                ~has_images,
            )
            .order_by(col(Content.id))
        )

    def ineligible_reason(self, session: Session, item_id: int) -> str | None:
        if session.exec(select(Image.id).where(Image.content_id == item_id)).first():
            return "article already has image prompts"
        return None

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        content = session.get(Content, item_id)
        done = session.exec(select(Image.id).where(Image.content_id == item_id)).first()
        if content is None or done is not None:
            raise NothingToDo
        return ItemWork(
            name=content.title,
            brief=ImagePromptBrief(
                title=content.title,
                primary_keyword=content.primary_keyword,
                section_headings=html_h2_headings(content.content_html),
                max_in_article=MAX_IN_ARTICLE_IMAGES,
            ),
        )

    async def agenerate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        return await ctx.provider.agenerate_image_prompts(work.brief)

    def save(self, session, ctx, item_id, work, result):  # type: ignore[no-untyped-def]
        assert result is not None
        prompts = result.value
        rows = [(ImageKind.FEATURED, 0, prompts.featured)] + [
            (ImageKind.IN_ARTICLE, i + 1, p)
            for i, p in enumerate(prompts.in_article[:MAX_IN_ARTICLE_IMAGES])
        ]
        for kind, position, p in rows:
            session.add(
                Image(
                    account_id=ctx.account_id,
                    site_id=ctx.site_id,
                    content_id=item_id,
                    kind=kind,
                    position=position,
                    prompt=p.prompt,
                    alt_text=p.alt_text[:500],
                    provider=result.usage.provider,
                    model=result.usage.model,
                )
            )
        return {"featured": 1, "in_article": len(rows) - 1}


class GenerateImages(StageService):
    """Stage 6: the image files, put in the configured storage (integrations.storage)."""

    stage = Stage.GENERATE_IMAGES
    table = Image
    name_column = "alt_text"

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        return (
            select(Image.id, Image.alt_text)
            .where(Image.site_id == site_id, Image.prompt != "", col(Image.file_path).is_(None))
            .order_by(col(Image.id))
        )

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        image = session.get(Image, item_id)
        if image is None or image.file_path:
            raise NothingToDo
        size = FEATURED_SIZE if image.kind == ImageKind.FEATURED else IN_ARTICLE_SIZE
        total = session.exec(
            select(func.count()).select_from(Image).where(Image.content_id == image.content_id)
        ).one()
        label = f"{image.position + 1}/{total}: {image.alt_text}"
        return ItemWork(
            name=label, brief=(image.prompt, *size), extra={"content_id": image.content_id}
        )

    async def agenerate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        prompt, width, height = work.brief
        return await ctx.provider.agenerate_image(prompt, width, height)

    def save(self, session, ctx, item_id, work, result):  # type: ignore[no-untyped-def]
        assert result is not None
        # Same key on every attempt: a retry overwrites, never duplicates. Stored before the
        # first query, so no transaction is open while the bytes travel.
        key = image_key(ctx.site_id, work.extra["content_id"], item_id)
        storage_for(ctx.settings).put(key, result.value.png, "image/png")
        image = session.get(Image, item_id)
        image.file_path = key
        image.width, image.height = result.value.width, result.value.height
        image.provider, image.model = result.usage.provider, result.usage.model
        session.add(image)
        return {"images": 1}


class Review(StageService):
    """Stage 7: drafts whose images are done go to review (approved when auto-publish is on)."""

    stage = Stage.REVIEW
    table = Content
    name_column = "title"

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        has_image = select(Image.id).where(Image.content_id == Content.id).exists()
        missing_file = (
            select(Image.id)
            .where(Image.content_id == Content.id, col(Image.file_path).is_(None))
            .exists()
        )
        return (
            select(Content.id, Content.title)
            .where(
                Content.site_id == site_id,
                Content.source == ContentSource.IGNY8,
                Content.status == EditorialStatus.DRAFT,
                has_image,
                ~missing_file,
            )
            .order_by(col(Content.id))
        )

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        content = session.get(Content, item_id)
        if content is None or content.status != EditorialStatus.DRAFT:
            raise NothingToDo
        return ItemWork(name=content.title)

    def save(self, session, ctx, item_id, work, result):  # type: ignore[no-untyped-def]
        content = session.get(Content, item_id)
        site = session.get(Site, ctx.site_id)
        auto = bool(site and site.auto_publish and site.wp_url)
        content.status = EditorialStatus.APPROVED if auto else EditorialStatus.REVIEW
        session.add(content)
        if auto and not content.external_id:
            # Into the run's publish queue in the same transaction: no approval is ever lost.
            queued = session.exec(
                select(StageItem.id).where(
                    StageItem.run_id == ctx.run_id,
                    StageItem.stage == PUBLISH_STAGE,
                    StageItem.item_id == item_id,
                )
            ).first()
            if queued is None:
                session.add(
                    StageItem(
                        run_id=ctx.run_id,
                        stage=PUBLISH_STAGE,
                        item_id=item_id,
                        item_name=content.title[:120],
                    )
                )
        return {"approved": 1} if auto else {"review": 1}
