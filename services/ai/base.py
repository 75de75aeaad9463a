"""The one provider interface both AI providers implement (sync: called from activity threads)."""

from __future__ import annotations

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
