"""The one provider interface both AI providers implement: each call in a sync form (for thread
activities and scripts) and an async form (for the AI workers, which hold many calls at once)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

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
)


class AIProvider(Protocol):
    """Each method raises `core.errors.AIProviderError` (or a subclass) on failure."""

    name: str  # "local" | "openai": recorded on every item the provider makes

    def cluster_keywords(
        self, keywords: list[KeywordInput], existing: list[ExistingCluster]
    ) -> AIResult[list[ClusterDraft]]:
        """Group keywords into topical clusters. A draft whose name equals an existing cluster's
        name joins that cluster. Every input keyword id appears in exactly one draft."""
        ...

    def generate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]:
        """3-7 content ideas with outlines for one cluster."""
        ...

    def generate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]:
        """An article in valid HTML that follows the outline and reaches the target word count."""
        ...

    def generate_image_prompts(self, brief: ImagePromptBrief) -> AIResult[ImagePromptSet]:
        """A featured image prompt and up to `max_in_article` in-article prompts."""
        ...

    def generate_image(self, prompt: str, width: int, height: int) -> AIResult[GeneratedImage]:
        """A PNG image for the prompt."""
        ...

    async def agenerate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]: ...

    async def agenerate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]: ...

    async def agenerate_image_prompts(
        self, brief: ImagePromptBrief
    ) -> AIResult[ImagePromptSet]: ...

    async def agenerate_image(
        self, prompt: str, width: int, height: int
    ) -> AIResult[GeneratedImage]: ...


# Local (CPU) work of the async forms runs here, apart from the threads that talk to the database.
_LOCAL_WORK = ThreadPoolExecutor(max_workers=16, thread_name_prefix="igny8-local-ai")


class AsyncFromSync:
    """The async forms for a provider whose work is local: each runs its sync form in a thread."""

    async def agenerate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]:
        return await _in_thread(self.generate_ideas, cluster)  # type: ignore[attr-defined]

    async def agenerate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]:
        return await _in_thread(self.generate_article, brief)  # type: ignore[attr-defined]

    async def agenerate_image_prompts(self, brief: ImagePromptBrief) -> AIResult[ImagePromptSet]:
        return await _in_thread(self.generate_image_prompts, brief)  # type: ignore[attr-defined]

    async def agenerate_image(
        self, prompt: str, width: int, height: int
    ) -> AIResult[GeneratedImage]:
        return await _in_thread(self.generate_image, prompt, width, height)  # type: ignore[attr-defined]


async def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    return await asyncio.get_running_loop().run_in_executor(_LOCAL_WORK, fn, *args)
