"""The local provider, judged by what a user sees: topical clusters, ideas with outlines, valid
HTML articles that follow the outline and hit the word count, real PNG images; all recorded as
"local", never as a language model."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from PIL import Image

from core.errors import AIProviderError
from services.ai.local import LocalProvider
from services.ai.local_markup import visible_word_count
from services.ai.schemas import (
    ArticleBrief,
    ClusterBrief,
    ExistingCluster,
    IdeaDraft,
    ImagePromptBrief,
    KeywordInput,
    Usage,
)
from tests.helpers import SAMPLE_KEYWORDS

LOCAL_USAGE = Usage(provider="local", model="igny8-local-v1", tokens_in=0, tokens_out=0)
ALLOWED_TAGS = {"p", "h2", "h3", "ul", "li"}


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    return LocalProvider()


@pytest.fixture(scope="module")
def keywords() -> list[KeywordInput]:
    with SAMPLE_KEYWORDS.open(newline="") as fh:
        return [
            KeywordInput(
                id=n,
                text=r["keyword"],
                volume=int(r["volume"]),
                difficulty=int(r["difficulty"]),
                intent=r["intent"],
            )
            for n, r in enumerate(csv.DictReader(fh), start=1)
        ]


def _cluster(name: str, keywords: list[str]) -> ClusterBrief:
    return ClusterBrief(id=1, name=name, description="", intent="informational", keywords=keywords)


TRAIL = _cluster(
    "trail running shoes",
    [
        "trail running shoes",
        "best trail running shoes",
        "trail running shoes vs road running shoes",
        "how to choose trail running shoes",
        "how long do trail running shoes last",
        "waterproof trail running shoes",
        "hoka speedgoat 5 review",
        "trail running shoes for women",
        "zero drop trail running shoes",
        "trail running shoes sale",
        "runner's knee & shoes",
    ],
)


def _brief(idea: IdeaDraft, target: int | None = None) -> ArticleBrief:
    return ArticleBrief(
        title=idea.title,
        description=idea.description,
        outline=idea.outline,
        primary_keyword=idea.primary_keyword,
        keywords=idea.covered_keywords,
        content_type=idea.content_type,
        content_structure=idea.content_structure,
        target_word_count=target or idea.target_word_count,
    )


class _Html(HTMLParser):
    """Collects tags, nesting errors, headings and visible text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.errors: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)
        self.tags.add(tag)
        if tag in {"h2", "h3"}:
            self._heading = ""

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> in {self.stack}")
            return
        self.stack.pop()
        if tag in {"h2", "h3"} and self._heading is not None:
            self.headings.append(self._heading)
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading += data


def _parse(content_html: str) -> _Html:
    parser = _Html()
    parser.feed(content_html)
    parser.close()
    return parser


# --- clustering --------------------------------------------------------------------------------


def test_clustering_maps_every_keyword_once_into_topical_clusters(
    provider: LocalProvider, keywords: list[KeywordInput]
) -> None:
    result = provider.cluster_keywords(keywords, [])
    assert result.usage == LOCAL_USAGE
    drafts = result.value
    ids = [i for d in drafts for i in d.keyword_ids]
    assert sorted(ids) == [k.id for k in keywords]
    assert 15 <= len(drafts) <= 90
    text = {k.id: k.text for k in keywords}
    shin = [d for d in drafts if any("shin splints" in text[i] for i in d.keyword_ids)]
    assert len(shin) == 1 and shin[0].name == "shin splints"
    for d in drafts:
        assert d.intent in {"informational", "commercial", "transactional", "navigational"}
        assert d.name and d.description and "keyword" in d.description


