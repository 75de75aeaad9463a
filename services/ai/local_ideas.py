"""Content ideas for a cluster, built from its keywords (local provider, deterministic).

Each idea gets a primary keyword, a structure its wording calls for ("best X" → listicle, "X vs Y"
→ comparison, "how to" → how-to), a title, an outline whose headings come from the cluster's
keywords, and its share of the cluster's keywords, so that every keyword is covered by some idea.
"""

from __future__ import annotations

import math

from services.ai.local_outline import build_outline, comparison_sides, topic_of
from services.ai.local_style import is_question, stable_index, title_case
from services.ai.schemas import ClusterBrief, IdeaDraft, IdeaSet, OutlineSection, Role
from services.article_contract import contains_phrase
from services.keyword_terms import segments

ROTATION = ("guide", "listicle", "how_to", "comparison", "review", "article")
BASE_WORDS = {
    "guide": 1500,
    "listicle": 1400,
    "how_to": 1200,
    "comparison": 1300,
    "review": 1100,
    "article": 1000,
}
LABELS = {
    "guide": "An in-depth guide",
    "listicle": "A list article",
    "how_to": "A step-by-step how-to",
    "comparison": "A side-by-side comparison",
    "review": "A review",
    "article": "An explainer",
}
# Title endings after the keyword itself, when no title of the structure contains the keyword.
FALLBACK_TITLES = {
    "guide": "The Complete Guide",
    "listicle": "What to Look For",
    "how_to": "How to Do It Right",
    "comparison": "How the Options Compare",
    "review": "Features, Pros and Cons",
    "article": "What to Know and Why It Matters",
}
MIN_IDEAS, MAX_IDEAS = 3, 7
KEYWORDS_PER_IDEA = 4  # a cluster gets about one idea per this many keywords


def structure_for(keyword: str) -> str | None:
    """The structure a keyword's wording asks for, or None when it does not say."""
    k = f" {keyword.lower().strip()} "
    words = set(k.split())
    if " vs " in k or " versus " in k or " or " in k:
        return "comparison"
    if words & {"review", "reviews"}:
        return "review"
    if k.startswith(" how to "):
        return "how_to"
    if words & {"best", "top", "tips", "ideas", "mistakes", "exercises", "stretches", "ways"}:
        return "listicle"
    if words & {"sale", "clearance", "deals", "cheap", "buy", "discount"} or " near me " in k:
        return "listicle"
    if is_question(keyword) or words & {"plan", "schedule", "chart", "calculator", "explained"}:
        return "guide"
    return None


def build_ideas(cluster: ClusterBrief) -> IdeaSet:
    """3-7 ideas for a cluster; together their covered keywords include every cluster keyword."""
    keywords = _unique([k for k in cluster.keywords if k.strip()]) or [cluster.name]
    count = max(MIN_IDEAS, min(MAX_IDEAS, math.ceil(len(keywords) / KEYWORDS_PER_IDEA)))
    plans = _choose_primaries(keywords, count)
    covered = _distribute(keywords, [p for p, _ in plans])
    ideas: list[IdeaDraft] = []
    titles: set[str] = set()
    hub = plans[0][0]  # the most important keyword: the cluster's broad topic
    for n, ((primary, structure), kws) in enumerate(zip(plans, covered, strict=True)):
        others = [k for k in kws if k != primary]
        outline = build_outline(structure, primary, others, keywords, cluster.name)
        title = _title(structure, primary, outline, keywords, cluster.name, titles)
        titles.add(title.casefold())
        ideas.append(
            IdeaDraft(
                title=title,
                role=_role(n, primary, hub),
                description=_description(structure, primary, others),
                outline=outline,
                primary_keyword=primary,
                covered_keywords=kws,
                content_type="post",
                content_structure=structure,
                target_word_count=_word_target(structure, len(kws)),
            )
        )
    return IdeaSet(ideas=ideas)


def _role(index: int, primary: str, hub: str) -> Role:
    """The first idea is the cluster's hub; an idea whose keyword is the hub's keyword with
    more words ("waterproof trail shoes" under "trail shoes") covers an attribute of it; the
    others support the hub."""
    if index == 0:
        return "hub"
    words, hub_words = primary.casefold().split(), hub.casefold().split()
    if not is_question(primary) and len(words) > len(hub_words) and set(hub_words) <= set(words):
        return "attribute"
    return "supporting"


