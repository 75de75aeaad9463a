"""Keywords, clusters, content ideas and writer tasks: the planning half of the pipeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, json_list_field, text_field


class Keyword(SQLModel, table=True):
    __table_args__ = (
        # One row per (site, normalized text): duplicates are counted at import, never inserted.
        UniqueConstraint("site_id", "normalized"),
        # Stage 1's "new keywords of this site" and the API's status filter.
        Index("ix_keyword_site_status", "site_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    sector_id: int | None = Field(default=None, foreign_key="sector.id")
    text: str = Field(max_length=300)
    normalized: str = Field(max_length=300)
    volume: int = 0
    difficulty: int = 0  # 0-100
    cpc: float = 0.0
    intent: str = Field(default="informational", max_length=20)
    country: str | None = Field(default=None, max_length=8)
    disabled: bool = False
    status: str = Field(default="new", max_length=20, index=True)  # new | mapped
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    created_at: datetime = created_at_field()


class Cluster(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=200)
    description: str = text_field()
    intent: str = Field(default="informational", max_length=20)
    keywords_count: int = 0
    volume: int = 0
    status: str = Field(default="new", max_length=20, index=True)  # new | mapped (has ideas)
    provider: str = Field(default="local", max_length=40)
    model: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()


class ContentIdea(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    title: str = Field(max_length=300)
    description: str = text_field()
    # [{"heading": "...", "subheadings": ["...", ...]}, ...]
    outline: list[dict[str, Any]] = json_list_field()
    content_type: str = Field(default="post", max_length=20)
    content_structure: str = Field(default="article", max_length=30)
    target_word_count: int = 1200
    primary_keyword: str = Field(default="", max_length=300)
    keywords: list[str] = json_list_field()
    # hub | supporting | attribute (contracts.status.IdeaRole): decides the internal links.
    role: str = Field(default="supporting", max_length=20)
    status: str = Field(default="new", max_length=20, index=True)  # new | queued | completed
    provider: str = Field(default="local", max_length=40)
    model: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()


class Task(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    # One task per idea: queueing the same idea twice is impossible.
    idea_id: int = Field(foreign_key="contentidea.id", unique=True)
    title: str = Field(max_length=300)
    description: str = text_field()
    outline: list[dict[str, Any]] = json_list_field()
    content_type: str = Field(default="post", max_length=20)
    content_structure: str = Field(default="article", max_length=30)
    target_word_count: int = 1200
    primary_keyword: str = Field(default="", max_length=300)
    keywords: list[str] = json_list_field()
    role: str = Field(default="supporting", max_length=20)  # the idea's role
    status: str = Field(default="queued", max_length=20, index=True)  # queued | completed
    created_at: datetime = created_at_field()


class KeywordEmbedding(SQLModel, table=True):
    """A keyword's embedding vector by one model, kept so a retried or resumed clustering never
    pays to embed it again (float32, little-endian, `dimensions` values)."""

    __table_args__ = (UniqueConstraint("keyword_id", "model"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    keyword_id: int = Field(foreign_key="keyword.id", index=True)
    model: str = Field(max_length=100)
    dimensions: int
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = created_at_field()


class ClusteringGroup(SQLModel, table=True):
    """One group of a run's clustering between its steps (grouped, then named by AI calls that
    run and retry one by one, then saved): what lets a retried, paused or continued clustering
    pick up where it stopped instead of grouping and paying to name everything again."""

    __table_args__ = (UniqueConstraint("run_id", "group_no"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=200, index=True)
    group_no: int
    call_no: int | None = None  # the naming call that names it; None: joins an existing cluster
    keyword_ids: list[int] = json_list_field()
    seed_name: str = Field(max_length=200)  # the grouping's own (lexical) name
    terms: list[str] = json_list_field()
    existing_cluster_id: int | None = None
    name: str | None = Field(default=None, max_length=200)  # set once its call answered
    description: str = text_field()
    intent: str = Field(default="informational", max_length=20)
    # Its call failed for good (SQL NULL, not JSON null, when not: the queries test for NULL).
    error: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    created_at: datetime = created_at_field()