def test_cluster_intent_is_the_volume_weighted_majority(provider: LocalProvider) -> None:
    kws = [
        KeywordInput(id=1, text="hiking boots guide", volume=100, intent="informational"),
        KeywordInput(id=2, text="hiking boots fit", volume=150, intent="informational"),
        KeywordInput(id=3, text="hiking boots sizing", volume=90, intent="informational"),
        KeywordInput(id=4, text="buy hiking boots", volume=9_000, intent="transactional"),
    ]
    [draft] = provider.cluster_keywords(kws, []).value
    assert draft.intent == "transactional"
    assert sorted(draft.keyword_ids) == [1, 2, 3, 4]
    assert "4 keywords" in draft.description and "9,340" in draft.description


def test_clustering_joins_an_existing_cluster_by_name(
    provider: LocalProvider, keywords: list[KeywordInput]
) -> None:
    drafts = provider.cluster_keywords(keywords, [ExistingCluster(id=9, name="Shin Splints")]).value
    assert "Shin Splints" in {d.name for d in drafts}
    assert "shin splints" not in {d.name for d in drafts}


def test_clustering_is_deterministic(provider: LocalProvider, keywords: list[KeywordInput]) -> None:
    assert provider.cluster_keywords(keywords, []) == provider.cluster_keywords(keywords, [])


# --- ideas -------------------------------------------------------------------------------------


def test_ideas_have_outlines_varied_structures_and_cover_every_keyword(
    provider: LocalProvider,
) -> None:
    result = provider.generate_ideas(TRAIL)
    assert result.usage == LOCAL_USAGE
    ideas = result.value.ideas
    assert 3 <= len(ideas) <= 7
    assert len({i.title for i in ideas}) == len(ideas)
    assert len({i.content_structure for i in ideas}) >= 3
    covered = {k for i in ideas for k in i.covered_keywords}
    assert covered == set(TRAIL.keywords)
    for idea in ideas:
        assert 4 <= len(idea.outline) <= 7
        assert all(len(s.subheadings) <= 3 for s in idea.outline)
        assert idea.primary_keyword in idea.covered_keywords
        assert 800 <= idea.target_word_count <= 2000
        headings = [h for s in idea.outline for h in (s.heading, *s.subheadings)]
        assert len({h.casefold() for h in headings}) == len(headings)
    assert provider.generate_ideas(TRAIL) == result


@pytest.mark.parametrize(
    ("keyword", "structure"),
    [
        ("trail running shoes vs road running shoes", "comparison"),
        ("how to clean hiking boots", "how_to"),
        ("best hiking boots", "listicle"),
        ("hoka speedgoat 5 review", "review"),
    ],
)
def test_idea_structure_follows_the_keyword_pattern(
    provider: LocalProvider, keyword: str, structure: str
) -> None:
    ideas = provider.generate_ideas(_cluster("x", [keyword, "hiking boots"])).value.ideas
    [idea] = [i for i in ideas if i.primary_keyword == keyword][:1]
    assert idea.content_structure == structure


def test_a_one_keyword_cluster_still_gets_three_distinct_ideas(provider: LocalProvider) -> None:
    ideas = provider.generate_ideas(_cluster("yasso 800s", ["yasso 800s"])).value.ideas
    assert len(ideas) == 3
    assert len({i.content_structure for i in ideas}) == 3
    assert all(i.covered_keywords == ["yasso 800s"] for i in ideas)


def test_every_sample_keyword_is_covered_by_some_idea(
    provider: LocalProvider, keywords: list[KeywordInput]
) -> None:
    by_id = {k.id: k for k in keywords}
    for draft in provider.cluster_keywords(keywords, []).value:
        members = sorted((by_id[i] for i in draft.keyword_ids), key=lambda k: -k.volume)
        brief = _cluster(draft.name, [k.text for k in members])
        ideas = provider.generate_ideas(brief).value.ideas
        assert {k for i in ideas for k in i.covered_keywords} >= set(brief.keywords)


