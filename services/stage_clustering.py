"""Stage 1 for one run: all its keywords clustered together, in the steps of
services.keyword_clusters (embed what is missing, group, name each group, and the stage service
saves). Today the steps run in one activity; each is a function a workflow can call as an
activity of its own (embedding chunks and naming calls are independent and retryable)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from services.ai.schemas import AIResult, KeywordInput, Usage
from services.group_naming import GROUPS_PER_NAMING_CALL, name_groups, names_by_model
from services.keyword_clusters import (
    GroupName,
    KeywordGroup,
    anchor_ids,
    embed_missing,
    group_keywords,
    local_method,
)
from services.stages.base import StageContext

log = logging.getLogger(__name__)


class _MiniLM:
    """The offline model as an `Embedder` (no tokens, no cost)."""

    def __init__(self) -> None:
        from services.ai.local_embeddings import MODEL_NAME, MiniLMEmbedder

        self.model = MODEL_NAME
        self._inner = MiniLMEmbedder()

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        return self._inner.embed(texts), 0


class _ProviderEmbedder:
    """The provider's embeddings endpoint as an `Embedder`, keyed by its model name."""

    def __init__(self, provider: Any) -> None:
        self.model = str(provider.model_embeddings)
        self._provider = provider

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        vectors, tokens = self._provider.embed_texts(texts)
        return np.asarray(vectors, dtype=np.float32), int(tokens)


def cluster_stage(ctx: StageContext, keywords: list[KeywordInput]) -> AIResult[Any]:
    """(group, name) pairs for all the keywords, the site's existing clusters as candidates."""
    provider: Any = ctx.provider
    embed_tokens = 0
    if hasattr(provider, "embed_texts"):
        embedder: Any = _ProviderEmbedder(provider)
        dense = False  # the provider's vectors are grouped by k-means, as before
    elif local_method(ctx.settings) == "semantic":
        embedder, dense = _MiniLM(), True
    else:
        embedder = None
    if embedder is not None:
        ids = [k.id for k in keywords] + anchor_ids(ctx.site_id)
        _, embed_tokens = embed_missing(ctx.site_id, ids, embedder)
        groups = group_keywords(
            ctx.site_id, keywords, vectors_model=embedder.model, dense_thresholds=dense
        )
        method = f"vectors of {embedder.model}"
    else:
        groups = group_keywords(ctx.site_id, keywords)
        method = "lexical"
    log.info("clustering: %d keywords into %d groups (%s)", len(keywords), len(groups), method)
    named, usage = _name_all(provider, groups, keywords)
    if embed_tokens:
        usage.tokens_in += embed_tokens
        prices = getattr(provider, "prices", None)
        if prices is not None:
            usage.cost_usd += prices.tokens_cost(embedder.model, embed_tokens, 0)
    return AIResult[Any](value=named, usage=usage)


def _name_all(
    provider: Any, groups: list[KeywordGroup], keywords: list[KeywordInput]
) -> tuple[list[tuple[KeywordGroup, GroupName]], Usage]:
    """Every new group named, GROUPS_PER_NAMING_CALL per call; groups joining an existing
    cluster need no name."""
    by_id = {k.id: k for k in keywords}
    model = getattr(provider, "model_chat", getattr(provider, "model", ""))
    usage = Usage(provider=provider.name, model=str(model))
    named: list[tuple[KeywordGroup, GroupName]] = [
        (g, GroupName(name=g.name, description="", intent="informational"))
        for g in groups
        if g.existing_cluster_id is not None
    ]
    fresh = [g for g in groups if g.existing_cluster_id is None]
    by_model = names_by_model(provider)
    per_call = GROUPS_PER_NAMING_CALL if by_model else max(len(fresh), 1)
    offered: list[str] = []
    # A local provider is called once even with nothing new to name: stage 1 always reaches it.
    for start in range(0, len(fresh) if by_model else 1, per_call):
        chunk = fresh[start : start + per_call]
        members = [[by_id[i] for i in g.ids] for g in chunk]
        for group, label in zip(chunk, name_groups(provider, chunk, members, offered), strict=True):
            named.append((group, label))
            offered.append(label.name)
            if label.usage is not None:
                usage.tokens_in += label.usage.tokens_in
                usage.tokens_out += label.usage.tokens_out
                usage.cost_usd += label.usage.cost_usd
                usage.model = label.usage.model
    return named, usage
