"""The seven automation stages: numbers, names, defaults and costs, defined once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Stage(IntEnum):
    CLUSTER_KEYWORDS = 1
    GENERATE_IDEAS = 2
    QUEUE_IDEAS = 3
    GENERATE_CONTENT = 4
    GENERATE_IMAGE_PROMPTS = 5
    GENERATE_IMAGES = 6
    REVIEW = 7


@dataclass(frozen=True)
class StageInfo:
    stage: Stage
    name: str
    item_kind: str  # what one queue item is
    uses_ai: bool
    batch_size: int  # items per activity call (overridable per site)
    concurrency: int  # batches in flight at once (overridable per site)
    credits_per_item: int  # default cost; see core.credits for overrides


STAGES: dict[Stage, StageInfo] = {
    s.stage: s
    for s in (
        StageInfo(Stage.CLUSTER_KEYWORDS, "cluster_keywords", "keyword", True, 2000, 1, 1),
        StageInfo(Stage.GENERATE_IDEAS, "generate_ideas", "cluster", True, 5, 2, 10),
        StageInfo(Stage.QUEUE_IDEAS, "queue_ideas", "idea", False, 100, 1, 0),
        StageInfo(Stage.GENERATE_CONTENT, "generate_content", "task", True, 5, 2, 50),
        StageInfo(
            Stage.GENERATE_IMAGE_PROMPTS, "generate_image_prompts", "content", True, 10, 2, 5
        ),
        StageInfo(Stage.GENERATE_IMAGES, "generate_images", "image", True, 10, 2, 20),
        StageInfo(Stage.REVIEW, "review", "content", False, 50, 1, 0),
    )
}

STAGE_BY_NAME: dict[str, Stage] = {info.name: info.stage for info in STAGES.values()}
ALL_STAGES: tuple[int, ...] = tuple(int(s) for s in Stage)
FIRST_STAGE, LAST_STAGE = min(ALL_STAGES), max(ALL_STAGES)  # the bounds the API validates
# Stages whose every item is one AI call, made by its own activity on the AI task queue.
AI_ITEM_STAGES = (
    Stage.GENERATE_IDEAS,
    Stage.GENERATE_CONTENT,
    Stage.GENERATE_IMAGE_PROMPTS,
    Stage.GENERATE_IMAGES,
)
# Clustering a handful of keywords gives meaningless groups; the stage skips below this.
MIN_KEYWORDS_TO_CLUSTER = 5
# Stages a user may run by hand on chosen items (queue_ideas and review are not AI work).
MANUAL_AI_STAGES = (
    Stage.CLUSTER_KEYWORDS,
    Stage.GENERATE_IDEAS,
    Stage.GENERATE_CONTENT,
    Stage.GENERATE_IMAGE_PROMPTS,
    Stage.GENERATE_IMAGES,
)
# In-article images per article (plus one featured image).
MAX_IN_ARTICLE_IMAGES = 3
