"""The local article writer: HTML that follows the outline exactly and lands on the word target.

Text comes from templates (services/ai/local_phrases.py) picked by a generator seeded from the
title, so two articles differ but the same brief always gives the same article. Every H2 and H3
of the outline appears once, in order; every keyword is used at least once; the visible word
count ends between the target and 10% above it (short filler sentences land the last words).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

from services.ai import local_phrases as P
from services.ai.local_markup import (
    Block,
    Slot,
    count_words,
    links_word_count,
    list_kind,
    render,
    section_kind,
)
from services.ai.local_outline import build_outline
from services.ai.local_seo import (
    links_block,
    meta_description,
    naming_sentence,
    title_with_keyword,
)
from services.ai.local_style import (
    heading_for,
    is_question,
    seeded_rng,
    sentence_case,
    shorten,
    title_case,
)
from services.ai.schemas import ArticleBrief, ArticleDraft
from services.article_contract import contains_phrase
from services.keyword_terms import core_phrase, word_set

OVERSHOOT = 0.10  # the count may end this far above the target, never below it
MAX_INTRO_SENTENCES = 5


class _Cycle:
    """Templates of one kind in a seeded order, reshuffled each time round."""

    def __init__(self, items: Sequence[str], rng: random.Random) -> None:
        self.items, self.rng, self.order, self.pos = list(items), rng, list(items), len(items)

    def next(self, avoid: set[str] | None = None) -> str:
        """The next template, skipping those in `avoid` (already used nearby) while it can."""
        for _ in range(len(self.items)):
            if self.pos >= len(self.order):
                self.order = list(self.items)
                self.rng.shuffle(self.order)
                self.pos = 0
            self.pos += 1
            choice = self.order[self.pos - 1]
            if not avoid or choice not in avoid:
                break
        if avoid is not None:
            avoid.add(choice)
        return choice


_KIND_POOLS = {
    "step": P.STEP,
    "compare": P.COMPARE,
    "mistakes": P.MISTAKES,
    "summary": P.SUMMARY,
    "fit": P.FIT,
    "answer": P.ANSWER,
}
_NO_KEYWORDS = {"intro", "closing", "faq"}  # slots with their own fixed opening sentences
_NAMING = tuple(t for t in P.GENERAL if "{kw}" in t)  # templates that name their keyword


class _Writer:
    """Builds one article: its blocks, their sentences, and the running word count."""

    def __init__(self, brief: ArticleBrief) -> None:
        self.brief = brief
        title = brief.title.strip() or title_case(brief.primary_keyword)
        self.primary = " ".join(brief.primary_keyword.split()) or core_phrase(title)
        self.title = title_with_keyword(title, self.primary)
        self.keywords = _unique(
            k for k in brief.keywords if k.strip().casefold() != self.primary.casefold()
        )
        # A question keyword reads badly as a noun ("advice about how long do boots last"):
        # the templates talk about its subject, and the intro quotes the question itself.
        # Search modifiers read badly in prose too ("a careful look at best boots sale"): the
        # templates use the bare subject; the keyword itself still opens its own sections.
        self.topic = core_phrase(self.primary) if is_question(self.primary) else _bare(self.primary)
        self.rng = seeded_rng(self.title, self.primary)
        self.cycles: dict[str, _Cycle] = {}
        self.words = 0

    # --- sentences -----------------------------------------------------------------------

    def cycle(self, name: str, items: Sequence[str]) -> _Cycle:
        """The article's template cycle of one kind (created on first use)."""
        if name not in self.cycles:
            self.cycles[name] = _Cycle(items, self.rng)
        return self.cycles[name]

    def _reference(self, subject: str) -> str:
        """How a sentence refers to a keyword after its first mention: the keyword itself
        about a third of the time, else a shorter form or a neutral phrase, so the text does
        not repeat one phrase in every sentence."""
        roll = self.rng.random()
        if roll < 0.35:
            return subject
        core = core_phrase(subject)
        if roll < 0.55 and core.casefold() != subject.casefold() and len(core.split()) > 1:
            return core
        return self.cycle("references", P.REFERENCES).next()

    def fill(self, template: str, kw: str, verbatim: bool = True) -> str:
        """A template with its slots filled; `verbatim` names the keyword as searched."""
        subject = core_phrase(kw) if is_question(kw) else kw
        if kw == self.primary and not verbatim:
            subject = self.topic
        same_as_topic = subject.casefold() == self.topic.casefold() and "{topic}" in template
        ref = subject if verbatim and not same_as_topic else self._reference(subject)
        if same_as_topic and ref.casefold() == subject.casefold():
            ref = self.cycle("references", P.REFERENCES).next()
        return template.format(
            kw=ref, Kw=sentence_case(ref), topic=self.topic, q=sentence_case(kw.rstrip("?"))
        )

    def sentence(self, slot: Slot, index: int) -> str:
        """The next sentence of a slot; its first sentence per keyword names that keyword."""
        kw = slot.keywords[index % len(slot.keywords)] if slot.keywords else self.topic
        if index < len(slot.keywords) or (index == 0 and not slot.keywords):
            if is_question(kw):
                return self.fill(self.cycle("question", P.QUESTION).next(slot.used), kw)
            return self.fill(self.cycle("naming", _NAMING).next(slot.used), kw)
        pool = _KIND_POOLS.get(slot.kind)
        # Kind-specific sentences lead a section; general ones carry the rest.
        if pool and slot.kind_sentences < (len(pool) + 1) // 2:
            slot.kind_sentences += 1
            return self.fill(self.cycle(slot.kind, pool).next(slot.used), kw, verbatim=False)
        return self.fill(self.cycle("general", P.GENERAL).next(slot.used), kw, verbatim=False)

    def sentence_intro(self, index: int) -> str:
        """Opening sentences; a question keyword is quoted as asked in the second one."""
        if index == 1 and is_question(self.primary):
            return self.fill(self.cycle("question", P.QUESTION).next(), self.primary)
        return self.fill(self.cycle("intro", P.INTRO).next(), self.primary)

    def add(self, slot: Slot, text: str) -> None:
        slot.sentences.append(text)
        self.words += count_words(text)

    # --- structure -----------------------------------------------------------------------

    def blocks(self) -> tuple[list[Block], Slot, Slot]:
        outline = self.brief.outline or build_outline(
            "article", self.primary, self.keywords, self.keywords
        )
        intro = Slot("intro", [self.primary])
        closing = Slot("closing", [self.primary])
        blocks: list[Block] = [Block("text", slot=intro)]
        for section in outline:
            blocks.append(Block("h2", section.heading))
            blocks.append(Block("text", slot=self._slot(section.heading, None)))
            parent = section_kind(section.heading)
            for sub in section.subheadings:
                blocks.append(Block("h3", sub))
                blocks.append(Block("text", slot=self._slot(sub, parent)))
        blocks.append(Block("text", slot=closing))
        self._assign_keywords(
            [b.slot for b in blocks if b.slot and b.slot.kind not in _NO_KEYWORDS]
        )
        for b in blocks:
            if b.tag != "text":
                self.words += count_words(b.text)
        return blocks, intro, closing

    def _slot(self, heading: str, parent: str | None) -> Slot:
        kind = section_kind(heading)
        if kind == "general" and parent in {"step", "compare"}:
            kind = parent
        slot = Slot(kind, [])
        key = heading.casefold().rstrip("?")
        key = re.sub(r"^(\d+\.|step \d+:)\s*", "", key)
        for kw in self.keywords:
            if heading_for(kw).casefold().rstrip("?") == key:
                slot.keywords.append(kw)
        return slot

    def _assign_keywords(self, slots: list[Slot]) -> None:
        """Keywords not already a heading go to the slots that have none, round robin."""
        if not slots:
            return
        placed = {kw for s in slots for kw in s.keywords}
        empty = [s for s in slots if not s.keywords] or slots
        # The primary keyword, as searched, opens the first section that has no keyword.
        empty[0].keywords.insert(0, self.primary)
        for i, kw in enumerate(k for k in self.keywords if k not in placed):
            empty[(i + 1) % len(empty)].keywords.append(kw)

    def lists(self, blocks: list[Block], headings: dict[int, str]) -> None:
        """Bulleted lists where the section calls for one (mistakes, checklists, pros/cons,
        overviews of the options)."""
        for i, block in enumerate(blocks):
            slot = block.slot
            if slot is None or i not in headings:
                continue
            heading = headings[i].lower()
            kind = list_kind(heading)
            if kind is None:
                continue
            kw = slot.keywords[0] if slot.keywords else self.primary
            if kind == "keywords":
                pool = [k for k in (slot.keywords + self.keywords + [self.primary])][:4]
                templates = self.cycle("list:keywords", P.LIST_ITEMS["keywords"])
                items = [self.fill(templates.next(), k) for k in _unique(pool)]
            else:
                items = [self.fill(t, kw) for t in P.LIST_ITEMS[kind][:4]]
            if len(items) >= 2:
                slot.items = items
                self.words += sum(count_words(item) for item in items)


