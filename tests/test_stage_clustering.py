"""Stage 1 as a user sees it: a run clusters all its keywords together whatever the batch size,
new keywords join the site's existing clusters, and embeddings are paid for once."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pydantic import SecretStr
from sqlmodel import col, select
from temporalio.client import Client

from contracts.run import RunProgress
from contracts.stages import Stage
from core.config import get_settings
from core.db import session_scope
from models import AutomationConfig, Cluster, Keyword, KeywordEmbedding
from services import credits, runs
from services.ai.local import LocalProvider
from services.keyword_clusters import embed_missing, load_vectors, save_clusters
from services.keyword_rows import normalize_keyword
from services.stage_clustering import cluster_stage
from services.stages.base import StageContext
from services.stages.planning import load_scope
from tests.helpers import count, seed_site
from tests.helpers.fake_openai import FakeOpenAI
from worker import build_worker


class CountingEmbedder:
    """Deterministic vectors from a text's words; counts what it was asked to embed."""

    model = "test-words-v1"

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.texts: list[str] = []
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed(self, texts: list[str]) -> tuple[np.ndarray, int]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise ConnectionError("provider went away")
        self.texts.extend(texts)
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                out[row, sum(map(ord, word)) % 32] += 1.0
        return out, 3 * len(texts)


def _settings(task_queue: str, **update: object):  # type: ignore[no-untyped-def]
    return get_settings().model_copy(update={"task_queue": task_queue, **update})


def _ctx(site: tuple[int, int], clustering: str = "lexical") -> StageContext:
    return StageContext(
        run_id=f"test-{site[1]}",
        account_id=site[0],
        site_id=site[1],
        stage=Stage.CLUSTER_KEYWORDS,
        settings=get_settings().model_copy(update={"clustering": clustering}),
        provider=LocalProvider(),
    )


def _partition(site_id: int) -> set[frozenset[str]]:
    with session_scope() as s:
        rows = s.exec(select(Keyword.cluster_id, Keyword.text).where(Keyword.site_id == site_id))
        by_cluster: dict[int | None, set[str]] = {}
        for cluster_id, text in rows:
            by_cluster.setdefault(cluster_id, set()).add(text)
    assert None not in by_cluster, "every keyword must be clustered"
    return {frozenset(v) for v in by_cluster.values()}


def _cluster_whole_site(site: tuple[int, int]) -> None:
    ctx = _ctx(site)
    with session_scope() as s:
        ids = list(s.exec(select(Keyword.id).where(Keyword.site_id == site[1])).all())
        keywords = load_scope(s, ctx, ids)  # type: ignore[arg-type]
    result = cluster_stage(ctx, keywords)
    with session_scope() as s:
        save_clusters(s, site[0], site[1], result.value, set(ids), "local", "igny8-local-v1")  # type: ignore[arg-type]


def _add_keywords(site: tuple[int, int], texts: list[str]) -> None:
    with session_scope() as s:
        for text in texts:
            s.add(
                Keyword(
                    account_id=site[0],
                    site_id=site[1],
                    text=text,
                    normalized=normalize_keyword(text),
                    volume=10,
                )
            )


