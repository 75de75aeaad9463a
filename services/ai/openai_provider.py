"""The `openai` provider: any OpenAI-compatible endpoint through the official client.
Embeddings + k-means for clustering, structured output for text, the images endpoint for images."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import io
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar

import numpy as np
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field

from contracts.quality import ArticleQuality
from core.config import Settings
from core.errors import AIOutputError, ValidationError
from services.ai import prompts as P
from services.ai.call_retry import with_retries
from services.ai.openai_client import OpenAIGateway, Structured, api_key, make_client
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
from services.article_contract import check_clean_article
from services.clustering import cluster_vectors

T = TypeVar("T")

# Sent back after an article that breaks the article contract: the model gets one more try.
CONTRACT_REPAIR = (
    "Your article breaks these rules of the brief:\n{violations}\n"
    "Answer again with the complete corrected JSON object: keep what was right, fix every one of "
    "these, and follow all the instructions above."
)
EMBEDDING_BATCH = 512  # inputs per embeddings call (the API takes up to 2048)
CLUSTERS_PER_NAMING_CALL = 20
KEYWORDS_SHOWN_PER_CLUSTER = 30  # the most searched; enough to name a cluster, bounded prompt
# Existing cluster names offered for reuse per naming call. A site with thousands of clusters
# would otherwise pay for all of their names in every call; this run's own names go first.
EXISTING_NAMES_SHOWN = 300
# (loop id, base URL, key, timeout) -> (the loop, its gateway): one client per loop and endpoint.
_GATEWAYS: dict[
    tuple[int, str | None, str, float], tuple[asyncio.AbstractEventLoop, OpenAIGateway]
] = {}

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
    """`AIProvider` on the official async openai client; every failure is a `core.errors`
    error. The async methods are the real ones (an AI worker holds many calls in flight on one
    client); the sync ones run them on a loop of their own, for thread activities and scripts."""

    name = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        model_chat: str,
        model_embeddings: str,
        model_images: str,
        prices: PriceTable | None = None,
        prompts: Mapping[str, P.PromptTemplate] | None = None,
    ) -> None:
        self.settings = settings
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
        api_key(settings)  # a missing key fails here, clearly, not at the first call
        return cls(
            settings,
            model_chat=settings.model_chat,
            model_embeddings=settings.model_embeddings,
            model_images=settings.model_images,
            prices=PriceTable.from_settings(settings),
            prompts=prompts,
        )

    # --- the client of each event loop -----------------------------------------------------------

    @property
    def gateway(self) -> OpenAIGateway:
        """The gateway of the running loop for this endpoint, shared by every provider made on
        the loop: a worker makes a provider per call (per-account prompts), and a client per
        call would pay for a TLS context and a new connection each time."""
        loop = asyncio.get_running_loop()
        s = self.settings
        key = (id(loop), s.openai_base_url, api_key(s), s.openai_timeout_seconds)
        entry = _GATEWAYS.get(key)
        if entry is None or entry[0] is not loop:
            entry = (loop, OpenAIGateway(make_client(s)))
            _GATEWAYS[key] = entry
        return entry[1]

    def _sync(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run an async method to its end on a loop of its own, closing that loop's clients."""

        async def main() -> T:
            loop_id = id(asyncio.get_running_loop())
            try:
                return await call()
            finally:
                for key in [k for k in _GATEWAYS if k[0] == loop_id]:
                    entry = _GATEWAYS.pop(key, None)
                    if entry is not None:
                        await entry[1].client.close()

        return asyncio.run(main())

    # --- stage 1 --------------------------------------------------------------------------------

    def cluster_keywords(
        self, keywords: list[KeywordInput], existing: list[ExistingCluster]
    ) -> AIResult[list[ClusterDraft]]:
        return self._sync(lambda: self.acluster_keywords(keywords, existing))

    async def acluster_keywords(
        self, keywords: list[KeywordInput], existing: list[ExistingCluster]
    ) -> AIResult[list[ClusterDraft]]:
        """Embed, k-means, then name the clusters in batches; ids are re-attached by number."""
        if not keywords:
            return AIResult(value=[], usage=Usage(provider=self.name, model=self.model_chat))
        vectors, embed_tokens = await self._embed([k.text for k in keywords])
        by_id = {k.id: k for k in keywords}
        groups = cluster_vectors([k.id for k in keywords], vectors)

        names_in_use = {c.name.casefold(): c.name for c in existing}
        drafts: dict[str, ClusterDraft] = {}  # by casefolded name: same name → same cluster
        chat_in = chat_out = 0
        for start in range(0, len(groups), CLUSTERS_PER_NAMING_CALL):
            batch = groups[start : start + CLUSTERS_PER_NAMING_CALL]
            offered = [d.name for d in drafts.values()] + [c.name for c in existing]
            answer = await self._name_clusters(batch, by_id, offered[:EXISTING_NAMES_SHOWN])
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
        ids = [[k.id for k in g] for g in groups]
        answer = self._sync(lambda: self._name_clusters(ids, by_id, offered))
        labels = sorted(answer.value.clusters, key=lambda c: c.number)
        return AIResult(value=labels, usage=self._chat_usage(answer))

    def embed_texts(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """One vector per text with the embeddings model, and the tokens spent (one request
        per EMBEDDING_BATCH texts): the `Embedder` services.keyword_clusters stores from."""
        return self._sync(lambda: self._embed(texts))

    async def _embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """One vector per text, in order, and the tokens spent, in batches."""
        rows: list[list[float]] = []
        tokens = 0
        for start in range(0, len(texts), EMBEDDING_BATCH):
            chunk = texts[start : start + EMBEDDING_BATCH]
            embed = functools.partial(self.gateway.embed, self.model_embeddings, chunk)
            vectors, spent = await with_retries(embed, self.settings)
            rows.extend(vectors)
            tokens += spent
        return np.asarray(rows, dtype=np.float32), tokens

    async def aembed_once(self, texts: list[str]) -> AIResult[np.ndarray]:
        """One embeddings request (at most EMBEDDING_BATCH texts), not retried here: stage 1's
        embedding activity is that one request, and Temporal retries it on its own."""
        vectors, tokens = await self.gateway.embed(self.model_embeddings, texts)
        usage = Usage(
            provider=self.name,
            model=self.model_embeddings,
            tokens_in=tokens,
            cost_usd=self.prices.tokens_cost(self.model_embeddings, tokens, 0),
        )
        return AIResult(value=np.asarray(vectors, dtype=np.float32), usage=usage)

    async def aname_cluster_groups(
        self, groups: list[list[KeywordInput]], offered: list[str]
    ) -> AIResult[list[ClusterLabel]]:
        """One naming call, not retried here (its activity is; see aembed_once)."""
        by_id = {k.id: k for g in groups for k in g}
        ids = [[k.id for k in g] for g in groups]
        messages, check = self._naming_request(ids, by_id, offered)
        answer = await self.gateway.structured(self.model_chat, messages, ClusterLabelSet, check)
        labels = sorted(answer.value.clusters, key=lambda c: c.number)
        return AIResult(value=labels, usage=self._chat_usage(answer))

    async def _name_clusters(
        self, batch: list[list[int]], by_id: Mapping[int, KeywordInput], existing: list[str]
    ) -> Structured[ClusterLabelSet]:
        """One chat call naming every cluster of the batch, retried here on its own."""
        messages, check = self._naming_request(batch, by_id, existing)
        return await with_retries(
            lambda: self.gateway.structured(self.model_chat, messages, ClusterLabelSet, check),
            self.settings,
        )

    def _naming_request(
        self, batch: list[list[int]], by_id: Mapping[int, KeywordInput], existing: list[str]
    ) -> tuple[list[dict[str, str]], Callable[[ClusterLabelSet], None]]:
        """The messages naming every cluster of the batch, and the check of its answer (each
        cluster number exactly once, every name non-blank)."""
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

        return messages, check

    # --- stages 2, 4, 5 -------------------------------------------------------------------------

    def generate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]:
        return self._sync(lambda: self.agenerate_ideas(cluster))

    def generate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]:
        return self._sync(lambda: self.agenerate_article(brief))

    def _repaired(
        self, brief: ArticleBrief, first: Structured[ArticleDraft], second: Structured[ArticleDraft]
    ) -> AIResult[ArticleDraft]:
        """The repaired article, with both calls' usage, or the typed error it still earns."""
        second.tokens_in += first.tokens_in
        second.tokens_out += first.tokens_out
        usage = self._chat_usage(second)
        usage.repair_rounds = 1
        _, quality = check_clean_article(second.value, brief, brief.site)
        if not quality.passed:
            raise ValidationError(
                "The article still broke the article contract after one repair round: "
                + quality.violation_text(),
                details={"quality": quality.model_dump(mode="json"), **usage.model_dump()},
            )
        return AIResult(value=second.value, usage=usage)

    def generate_image_prompts(self, brief: ImagePromptBrief) -> AIResult[ImagePromptSet]:
        return self._sync(lambda: self.agenerate_image_prompts(brief))

    def generate_image(self, prompt: str, width: int, height: int) -> AIResult[GeneratedImage]:
        return self._sync(lambda: self.agenerate_image(prompt, width, height))

    async def agenerate_ideas(self, cluster: ClusterBrief) -> AIResult[IdeaSet]:
        """3-7 content ideas with outlines for one cluster: one hub, the others supporting it."""
        messages = self.prompts[P.IDEAS].messages(P.ideas_values(cluster))
        answer = await self.gateway.structured(self.model_chat, messages, IdeaSet, _one_hub)
        return AIResult(value=answer.value, usage=self._chat_usage(answer))

    async def agenerate_article(self, brief: ArticleBrief) -> AIResult[ArticleDraft]:
        """The article for the brief, held to the article contract: a first answer that breaks
        it gets one repair round with the violations; still broken is a ValidationError."""
        messages = self.prompts[P.ARTICLE].messages(P.article_values(brief))
        answer = await self.gateway.structured(self.model_chat, messages, ArticleDraft)
        _, quality = check_clean_article(answer.value, brief, brief.site)
        if quality.passed:
            return AIResult(value=answer.value, usage=self._chat_usage(answer))
        repair = contract_repair(messages, answer.value, quality)
        second = await self.gateway.structured(self.model_chat, repair, ArticleDraft)
        return self._repaired(brief, answer, second)

    async def agenerate_image_prompts(self, brief: ImagePromptBrief) -> AIResult[ImagePromptSet]:
        """A featured prompt and at most `max_in_article` in-article prompts."""
        messages = self.prompts[P.IMAGE_PROMPTS].messages(P.image_prompt_values(brief))
        answer = await self.gateway.structured(self.model_chat, messages, ImagePromptSet)
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

    async def agenerate_image(
        self, prompt: str, width: int, height: int
    ) -> AIResult[GeneratedImage]:
        """A PNG from the images endpoint; width/height are read from the image itself."""
        model = self.model_images
        w, h = image_size(model, width, height)
        encoded, tokens_in, tokens_out = await self.gateway.image(model, prompt, f"{w}x{h}")
        # Decoding is CPU work: off the event loop, which holds every other call in flight.
        png, real_w, real_h = await asyncio.to_thread(_as_png, encoded)
        usage = Usage(
            provider=self.name,
            model=model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=self.prices.image_cost(model, tokens_in, tokens_out, images=1),
        )
        return AIResult(value=GeneratedImage(png=png, width=real_w, height=real_h), usage=usage)


def _one_hub(answer: IdeaSet) -> None:
    """The ideas check: exactly one hub per cluster (the internal links hang on it)."""
    hubs = sum(1 for idea in answer.ideas if idea.role == "hub")
    if hubs != 1:
        raise ValueError(f'exactly one idea must have the role "hub" (the answer had {hubs})')


def contract_repair(
    messages: list[dict[str, str]], draft: ArticleDraft, quality: ArticleQuality
) -> list[dict[str, str]]:
    """The conversation with the flawed article and its violations appended."""
    violations = "\n".join(f"- {r.rule}: {r.reason}" for r in quality.violations)
    return [
        *messages,
        {"role": "assistant", "content": draft.model_dump_json()},
        {"role": "user", "content": CONTRACT_REPAIR.format(violations=violations)},
    ]


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
            if image.format == "PNG":
                image.verify()  # every chunk's checksum, without decoding the pixels
                return raw, image.width, image.height
            image.load()
            out = io.BytesIO()
            image.save(out, format="PNG")
            return out.getvalue(), image.width, image.height
    except (binascii.Error, ValueError, SyntaxError, UnidentifiedImageError, OSError) as exc:
        raise AIOutputError(f"OpenAI sent image data that is not an image ({exc})") from None
