"""The openai provider's output guarantees: one repair attempt, nothing invalid or truncated ever
returned, usage and cost per call, prompts (defaults and per-account overrides), and the API key
never appearing in an error or a log."""

from __future__ import annotations

import logging

import pytest

from core.db import session_scope
from core.errors import AIOutputError, AIProviderError, ValidationError
from models import Account
from services.ai import prompts as P
from services.ai.openai_provider import OpenAIProvider
from services.ai.pricing import PriceTable
from services.ai.schemas import ImagePromptBrief
from tests.helpers.fake_openai import FakeOpenAI
from tests.helpers.openai_inputs import (
    article_brief,
    cluster_brief,
    provider_settings,
    settings_with,
)


@pytest.fixture
def provider(fake: FakeOpenAI) -> OpenAIProvider:
    return OpenAIProvider.from_settings(provider_settings(fake))


# --- repair and rejection -----------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["malformed_json", "schema_miss", "drop_item"])
def test_one_repair_attempt_then_success(
    provider: OpenAIProvider, fake: FakeOpenAI, fault: str
) -> None:
    fake.inject(fault)
    result = provider.generate_ideas(cluster_brief())
    assert 3 <= len(result.value.ideas) <= 7
    first, repair = fake.chat_requests("IdeaSet")[:2]
    # The re-ask carries the bad answer and what was wrong with it.
    assert repair.body["messages"][: len(first.body["messages"])] == first.body["messages"]
    assert repair.body["messages"][-2]["role"] == "assistant"
    assert "previous answer was rejected" in repair.body["messages"][-1]["content"]
    clean = provider.generate_ideas(cluster_brief()).usage
    assert result.usage.tokens_in > clean.tokens_in  # both calls counted
    assert result.usage.cost_usd > clean.cost_usd


@pytest.mark.parametrize("fault", ["malformed_json", "schema_miss"])
def test_a_second_invalid_answer_is_an_output_error(
    provider: OpenAIProvider, fake: FakeOpenAI, fault: str
) -> None:
    fake.inject(fault, times=2)
    with pytest.raises(AIOutputError, match="invalid after one repair attempt") as caught:
        provider.generate_article(article_brief())
    assert len(fake.chat_requests()) == 2  # one repair, no more
    assert caught.value.retryable
    assert caught.value.details["tokens_in"] > 0  # type: ignore[index]  # spent, for the record