def write_article(brief: ArticleBrief) -> ArticleDraft:
    """An article that follows the brief's outline and reaches its word target."""
    writer = _Writer(brief)
    blocks, intro, closing = writer.blocks()
    headings = {i + 1: b.text for i, b in enumerate(blocks[:-1]) if b.tag in {"h2", "h3"}}
    writer.lists(blocks, headings)
    body = [b.slot for b in blocks if b.slot is not None and b.slot not in (intro, closing)]

    # Skeleton: an intro with a roadmap, one sentence per keyword under every heading, a close.
    for i in range(2):
        writer.add(intro, writer.sentence_intro(i))
    h2s = [b.text for b in blocks if b.tag == "h2"]
    if h2s:
        roadmap = writer.cycle("roadmap", P.ROADMAP).next()
        writer.add(intro, roadmap.format(n=len(h2s), first=h2s[0], last=h2s[-1]))
    for slot in body:
        if slot.kind == "faq":
            writer.add(slot, writer.fill(writer.cycle("faq", P.FAQ_LEAD).next(), writer.primary))
            continue
        for i in range(max(1, len(slot.keywords))):
            writer.add(slot, writer.sentence(slot, i))
    writer.add(closing, writer.fill(writer.cycle("closing", P.CLOSING).next(), writer.primary))
    # The contract wants the keyword as searched in the first paragraph: name it if the
    # opening sentences only used its bare subject.
    if not contains_phrase(" ".join(intro.sentences), writer.primary):
        naming = naming_sentence(writer.primary, writer.rng)
        intro.sentences.insert(1, naming)
        writer.words += count_words(naming)
    links = links_block(brief.links_to, writer.rng)
    if links is not None:
        blocks.insert(len(blocks) - 1, links)  # before the closing paragraph
        writer.words += links_word_count(links)

    _reach_target(writer, body, intro, max(1, brief.target_word_count))
    content_html = render(blocks)
    return ArticleDraft(
        title=writer.title[:300],
        content_html=content_html,
        excerpt=shorten(" ".join(intro.sentences[:2]), 300, "…"),
        meta_title=_meta_title(writer.title),
        meta_description=meta_description(writer.primary, intro.sentences[:4]),
        primary_keyword=writer.primary,
        secondary_keywords=writer.keywords,
        tags=[t[:60] for t in _unique([writer.primary, *writer.keywords])][:8],
        categories=[title_case(core_phrase(writer.primary))],
    )


