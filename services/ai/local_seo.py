"""The local writer's part of the article contract: a title and a first paragraph that name the
primary keyword as searched, a 120-160 character meta description that names it too, and the
links to the cluster's sibling articles (placeholder hrefs, resolved when published)."""

from __future__ import annotations

import random

from services.ai.local_markup import Block
from services.ai.local_style import is_question, sentence_case, shorten, title_case
from services.ai.schemas import LinkTarget
from services.article_contract import META_DESCRIPTION_RANGE, contains_phrase

NAMING = (
    "Here is what you need to know about {kw}.",
    "This article is about {kw}, from the basics to the details.",
    "Everything below is about {kw}, in plain words.",
)
QUESTION_NAMING = (
    "{Q}? That is the question this article answers.",
    "{Q}? The answer depends on a few things, covered below.",
)
ONE_LINK_LEADS = (
    "For the bigger picture, read",
    "To see how this fits the wider topic, read",
    "For the full overview, read",
)
MANY_LINKS_LEADS = (
    "Go deeper with the other articles on this topic:",
    "More on this topic, one article at a time:",
    "Related articles in this series:",
)
META_TAILS = (
    "Practical advice, clear steps and answers to the questions readers ask most.",
    "Read on for what matters, what to avoid and how to decide.",
)


def title_with_keyword(title: str, primary: str) -> str:
    """The title, led by the primary keyword when it does not already contain it."""
    if not primary or contains_phrase(title, primary):
        return title[:300]
    return f"{title_case(primary)}: {title}"[:300]


def naming_sentence(primary: str, rng: random.Random) -> str:
    """A sentence that names the primary keyword as searched."""
    if is_question(primary):
        return rng.choice(QUESTION_NAMING).format(Q=sentence_case(primary.rstrip("?")))
    return rng.choice(NAMING).format(kw=primary)


def links_block(targets: list[LinkTarget], rng: random.Random) -> Block | None:
    """The links to the sibling articles: one inline, several as a list (None: no siblings)."""
    if not targets:
        return None
    lead = rng.choice(ONE_LINK_LEADS if len(targets) == 1 else MANY_LINKS_LEADS)
    return Block("links", lead, links=[(t.href, t.title) for t in targets])


def meta_description(primary: str, intro: list[str]) -> str:
    """120-160 characters from the intro, starting with a sentence that names the keyword."""
    low, high = META_DESCRIPTION_RANGE
    naming = [s for s in intro if contains_phrase(s, primary)]
    sentences = naming[:1] + [s for s in intro if s not in naming[:1]]
    if not naming:
        sentences.insert(0, f"{sentence_case(primary)}: what to know.")
    text = ""
    for sentence in [*sentences, *META_TAILS]:
        if len(text) >= low:
            break
        text = f"{text} {sentence}".strip()
    return shorten(text, high, "…")
