"""Stage 1 in steps, for a provider that charges per call (the `openai` provider): every AI call
is an activity of its own on the AI task queue, under the limits the Temporal server enforces for
every run and worker, and retried on its own. The steps keep their results in the database, so a
retried, paused or continued clustering picks up where it stopped:

    plan(ctx, ids)                 -> ClusterPlan: by calls or not, the id ranges to embed
    embedding_work / store_vectors -> one embeddings request's keywords, then their vectors
    group(ctx, ids)                -> the run's groups stored (ClusteringGroup), calls to make
    naming_work / store_names      -> one naming call's groups, then their names
    named_groups, failed_keywords  -> what the batch activity saves (services/stages/planning)

The local provider clusters in one batch activity (services/stage_clustering): its "calls" are
local functions with nothing to pay or rate-limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, col, delete, select, update

from contracts.run import ClusterGroups, ClusterPlan, ErrorInfo
from contracts.stages import Stage
from contracts.status import GenerationStatus
from core.db import session_scope
from models import Cluster, ClusteringGroup, Keyword, StageItem
from services.ai.schemas import AIResult, KeywordInput
from services.ai_usage import record_usage
from services.group_naming import EXISTING_NAMES_OFFERED, GROUPS_PER_NAMING_CALL
from services.keyword_clusters import (
    GroupName,
    KeywordGroup,
    anchor_ids,
    group_keywords,
    missing_embeddings,
    store_embeddings,
)
from services.stages.base import StageContext

EMBED_PER_CALL = 512  # keywords per embeddings request (the API takes up to 2,048)


def load_scope(session: Session, ctx: StageContext, ids: list[int]) -> list[KeywordInput]:
    """The keywords one clustering covers: the run's whole stage-1 queue still unclustered
    (every batch of it), or just `ids` outside a run's queue."""
    queued = select(StageItem.item_id).where(
        StageItem.run_id == ctx.run_id,
        StageItem.stage == int(Stage.CLUSTER_KEYWORDS),
        col(StageItem.status) != GenerationStatus.FAILED,
    )
    scope = set(session.exec(queued).all()) | set(ids)
    rows: list[Keyword] = []
    ordered = sorted(scope)
    for start in range(0, len(ordered), 5_000):
        rows.extend(
            session.exec(
                select(Keyword).where(
                    col(Keyword.id).in_(ordered[start : start + 5_000]),
                    Keyword.site_id == ctx.site_id,
                    col(Keyword.cluster_id).is_(None),
                    Keyword.disabled == False,  # noqa: E712
                )
            ).all()
        )
    return [_as_input(k) for k in sorted(rows, key=lambda k: k.id or 0) if k.id is not None]


def _as_input(k: Keyword) -> KeywordInput:
    return KeywordInput(
        id=k.id or 0, text=k.text, volume=k.volume, difficulty=k.difficulty, intent=k.intent
    )


def _embeddings_model(ctx: StageContext) -> str:
    """The model whose vectors this clustering stores and groups by (the provider's)."""
    return str(ctx.provider.model_embeddings)  # type: ignore[attr-defined]


def by_calls(provider: Any) -> bool:
    """Whether stage 1 makes its AI calls as activities of their own (a paid provider)."""
    return hasattr(provider, "aembed_once") and hasattr(provider, "aname_cluster_groups")


def _stored_groups(session: Session, run_id: str) -> bool:
    return (
        session.exec(select(ClusteringGroup.id).where(ClusteringGroup.run_id == run_id)).first()
        is not None
    )


def plan(ctx: StageContext, ids: list[int]) -> ClusterPlan:
    """Whether this clustering goes by calls and, when the run has no groups yet, the keyword id
    ranges whose vectors are missing (EMBED_PER_CALL keywords each: one request per range)."""
    if not by_calls(ctx.provider):
        return ClusterPlan(by_calls=False)
    with session_scope() as session:
        if _stored_groups(session, ctx.run_id):
            return ClusterPlan(by_calls=True)  # grouped already: the vectors are in
        scope = [k.id for k in load_scope(session, ctx, ids)]
    model = _embeddings_model(ctx)
    missing = sorted(
        i for i, _, _ in missing_embeddings(ctx.site_id, scope + anchor_ids(ctx.site_id), model)
    )
    ranges = [
        (part[0], part[-1])
        for part in (
            missing[i : i + EMBED_PER_CALL] for i in range(0, len(missing), EMBED_PER_CALL)
        )
    ]
    return ClusterPlan(by_calls=True, embed_ranges=ranges)


