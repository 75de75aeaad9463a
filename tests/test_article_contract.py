"""The article contract, rule by rule: what passes, what fails, and the reason a writer (or a
person) reads."""

from __future__ import annotations

import pytest

from contracts.quality import ArticleQuality
from services.ai.schemas import ArticleBrief, ArticleDraft, LinkTarget, OutlineSection, SiteLinks
from services.article_contract import check_article

SITE = SiteLinks(own_domains=["trailpeak.example"], source_domains=["wikipedia.org"])
HUB = LinkTarget(
    idea_id=12, title="Trail Running Shoes: The Complete Guide", slug="x", role="hub",
    href="#igny8-idea-12",
)  # fmt: skip
FILL = "Good grip and a stable fit matter more than the brand name on the box. "  # 14 words


def brief(**changes: object) -> ArticleBrief:
    values: dict[str, object] = {
        "title": "Waterproof Trail Running Shoes",
        "description": "",
        "outline": [
            OutlineSection(heading="Why Waterproofing Matters", subheadings=["Membranes"]),
            OutlineSection(heading="How to Choose", subheadings=[]),
        ],
        "primary_keyword": "waterproof trail running shoes",
        "keywords": [],
        "content_type": "post",
        "content_structure": "guide",
        "target_word_count": 300,
        "links_to": [HUB],
        "site": SITE,
        **changes,
    }
    return ArticleBrief(**values)  # type: ignore[arg-type]


def body(extra: str = "", *, first: str | None = None, sections: str | None = None) -> str:
    """About 300 visible words that meet every rule, with `extra` HTML appended."""
    opening = first if first is not None else (
        "<p>Waterproof trail running shoes keep feet dry on wet trails. "
        'Start with <a href="#igny8-idea-12">our trail shoe guide</a>.</p>'
    )  # fmt: skip
    middle = sections if sections is not None else (
        f"<h2>Why Waterproofing Matters</h2><p>{FILL * 6}</p><h3>Membranes</h3><p>{FILL * 6}</p>"
        f"<h2>How to Choose</h2><p>{FILL * 7}</p>"
    )  # fmt: skip
    return opening + middle + extra


def article(**changes: object) -> ArticleDraft:
    values: dict[str, object] = {
        "title": "Waterproof Trail Running Shoes: What to Know",
        "content_html": body(),
        "excerpt": "",
        "meta_title": "Waterproof Trail Running Shoes",
        "meta_description": (
            "Waterproof trail running shoes explained: membranes, fit, grip and the trade-offs "
            "in breathability, so you can pick a pair for wet trails."
        ),
        "primary_keyword": "waterproof trail running shoes",
        "secondary_keywords": [],
        "tags": [],
        "categories": [],
        **changes,
    }
    return ArticleDraft(**values)  # type: ignore[arg-type]


def verdict(a: ArticleDraft, b: ArticleBrief | None = None) -> ArticleQuality:
    return check_article(a, b or brief(), SITE)


def failed(q: ArticleQuality) -> dict[str, str]:
    return {r.rule: r.reason for r in q.violations}


def test_a_good_article_passes_every_rule_and_says_why() -> None:
    q = verdict(article())
    assert q.passed, q.violation_text()
    assert [r.rule for r in q.rules] == [
        "word_count", "outline", "single_h1", "valid_html", "no_script", "meta_title",
        "meta_description", "keyword_in_title", "keyword_in_first_paragraph",
        "keyword_in_meta_description", "known_links", "internal_links",
    ]  # fmt: skip
    assert all(r.reason for r in q.rules)


def test_check_article_does_not_change_the_article() -> None:
    a = article(content_html=body("<script>alert(1)</script>"))
    before = a.model_dump()
    verdict(a)
    assert a.model_dump() == before


@pytest.mark.parametrize(("repeat", "ok"), [(2, False), (5, True), (8, False)])
def test_word_count_within_fifteen_percent(repeat: int, ok: bool) -> None:
    sections = f"<h2>Why Waterproofing Matters</h2><h3>Membranes</h3><h2>How to Choose</h2><p>{FILL * repeat * 4}</p>"  # noqa: E501
    q = verdict(article(content_html=body(sections=sections)))
    assert ("word_count" in failed(q)) is not ok
    if not ok:
        assert "target is 300 (±15 %: 255-345)" in failed(q)["word_count"]


def test_outline_headings_must_all_be_there_in_order() -> None:
    swapped = (
        f"<h2>How to Choose</h2><p>{FILL * 10}</p>"
        f"<h2>Why Waterproofing Matters</h2><h3>Membranes</h3><p>{FILL * 9}</p>"
    )
    q = verdict(article(content_html=body(sections=swapped)))
    assert "How to Choose" in failed(q)["outline"] and "out of order" in failed(q)["outline"]
    missing_h3 = f"<h2>Why Waterproofing Matters</h2><h2>How to Choose</h2><p>{FILL * 19}</p>"
    assert (
        'H3 "Membranes"'
        in failed(verdict(article(content_html=body(sections=missing_h3))))["outline"]
    )
    # Case and punctuation do not matter; extra headings are fine.
    loose = (
        f"<h2>why waterproofing matters:</h2><h3>MEMBRANES</h3><p>{FILL * 9}</p>"
        f"<h2>Extra</h2><h2>How to choose?</h2><p>{FILL * 10}</p>"
    )
    assert "outline" not in failed(verdict(article(content_html=body(sections=loose))))