def _unique(keywords: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for k in keywords:
        text = " ".join(k.split())
        if text.casefold() not in seen:
            seen.add(text.casefold())
            out.append(text)
    return out


def _stems(keyword: str) -> set[str]:
    return {s for run in segments(keyword) for s, _ in run}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _choose_primaries(keywords: list[str], count: int) -> list[tuple[str, str]]:
    """(primary keyword, structure) per idea: important keywords first, but varied in wording
    and structure so the ideas do not repeat each other."""
    stems = {k: _stems(k) for k in keywords}
    plans: list[tuple[str, str]] = []
    used: dict[str, int] = {}
    for _ in range(min(count, len(keywords))):
        best: tuple[float, str] | None = None
        for rank, kw in enumerate(keywords):
            if any(kw == p for p, _ in plans):
                continue
            similar = max((_overlap(stems[kw], stems[p]) for p, _ in plans), default=0.0)
            pattern = structure_for(kw)
            crowded = used.get(pattern or "", 0) >= 2
            score = rank + 8 * similar + (4 if crowded else 0)
            if best is None or score < best[0]:
                best = (score, kw)
        assert best is not None
        kw = best[1]
        structure = structure_for(kw)
        if structure is None or used.get(structure, 0) >= 2:
            structure = _next_structure(used, structure)
        used[structure] = used.get(structure, 0) + 1
        plans.append((kw, structure))
    # Fewer keywords than ideas: the top keywords again, from another angle.
    cycle = 0
    while len(plans) < count:
        kw = keywords[cycle % len(keywords)]
        taken = {s for p, s in plans if p == kw}
        structure = next((s for s in ROTATION if s not in taken), ROTATION[cycle % len(ROTATION)])
        used[structure] = used.get(structure, 0) + 1
        plans.append((kw, structure))
        cycle += 1
    return plans


def _next_structure(used: dict[str, int], avoid: str | None) -> str:
    """The least used structure, in rotation order."""
    return min(
        ROTATION, key=lambda s: (used.get(s, 0) + (10 if s == avoid else 0), ROTATION.index(s))
    )


def _distribute(keywords: list[str], primaries: list[str]) -> list[list[str]]:
    """Covered keywords per idea: its primary, then each other keyword with the idea whose
    primary it shares most terms with, while that idea has room (ideas stay balanced)."""
    covered = [[p] for p in primaries]
    stems = [_stems(p) for p in primaries]
    primary_set = set(primaries)
    room = math.ceil(len(keywords) / len(primaries)) + 1
    for kw in keywords:
        if kw in primary_set:
            continue
        kw_stems = _stems(kw)
        ranked = sorted(
            range(len(primaries)),
            key=lambda i: (-_overlap(kw_stems, stems[i]), len(covered[i]), i),
        )
        target = next((i for i in ranked if len(covered[i]) < room), ranked[0])
        covered[target].append(kw)
    return covered


def _word_target(structure: str, keyword_count: int) -> int:
    words = BASE_WORDS[structure] + 50 * max(0, keyword_count - 1)
    return int(round(max(800, min(2000, words)) / 50) * 50)


def _title(
    structure: str,
    primary: str,
    outline: list[OutlineSection],
    keywords: list[str],
    cluster_name: str,
    taken: set[str],
) -> str:
    """A title from the primary keyword, its template picked by a hash of the keyword."""
    subject = title_case(primary)
    bare = title_case(
        " ".join(w for w in primary.split() if w.lower() not in {"review", "reviews"})
    )
    items = max(3, sum(1 for s in outline if s.heading[:1].isdigit()) or len(outline))
    if structure == "comparison":
        a, b = comparison_sides(primary, keywords)
        options = [f"{a} vs {b}: Which Is Right for You?", f"{a} vs {b}: Key Differences Explained"]
    elif structure == "review":
        options = [
            f"{bare} Review: Features, Pros and Cons",
            f"{bare}: An Honest Look at the Pros and Cons",
        ]
    elif structure == "how_to":
        if primary.lower().startswith("how to"):
            options = [f"{subject}: A Step-by-Step Guide", f"{subject} (Step by Step)"]
        else:
            topic = title_case(topic_of(primary, cluster_name))
            options = [f"How to Get Started with {topic}", f"{subject}: How to Do It Right"]
    elif structure == "listicle":
        if primary.lower().split()[0] in {"best", "top"}:
            options = [
                f"{subject}: {items} Things to Compare Before You Choose",
                f"{subject}: What to Look For",
            ]
        else:
            options = [
                f"{subject}: {items} Essentials Worth Knowing",
                f"{items} Things to Know About {subject}",
            ]
    elif structure == "guide":
        if is_question(primary):
            options = [f"{subject}? What You Need to Know", f"{subject}? A Practical Answer"]
        else:
            options = [
                f"{subject}: The Complete Guide",
                f"The Complete Guide to {subject}",
                f"A Practical Guide to {subject}",
            ]
    else:
        options = [
            f"{subject}: What to Know and Why It Matters",
            f"Understanding {subject}",
            f"{subject}: Key Facts and Practical Advice",
        ]
    # The article contract wants the primary keyword in the title, as searched.
    options = [o for o in options if contains_phrase(o, primary)] or [
        f"{subject}: {FALLBACK_TITLES[structure]}"
    ]
    start = stable_index(primary + structure, len(options))
    for i in range(len(options)):
        title = options[(start + i) % len(options)][:300]
        if title.casefold() not in taken:
            return title
    return f"{options[start]} ({structure.replace('_', '-')})"[:300]


def _description(structure: str, primary: str, others: list[str]) -> str:
    text = f"{LABELS[structure]} targeting “{primary}”"
    if others:
        shown = ", ".join(f"“{k}”" for k in others[:3])
        more = f" and {len(others) - 3} more keywords" if len(others) > 3 else ""
        text += f", also covering {shown}{more}"
    return text + "."
