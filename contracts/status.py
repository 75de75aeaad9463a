"""Status vocabularies. Generation status (per processed item) and editorial status (per article)
are two different things and never share a column."""

from __future__ import annotations

from enum import StrEnum


class GenerationStatus(StrEnum):
    """Where an item stands in a run's stage queue."""

    PENDING = "pending"
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class EditorialStatus(StrEnum):
    """Where an article stands with its editors."""

    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class KeywordStatus(StrEnum):
    NEW = "new"
    MAPPED = "mapped"


class ClusterStatus(StrEnum):
    NEW = "new"  # no ideas yet
    MAPPED = "mapped"  # ideas generated


class IdeaStatus(StrEnum):
    NEW = "new"
    QUEUED = "queued"
    COMPLETED = "completed"


class TaskStatus(StrEnum):
    QUEUED = "queued"
    COMPLETED = "completed"


class RunStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # refused at start: the site already had an active run


ACTIVE_RUN_STATUSES = (RunStatus.RUNNING.value, RunStatus.PAUSED.value)


class RunTrigger(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    API = "api"
    CLI = "cli"


class Intent(StrEnum):
    INFORMATIONAL = "informational"
    COMMERCIAL = "commercial"
    TRANSACTIONAL = "transactional"
    NAVIGATIONAL = "navigational"


class ContentType(StrEnum):
    POST = "post"
    PAGE = "page"
    PRODUCT = "product"
    SERVICE = "service"


class ContentStructure(StrEnum):
    ARTICLE = "article"
    LISTICLE = "listicle"
    GUIDE = "guide"
    COMPARISON = "comparison"
    REVIEW = "review"
    PRODUCT_PAGE = "product_page"
    HOW_TO = "how_to"


class ContentSource(StrEnum):
    IGNY8 = "igny8"
    WORDPRESS = "wordpress"


class ImageKind(StrEnum):
    FEATURED = "featured"
    IN_ARTICLE = "in_article"


class PublishStatus(StrEnum):
    DRAFT = "draft"
    PUBLISH = "publish"
    FUTURE = "future"


class IdeaRole(StrEnum):
    """An article's place in its cluster: the hub links to every other article of the cluster,
    and each of them links back to the hub."""

    HUB = "hub"  # the cluster's pillar article: the broad topic
    SUPPORTING = "supporting"  # one angle or sub-question of the topic
    ATTRIBUTE = "attribute"  # one attribute or variant of the topic ("waterproof", "for women")
