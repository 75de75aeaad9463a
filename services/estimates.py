"""What a run would cost before it starts: items per stage now, plus what earlier stages of the
same run will make, times the configured credits per item."""

from __future__ import annotations

import math

from sqlmodel import Session

from contracts.stages import (
    ALL_STAGES,
    MAX_IN_ARTICLE_IMAGES,
    MIN_KEYWORDS_TO_CLUSTER,
    STAGES,
    Stage,
)
from core.config import Settings
from models.run_schemas import RunEstimate, StageEstimate
from services import credits
from services.stages.registry import eligible_count

# Rough yields of one stage's item into the next stage's items, for projecting a whole run.
KEYWORDS_PER_CLUSTER = 8
IDEAS_PER_CLUSTER = 5
IMAGES_PER_ARTICLE = 1 + MAX_IN_ARTICLE_IMAGES


def _made_by(stage: Stage, items: int) -> int:
    """Items the next stage gets from `items` processed by `stage`."""
    if stage == Stage.CLUSTER_KEYWORDS:
        if items < MIN_KEYWORDS_TO_CLUSTER:
            return 0
        return math.ceil(items / KEYWORDS_PER_CLUSTER)
    if stage == Stage.GENERATE_IDEAS:
        return items * IDEAS_PER_CLUSTER
    if stage == Stage.GENERATE_IMAGE_PROMPTS:
        return items * IMAGES_PER_ARTICLE
    if stage == Stage.GENERATE_IMAGES:
        return math.ceil(items / IMAGES_PER_ARTICLE)  # articles whose images are done
    return items  # queue_ideas: idea -> task; generate_content: task -> article


def estimate_run(
    session: Session,
    settings: Settings,
    account_id: int,
    site_id: int,
    stages: list[int] | None = None,
) -> RunEstimate:
    """Credits a run of these stages (default: all) would need, per stage and in total."""
    chosen = set(stages or ALL_STAGES)
    out: list[StageEstimate] = []
    carried = 0  # items the previous chosen stage hands on
    for number in ALL_STAGES:
        stage = Stage(number)
        if number not in chosen:
            carried = 0
            continue
        now = eligible_count(session, site_id, number)
        if stage == Stage.CLUSTER_KEYWORDS and now < MIN_KEYWORDS_TO_CLUSTER:
            now = 0  # the stage skips (no charge) below the minimum
        projected = now + carried
        per_item = credits.cost_per_item(number, settings)
        info = STAGES[stage]
        out.append(
            StageEstimate(
                stage=number,
                name=info.name,
                item_kind=info.item_kind,
                eligible_now=now,
                projected=projected,
                credits_per_item=per_item,
                credits=projected * per_item,
            )
        )
        carried = _made_by(stage, projected)
    total = sum(s.credits for s in out)
    balance = credits.balance(session, account_id)
    return RunEstimate(
        stages=out, total_credits=total, balance=balance, sufficient=total <= balance
    )
