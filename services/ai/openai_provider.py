"""The `openai` provider: any OpenAI-compatible endpoint through the official client.
Embeddings + k-means for clustering, structured output for text, the images endpoint for images."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from openai import OpenAI
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from core.config import Settings
from core.errors import AIOutputError
from services.ai import prompts as P
from services.ai.openai_client import OpenAIGateway, Structured, make_client
from services.ai.pricing import PriceTable
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
from services.clustering import cluster_vectors

EMBEDDING_BATCH = 512  # inputs per embeddings call (the API takes up to 2048)
CLUSTERS_PER_NAMING_CALL = 20
KEYWORDS_SHOWN_PER_CLUSTER = 30  # the most searched; enough to name a cluster, bounded prompt
# Existing cluster names offered for reuse per naming call. A site with thousands of clusters
# would otherwise pay for all of their names in every call; this run's own names go first.
EXISTING_NAMES_SHOWN = 300

# Sizes each image model accepts; other models get the requested size as is.
IMAGE_SIZES: dict[str, tuple[tuple[int, int], ...]] = {
    "gpt-image": ((1024, 1024), (1536, 1024), (1024, 1536)),
    "dall-e-3": ((1024, 1024), (1792, 1024), (1024, 1792)),
    "dall-e-2": ((256, 256), (512, 512), (1024, 1024)),
}


class ClusterLabel(BaseModel):
    """The model's answer for one numbered cluster (keyword ids never pass through the model)."""

    number: int
    name: str = Field(min_length=1, max_length=120)
    description: str
    intent: Literal["informational", "commercial", "transactional", "navigational"]


class ClusterLabelSet(BaseModel):
    clusters: list[ClusterLabel]


