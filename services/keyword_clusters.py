"""Stage 1 as separate steps, each one retryable on its own: embed what is missing (stored per
keyword and model as each chunk returns), group every keyword of the stage together with the
site's existing clusters as candidates, name each group, save the clusters.

    embed_missing(site, ids, embedder)   -> how many were embedded now (the rest were stored)
    group_keywords(site, ids, method)    -> KeywordGroup list (ids, lexical name, existing id)
    name_group(provider, group, members) -> GroupName (name, description, intent, usage)
    save_clusters(session, ...)          -> keywords mapped by id, new clusters counted

Nothing here holds a database transaction open while a model or the clustering works.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from contracts.status import KeywordStatus
from core.config import Settings
from core.db import session_scope
from models import Cluster, Keyword, KeywordEmbedding
from models.base import utcnow
from services.ai.schemas import KeywordInput, Usage
from services.clustering import ClusterGroup, cluster_embeddings, cluster_texts, cluster_vectors

log = logging.getLogger(__name__)

EMBED_CHUNK = 512  # keywords per embedding request; each chunk is stored as soon as it returns
ANCHORS_PER_CLUSTER = 3  # an existing cluster takes part in grouping through its top keywords
QUERY_CHUNK = 5_000  # ids per IN (...) clause


class Embedder(Protocol):
    """Anything that turns texts into vectors under a stable model name."""

    model: str

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """(n×d float32 vectors in input order, tokens spent)."""
        ...


@dataclass
class KeywordGroup:
    """One group of keywords: a provisional (lexical) name, and the existing cluster it joins."""

    ids: list[int]
    name: str
    terms: list[str] = field(default_factory=list)
    existing_cluster_id: int | None = None


@dataclass
class GroupName:
    name: str
    description: str
    intent: str
    usage: Usage | None = None


# --- embeddings ---------------------------------------------------------------------------------


def embed_missing(
    site_id: int,
    keyword_ids: Sequence[int],
    embedder: Embedder,
    chunk: int = EMBED_CHUNK,
    on_chunk: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Embed the keywords that have no stored vector for `embedder.model`, `chunk` at a time,
    committing each chunk before the next request; returns (embedded now, tokens spent)."""
    missing = missing_embeddings(site_id, keyword_ids, embedder.model)
    done = tokens = 0
    for start in range(0, len(missing), chunk):
        part = missing[start : start + chunk]
        vectors, spent = embedder.embed([text for _, text, _ in part])
        with session_scope() as session:
            store_embeddings(session, site_id, part, embedder.model, vectors)
        done, tokens = done + len(part), tokens + spent
        if on_chunk is not None:
            on_chunk(done, len(missing))
    return done, tokens


def store_embeddings(
    session: Session,
    site_id: int,
    keywords: Sequence[tuple[int, str, int]],
    model: str,
    vectors: np.ndarray,
) -> None:
    """One vector per (keyword id, text, account id), in order; a twin attempt may have
    stored the same vectors meanwhile: the first are kept."""
    rows = [
        {
            "account_id": account_id,
            "site_id": site_id,
            "keyword_id": keyword_id,
            "model": model,
            "dimensions": int(vector.shape[0]),
            "vector": vector.tobytes(),
            "created_at": utcnow(),
        }
        for (keyword_id, _, account_id), vector in zip(
            keywords, np.asarray(vectors, dtype="<f4"), strict=True
        )
    ]
    session.execute(_insert_ignoring_duplicates(session), rows)


def _insert_ignoring_duplicates(session: Session) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for KeywordEmbedding, in the session's dialect."""
    table = KeywordEmbedding.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    return sqlite_insert(table).on_conflict_do_nothing()


def load_vectors(keyword_ids: Sequence[int], model: str) -> np.ndarray:
    """The stored vectors of the keywords, in order (every id must have one)."""
    found: dict[int, np.ndarray] = {}
    with session_scope() as session:
        for part in _chunks(keyword_ids):
            rows = session.exec(
                select(KeywordEmbedding.keyword_id, KeywordEmbedding.vector).where(
                    col(KeywordEmbedding.keyword_id).in_(part), KeywordEmbedding.model == model
                )
            ).all()
            found.update((kid, np.frombuffer(raw, dtype="<f4")) for kid, raw in rows)
    missing = [i for i in keyword_ids if i not in found]
    if missing:
        raise LookupError(f"{len(missing)} keywords have no {model} vector (first: {missing[0]})")
    return np.vstack([found[i] for i in keyword_ids]) if keyword_ids else np.zeros((0, 0))