def test_one_h1_at_most() -> None:
    assert verdict(article(content_html="<h1>Title</h1>" + body())).passed
    two = verdict(article(content_html="<h1>A</h1><h1>B</h1>" + body()))
    assert failed(two) == {"single_h1": failed(two)["single_h1"]}
    assert "2 <h1>" in failed(two)["single_h1"]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("<p>unclosed", "<p> is never closed"),
        ("<div><p>crossed</div></p>", "<p> is not closed before </div>"),
        ("</section>", "</section> closes nothing"),
        ("<html><body><p>x</p></body></html>", "<html> does not belong"),
        ("<style>p{}</style>", "<style> does not belong"),
    ],
)
def test_malformed_html_is_reported(extra: str, problem: str) -> None:
    assert problem in failed(verdict(article(content_html=body(extra))))["valid_html"]


def test_void_and_self_closed_elements_are_well_formed() -> None:
    q = verdict(article(content_html=body("<p>a<br>b<br/>c</p><hr><img src='/a.png' alt=''>")))
    assert q.passed, q.violation_text()


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("<script>alert(1)</script>", "<script> element"),
        ("<iframe src='https://trailpeak.example/x'></iframe>", "<iframe> element"),
        ('<p onclick="steal()">hi</p>', "onclick= handler"),
        ('<img src="x" onerror="steal()">', "onerror= handler"),
        ('<a href=" jav&#x09;ascript:alert(1)">x</a>', "javascript: URL"),
    ],
)
def test_script_in_any_form_is_reported(extra: str, problem: str) -> None:
    assert problem in failed(verdict(article(content_html=body(extra))))["no_script"]


def test_meta_title_at_most_sixty_characters() -> None:
    assert "61 characters" in failed(verdict(article(meta_title="x" * 61)))["meta_title"]
    assert "meta_title" in failed(verdict(article(meta_title="  ")))
    assert "meta_title" not in failed(verdict(article(meta_title="x" * 60)))


@pytest.mark.parametrize(("length", "ok"), [(119, False), (120, True), (160, True), (161, False)])
def test_meta_description_between_120_and_160_characters(length: int, ok: bool) -> None:
    text = ("waterproof trail running shoes " + "z" * 200)[:length]
    assert ("meta_description" in failed(verdict(article(meta_description=text)))) is not ok


def test_primary_keyword_in_title_first_paragraph_and_meta_description() -> None:
    q = verdict(
        article(
            title="Wet Weather Trail Shoes",
            meta_description="x" * 130,
            content_html=body(first='<p>Dry feet. <a href="#igny8-idea-12">Guide</a>.</p>'),
        )
    )
    assert set(failed(q)) == {
        "keyword_in_title", "keyword_in_first_paragraph", "keyword_in_meta_description",
    }  # fmt: skip
    assert '"waterproof trail running shoes"' in failed(q)["keyword_in_title"]
    # Whole words, any case: "Waterproof Trail-Running Shoes" counts, a longer word does not.
    assert verdict(article(title="WATERPROOF trail-running shoes, tested")).passed
    assert "keyword_in_title" in failed(verdict(article(title="Waterproof trail running shoesy")))


def test_the_first_paragraph_is_the_first_p_element() -> None:
    later = body(first='<p>Intro. <a href="#igny8-idea-12">Guide</a>.</p>') + (
        "<p>waterproof trail running shoes</p>"
    )
    assert "keyword_in_first_paragraph" in failed(verdict(article(content_html=later)))
    no_p = body(first='<div>waterproof trail running shoes <a href="#igny8-idea-12">g</a></div>')
    no_p = no_p.replace("<p>", "<div>").replace("</p>", "</div>")
    reason = failed(verdict(article(content_html=no_p)))["keyword_in_first_paragraph"]
    assert reason == "there is no first paragraph"


@pytest.mark.parametrize(
    ("href", "ok"),
    [
        ("https://trailpeak.example/shoes/", True),
        ("https://www.trailpeak.example/", True),
        ("https://shop.trailpeak.example/x", True),
        ("/about/", True),
        ("#membranes", True),
        ("https://en.wikipedia.org/wiki/Gore-Tex", True),
        ("https://competitor.example/best-shoes", False),
        ("https://trailpeak.example.evil.test/", False),
        ("//competitor.example/x", False),
        ("mailto:someone@example.com", False),
        ("#igny8-idea-99", False),  # a placeholder for an article this one does not link to
        ("", True),  # anchor text without a target links nowhere
    ],
)
def test_links_only_to_the_site_known_sources_and_siblings(href: str, ok: bool) -> None:
    q = verdict(article(content_html=body(f'<p><a href="{href}">link</a></p>')))
    assert ("known_links" in failed(q)) is not ok, q.violation_text()
    if not ok:
        assert "Allowed domains: trailpeak.example, wikipedia.org" in failed(q)["known_links"]


def test_every_sibling_the_brief_names_must_be_linked() -> None:
    unlinked = body(first="<p>Waterproof trail running shoes keep feet dry on wet trails.</p>")
    q = verdict(article(content_html=unlinked))
    assert failed(q) == {
        "internal_links": 'missing links to "Trail Running Shoes: The Complete Guide" '
        '(href="#igny8-idea-12")'
    }
    assert verdict(article(content_html=unlinked), brief(links_to=[])).passed


def test_violation_text_lists_every_failed_rule_with_its_reason() -> None:
    q = verdict(article(meta_title="x" * 70, content_html=body("<script></script>")))
    assert not q.passed
    text = q.violation_text()
    assert text.startswith("no_script: script found: <script> element; meta_title: 70 characters")
