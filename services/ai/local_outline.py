"""Outlines for the local provider's ideas: 4-7 H2 sections per structure, the idea's keywords
placed as H2s and H3s (question keywords under the FAQ), headings unique."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.ai.local_style import heading_for, is_question, shorten, title_case
from services.ai.schemas import OutlineSection
from services.keyword_terms import core_phrase

MIN_SECTIONS, MAX_SECTIONS, MAX_SUBS = 4, 7, 3
FAQ = "Frequently Asked Questions"
_SPLIT_RE = re.compile(r"\s+(?:vs\.?|versus|or)\s+", re.IGNORECASE)


@dataclass
class _Section:
    heading: str
    subs: list[str] = field(default_factory=list)
    hosts: bool = False  # may take keyword H3s


def topic_of(keyword: str, fallback: str = "") -> str:
    """The subject of a keyword, for generic headings: its main run of meaningful words, or the
    fallback (the cluster's name) when that run is a single word."""
    core = core_phrase(keyword)
    if len(core.split()) < 2 and fallback.strip():
        return fallback.strip()
    return core


def comparison_sides(primary: str, keywords: list[str]) -> tuple[str, str]:
    """The two things a comparison weighs: "A vs B" in the keyword, else the keyword's topic
    against the next different topic of the cluster."""
    parts = _SPLIT_RE.split(primary.strip(), maxsplit=1)
    if len(parts) == 2 and all(p.strip() for p in parts):
        return title_case(parts[0]), title_case(parts[1])
    a = topic_of(primary)
    for kw in keywords:
        b = topic_of(kw)
        if b and b.casefold() != a.casefold() and b.casefold() not in a.casefold():
            return title_case(a), title_case(b)
    return title_case(a), "the Alternatives"


def build_outline(
    structure: str, primary: str, others: list[str], keywords: list[str], cluster_name: str = ""
) -> list[OutlineSection]:
    """4-7 sections for an idea; `others` (its non-primary keywords) become headings."""
    topic = title_case(topic_of(primary, cluster_name))
    questions = [heading_for(k) for k in others if is_question(k)]
    statements = [heading_for(k) for k in others if not is_question(k)]
    sections = _template(structure, primary, topic, statements, keywords)
    faq = next((s for s in sections if s.heading == FAQ), None)
    if faq is not None:
        faq.subs.extend(questions[:MAX_SUBS])
        if not faq.subs:
            faq.subs = [
                f"Where Should You Start with {topic}?",
                f"What Matters Most When It Comes to {topic}?",
            ]
        extra = questions[MAX_SUBS:]
    else:
        extra = questions
    _place(sections, statements + extra)
    return _finish(sections)


def _template(
    structure: str, primary: str, topic: str, statements: list[str], keywords: list[str]
) -> list[_Section]:
    """The fixed sections of a structure. Listicle items consume keyword headings."""
    if structure == "listicle":
        items = [statements.pop(0) for _ in range(min(4, len(statements)))]
        generic = [
            f"Know What You Need from {topic}",
            "Compare the Options Side by Side",
            "Look Past the Price Tag",
            "Check the Details That Matter to You",
        ]
        while len(items) < 3:
            items.append(generic.pop(0))
        return [
            _Section(f"{topic} at a Glance"),
            *(_Section(f"{i}. {item}") for i, item in enumerate(items, 1)),
            _Section("How to Pick the Right Option", hosts=True),
            _Section(FAQ),
        ]
    if structure == "how_to":
        return [
            _Section("Before You Start"),
            _Section("Step 1: Set a Clear Goal", hosts=True),
            _Section("Step 2: Prepare What You Need", hosts=True),
            _Section("Step 3: Put It into Practice", hosts=True),
            _Section("Step 4: Review and Adjust"),
            _Section("Tips and Mistakes to Avoid"),
        ]
    if structure == "comparison":
        a, b = comparison_sides(primary, keywords)
        return [
            _Section(f"{a} vs {b} at a Glance"),
            _Section(f"What Sets {a} Apart", hosts=True),
            _Section(f"What Sets {b} Apart", hosts=True),
            _Section("Key Differences", hosts=True),
            _Section(
                "Which Should You Choose?",
                [f"When {a} Is the Better Fit", f"When {b} Is the Better Fit"],
            ),
            _Section(FAQ),
        ]
    if structure == "review":
        bare = title_case(
            " ".join(w for w in primary.split() if w.lower() not in {"review", "reviews"})
        )
        return [
            _Section(f"{bare} Overview"),
            _Section("Key Features", hosts=True),
            _Section("Pros and Cons", ["Pros", "Cons"]),
            _Section("Who It Is For"),
            _Section("Alternatives to Consider", hosts=True),
            _Section("The Bottom Line"),
        ]
    if structure == "guide":
        return [
            _Section(f"{topic}: The Basics", hosts=True),
            _Section(f"Why {topic} Matters"),
            _Section("Key Things to Consider", hosts=True),
            _Section("Common Mistakes to Avoid"),
            _Section(FAQ),
        ]
    return [
        _Section(f"Understanding {topic}", hosts=True),
        _Section("What to Keep in Mind", hosts=True),
        _Section("Practical Advice", hosts=True),
        _Section("Key Takeaways"),
    ]


def _place(sections: list[_Section], headings: list[str]) -> None:
    """Keyword headings as H3s of the hosting sections (round robin, up to 3 each); the rest as
    H2s of their own before the last section while there is room."""
    hosts = [s for s in sections if s.hosts]
    pending = list(headings)
    while pending and any(len(h.subs) < MAX_SUBS for h in hosts):
        for host in hosts:
            if pending and len(host.subs) < MAX_SUBS:
                host.subs.append(pending.pop(0))
    while pending and len(sections) < MAX_SECTIONS:
        sections.insert(len(sections) - 1, _Section(pending.pop(0)))
    # Keywords left over still reach the article as text (they are covered keywords).


def _finish(sections: list[_Section]) -> list[OutlineSection]:
    """Unique, length-bounded headings, padded up to the minimum number of sections."""
    seen: set[str] = set()
    out: list[OutlineSection] = []
    for section in sections[:MAX_SECTIONS]:
        heading = shorten(section.heading, 200)
        if heading.casefold() in seen:
            continue
        seen.add(heading.casefold())
        subs = []
        for sub in (shorten(s, 200) for s in section.subs):
            if sub.casefold() not in seen:
                seen.add(sub.casefold())
                subs.append(sub)
        out.append(OutlineSection(heading=heading, subheadings=subs[:MAX_SUBS]))
    for pad in ("Getting Started", "Practical Tips", "Key Takeaways", "Next Steps"):
        if len(out) >= MIN_SECTIONS:
            break
        if pad.casefold() not in seen:
            seen.add(pad.casefold())
            out.insert(max(0, len(out) - 1), OutlineSection(heading=pad))
    return out