async def test_a_run_in_small_batches_clusters_like_one_batch(client: Client, task_queue: str):
    """Batches of 15 keywords give the clusters of the 60 clustered at once, charged once each."""
    reference = seed_site(keywords=60)
    _cluster_whole_site(reference)
    site = seed_site(keywords=60)
    with session_scope() as s:
        s.add(
            AutomationConfig(account_id=site[0], site_id=site[1], stages=[1], batch_sizes={"1": 15})
        )
    settings = _settings(task_queue, clustering="lexical")
    async with build_worker(client, settings, task_queue):
        run_id = await runs.start_run(
            client, settings, account_id=site[0], site_id=site[1], trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    stage1 = result.stages[0]
    assert stage1.status == "completed" and stage1.completed == 60
    clusters = count(Cluster, site_id=site[1])
    assert stage1.message == f"60 keywords mapped into {clusters} clusters"
    assert _partition(site[1]) == _partition(reference[1])
    assert result.credits_used == 60 * credits.cost_per_item(Stage.CLUSTER_KEYWORDS, settings)


def test_new_keywords_join_the_existing_cluster_they_belong_to() -> None:
    site = seed_site(keywords=60)
    _cluster_whole_site(site)
    with session_scope() as s:
        before = {
            c.id: c.keywords_count
            for c in s.exec(select(Cluster).where(Cluster.site_id == site[1]))
        }
        shoes = s.exec(
            select(Keyword.cluster_id).where(
                Keyword.site_id == site[1], Keyword.text == "trail running shoes"
            )
        ).first()
    assert shoes is not None
    _add_keywords(site, ["trail running shoes for mud", "best waterproof trail running shoes 2026"])
    _cluster_whole_site(site)
    with session_scope() as s:
        joined = s.exec(
            select(Keyword.cluster_id).where(
                col(Keyword.text).in_(
                    ["trail running shoes for mud", "best waterproof trail running shoes 2026"]
                ),
                Keyword.site_id == site[1],
            )
        ).all()
        after = s.get(Cluster, shoes)
    assert set(joined) == {shoes}, "new trail shoe keywords made a twin cluster"
    assert after is not None and after.keywords_count == before[shoes] + 2
    assert count(Cluster, site_id=site[1]) == len(before)


def test_embeddings_are_stored_per_chunk_and_never_paid_twice() -> None:
    site = seed_site(keywords=60)
    with session_scope() as s:
        ids = sorted(s.exec(select(Keyword.id).where(Keyword.site_id == site[1])).all())
    failing = CountingEmbedder(fail_on_call=3)
    with pytest.raises(ConnectionError):
        embed_missing(site[1], ids, failing, chunk=20)  # type: ignore[arg-type]
    assert count(KeywordEmbedding, site_id=site[1]) == 40  # two chunks kept before the failure

    retry = CountingEmbedder()
    embedded, tokens = embed_missing(site[1], ids, retry, chunk=20)  # type: ignore[arg-type]
    assert (embedded, tokens, retry.calls) == (20, 60, 1)  # only the chunk that failed
    again = CountingEmbedder()
    assert embed_missing(site[1], ids, again, chunk=20) == (0, 0)  # type: ignore[arg-type]
    assert again.calls == 0

    vectors = load_vectors(ids, CountingEmbedder.model)  # type: ignore[arg-type]
    fresh, _ = CountingEmbedder().embed([t for t in _texts(ids)])
    assert vectors.shape == (60, 32) and np.allclose(vectors, fresh)
    with pytest.raises(LookupError):
        load_vectors(ids, "another-model")  # type: ignore[arg-type]


def _texts(ids: list[int]) -> list[str]:
    with session_scope() as s:
        by_id = dict(s.exec(select(Keyword.id, Keyword.text).where(col(Keyword.id).in_(ids))).all())
    return [by_id[i] for i in ids]


async def test_openai_stage_one_embeds_once_and_names_groups_in_small_calls(
    client: Client, task_queue: str
) -> None:
    """A naming call that fails retries the stage without embedding the keywords again."""
    site = seed_site(keywords=60)
    with session_scope() as s:
        s.add(AutomationConfig(account_id=site[0], site_id=site[1], stages=[1]))
    with FakeOpenAI() as fake:
        settings = _settings(
            task_queue,
            ai_provider="openai",
            openai_base_url=fake.base_url,
            openai_api_key=SecretStr(fake.api_key),
            openai_timeout_seconds=2.0,
            # Room for a loaded machine: an attempt taken for dead would run a twin beside it.
            heartbeat_timeout_seconds=30.0,
        )
        fake.inject("server_error", times=1, endpoint="chat")
        async with build_worker(client, settings, task_queue):
            run_id = await runs.start_run(
                client, settings, account_id=site[0], site_id=site[1], trigger="api"
            )
            result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
        embedding_calls = [r for r in fake.requests if r.endpoint == "embeddings"]
        naming = fake.chat_requests("ClusterLabelSet")
    assert result.stages[0].status == "completed" and result.stages[0].completed == 60
    assert len(embedding_calls) == 1, "the retried stage embedded the keywords again"
    assert count(KeywordEmbedding, site_id=site[1]) == 60
    assert len(naming) >= 2
    assert all(len(re.findall(r"^Cluster \d+:", r.prompt, re.M)) <= 5 for r in naming)
    assert count(Cluster, site_id=site[1]) >= 3