def test_truncated_output_is_an_error_at_once_and_nothing_is_returned(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    fake.inject("truncated")
    with pytest.raises(AIOutputError, match="finish_reason=length"):
        provider.generate_article(article_brief())
    assert len(fake.chat_requests()) == 1  # a truncated answer is not "repaired"


def test_refusal_is_an_output_error(provider: OpenAIProvider, fake: FakeOpenAI) -> None:
    fake.inject("refusal")
    with pytest.raises(AIOutputError, match="refused"):
        provider.generate_image_prompts(
            ImagePromptBrief(title="t", primary_keyword="k", section_headings=[], max_in_article=1)
        )


# --- usage and cost -----------------------------------------------------------------------------


def test_dated_snapshots_are_priced_by_their_base_model(fake: FakeOpenAI) -> None:
    fake.model_suffix = "-2024-07-18"
    provider = OpenAIProvider.from_settings(provider_settings(fake))
    usage = provider.generate_ideas(cluster_brief()).usage
    assert usage.model == "gpt-4o-mini-2024-07-18"
    assert usage.cost_usd == pytest.approx(
        PriceTable().tokens_cost("gpt-4o-mini", usage.tokens_in, usage.tokens_out)
    )


def test_unknown_models_cost_nothing_but_tokens_are_recorded(fake: FakeOpenAI) -> None:
    provider = OpenAIProvider.from_settings(provider_settings(fake, IGNY8_MODEL_CHAT="llama3.1:8b"))
    usage = provider.generate_article(article_brief()).usage
    assert usage.model == "llama3.1:8b" and usage.cost_usd == 0.0
    assert usage.tokens_in > 0 and usage.tokens_out > 0


def test_prices_are_overridable_from_the_environment(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGNY8_MODEL_PRICES", '{"gpt-4o-mini": {"output": 1000}}')
    provider = OpenAIProvider.from_settings(provider_settings(fake))
    usage = provider.generate_ideas(cluster_brief()).usage
    assert usage.cost_usd == pytest.approx((usage.tokens_in * 0.15 + usage.tokens_out * 1000) / 1e6)


def test_a_mistyped_price_override_is_refused() -> None:
    settings = settings_with({"IGNY8_MODEL_PRICES": {"gpt-4o": {"inputs": 1.0}}})
    with pytest.raises(AIProviderError, match="unknown price field"):
        PriceTable.from_settings(settings)


# --- the API key --------------------------------------------------------------------------------


def test_the_api_key_never_appears_in_errors_or_logs(
    fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key = "sk-proj-WRONGkey0123456789abcdefXYZ"
    provider = OpenAIProvider.from_settings(
        settings_with({"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": wrong_key})
    )
    errors: list[AIProviderError] = []
    with pytest.raises(AIProviderError) as caught:  # the fake quotes the wrong key back, as OpenAI
        provider.generate_ideas(cluster_brief())
    errors.append(caught.value)
    assert "check OPENAI_API_KEY" in caught.value.message
    good = OpenAIProvider.from_settings(provider_settings(fake))
    fake.inject("status", status=400, message=f"Bad request from key {fake.api_key}")
    with pytest.raises(AIProviderError) as caught:
        good.generate_ideas(cluster_brief())
    errors.append(caught.value)
    assert "***" in caught.value.message
    for err in errors:
        text = f"{err} {err!r} {err.details}"
        assert wrong_key not in text and fake.api_key not in text
        # Temporal serializes a cause (or an unsuppressed context), message and all.
        assert err.__cause__ is None and err.__suppress_context__
    assert wrong_key not in caplog.text and fake.api_key not in caplog.text


# --- prompts ------------------------------------------------------------------------------------


def test_an_override_without_the_outline_still_sends_the_outline(fake: FakeOpenAI) -> None:
    custom = P.PromptTemplate(
        function=P.ARTICLE, system="House style: short sentences.", user="Write about {title}."
    )
    provider = OpenAIProvider.from_settings(provider_settings(fake), prompts={P.ARTICLE: custom})
    brief = article_brief()
    provider.generate_article(brief)
    (request,) = fake.chat_requests("ArticleDraft")
    system, user = request.body["messages"]
    assert system["content"] == "House style: short sentences."
    assert user["content"].startswith(f"Write about {brief.title}.")
    assert all(s.heading in user["content"] for s in brief.outline)
    assert "Target word count: 1400" in user["content"]


def test_prompt_overrides_are_stored_per_account_with_default_fallback() -> None:
    with session_scope() as session:
        mine, other = Account(name="prompts a"), Account(name="prompts b")
        session.add_all([mine, other])
        session.flush()
        assert mine.id is not None and other.id is not None
        P.save_prompt_override(session, mine.id, P.IDEAS, "Be terse.", "Ideas for {cluster_name}")
        session.flush()
        P.save_prompt_override(session, mine.id, P.IDEAS, "Be brief.", "Ideas: {cluster_name}")
        session.flush()
        assert P.get_prompt(session, mine.id, P.IDEAS).system == "Be brief."
        assert P.get_prompt(session, other.id, P.IDEAS) == P.DEFAULT_PROMPTS[P.IDEAS]
        loaded = P.load_prompts(session, mine.id)
        assert loaded[P.IDEAS].user == "Ideas: {cluster_name}"
        assert loaded[P.ARTICLE] == P.DEFAULT_PROMPTS[P.ARTICLE]
        with pytest.raises(ValidationError, match="outlines"):
            P.save_prompt_override(session, mine.id, P.ARTICLE, "", "Use {outlines}")
        with pytest.raises(ValidationError, match="Unknown prompt function"):
            P.get_prompt(session, mine.id, "write_poem")