def _reach_target(writer: _Writer, body: list[Slot], intro: Slot, target: int) -> None:
    """Add sentences round robin over the sections until the count reaches the target; near
    the end, only sentences that keep it under target + 10%."""
    upper = int(target * (1 + OVERSHOOT))
    # The FAQ lead stays one sentence: the answers under it carry the section.
    slots = [s for s in body if s.kind != "faq"] or [intro]
    fillers = writer.cycle("fillers", P.FILLERS)
    turn = 0
    while writer.words < target:
        slot = slots[turn % len(slots)]
        turn += 1
        if turn % (len(slots) + 1) == 0 and len(intro.sentences) < MAX_INTRO_SENTENCES:
            slot = intro
        text = writer.sentence(slot, len(slot.sentences))
        if writer.words + count_words(text) > upper:
            text = fillers.next()  # at most 5 words: fits, since the window is 10% of the target
        writer.add(slot, text)


_LEADING = word_set("best top cheap cheapest affordable")
_TRAILING = word_set("review reviews sale clearance deals near me")
_YEAR = re.compile(r"(19|20)\d\d")


def _bare(keyword: str) -> str:
    """A keyword without leading "best"/"top" and trailing "review"/"sale"/"near me"/years."""
    words = keyword.split()
    while len(words) > 1 and words[0].lower() in _LEADING:
        words.pop(0)
    while len(words) > 1 and (words[-1].lower() in _TRAILING or _YEAR.fullmatch(words[-1])):
        words.pop()
    return " ".join(words)


def _meta_title(title: str) -> str:
    if len(title) <= 60:
        return title
    head = title.split(":", 1)[0].strip()
    return head if 20 <= len(head) <= 60 else shorten(title, 60)


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        text = " ".join(item.split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out