# --- articles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [None, 300, 800, 2000])
def test_articles_are_valid_html_that_follow_the_outline_and_hit_the_word_count(
    provider: LocalProvider, target: int | None
) -> None:
    for idea in provider.generate_ideas(TRAIL).value.ideas:
        brief = _brief(idea, target)
        result = provider.generate_article(brief)
        assert result.usage == LOCAL_USAGE
        article = result.value
        parsed = _parse(article.content_html)
        assert not parsed.errors and not parsed.stack, parsed.errors
        assert parsed.tags <= ALLOWED_TAGS
        assert article.content_html.startswith("<p>")  # an intro before the first heading
        expected = [h for s in brief.outline for h in (s.heading, *s.subheadings)]
        assert parsed.headings == expected  # exactly the outline, in order
        words = len(" ".join(parsed.text).split())
        assert visible_word_count(article.content_html) >= brief.target_word_count
        assert words >= brief.target_word_count * 0.95
        if brief.target_word_count >= 800:
            assert visible_word_count(article.content_html) <= brief.target_word_count * 1.1
        visible = " ".join(parsed.text).casefold()
        for kw in brief.keywords:
            assert kw.casefold() in visible, kw


def test_article_metadata(provider: LocalProvider) -> None:
    idea = provider.generate_ideas(TRAIL).value.ideas[0]
    article = provider.generate_article(_brief(idea)).value
    assert article.title == idea.title
    assert 0 < len(article.meta_title) <= 60
    assert 0 < len(article.meta_description) <= 160
    assert article.excerpt
    assert article.primary_keyword == idea.primary_keyword
    assert idea.primary_keyword in article.tags
    assert set(article.secondary_keywords) == set(idea.covered_keywords) - {idea.primary_keyword}
    assert article.categories == ["Trail Running Shoes"]


def test_articles_differ_by_title_but_repeat_for_the_same_brief(provider: LocalProvider) -> None:
    idea = provider.generate_ideas(TRAIL).value.ideas[0]
    one = provider.generate_article(_brief(idea)).value.content_html
    assert provider.generate_article(_brief(idea)).value.content_html == one
    other = _brief(idea).model_copy(update={"title": idea.title + " (second take)"})
    assert provider.generate_article(other).value.content_html != one


# --- images ------------------------------------------------------------------------------------


def test_image_prompts_featured_and_one_per_leading_section(provider: LocalProvider) -> None:
    brief = ImagePromptBrief(
        title="Best Trail Running Shoes",
        primary_keyword="best trail running shoes",
        section_headings=["At a Glance", "How to Choose", "FAQ", "Bottom Line"],
        max_in_article=3,
    )
    result = provider.generate_image_prompts(brief)
    assert result.usage == LOCAL_USAGE
    prompts = result.value
    assert "Best Trail Running Shoes" in prompts.featured.prompt and prompts.featured.alt_text
    assert len(prompts.in_article) == 3
    assert [p.alt_text.split(" (")[0] for p in prompts.in_article] == brief.section_headings[:3]
    none = provider.generate_image_prompts(brief.model_copy(update={"max_in_article": 0}))
    assert none.value.in_article == []


@pytest.mark.parametrize(("width", "height"), [(1200, 675), (1024, 1024), (300, 500)])
def test_images_are_real_pngs_of_the_asked_size(
    provider: LocalProvider, width: int, height: int
) -> None:
    result = provider.generate_image("trail running shoes on a rocky path", width, height)
    assert result.usage == LOCAL_USAGE
    image = result.value
    assert image.png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(image.png)) as png:
        assert png.format == "PNG" and png.size == (width, height)
        assert len(png.convert("RGB").resize((32, 32)).getcolors(4096) or []) > 20  # not flat
    assert (image.width, image.height) == (width, height)


def test_images_differ_by_prompt_and_repeat_for_the_same_prompt(provider: LocalProvider) -> None:
    a = provider.generate_image("hiking boots in snow", 400, 300).value.png
    assert provider.generate_image("hiking boots in snow", 400, 300).value.png == a
    assert provider.generate_image("gps running watch", 400, 300).value.png != a


def test_image_size_out_of_range_is_a_permanent_error(provider: LocalProvider) -> None:
    with pytest.raises(AIProviderError) as info:
        provider.generate_image("x", 0, 675)
    assert info.value.retryable is False
