"""Stages 1-3: cluster keywords, generate ideas, queue ideas as writer tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from contracts.messages import plural
from contracts.stages import MIN_KEYWORDS_TO_CLUSTER, Stage
from contracts.status import ClusterStatus, IdeaStatus, KeywordStatus, TaskStatus
from models import Cluster, ContentIdea, Keyword, Site, Task
from services import cluster_steps
from services.ai.schemas import AIResult, ClusterBrief, Usage
from services.cluster_steps import load_scope
from services.keyword_clusters import save_clusters
from services.stage_clustering import cluster_stage
from services.stages.base import ItemWork, NothingToDo, StageContext, StageService


class ClusterKeywords(StageService):
    """Stage 1. Works on a whole batch at once: clustering needs the keywords together."""

    stage = Stage.CLUSTER_KEYWORDS
    table = Keyword
    name_column = "text"
    batch_mode = True

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        return (
            select(Keyword.id, Keyword.text)
            .where(
                Keyword.site_id == site_id,
                Keyword.status == KeywordStatus.NEW,
                Keyword.disabled == False,  # noqa: E712
                col(Keyword.cluster_id).is_(None),
            )
            .order_by(col(Keyword.id))
        )

    def ineligible_reason(self, session: Session, item_id: int) -> str | None:
        kw = session.get(Keyword, item_id)
        if kw is None:
            return "keyword no longer exists"
        if kw.disabled:
            return "keyword is disabled"
        if kw.cluster_id is not None:
            return "keyword is already in a cluster"
        return None

    def skip_message(self, eligible: int) -> str | None:
        if eligible == 0:
            return "Nothing to do: no new keywords"
        if eligible < MIN_KEYWORDS_TO_CLUSTER:
            return (
                f"Only {plural(eligible, 'new keyword')}: clustering needs at least "
                f"{MIN_KEYWORDS_TO_CLUSTER}"
            )
        return None

    def load_batch(self, session: Session, ctx: StageContext, ids: list[int]) -> ItemWork:
        """Every unclustered keyword of this run's stage (not only the batch's): the stage is
        clustered once, together; later batches find their keywords mapped already."""
        return ItemWork(
            name=f"{plural(len(ids), 'keyword')}",
            brief=(load_scope(session, ctx, ids), [], ids),
        )

    def generate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        keywords, _, _ = work.brief
        if not keywords:
            return None
        if cluster_steps.has_groups(ctx.run_id):
            # Grouped and named by calls of their own (each recorded its usage): saved here.
            usage = Usage(
                provider=ctx.provider.name, model=str(getattr(ctx.provider, "model_chat", ""))
            )
            return AIResult[Any](value=cluster_steps.named_groups(ctx.run_id), usage=usage)
        return cluster_stage(ctx, keywords)

    def save_batch(
        self, session: Session, ctx: StageContext, work: ItemWork, result: AIResult[Any] | None
    ) -> tuple[dict[int, dict[str, int]], dict[str, int]]:
        """Map keywords to clusters by id; returns (per-keyword counters of the batch's own
        keywords, batch counters). A batch keyword an earlier batch of the run mapped counts
        as mapped here: that batch clustered the whole stage."""
        keywords, _, batch_ids = work.brief
        new_clusters = 0
        if result is not None:
            _, new_clusters = save_clusters(
                session,
                ctx.account_id,
                ctx.site_id,
                result.value,
                {k.id for k in keywords},
                result.usage.provider,
                result.usage.model,
            )
            session.flush()
        clustered = session.exec(
            select(Keyword.id).where(
                col(Keyword.id).in_(batch_ids), col(Keyword.cluster_id).is_not(None)
            )
        ).all()
        per_item = {int(i or 0): {"keywords": 1} for i in clustered}
        return per_item, ({"clusters": new_clusters} if result is not None else {})


class GenerateIdeas(StageService):
    """Stage 2: 3-7 content ideas with outlines per cluster."""

    stage = Stage.GENERATE_IDEAS
    table = Cluster
    name_column = "name"

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        return (
            select(Cluster.id, Cluster.name)
            .where(Cluster.site_id == site_id, Cluster.status == ClusterStatus.NEW)
            .order_by(col(Cluster.id))
        )

    def ineligible_reason(self, session: Session, item_id: int) -> str | None:
        cluster = session.get(Cluster, item_id)
        if cluster is not None and cluster.status != ClusterStatus.NEW:
            return "cluster already has ideas"
        return None

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        cluster = session.get(Cluster, item_id)
        # Ideas and the cluster's status are committed together: mapped means done.
        if cluster is None or cluster.status != ClusterStatus.NEW:
            raise NothingToDo
        keywords = session.exec(
            select(Keyword.text)
            .where(Keyword.cluster_id == item_id)
            .order_by(col(Keyword.volume).desc(), col(Keyword.id))
            .limit(60)
        ).all()
        site = session.get(Site, ctx.site_id)
        return ItemWork(
            name=cluster.name,
            brief=ClusterBrief(
                id=item_id,
                name=cluster.name,
                description=cluster.description,
                intent=cluster.intent,
                keywords=list(keywords),
                site_name=site.name if site else "",
            ),
        )

    async def agenerate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        return await ctx.provider.agenerate_ideas(work.brief)

    def save(self, session, ctx, item_id, work, result):  # type: ignore[no-untyped-def]
        assert result is not None
        # Claim the cluster first: of two overlapping attempts only one writes ideas.
        claimed = session.execute(
            update(Cluster)
            .where(col(Cluster.id) == item_id, col(Cluster.status) == ClusterStatus.NEW)
            .values(status=ClusterStatus.MAPPED)
        ).rowcount
        if not claimed:
            raise NothingToDo
        for idea in result.value.ideas:
            session.add(
                ContentIdea(
                    account_id=ctx.account_id,
                    site_id=ctx.site_id,
                    cluster_id=item_id,
                    title=idea.title,
                    description=idea.description,
                    outline=[s.model_dump() for s in idea.outline],
                    content_type=idea.content_type,
                    content_structure=idea.content_structure,
                    target_word_count=idea.target_word_count,
                    primary_keyword=idea.primary_keyword,
                    keywords=idea.covered_keywords,
                    role=idea.role,
                    provider=result.usage.provider,
                    model=result.usage.model,
                )
            )
        return {"ideas": len(result.value.ideas), "clusters": 1}


class QueueIdeas(StageService):
    """Stage 3: each new idea becomes a queued writer task carrying its outline and keywords."""

    stage = Stage.QUEUE_IDEAS
    table = ContentIdea
    name_column = "title"

    def eligible_query(self, site_id: int):  # type: ignore[no-untyped-def]
        return (
            select(ContentIdea.id, ContentIdea.title)
            .where(ContentIdea.site_id == site_id, ContentIdea.status == IdeaStatus.NEW)
            .order_by(col(ContentIdea.id))
        )

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        idea = session.get(ContentIdea, item_id)
        already = session.exec(select(Task.id).where(Task.idea_id == item_id)).first()
        if idea is None or already is not None:
            raise NothingToDo
        return ItemWork(name=idea.title)

    def save(self, session, ctx, item_id, work, result):  # type: ignore[no-untyped-def]
        idea = session.get(ContentIdea, item_id)
        session.add(
            Task(
                account_id=ctx.account_id,
                site_id=ctx.site_id,
                cluster_id=idea.cluster_id,
                idea_id=item_id,
                title=idea.title,
                description=idea.description,
                outline=idea.outline,
                content_type=idea.content_type,
                content_structure=idea.content_structure,
                target_word_count=idea.target_word_count,
                primary_keyword=idea.primary_keyword,
                keywords=idea.keywords,
                role=idea.role,
                status=TaskStatus.QUEUED,
            )
        )
        idea.status = IdeaStatus.QUEUED
        session.add(idea)
        return {"tasks": 1}