class OpenAIProvider:
    """`AIProvider` on the official openai client; every failure is a `core.errors` error."""

    name = "openai"

    def __init__(
        self,
        client: OpenAI,
        *,
        model_chat: str,
        model_embeddings: str,
        model_images: str,
        prices: PriceTable | None = None,
        prompts: Mapping[str, P.PromptTemplate] | None = None,
    ) -> None:
        self.gateway = OpenAIGateway(client)
        self.model_chat = model_chat
        self.model_embeddings = model_embeddings
        self.model_images = model_images
        self.prices = prices or PriceTable()
        self.prompts = {**P.DEFAULT_PROMPTS, **(prompts or {})}

    @classmethod
    def from_settings(
        cls, settings: Settings, prompts: Mapping[str, P.PromptTemplate] | None = None
    ) -> OpenAIProvider:
        """The provider for the configured endpoint, with an account's prompt overrides."""
        return cls(
            make_client(settings),
            model_chat=settings.model_chat,
            model_embeddings=settings.model_embeddings,
            model_images=settings.model_images,
            prices=PriceTable.from_settings(settings),
            prompts=prompts,
        )

    # --- stage 1 --------------------------------------------------------------------------------

    def cluster_keywords(
        self, keywords: list[KeywordInput], existing: list[ExistingCluster]
    ) -> AIResult[list[ClusterDraft]]:
        """Embed, k-means, then name the clusters in batches; ids are re-attached by number."""
        if not keywords:
            return AIResult(value=[], usage=Usage(provider=self.name, model=self.model_chat))
        vectors, embed_tokens = self._embed([k.text for k in keywords])
        by_id = {k.id: k for k in keywords}
        groups = cluster_vectors([k.id for k in keywords], vectors)

        names_in_use = {c.name.casefold(): c.name for c in existing}
        drafts: dict[str, ClusterDraft] = {}  # by casefolded name: same name → same cluster
        chat_in = chat_out = 0
        for start in range(0, len(groups), CLUSTERS_PER_NAMING_CALL):
            batch = groups[start : start + CLUSTERS_PER_NAMING_CALL]
            offered = [d.name for d in drafts.values()] + [c.name for c in existing]
            answer = self._name_clusters(batch, by_id, offered[:EXISTING_NAMES_SHOWN])
            chat_in, chat_out = chat_in + answer.tokens_in, chat_out + answer.tokens_out
            for label in answer.value.clusters:
                ids = batch[label.number - 1]
                key = label.name.strip().casefold()
                name = names_in_use.setdefault(key, label.name.strip())
                if key in drafts:
                    drafts[key].keyword_ids.extend(ids)
                else:
                    drafts[key] = ClusterDraft(
                        name=name, description=label.description, intent=label.intent,
                        keyword_ids=list(ids),
                    )  # fmt: skip
        cost = self.prices.tokens_cost(self.model_embeddings, embed_tokens, 0)
        cost += self.prices.tokens_cost(self.model_chat, chat_in, chat_out)
        usage = Usage(
            provider=self.name,
            model=f"{self.model_embeddings}+{self.model_chat}"[:100],
            tokens_in=embed_tokens + chat_in,
            tokens_out=chat_out,
            cost_usd=round(cost, 8),
        )
        return AIResult(value=list(drafts.values()), usage=usage)

    def name_cluster_groups(
        self, groups: list[list[KeywordInput]], offered: list[str]
    ) -> AIResult[list[ClusterLabel]]:
        """One chat call naming a few groups (answers in group order); retry it on its own."""
        by_id = {k.id: k for g in groups for k in g}
        answer = self._name_clusters([[k.id for k in g] for g in groups], by_id, offered)
        labels = sorted(answer.value.clusters, key=lambda c: c.number)
        return AIResult(value=labels, usage=self._chat_usage(answer))

    def embed_texts(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """One vector per text with the embeddings model, and the tokens spent (one request
        per EMBEDDING_BATCH texts): the `Embedder` services.keyword_clusters stores from."""
        return self._embed(texts)

    def _embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """One vector per text, in order, and the tokens spent, in batches."""
        rows: list[list[float]] = []
        tokens = 0
        for start in range(0, len(texts), EMBEDDING_BATCH):
            vectors, spent = self.gateway.embed(
                self.model_embeddings, texts[start : start + EMBEDDING_BATCH]
            )
            rows.extend(vectors)
            tokens += spent
        return np.asarray(rows, dtype=np.float32), tokens

    def _name_clusters(
        self, batch: list[list[int]], by_id: Mapping[int, KeywordInput], existing: list[str]
    ) -> Structured[ClusterLabelSet]:
        """One chat call naming every cluster of the batch, answered per cluster number."""
        shown = [
            [by_id[i].text for i in sorted(ids, key=lambda i: -by_id[i].volume)][
                :KEYWORDS_SHOWN_PER_CLUSTER
            ]
            for ids in batch
        ]
        messages = self.prompts[P.CLUSTER_NAMING].messages(P.cluster_naming_values(shown, existing))
        expected = set(range(1, len(batch) + 1))

        def check(answer: ClusterLabelSet) -> None:
            numbers = [c.number for c in answer.clusters]
            missing = sorted(expected - set(numbers))
            unknown = sorted(set(numbers) - expected)
            repeated = sorted({n for n in numbers if numbers.count(n) > 1})
            if missing or unknown or repeated:
                raise ValueError(
                    f"answer exactly once for each cluster number 1-{len(batch)} "
                    f"(missing {missing}, unknown {unknown}, repeated {repeated})"
                )
            if any(not c.name.strip() for c in answer.clusters):
                raise ValueError("every cluster needs a non-blank name")

        return self.gateway.structured(self.model_chat, messages, ClusterLabelSet, check)

    # --- stages 2, 4, 5 -------------------------------------------------------------------------

    def generate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]:
        """3-7 content ideas with outlines for one cluster."""
        messages = self.prompts[P.IDEAS].messages(P.ideas_values(cluster))
        answer = self.gateway.structured(self.model_chat, messages, IdeaSet)
        return AIResult(value=answer.value, usage=self._chat_usage(answer))

    def generate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]:
        """The article for the brief; the outline, keywords, type and length reach the prompt."""
        messages = self.prompts[P.ARTICLE].messages(P.article_values(brief))
        answer = self.gateway.structured(self.model_chat, messages, ArticleDraft)
        return AIResult(value=answer.value, usage=self._chat_usage(answer))

    def generate_image_prompts(self, brief: ImagePromptBrief) -> AIResult[ImagePromptSet]:
        """A featured prompt and at most `max_in_article` in-article prompts."""
        messages = self.prompts[P.IMAGE_PROMPTS].messages(P.image_prompt_values(brief))
        answer = self.gateway.structured(self.model_chat, messages, ImagePromptSet)
        value = answer.value
        # Extra prompts are not an error worth a retry: the limit is ours, keep the first ones.
        value.in_article = value.in_article[: max(brief.max_in_article, 0)]
        return AIResult(value=value, usage=self._chat_usage(answer))

    def _chat_usage(self, answer: Structured[Any]) -> Usage:
        cost = self.prices.tokens_cost(answer.model, answer.tokens_in, answer.tokens_out)
        return Usage(
            provider=self.name,
            model=answer.model,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            cost_usd=cost,
        )

    # --- stage 6 --------------------------------------------------------------------------------

    def generate_image(self, prompt: str, width: int, height: int) -> AIResult[GeneratedImage]:
        """A PNG from the images endpoint; width/height are read from the image itself."""
        model = self.model_images
        w, h = image_size(model, width, height)
        encoded, tokens_in, tokens_out = self.gateway.image(model, prompt, f"{w}x{h}")
        png, real_w, real_h = _as_png(encoded)
        usage = Usage(
            provider=self.name,
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=self.prices.image_cost(model, tokens_in, tokens_out, images=1),
        )
        return AIResult(value=GeneratedImage(png=png, width=real_w, height=real_h), usage=usage)


def image_size(model: str, width: int, height: int) -> tuple[int, int]:
    """The size the model supports closest in shape to the request (then in area)."""
    sizes = next((s for prefix, s in IMAGE_SIZES.items() if model.startswith(prefix)), None)
    if not sizes:
        return width, height
    ratio = width / max(height, 1)
    return min(sizes, key=lambda s: (abs(s[0] / s[1] - ratio), abs(s[0] * s[1] - width * height)))


def _as_png(encoded: str) -> tuple[bytes, int, int]:
    """Decoded image bytes as PNG (converted if the server sent another format) and its size."""
    try:
        raw = base64.b64decode(encoded, validate=True)
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            if image.format == "PNG":
                return raw, image.width, image.height
            out = io.BytesIO()
            image.save(out, format="PNG")
            return out.getvalue(), image.width, image.height
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError) as exc:
        raise AIOutputError(f"OpenAI sent image data that is not an image ({exc})") from None
