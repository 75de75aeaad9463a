"""The openai provider held to the article contract, against a fake OpenAI-compatible server
that returns flawed articles: a flaw the model fixes is repaired in one round, one it keeps
making is a typed ValidationError; ideas come with exactly one hub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.config import Settings
from core.errors import ValidationError
from services.ai.openai_provider import OpenAIProvider
from services.ai.schemas import ArticleBrief, ClusterBrief, LinkTarget, OutlineSection, SiteLinks
from services.article_contract import check_article
from tests.helpers.fake_openai import FakeOpenAI

SITE = SiteLinks(own_domains=["trailpeak.example"], source_domains=["wikipedia.org"])


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def provider(fake: FakeOpenAI) -> OpenAIProvider:
    settings = Settings(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY=fake.api_key)  # type: ignore[call-arg]
    return OpenAIProvider.from_settings(settings)


def brief() -> ArticleBrief:
    hub = LinkTarget(
        idea_id=41, title="Trail Running Shoes: The Complete Guide", slug="trail-running-shoes",
        role="hub", href="#igny8-idea-41",
    )  # fmt: skip
    return ArticleBrief(
        title="Waterproof Trail Running Shoes Explained",
        description="Membranes and their trade-offs.",
        outline=[
            OutlineSection(heading="How membranes work", subheadings=["Breathability"]),
            OutlineSection(heading="When to choose waterproof", subheadings=[]),
        ],
        primary_keyword="waterproof trail running shoes",
        keywords=["gore-tex trail shoes"],
        content_type="post",
        content_structure="guide",
        target_word_count=900,
        role="attribute",
        links_to=[hub],
        site=SITE,
    )


def competitor_link(value: dict[str, Any]) -> None:
    """A flaw a writer can fix: a link to a competitor and a too short meta description."""
    value["content_html"] += '<p><a href="https://competitor.example/shoes">see also</a></p>'
    value["meta_description"] = "Waterproof trail running shoes."


def test_a_first_answer_that_meets_the_contract_is_taken_as_is(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    result = provider.generate_article(brief())
    assert len(fake.chat_requests("ArticleDraft")) == 1
    assert result.usage.repair_rounds == 0
    assert check_article(result.value, brief(), SITE).passed
    # The writer was told the sibling, its exact href, and where else it may link.
    (request,) = fake.chat_requests("ArticleDraft")
    assert 'Trail Running Shoes: The Complete Guide" (hub article): href="#igny8-idea-41"' in (
        request.prompt
    )
    assert "Other links: only to pages on trailpeak.example, wikipedia.org" in request.prompt
    assert "Role in its topic cluster: attribute" in request.prompt


def test_a_fixable_flaw_is_repaired_by_one_round_with_the_violations(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    fake.inject("flaw", schema="ArticleDraft", edit=competitor_link)
    result = provider.generate_article(brief())

    first, repair = fake.chat_requests("ArticleDraft")
    assert first.fault == "flaw" and repair.fault is None
    # The repair turn carries the flawed answer and each violation with its reason.
    assistant, feedback = repair.body["messages"][-2:]
    assert assistant["role"] == "assistant" and "competitor.example" in assistant["content"]
    assert "known_links: 1 unknown links: https://competitor.example/shoes" in feedback["content"]
    assert "meta_description: 31 characters (120-160 allowed)" in feedback["content"]
    assert "competitor.example" not in result.value.content_html
    assert check_article(result.value, brief(), SITE).passed
    assert result.usage.repair_rounds == 1
    # Both calls are paid for: the usage adds them up.
    assert result.usage.tokens_in > 2 * len(first.prompt) // 4


def test_a_flaw_the_model_keeps_making_is_a_typed_validation_error(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    def script_and_h1(value: dict[str, Any]) -> None:
        value["content_html"] = (
            "<h1>A</h1><h1>B</h1>" + value["content_html"] + "<script>x()</script>"
        )

    fake.inject("flaw", times=5, schema="ArticleDraft", edit=script_and_h1)
    with pytest.raises(ValidationError) as caught:
        provider.generate_article(brief())

    assert len(fake.chat_requests("ArticleDraft")) == 2  # one repair round, no more
    err = caught.value
    assert err.error_type == "ValidationError" and not err.retryable
    assert "after one repair round" in err.message
    assert "single_h1: 2 <h1> in the body" in err.message
    # The script is not argued over: sanitising drops it before the contract is checked.
    failed = {r["rule"] for r in err.details["quality"]["rules"] if not r["passed"]}  # type: ignore[index]
    assert failed == {"single_h1"}


def test_missing_sibling_link_is_repaired(provider: OpenAIProvider, fake: FakeOpenAI) -> None:
    def drop_links(value: dict[str, Any]) -> None:
        value["content_html"] = value["content_html"].replace('href="#igny8-idea-41"', 'href="#"')

    fake.inject("flaw", schema="ArticleDraft", edit=drop_links)
    result = provider.generate_article(brief())
    feedback = fake.chat_requests("ArticleDraft")[1].body["messages"][-1]["content"]
    assert 'internal_links: missing links to "Trail Running Shoes: The Complete Guide"' in feedback
    assert 'href="#igny8-idea-41"' in result.value.content_html


def test_ideas_come_with_exactly_one_hub_and_a_second_hub_is_repaired(
    provider: OpenAIProvider, fake: FakeOpenAI
) -> None:
    cluster = ClusterBrief(
        id=1, name="Trail Shoes", description="", intent="commercial",
        keywords=["trail running shoes", "waterproof trail running shoes", "trail shoes for women"],
    )  # fmt: skip

    def two_hubs(value: dict[str, Any]) -> None:
        for idea in value["ideas"]:
            idea["role"] = "hub"

    fake.inject("flaw", schema="IdeaSet", edit=two_hubs)
    ideas = provider.generate_ideas(cluster).value.ideas
    assert [i.role for i in ideas] == ["hub", "supporting", "attribute"]
    first, repair = fake.chat_requests("IdeaSet")
    assert 'exactly one idea must have the role "hub" (the answer had 3)' in repair.prompt
    assert "hub article" in first.prompt and '"attribute"' in first.prompt
