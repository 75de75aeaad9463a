"""The openai provider through the real `openai` client against a fake OpenAI HTTP server:
every function's happy path, every fault class, repair, usage and cost, prompts, key hygiene."""

from __future__ import annotations

import io
import re
import socket
from typing import Any

import pytest
from PIL import Image

from core.errors import AIOutputError, AIProviderError, ProviderTimeoutError
from services.ai import openai_provider
from services.ai.openai_provider import OpenAIProvider
from services.ai.pricing import PriceTable
from services.ai.schemas import (
    ExistingCluster,
    ImagePromptBrief,
    KeywordInput,
)
from tests.helpers.fake_openai import FakeOpenAI
from tests.helpers.openai_inputs import (
    article_brief,
    cluster_brief,
    provider_settings,
    settings_with,
)

TOPICS = {
    "running": ["running shoes", "trail running shoes", "running shoes for women",
                "running shoes for flat feet", "waterproof running shoes", "running shoes sale",
                "lightweight running shoes", "running shoes for beginners"],
    "bread": ["sourdough bread recipe", "sourdough bread starter", "easy sourdough bread",
              "sourdough bread flour", "sourdough bread without yeast", "rye sourdough bread",
              "sourdough bread baking", "sourdough bread loaf"],
    "watch": ["gps watch", "gps watch battery life", "cheap gps watch", "gps watch for hiking",
              "gps watch with maps", "gps watch for kids", "gps watch waterproof",
              "gps watch comparison"],
}  # fmt: skip
PRICES = PriceTable()


@pytest.fixture
def provider(fake: FakeOpenAI) -> OpenAIProvider:
    return OpenAIProvider.from_settings(provider_settings(fake))


def keywords() -> list[KeywordInput]:
    texts = [t for kws in TOPICS.values() for t in kws]
    return [KeywordInput(id=100 + i, text=t, volume=1000 - i) for i, t in enumerate(texts)]


