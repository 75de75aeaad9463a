"""HTML of the local article writer: the blocks an article is made of, how a section's heading
decides its kind (steps, comparison, FAQ…) and whether it carries a list, rendering, and word
counting by the same rule as the content stage."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# How words are counted everywhere (the content stage's word_count uses visible_word_count).
WORD_RE = re.compile(r"\b[\w'-]+\b")
SENTENCES_PER_PARAGRAPH = 4
_KEYWORD_LIST_MARKERS = ("at a glance", "key features", "key differences", "tips", "overview")


def count_words(text: str) -> int:
    """Visible words in plain text, counted like the content stage counts them."""
    return len(WORD_RE.findall(text))


def visible_word_count(content_html: str) -> int:
    """Visible words of an HTML fragment (tags stripped, entities decoded)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", content_html))
    return count_words(text)


@dataclass
class Slot:
    """Running text under one heading (or the intro/closing): its kind, keywords, sentences."""

    kind: str
    keywords: list[str]
    sentences: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # a <ul> after the first paragraph
    used: set[str] = field(default_factory=set)  # templates used here (no repeats nearby)
    kind_sentences: int = 0


@dataclass
class Block:
    """A heading, or the running text (and list) that follows it."""

    tag: str  # "h2" | "h3" | "text" | "links"
    text: str = ""  # a heading, or the lead-in sentence of the links
    slot: Slot | None = None
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, anchor text)


def render(blocks: list[Block]) -> str:
    """HTML of the blocks: headings, paragraphs of a few sentences, a list after the first."""
    out: list[str] = []
    for block in blocks:
        if block.tag in {"h2", "h3"}:
            out.append(f"<{block.tag}>{_esc(block.text)}</{block.tag}>")
            continue
        if block.tag == "links":
            out.append(_links_html(block))
            continue
        slot = block.slot
        assert slot is not None
        chunks = [
            slot.sentences[i : i + SENTENCES_PER_PARAGRAPH]
            for i in range(0, len(slot.sentences), SENTENCES_PER_PARAGRAPH)
        ]
        if slot.items and len(chunks) > 0 and len(chunks[0]) > 2:
            # A list reads best right after a short lead-in.
            rest = [s for c in chunks for s in c]
            chunks = [rest[:2]] + [
                rest[i : i + SENTENCES_PER_PARAGRAPH]
                for i in range(2, len(rest), SENTENCES_PER_PARAGRAPH)
            ]
        for n, chunk in enumerate(chunks):
            out.append(f"<p>{_esc(' '.join(chunk))}</p>")
            if n == 0 and slot.items:
                out.append("<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in slot.items) + "</ul>")
        if not chunks and slot.items:
            out.append("<ul>" + "".join(f"<li>{_esc(i)}</li>" for i in slot.items) + "</ul>")
    return "\n".join(out)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _links_html(block: Block) -> str:
    """One link inline after its lead-in; several as a list under it."""
    anchors = [f'<a href="{html.escape(h)}">{_esc(t)}</a>' for h, t in block.links]
    if len(anchors) == 1:
        return f"<p>{_esc(block.text)} {anchors[0]}.</p>"
    return f"<p>{_esc(block.text)}</p>\n<ul>" + "".join(f"<li>{a}</li>" for a in anchors) + "</ul>"


def links_word_count(block: Block) -> int:
    """Visible words a links block adds."""
    return count_words(block.text) + sum(count_words(t) for _, t in block.links)


def section_kind(heading: str) -> str:
    """What a section is for, from its heading: it picks the sentences written under it."""
    h = heading.lower().strip()
    if h.startswith("frequently asked") or h in {"faq", "faqs"}:
        return "faq"
    if "mistake" in h:
        return "mistakes"
    if h.startswith("step ") or "before you start" in h:
        return "step"
    if h in {"pros", "cons"}:
        return h
    if any(m in h for m in ("differences", " vs ", "better fit", "which should", "apart")):
        return "compare"
    if any(m in h for m in ("bottom line", "takeaways", "verdict", "final thoughts")):
        return "summary"
    if "who it is for" in h:
        return "fit"
    if h.endswith("?"):
        return "answer"
    return "general"


def list_kind(heading: str) -> str | None:
    """Which bulleted list a section (lower-cased heading) carries, if any."""
    if "mistake" in heading:
        return "mistakes"
    if "before you start" in heading:
        return "checklist"
    if heading in {"pros", "cons"}:
        return heading
    if any(m in heading for m in _KEYWORD_LIST_MARKERS):
        return "keywords"
    return None