def missing_embeddings(
    site_id: int, keyword_ids: Sequence[int], model: str
) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []
    with session_scope() as session:
        for part in _chunks(keyword_ids):
            have = set(
                session.exec(
                    select(KeywordEmbedding.keyword_id).where(
                        col(KeywordEmbedding.keyword_id).in_(part), KeywordEmbedding.model == model
                    )
                ).all()
            )
            rows = session.exec(
                select(Keyword.id, Keyword.text, Keyword.account_id).where(
                    col(Keyword.id).in_([i for i in part if i not in have]),
                    Keyword.site_id == site_id,
                )
            ).all()
            out.extend((int(r[0] or 0), r[1], int(r[2])) for r in rows)
    return sorted(out)


# --- grouping -----------------------------------------------------------------------------------


def anchors(
    session: Session, site_id: int, per_cluster: int = ANCHORS_PER_CLUSTER
) -> dict[int, int]:
    """keyword id -> existing cluster id for the most searched keywords of each site cluster:
    they are clustered beside the new keywords, so a new keyword that belongs to an existing
    cluster lands in a group with its anchors and joins it."""
    ranked = (
        select(
            Keyword.id,
            Keyword.cluster_id,
            func.row_number()
            .over(
                partition_by=col(Keyword.cluster_id),
                order_by=(col(Keyword.volume).desc(), col(Keyword.id)),
            )
            .label("rank"),
        )
        .where(Keyword.site_id == site_id, col(Keyword.cluster_id).is_not(None))
        .subquery()
    )
    rows = session.exec(
        select(ranked.c.id, ranked.c.cluster_id).where(ranked.c.rank <= per_cluster)
    ).all()
    return {int(kid): int(cid) for kid, cid in rows}


def group_keywords(
    site_id: int,
    keywords: Sequence[KeywordInput],
    *,
    vectors_model: str | None = None,
    dense_thresholds: bool = True,
) -> list[KeywordGroup]:
    """Group all the keywords together, with the site's existing clusters as candidates.

    Lexical when `vectors_model` is None, else by the stored vectors of that model (embed them
    first with `embed_missing`, anchors included: see `anchor_ids`)."""
    with session_scope() as session:
        anchor_of = anchors(session, site_id)
        existing = {
            name: int(cid or 0)
            for name, cid in session.exec(
                select(Cluster.name, Cluster.id).where(Cluster.site_id == site_id)
            ).all()
        }
        anchor_rows = session.exec(
            select(Keyword.id, Keyword.text).where(col(Keyword.id).in_(list(anchor_of)))
        ).all()
    new_ids = {k.id for k in keywords}
    items = [(k.id, k.text) for k in keywords] + [
        (int(i or 0), t) for i, t in anchor_rows if i not in new_ids
    ]
    if vectors_model is None:
        groups = cluster_texts(items, list(existing))
    else:
        vectors = load_vectors([i for i, _ in items], vectors_model)
        if dense_thresholds:
            groups = cluster_embeddings(items, vectors, list(existing))
        else:
            by_text = dict(items)
            groups = [
                ClusterGroup(ids=ids, name=by_text[ids[0]])
                for ids in cluster_vectors([i for i, _ in items], vectors)
            ]
    return _resolve_existing(groups, anchor_of, new_ids, existing)


def anchor_ids(site_id: int) -> list[int]:
    """Keyword ids that stand for the site's existing clusters in a grouping."""
    with session_scope() as session:
        return sorted(anchors(session, site_id))


