"""What the AI functions take and give. Both providers (local and openai) speak these schemas;
the openai provider sends the output models as strict JSON schemas."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class Usage(BaseModel):
    """Who made an output and what it cost."""

    provider: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    repair_rounds: int = 0  # article-contract repair rounds the answer needed


class AIResult(BaseModel, Generic[T]):
    value: T
    usage: Usage


# --- stage 1: clustering -------------------------------------------------------------------------


class KeywordInput(BaseModel):
    id: int
    text: str
    volume: int = 0
    difficulty: int = 0
    intent: str = "informational"


class ClusterDraft(BaseModel):
    """A cluster and the ids of the keywords in it (keywords are linked by id, never by text)."""

    name: str = Field(min_length=1, max_length=200)
    description: str
    intent: str  # informational | commercial | transactional | navigational
    keyword_ids: list[int] = Field(min_length=1)


class ExistingCluster(BaseModel):
    """A cluster the site already has; new keywords may join it instead of making a twin."""

    id: int
    name: str


# --- stage 2: ideas -----------------------------------------------------------------------------


class ClusterBrief(BaseModel):
    id: int
    name: str
    description: str
    intent: str
    keywords: list[str]  # most important first (by volume)
    site_name: str = ""


class OutlineSection(BaseModel):
    heading: str = Field(min_length=1, max_length=200)  # an H2
    subheadings: list[str] = Field(default_factory=list)  # its H3s


Role = Literal["hub", "supporting", "attribute"]  # contracts.status.IdeaRole


class IdeaDraft(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    role: Role  # one hub per cluster; the others support it or cover one attribute
    description: str
    outline: list[OutlineSection] = Field(min_length=2)
    primary_keyword: str
    covered_keywords: list[str]
    content_type: str  # post | page | product | service
    content_structure: str  # article | listicle | guide | comparison | review | how_to | ...
    target_word_count: int = Field(ge=300, le=5000)


class IdeaSet(BaseModel):
    ideas: list[IdeaDraft] = Field(min_length=3, max_length=7)


# --- stage 4: articles --------------------------------------------------------------------------


class LinkTarget(BaseModel):
    """An article of the same cluster this one must link to, by its placeholder href."""

    idea_id: int
    title: str
    slug: str
    role: Role
    href: str  # services.internal_links.placeholder_href(idea_id)


class SiteLinks(BaseModel):
    """Where an article may link: the site's own hosts and the known source domains."""

    own_domains: list[str] = Field(default_factory=list)
    source_domains: list[str] = Field(default_factory=list)


class ArticleBrief(BaseModel):
    title: str
    description: str
    outline: list[OutlineSection]
    primary_keyword: str
    keywords: list[str]
    content_type: str
    content_structure: str
    target_word_count: int
    site_name: str = ""
    role: Role = "supporting"
    links_to: list[LinkTarget] = Field(default_factory=list)
    site: SiteLinks = Field(default_factory=SiteLinks)


class ArticleDraft(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    content_html: str = Field(min_length=1)
    excerpt: str
    meta_title: str = Field(max_length=300)
    meta_description: str = Field(max_length=500)
    primary_keyword: str
    secondary_keywords: list[str]
    tags: list[str]
    categories: list[str]


# --- stage 5: image prompts ---------------------------------------------------------------------


class ImagePromptBrief(BaseModel):
    title: str
    primary_keyword: str
    section_headings: list[str]
    max_in_article: int


class ImagePromptDraft(BaseModel):
    prompt: str = Field(min_length=1)
    alt_text: str = Field(min_length=1, max_length=500)


class ImagePromptSet(BaseModel):
    featured: ImagePromptDraft
    in_article: list[ImagePromptDraft]


# --- stage 6: images ----------------------------------------------------------------------------


class GeneratedImage(BaseModel):
    png: bytes
    width: int
    height: int
