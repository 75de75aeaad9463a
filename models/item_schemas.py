"""The API's views of what the stages make (keywords, clusters, ideas, tasks, articles,
images), and the one editable item: an article."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from contracts.quality import ArticleQuality
from contracts.status import EditorialStatus
from contracts.wordpress import WordPressVersion, WpConflict
from core.html_sanitize import ALLOWED_DESCRIPTION
from models.schemas import (
    Name,
    RequestBody,
    SafeHtml,
    Slug,
    Str300,
    Str500,
    Str5000,
    Title,
    UtcDatetime,
)

TermList = Annotated[list[Name], Field(max_length=50)]


class KeywordPublic(BaseModel):
    id: int
    text: str
    volume: int
    difficulty: int
    cpc: float
    intent: str
    country: str | None
    disabled: bool
    status: str
    cluster_id: int | None
    created_at: UtcDatetime


class ClusterPublic(BaseModel):
    id: int
    name: str
    description: str
    intent: str
    keywords_count: int
    volume: int
    status: str
    provider: str
    created_at: UtcDatetime


class IdeaPublic(BaseModel):
    id: int
    cluster_id: int
    title: str
    description: str
    outline: list[dict[str, Any]]
    content_type: str
    content_structure: str
    target_word_count: int
    primary_keyword: str
    keywords: list[str]
    role: str = Field(description="hub | supporting | attribute: the idea's place in its cluster")
    status: str
    provider: str
    created_at: UtcDatetime


class TaskPublic(BaseModel):
    id: int
    cluster_id: int
    idea_id: int
    title: str
    description: str
    outline: list[dict[str, Any]]
    content_type: str
    content_structure: str
    target_word_count: int
    primary_keyword: str
    keywords: list[str]
    role: str
    status: str
    created_at: UtcDatetime


class ContentSummary(BaseModel):
    """An article in a list (the HTML body only comes with GET /content/{id})."""

    id: int
    site_id: int
    task_id: int | None
    cluster_id: int | None
    title: str
    slug: str
    meta_title: str
    meta_description: str
    primary_keyword: str
    word_count: int
    content_type: str
    content_structure: str
    role: str = Field(
        description="hub | supporting | attribute: the article's place in its cluster"
    )
    quality: ArticleQuality | None = Field(
        None, description="The article contract's verdict when drafted (null: imported)"
    )
    source: str
    status: str
    external_id: int | None
    external_url: str | None
    external_status: str | None = Field(None, description="The post's status on WordPress")
    external_missing: bool = Field(False, description="The post is gone from WordPress")
    wp_conflict: WpConflict | None = Field(
        None,
        description="The post was changed or deleted on WordPress since igny8 published it: "
        "publishing waits for adopt, keep, or an explicit overwrite",
    )
    wp_changed_at: UtcDatetime | None = Field(None, description="When WordPress's copy changed")
    published_at: UtcDatetime | None
    provider: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ContentPublic(ContentSummary):
    content_html: str = Field(description=ALLOWED_DESCRIPTION)
    excerpt: str
    secondary_keywords: list[str]
    tags: list[str]
    categories: list[str]
    wp_version: WordPressVersion | None = Field(
        None, description="The post as WordPress has it, when changed there"
    )
    wp_diff: list[str] = Field(
        default_factory=list,
        description="Fields where WordPress's version differs from igny8's article",
    )


class ContentUpdate(RequestBody):
    """Editorial changes. Status moves only along allowed transitions (see the 409 message);
    `published` is reached by publishing, not by editing."""

    title: Title | None = None
    content_html: SafeHtml | None = None
    excerpt: Str5000 | None = None
    meta_title: Str300 | None = None
    meta_description: Str500 | None = None
    slug: Slug | None = None
    status: EditorialStatus | None = None
    primary_keyword: Str300 | None = None
    secondary_keywords: TermList | None = None
    tags: TermList | None = Field(None, description="Tag names")
    categories: TermList | None = Field(None, description="Category names")


class ImagePublic(BaseModel):
    id: int
    content_id: int
    kind: str
    position: int
    prompt: str
    alt_text: str
    has_file: bool
    file_url: str | None = Field(None, description="API path of the image file, when made")
    width: int | None
    height: int | None
    external_media_id: int | None
    external_url: str | None
    provider: str
    created_at: UtcDatetime