def text_words(html: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", html).split())


# --- happy paths ----------------------------------------------------------------------------------


def test_cluster_keywords_groups_by_embeddings_and_links_ids(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    kws = keywords()
    result = provider.cluster_keywords(kws, [ExistingCluster(id=7, name="sourdough bread")])

    ids = [i for draft in result.value for i in draft.keyword_ids]
    assert sorted(ids) == sorted(k.id for k in kws)  # every keyword exactly once, by id
    topic_of = {100 + i: t for i, t in enumerate(t for t, ks in TOPICS.items() for _ in ks)}
    for draft in result.value:
        assert len({topic_of[i] for i in draft.keyword_ids}) == 1, draft
        assert draft.intent in {"informational", "commercial", "transactional", "navigational"}
    # The existing cluster's name is offered to the model and reused exactly.
    assert "sourdough bread" in [d.name for d in result.value]
    naming = fake.chat_requests("ClusterLabelSet")
    assert len(naming) == 1 and "- sourdough bread" in naming[0].prompt
    assert "Cluster 1: " in naming[0].prompt and "100" not in naming[0].prompt  # no ids sent
    embed_tokens = sum(len(t) // 4 + (len(t) % 4 > 0) for t in (k.text for k in kws))
    usage = result.usage
    assert usage.provider == "openai" and usage.tokens_in > embed_tokens and usage.tokens_out > 0
    assert usage.cost_usd > 0


def test_clusters_the_model_names_alike_are_merged(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    def same_name(answer: dict[str, Any]) -> None:
        for i, cluster in enumerate(answer["clusters"]):
            cluster["name"] = "Outdoor Gear" if i % 2 == 0 else "outdoor gear "

    fake.edits["ClusterLabelSet"] = same_name
    kws = keywords()
    result = provider.cluster_keywords(kws, [])
    # One cluster per name (the database allows no twins), every keyword still in it once.
    assert [d.name for d in result.value] == ["Outdoor Gear"]
    assert sorted(result.value[0].keyword_ids) == [k.id for k in kws]


def test_clustering_batches_embeddings_and_naming_calls(
    provider: OpenAIProvider, fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai_provider, "EMBEDDING_BATCH", 10)
    monkeypatch.setattr(openai_provider, "CLUSTERS_PER_NAMING_CALL", 1)
    kws = keywords()
    result = provider.cluster_keywords(kws, [])
    assert sorted(i for d in result.value for i in d.keyword_ids) == [k.id for k in kws]
    embedding_calls = [r for r in fake.requests if r.endpoint == "embeddings"]
    assert [len(r.body["input"]) for r in embedding_calls] == [10, 10, 4]
    assert len(fake.chat_requests("ClusterLabelSet")) >= 3


def test_cluster_naming_answer_missing_a_cluster_is_repaired(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    fake.inject("drop_item")  # the first answer leaves out the last cluster number
    result = provider.cluster_keywords(keywords(), [])
    assert sorted(i for d in result.value for i in d.keyword_ids) == [k.id for k in keywords()]
    repair = fake.chat_requests("ClusterLabelSet")[1]
    assert "missing [" in repair.body["messages"][-1]["content"]


def test_generate_ideas_sends_a_strict_schema_and_records_cost(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    result = provider.generate_ideas(cluster_brief())
    assert 3 <= len(result.value.ideas) <= 7
    assert all(len(idea.outline) >= 2 for idea in result.value.ideas)
    (request,) = fake.chat_requests("IdeaSet")
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert "sourdough bread starter" in request.prompt
    usage = result.usage
    assert (usage.provider, usage.model) == ("openai", "gpt-4o-mini")
    assert usage.tokens_in > 0 and usage.tokens_out > 0
    assert usage.cost_usd == pytest.approx((usage.tokens_in * 0.15 + usage.tokens_out * 0.6) / 1e6)


def test_article_prompt_carries_outline_keywords_type_structure_and_length(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    brief = article_brief()
    result = provider.generate_article(brief)
    (request,) = fake.chat_requests("ArticleDraft")
    prompt = request.prompt
    for section in brief.outline:
        assert section.heading in prompt
        assert all(sub in prompt for sub in section.subheadings)
    for needle in ("trail running shoes", "waterproof running shoes", "lightweight running shoes",
                   "page", "comparison", "1400"):  # fmt: skip
        assert needle in prompt
    html = result.value.content_html
    assert all(f"<h2>{s.heading}</h2>" in html for s in brief.outline)
    assert text_words(html) >= 0.9 * brief.target_word_count


def test_image_prompts_respect_the_maximum(provider: OpenAIProvider) -> None:
    brief = ImagePromptBrief(
        title="Trail Running Shoes", primary_keyword="trail running shoes",
        section_headings=["Grip", "Cushioning", "Verdict", "FAQ"], max_in_article=2,
    )  # fmt: skip
    result = provider.generate_image_prompts(brief)
    assert result.value.featured.prompt and result.value.featured.alt_text
    assert 1 <= len(result.value.in_article) <= 2


def test_generate_image_decodes_png_and_reads_its_size(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    result = provider.generate_image("a trail runner on wet rock", 1200, 800)
    with Image.open(io.BytesIO(result.value.png)) as image:
        assert image.format == "PNG" and image.size == (1536, 1024)  # nearest landscape size
    assert (result.value.width, result.value.height) == (1536, 1024)
    (request,) = [r for r in fake.requests if r.endpoint == "images"]
    assert "response_format" not in request.body  # gpt-image models reject it
    usage = result.usage
    assert usage.model == "gpt-image-1" and usage.tokens_out == 1056
    assert usage.cost_usd == pytest.approx(PRICES.tokens_cost("gpt-image-1", usage.tokens_in, 1056))


def test_dall_e_images_are_asked_for_base64(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider.from_settings(provider_settings(fake, IGNY8_MODEL_IMAGES="dall-e-3"))
    result = provider.generate_image("a loaf", 512, 512)
    assert (result.value.width, result.value.height) == (1024, 1024)
    assert fake.requests[-1].body["response_format"] == "b64_json"
    assert result.usage.cost_usd == pytest.approx(0.04)  # per image: no tokens reported


# --- faults -------------------------------------------------------------------------------------


def test_rate_limit_is_retryable_with_retry_after_then_succeeds(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    fake.inject("rate_limit", times=2, retry_after=7)
    for _ in range(2):  # the provider never retries by itself: Temporal does
        with pytest.raises(AIProviderError) as caught:
            provider.generate_ideas(cluster_brief())
        assert caught.value.retryable and caught.value.retry_after_seconds == 7
        assert type(caught.value) is AIProviderError
    assert provider.generate_ideas(cluster_brief()).value.ideas
    assert len(fake.requests) == 3


@pytest.mark.parametrize("endpoint", ["embeddings", "chat"])
def test_a_server_error_costs_that_one_call_only(
    provider: OpenAIProvider, fake: FakeOpenAI, endpoint: str
) -> None:
    fake.inject("server_error", endpoint=endpoint)
    assert provider.cluster_keywords(keywords(), []).value
    calls = [r for r in fake.requests if r.endpoint == endpoint]
    assert calls[0].fault == "server_error" and calls[1].fault is None
    # Only the failed call was made again: the embeddings already answered were kept.
    assert len([r for r in fake.requests if r.endpoint == "embeddings"]) == 1 + (
        endpoint == "embeddings"
    )


@pytest.mark.parametrize("endpoint", ["embeddings", "chat"])
def test_server_errors_past_the_bound_are_retryable_errors(fake: FakeOpenAI, endpoint: str) -> None:
    provider = OpenAIProvider.from_settings(
        provider_settings(fake, IGNY8_RETRY_MAXIMUM_ATTEMPTS=2, IGNY8_RETRY_INITIAL_SECONDS=0.05)
    )
    fake.inject("server_error", times=5, endpoint=endpoint)
    with pytest.raises(AIProviderError, match=r"\(500\)") as caught:
        provider.cluster_keywords(keywords(), [])
    assert caught.value.retryable and not isinstance(caught.value, AIOutputError)
    assert len([r for r in fake.requests if r.endpoint == endpoint]) == 2


def test_server_error_on_images_is_retryable(provider: OpenAIProvider, fake: FakeOpenAI) -> None:
    fake.inject("server_error", endpoint="images", times=3)
    with pytest.raises(AIProviderError) as caught:
        provider.generate_image("x", 1024, 1024)
    assert caught.value.retryable


def test_a_hang_longer_than_the_timeout_is_a_timeout(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    fake.inject("hang", seconds=5)
    with pytest.raises(ProviderTimeoutError) as caught:
        provider.generate_article(article_brief())
    assert caught.value.retryable and caught.value.error_type == "TimeoutError"


def test_latency_under_the_timeout_is_fine(provider: OpenAIProvider, fake: FakeOpenAI) -> None:
    fake.latency = 0.2
    assert provider.generate_ideas(cluster_brief()).value.ideas


def test_unreachable_endpoint_is_retryable() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    settings = settings_with({"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "sk-x"})
    with pytest.raises(AIProviderError, match="Could not reach OpenAI") as caught:
        OpenAIProvider.from_settings(settings).generate_ideas(cluster_brief())
    assert caught.value.retryable


def test_broken_response_body_is_retryable(provider: OpenAIProvider, fake: FakeOpenAI) -> None:
    fake.inject("broken_body")
    with pytest.raises(AIProviderError, match="unreadable") as caught:
        provider.generate_ideas(cluster_brief())
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, None, "rejected the chat request (400)"),
        (401, "invalid_api_key", "OpenAI rejected the API key (401): check OPENAI_API_KEY"),
        (403, None, "refused access (403)"),
        (404, "model_not_found", "does not know the model or endpoint (404)"),
        (429, "insufficient_quota", "quota exhausted"),
    ],
)
def test_refused_requests_are_not_retryable(
    provider: OpenAIProvider, fake: FakeOpenAI, status: int, code: str | None, expected: str
) -> None:
    fake.inject("status", status=status, code=code)
    with pytest.raises(AIProviderError) as caught:
        provider.generate_ideas(cluster_brief())
    assert expected in caught.value.message
    assert not caught.value.retryable and caught.value.action == "fix_input"
    assert caught.value.details["status_code"] == status  # type: ignore[index]


def test_missing_key_without_a_base_url_is_a_clear_permanent_error() -> None:
    settings = settings_with({"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None})
    with pytest.raises(AIProviderError, match="OPENAI_API_KEY is not set") as caught:
        OpenAIProvider.from_settings(settings)
    assert not caught.value.retryable
