"""Links inside a cluster: who links to whom, placeholder resolution at publish time, and the
local provider's articles, which always pass the article contract and link their siblings."""

from __future__ import annotations

import csv

from services.ai.local import LocalProvider
from services.ai.schemas import ArticleBrief, ClusterBrief, KeywordInput, LinkTarget, SiteLinks
from services.article_contract import check_article, scan_html
from services.internal_links import (
    Sibling,
    link_targets,
    placeholder_href,
    placeholder_ids,
    resolve_placeholders,
    same_but_links,
)
from tests.helpers import SAMPLE_KEYWORDS as SAMPLE

CLUSTER = [
    Sibling(1, "Hub", "hub"),
    Sibling(2, "Two", "supporting"),
    Sibling(3, "Three", "attribute"),
]


def test_the_hub_links_to_every_other_article_and_the_others_to_the_hub() -> None:
    assert [s.idea_id for s in link_targets("hub", CLUSTER[1:])] == [2, 3]
    assert [s.idea_id for s in link_targets("supporting", [CLUSTER[0], CLUSTER[2]])] == [1]
    assert [s.idea_id for s in link_targets("attribute", CLUSTER[:2])] == [1]
    assert link_targets("supporting", CLUSTER[1:]) == []  # no hub: no internal links


def test_placeholders_resolve_to_urls_and_unpublished_targets_keep_their_text() -> None:
    html = (
        f'<p>See <a class="x" href="{placeholder_href(2)}">part two</a> and '
        f"<a href='{placeholder_href(3)}'><em>part three</em></a>, "
        '<a href="https://en.wikipedia.org/wiki/Trail">trails</a>, '
        f'<a href="{placeholder_href(2)}">again</a>.</p>'
    )
    assert placeholder_ids(html) == [2, 3]
    out = resolve_placeholders(html, {2: "https://wp.example/part-two/?a=1&b=2"})
    assert out == (
        '<p>See <a class="x" href="https://wp.example/part-two/?a=1&amp;b=2">part two</a> and '
        "<em>part three</em>, "
        '<a href="https://en.wikipedia.org/wiki/Trail">trails</a>, '
        '<a href="https://wp.example/part-two/?a=1&amp;b=2">again</a>.</p>'
    )
    assert resolve_placeholders("<p>no links</p>", {2: "u"}) == "<p>no links</p>"


def test_a_post_is_the_same_article_whichever_of_its_links_resolved() -> None:
    html = (
        f'<h2>One</h2><p>See <a class="x" href="{placeholder_href(2)}">part two</a> and '
        f'<a href="{placeholder_href(3)}">part three</a>.</p>'
    )

    def render(body: str) -> str:  # like publishing: a figure after the first H2, a marker
        return body.replace("</h2>", '</h2>\n<figure class="f"></figure>\n', 1) + "\n<!-- m -->"

    for urls in ({}, {2: "https://wp.example/two/"}, {2: "https://a/", 3: "https://b/?x=1&y=2"}):
        assert same_but_links(html, render(resolve_placeholders(html, urls)), render)
    sent = render(resolve_placeholders(html, {2: "https://wp.example/two/"}))
    assert not same_but_links(html, sent.replace("See", "Read"), render)  # an edit of the text
    assert not same_but_links(html, sent.replace('class="x" ', ""), render)  # of the anchor
    assert not same_but_links(html + "<p>More.</p>", sent, render)  # edited in igny8 since
    assert not same_but_links(html, resolve_placeholders(html, {}), render)  # not rendered


def _sample_clusters() -> list[tuple[str, list[str]]]:
    provider = LocalProvider()
    with open(SAMPLE, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kws = [
        KeywordInput(id=i, text=r["keyword"], volume=int(r["volume"])) for i, r in enumerate(rows)
    ]
    text = {k.id: k.text for k in kws}
    drafts = provider.cluster_keywords(kws, []).value
    return [(d.name, [text[i] for i in d.keyword_ids]) for d in drafts]


def test_local_articles_of_the_whole_sample_pass_the_contract_and_link_their_cluster() -> None:
    provider = LocalProvider()
    site = SiteLinks(own_domains=["example.test"], source_domains=["wikipedia.org"])
    next_id, articles, hubs = 1, 0, 0
    for name, keywords in _sample_clusters():
        brief = ClusterBrief(
            id=1, name=name, description="", intent="informational", keywords=keywords
        )
        ideas = provider.generate_ideas(brief).value.ideas
        assert [i.role for i in ideas].count("hub") == 1 and ideas[0].role == "hub"
        ids = list(range(next_id, next_id + len(ideas)))
        next_id += len(ideas)
        siblings = [Sibling(i, idea.title, idea.role) for i, idea in zip(ids, ideas, strict=True)]
        for own_id, idea in zip(ids, ideas, strict=True):
            targets = [
                LinkTarget(idea_id=s.idea_id, title=s.title, slug="", role=s.role,  # type: ignore[arg-type]
                           href=placeholder_href(s.idea_id))
                for s in link_targets(idea.role, [s for s in siblings if s.idea_id != own_id])
            ]  # fmt: skip
            article_brief = ArticleBrief(
                title=idea.title, description=idea.description, outline=idea.outline,
                primary_keyword=idea.primary_keyword, keywords=idea.covered_keywords,
                content_type=idea.content_type, content_structure=idea.content_structure,
                target_word_count=idea.target_word_count, role=idea.role, links_to=targets,
                site=site,
            )  # fmt: skip
            article = provider.generate_article(article_brief).value
            quality = check_article(article, article_brief, site)
            assert quality.passed, f"{idea.title}: {quality.violation_text()}"
            linked = {h for h in scan_html(article.content_html).links}
            assert linked == {t.href for t in targets}
            articles += 1
            hubs += idea.role == "hub"
            if idea.role == "hub":
                assert len(targets) == len(ideas) - 1
            else:
                assert [t.idea_id for t in targets] == [ids[0]]
    assert articles > 100 and hubs > 20


def test_a_local_article_names_a_keyword_its_title_lacked() -> None:
    brief = ArticleBrief(
        title="Staying Dry Out There", description="", outline=[], primary_keyword="rain jackets",
        keywords=[], content_type="post", content_structure="article", target_word_count=800,
    )  # fmt: skip
    article = LocalProvider().generate_article(brief).value
    assert article.title == "Rain Jackets: Staying Dry Out There"
    quality = check_article(article, brief, SiteLinks())
    assert quality.passed, quality.violation_text()