# --- embedding ----------------------------------------------------------------------------------


def embedding_work(ctx: StageContext, first_id: int, last_id: int) -> list[tuple[int, str, int]]:
    """(keyword id, text, account id) of the range's keywords still without a vector: this
    run's stage-1 keywords and the site's cluster anchors (an earlier attempt may have stored
    some or all of them: those cost nothing again)."""
    with session_scope() as session:
        queued = session.exec(
            select(StageItem.item_id).where(
                StageItem.run_id == ctx.run_id,
                StageItem.stage == int(Stage.CLUSTER_KEYWORDS),
                col(StageItem.item_id) >= first_id,
                col(StageItem.item_id) <= last_id,
            )
        ).all()
    wanted = {int(i) for i in queued} | {
        i for i in anchor_ids(ctx.site_id) if first_id <= i <= last_id
    }
    model = _embeddings_model(ctx)
    return missing_embeddings(ctx.site_id, sorted(wanted), model)[:EMBED_PER_CALL]


def store_vectors(
    ctx: StageContext, part: Sequence[tuple[int, str, int]], result: AIResult[np.ndarray]
) -> None:
    """The request's vectors and its usage, in one transaction (a twin's rows are kept)."""
    with session_scope() as session:
        store_embeddings(session, ctx.site_id, part, result.usage.model, result.value)
        record_usage(session, ctx, None, result)


# --- grouping -----------------------------------------------------------------------------------


def group(ctx: StageContext, ids: list[int]) -> ClusterGroups:
    """Group every keyword of the run's stage together (once per run: a later batch or attempt
    finds the groups stored) and answer the naming calls still to make. Groups whose call failed
    for good get another chance here: a new batch, or `retry`, means try again."""
    with session_scope() as session:
        if _stored_groups(session, ctx.run_id):
            session.execute(
                update(ClusteringGroup)
                .where(
                    col(ClusteringGroup.run_id) == ctx.run_id,
                    col(ClusteringGroup.error).is_not(None),
                )
                .values(error=None)
            )
            return ClusterGroups(naming_calls=_calls_to_make(session, ctx.run_id))
        keywords = load_scope(session, ctx, ids)
    model = _embeddings_model(ctx)
    everyone = [k.id for k in keywords] + anchor_ids(ctx.site_id)
    missing = missing_embeddings(ctx.site_id, everyone, model)
    if missing:
        return ClusterGroups(missing_vectors=len(missing))
    groups = group_keywords(ctx.site_id, keywords, vectors_model=model, dense_thresholds=False)
    fresh = 0
    rows = []
    for number, g in enumerate(groups):
        call_no = None
        if g.existing_cluster_id is None:
            call_no, fresh = fresh // GROUPS_PER_NAMING_CALL, fresh + 1
        rows.append(
            ClusteringGroup(
                run_id=ctx.run_id,
                group_no=number,
                call_no=call_no,
                keyword_ids=g.ids,
                seed_name=g.name[:200],
                terms=g.terms,
                existing_cluster_id=g.existing_cluster_id,
                name=g.name[:200] if call_no is None else None,
            )
        )
    with session_scope() as session:
        if _stored_groups(session, ctx.run_id):  # a twin attempt stored them first: keep those
            return ClusterGroups(naming_calls=_calls_to_make(session, ctx.run_id))
        session.add_all(rows)
        session.flush()
        return ClusterGroups(naming_calls=_calls_to_make(session, ctx.run_id))


def _calls_to_make(session: Session, run_id: str) -> list[int]:
    return sorted(
        {
            int(c or 0)
            for c in session.exec(
                select(ClusteringGroup.call_no).where(
                    ClusteringGroup.run_id == run_id,
                    col(ClusteringGroup.call_no).is_not(None),
                    col(ClusteringGroup.name).is_(None),
                    col(ClusteringGroup.error).is_(None),
                )
            ).all()
        }
    )


# --- naming -------------------------------------------------------------------------------------


@dataclass
class NamingWork:
    group_nos: list[int]
    members: list[list[KeywordInput]]
    offered: list[str]


