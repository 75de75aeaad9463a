"""Articles, their images and taxonomy terms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import (
    created_at_field,
    datetime_field,
    json_list_field,
    json_nullable_field,
    text_field,
)


class Content(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "source", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    # One article per task: writing the same task twice updates nothing twice.
    task_id: int | None = Field(default=None, foreign_key="task.id", unique=True)
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    title: str = Field(max_length=300)
    content_html: str = text_field()
    excerpt: str = text_field()
    slug: str = Field(default="", max_length=300)
    meta_title: str = Field(default="", max_length=300)
    meta_description: str = Field(default="", max_length=500)
    primary_keyword: str = Field(default="", max_length=300)
    secondary_keywords: list[str] = json_list_field()
    word_count: int = 0
    content_type: str = Field(default="post", max_length=20)
    content_structure: str = Field(default="article", max_length=30)
    role: str = Field(default="supporting", max_length=20)  # its idea's role in the cluster
    # The article contract's verdict (contracts.quality.ArticleQuality) when it was drafted;
    # None for articles imported from WordPress.
    quality: dict[str, Any] | None = json_nullable_field()
    tags: list[str] = json_list_field()  # suggested tag names
    categories: list[str] = json_list_field()  # suggested category names
    source: str = Field(default="igny8", max_length=20)  # igny8 | wordpress
    # Editorial status: draft -> review -> approved -> published -> archived.
    status: str = Field(default="draft", max_length=20, index=True)
    external_id: int | None = Field(default=None, index=True)  # WordPress post id
    external_url: str | None = Field(default=None, max_length=1000)
    external_status: str | None = Field(default=None, max_length=20)  # WordPress post status
    external_modified_at: datetime | None = datetime_field()
    external_missing: bool = False  # the post disappeared from WordPress since the last sync
    # Per-field hashes of the post as WordPress stored it right after igny8's last publish (see
    # services.wp_changes): what an editor's later edit is told apart from igny8's own by.
    wp_fingerprint: dict[str, str] | None = json_nullable_field()
    # Set when the post changed on WordPress since then (the post's modification time), with
    # WordPress's version kept beside igny8's until a person adopts it or keeps igny8's.
    wp_changed_at: datetime | None = datetime_field()
    wp_version: dict[str, Any] | None = json_nullable_field()
    published_at: datetime | None = datetime_field()
    provider: str = Field(default="local", max_length=40)
    model: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ContentTaxonomy(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "type", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=200)
    slug: str = Field(max_length=200)
    type: str = Field(default="category", max_length=20)  # category | tag
    external_id: int | None = None


class ContentTaxonomyLink(SQLModel, table=True):
    content_id: int = Field(foreign_key="content.id", primary_key=True)
    taxonomy_id: int = Field(foreign_key="contenttaxonomy.id", primary_key=True)


class Image(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("content_id", "kind", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    content_id: int = Field(foreign_key="content.id", index=True)
    kind: str = Field(default="featured", max_length=20)  # featured | in_article
    position: int = 0  # 0 for featured; 1.. for in-article images
    prompt: str = text_field()
    alt_text: str = Field(default="", max_length=500)
    # The storage key (integrations.storage), e.g. images/site-1/content-2/image-3.png: the same
    # on every host; the local store keeps it under the data folder, S3 under the bucket prefix.
    file_path: str | None = Field(default=None, max_length=1000)
    url: str | None = Field(default=None, max_length=1000)
    width: int | None = None
    height: int | None = None
    external_media_id: int | None = None  # WordPress media id
    external_url: str | None = Field(default=None, max_length=1000)
    provider: str = Field(default="local", max_length=40)
    model: str = Field(default="", max_length=100)
    created_at: datetime = created_at_field()