def _resolve_existing(
    groups: Sequence[ClusterGroup],
    anchor_of: dict[int, int],
    new_ids: set[int],
    existing: dict[str, int],
) -> list[KeywordGroup]:
    """Drop the anchors again; a group with anchors joins the cluster most of them are from,
    a group named after an existing cluster joins it; groups of anchors only disappear."""
    out: list[KeywordGroup] = []
    for g in groups:
        ids = [i for i in g.ids if i in new_ids]
        if not ids:
            continue
        votes: dict[int, int] = defaultdict(int)
        for i in g.ids:
            if i in anchor_of and i not in new_ids:
                votes[anchor_of[i]] += 1
        target = max(votes, key=lambda c: (votes[c], -c)) if votes else None
        if target is None and g.existing:
            target = existing.get(g.name)
        out.append(KeywordGroup(ids=ids, name=g.name, terms=g.terms, existing_cluster_id=target))
    return out


# --- saving -------------------------------------------------------------------------------------


def save_clusters(
    session: Session,
    account_id: int,
    site_id: int,
    named: Sequence[tuple[KeywordGroup, GroupName]],
    allowed: set[int],
    provider: str,
    model: str,
) -> tuple[list[int], int]:
    """Map each group's keywords (by id, only those in `allowed` and still unclustered) to its
    existing cluster, or to a cluster of its name (made when missing); returns (mapped ids,
    new clusters). Not committed here."""
    mapped_ids: list[int] = []
    new_clusters = 0
    touched: set[int] = set()
    # The site's clusters by lower-cased name, read once (not one query per group).
    by_name = {
        c.name.strip().lower(): c
        for c in session.exec(select(Cluster).where(Cluster.site_id == site_id)).all()
    }
    for group, label in named:
        ids = [i for i in group.ids if i in allowed]
        if not ids:
            continue
        cluster = (
            session.get(Cluster, group.existing_cluster_id) if group.existing_cluster_id else None
        )
        if cluster is None or cluster.site_id != site_id:
            cluster = by_name.get(label.name.strip().lower())
        if cluster is None:
            cluster = Cluster(
                account_id=account_id,
                site_id=site_id,
                name=label.name.strip()[:200],
                description=label.description,
                intent=label.intent,
                provider=provider,
                model=model[:100],
            )
            session.add(cluster)
            session.flush()
            by_name[cluster.name.lower()] = cluster
            new_clusters += 1
        # Conditional on `cluster_id IS NULL` in the UPDATE itself: an overlapping attempt
        # (a timed-out twin still running) cannot re-point keywords the other mapped.
        for part in _chunks(ids):
            mapped_ids.extend(
                session.execute(
                    update(Keyword)
                    .where(col(Keyword.id).in_(part), col(Keyword.cluster_id).is_(None))
                    .values(cluster_id=cluster.id, status=KeywordStatus.MAPPED)
                    .returning(col(Keyword.id))
                ).scalars()
            )
        assert cluster.id is not None
        touched.add(cluster.id)
        allowed -= set(ids)
    session.flush()
    _recount(session, touched)
    return mapped_ids, new_clusters


def _recount(session: Session, cluster_ids: set[int]) -> None:
    """Keyword count and volume of the touched clusters, from the keywords themselves."""
    for part in _chunks(sorted(cluster_ids)):
        rows = session.exec(
            select(Keyword.cluster_id, func.count(), func.coalesce(func.sum(Keyword.volume), 0))
            .where(col(Keyword.cluster_id).in_(part))
            .group_by(col(Keyword.cluster_id))
        ).all()
        for cluster_id, count, volume in rows:
            cluster = session.get(Cluster, cluster_id)
            assert cluster is not None
            cluster.keywords_count, cluster.volume = int(count), int(volume)
            session.add(cluster)


# --- choosing the method ------------------------------------------------------------------------


def local_method(settings: Settings) -> str:
    """ "semantic" or "lexical" for the local provider, per IGNY8_CLUSTERING; "semantic" asked
    for but not installed falls back to lexical with a log line saying why."""
    if settings.clustering == "lexical":
        return "lexical"
    from services.ai.local_embeddings import SemanticUnavailable, ensure_loaded

    try:
        ensure_loaded()
    except SemanticUnavailable as exc:
        level = logging.WARNING if settings.clustering == "semantic" else logging.INFO
        log.log(level, "clustering: semantic unavailable, using lexical clustering: %s", exc)
        return "lexical"
    return "semantic"


def _chunks(ids: Sequence[int], size: int = QUERY_CHUNK) -> list[list[int]]:
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)]