def naming_work(ctx: StageContext, call_no: int) -> NamingWork | None:
    """The groups of one naming call still unnamed (None: an earlier attempt named them), their
    keywords, and the site's cluster names offered for reuse."""
    with session_scope() as session:
        groups = session.exec(
            select(ClusteringGroup)
            .where(
                ClusteringGroup.run_id == ctx.run_id,
                ClusteringGroup.call_no == call_no,
                col(ClusteringGroup.name).is_(None),
            )
            .order_by(col(ClusteringGroup.group_no))
        ).all()
        if not groups:
            return None
        wanted = {i for g in groups for i in g.keyword_ids}
        by_id = {
            k.id: _as_input(k)
            for k in session.exec(select(Keyword).where(col(Keyword.id).in_(wanted))).all()
            if k.id is not None
        }
        offered = session.exec(
            select(Cluster.name)
            .where(Cluster.site_id == ctx.site_id)
            .order_by(col(Cluster.id).desc())
            .limit(EXISTING_NAMES_OFFERED)
        ).all()
    return NamingWork(
        group_nos=[g.group_no for g in groups],
        members=[[by_id[i] for i in g.keyword_ids if i in by_id] for g in groups],
        offered=list(offered),
    )


def store_names(ctx: StageContext, work: NamingWork, result: AIResult[list[Any]]) -> None:
    """The call's names on its groups (in group order), and its usage, in one transaction."""
    with session_scope() as session:
        for group_no, label in zip(work.group_nos, result.value, strict=True):
            session.execute(
                update(ClusteringGroup)
                .where(
                    col(ClusteringGroup.run_id) == ctx.run_id,
                    col(ClusteringGroup.group_no) == group_no,
                    col(ClusteringGroup.name).is_(None),
                )
                .values(
                    name=label.name.strip()[:200],
                    description=label.description,
                    intent=label.intent,
                    error=None,
                )
            )
        record_usage(session, ctx, None, result)


def fail_naming(ctx: StageContext, call_no: int, error: ErrorInfo) -> None:
    """The call failed for good: its groups' keywords will fail with this error, alone."""
    with session_scope() as session:
        session.execute(
            update(ClusteringGroup)
            .where(
                col(ClusteringGroup.run_id) == ctx.run_id,
                col(ClusteringGroup.call_no) == call_no,
                col(ClusteringGroup.name).is_(None),
            )
            .values(error=error.model_dump(mode="json"))
        )


# --- saving -------------------------------------------------------------------------------------


def has_groups(run_id: str) -> bool:
    with session_scope() as session:
        return _stored_groups(session, run_id)


def named_groups(run_id: str) -> list[tuple[KeywordGroup, GroupName]]:
    """The run's named groups, as services.keyword_clusters.save_clusters takes them."""
    with session_scope() as session:
        rows = session.exec(
            select(ClusteringGroup)
            .where(ClusteringGroup.run_id == run_id, col(ClusteringGroup.name).is_not(None))
            .order_by(col(ClusteringGroup.group_no))
        ).all()
        return [
            (
                KeywordGroup(
                    ids=list(g.keyword_ids),
                    name=g.seed_name,
                    terms=list(g.terms),
                    existing_cluster_id=g.existing_cluster_id,
                ),
                GroupName(name=g.name or g.seed_name, description=g.description, intent=g.intent),
            )
            for g in rows
        ]


def failed_keywords(run_id: str, ids: Sequence[int]) -> tuple[list[int], ErrorInfo | None]:
    """Of `ids`, the keywords of groups whose naming call failed for good, and that error."""
    wanted = set(ids)
    failed: list[int] = []
    error: ErrorInfo | None = None
    with session_scope() as session:
        for g in session.exec(
            select(ClusteringGroup).where(
                ClusteringGroup.run_id == run_id, col(ClusteringGroup.error).is_not(None)
            )
        ).all():
            mine = [i for i in g.keyword_ids if i in wanted]
            if mine:
                failed.extend(mine)
                error = error or ErrorInfo.model_validate(g.error)
    return failed, error


def forget(session: Session, run_id: str) -> None:
    """The run's groups, once its clustering is saved and nothing can ask for them again."""
    session.execute(delete(ClusteringGroup).where(col(ClusteringGroup.run_id) == run_id))
