"""The `local` AI provider: the offline, deterministic embedded default.

It produces the same schemas as a language model would, from the keywords themselves: lexical
clustering, template outlines and articles, and PNGs drawn with Pillow. Every output is recorded
with provider "local" and model "igny8-local-v1", costs nothing, and uses no tokens, so the UI
never presents it as a model's work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from core.errors import AIProviderError
from services.ai.base import AsyncFromSync
from services.ai.local_ideas import build_ideas
from services.ai.local_image import MAX_SIDE, MIN_SIDE, build_prompts, draw_png
from services.ai.local_text import write_article
from services.ai.schemas import (
    AIResult,
    ArticleBrief,
    ArticleDraft,
    ClusterBrief,
    ClusterDraft,
    ExistingCluster,
    GeneratedImage,
    IdeaSet,
    ImagePromptBrief,
    ImagePromptSet,
    KeywordInput,
    Usage,
)
from services.clustering import ClusterGroup, cluster_texts

PROVIDER = "local"
MODEL = "igny8-local-v1"
INTENTS = ("informational", "commercial", "transactional", "navigational")

P = ParamSpec("P")
R = TypeVar("R")


def _as_provider_error(method: Callable[P, R]) -> Callable[P, R]:
    """A bug in deterministic code fails the same way on every retry: report it as permanent."""

    @wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except AIProviderError:
            raise
        except Exception as exc:
            raise AIProviderError(
                f"local provider failed in {method.__name__}: {exc}", retryable=False
            ) from exc

    return wrapper


class LocalProvider(AsyncFromSync):
    """Offline provider: lexical clustering, template writing, locally drawn images."""

    name = PROVIDER
    model = MODEL

    def _result(self, value: R) -> AIResult[R]:
        return AIResult(value=value, usage=Usage(provider=self.name, model=self.model))

    @_as_provider_error
    def cluster_keywords(
        self, keywords: list[KeywordInput], existing: list[ExistingCluster]
    ) -> AIResult[list[ClusterDraft]]:
        """Lexical clusters of the keywords; a group about an existing cluster takes its name."""
        unique: list[KeywordInput] = []
        seen: set[int] = set()
        for kw in keywords:  # an id given twice is still clustered once
            if kw.id not in seen:
                seen.add(kw.id)
                unique.append(kw)
        groups = cluster_texts([(k.id, k.text) for k in unique], [c.name for c in existing])
        by_id = {k.id: k for k in unique}
        drafts = [_draft(group, [by_id[i] for i in group.ids]) for group in groups]
        return self._result(drafts)

    @_as_provider_error
    def describe_cluster_groups(
        self, groups: list[tuple[str, list[str]]], members: list[list[KeywordInput]]
    ) -> list[tuple[str, str]]:
        """(description, intent) of each named group of stage 1's clustering, from its keywords."""
        return [
            describe_group(name, terms, kws)
            for (name, terms), kws in zip(groups, members, strict=True)
        ]

    @_as_provider_error
    def generate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]:
        """3-7 ideas whose outlines and covered keywords come from the cluster's keywords."""
        return self._result(build_ideas(cluster))

    @_as_provider_error
    def generate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]:
        """Template-written HTML that follows the outline and reaches the word target."""
        return self._result(write_article(brief))

    @_as_provider_error
    def generate_image_prompts(self, brief: ImagePromptBrief) -> AIResult[ImagePromptSet]:
        """A featured prompt and one per leading section heading."""
        return self._result(build_prompts(brief))

    @_as_provider_error
    def generate_image(self, prompt: str, width: int, height: int) -> AIResult[GeneratedImage]:
        """A PNG drawn locally from a hash of the prompt."""
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise AIProviderError(
                f"Image size {width}×{height} is outside {MIN_SIDE}–{MAX_SIDE} pixels per side",
                retryable=False,
            )
        png = draw_png(prompt, width, height)
        return self._result(GeneratedImage(png=png, width=width, height=height))


def _draft(group: ClusterGroup, members: list[KeywordInput]) -> ClusterDraft:
    """A cluster draft: intent by volume-weighted vote, a description from its keywords."""
    description, intent = describe_group(group.name, group.terms, members)
    return ClusterDraft(
        name=group.name, description=description, intent=intent, keyword_ids=list(group.ids)
    )


def describe_group(name: str, terms: list[str], members: list[KeywordInput]) -> tuple[str, str]:
    """(description, intent) of a group of keywords named `name`, from the keywords alone."""
    votes: dict[str, float] = defaultdict(float)
    for kw in members:
        intent = kw.intent if kw.intent in INTENTS else "informational"
        votes[intent] += max(0, kw.volume) + 1  # +1: keywords without volume still count
    intent = max(INTENTS, key=lambda i: (votes.get(i, 0.0), -INTENTS.index(i)))
    top = max(members, key=lambda k: (k.volume, -members.index(k)))
    volume = sum(max(0, k.volume) for k in members)
    count = f"{len(members)} keyword{'s' if len(members) != 1 else ''}"
    description = f"{count} about {name} ({volume:,} searches a month), led by “{top.text}”."
    if terms:
        description += f" Also covers: {', '.join(terms[:4])}."
    description += f" Mostly {intent} intent. Grouped locally by shared terms."
    return description, intent
