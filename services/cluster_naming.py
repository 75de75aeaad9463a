"""Names for keyword clusters: the longest phrase most members share, unique within a result,
and an existing cluster's exact name when a group is about the same phrase."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from services.keyword_terms import phrase_key, phrases, segments

# A longer phrase wins the name when it covers at least this share of what the most common
# phrase covers: "trail running shoes" beats "running" in a group of trail-shoe keywords.
NAME_COVERAGE = 0.6
MAX_NAME_LENGTH = 200
# A group joins an existing cluster through a phrase that is not its best one only if this
# share of its members contains the phrase.
EXISTING_COVERAGE = 0.8
# A group named by a single word ("paris") of at least this many members is named by its head
# phrase instead, when that phrase's words are, on average, this shared relative to the word.
MIN_HEAD_GROUP = 3
HEAD_MIN_SHARE = 0.3


@dataclass
class ClusterGroup:
    """One cluster: the ids of its items, a name and its most representative terms."""

    ids: list[int]
    name: str
    terms: list[str] = field(default_factory=list)
    existing: bool = False  # the name is an existing cluster's: the caller merges into it


@dataclass(frozen=True)
class Candidate:
    key: str  # stemmed, to compare regardless of case and plurals
    surface: str  # the commonest spelling among the members
    count: int  # members containing it
    eligible: bool  # covers enough members to name the group


def candidates(texts: Sequence[str]) -> list[Candidate]:
    """Name candidates of a group of keywords, best first."""
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    for text in texts:
        seen: set[str] = set()
        for key, surface in phrases(text):
            surfaces.setdefault(key, Counter())[surface] += 1
            if key not in seen:
                seen.add(key)
                counts[key] += 1
    if not counts:
        return []
    floor = max(1.0, NAME_COVERAGE * max(counts.values()))
    found = [
        Candidate(key, _commonest(surfaces[key]), count, count >= floor)
        for key, count in counts.items()
    ]
    # Eligible phrases, longest first; then the rest by how many members they cover.
    found.sort(
        key=lambda c: (not c.eligible, -len(c.key.split()) if c.eligible else 0, -c.count, c.key)
    )
    return found


def name_groups(
    parts: Sequence[np.ndarray],
    ids: Sequence[int],
    texts: Sequence[str],
    existing_names: Sequence[str] = (),
) -> list[ClusterGroup]:
    """Named clusters from groups of row indices, largest first; names unique within the result."""
    existing = {phrase_key(name): name for name in existing_names if phrase_key(name)}
    taken: dict[str, list[int]] = {}  # name key → rows (groups sharing an existing name merge)
    names: dict[str, tuple[str, bool]] = {}
    found_of: dict[str, list[Candidate]] = {}  # a group's candidates, kept while it stays alone
    for rows in sorted(parts, key=lambda r: (-len(r), int(r[0]))):
        members = [int(r) for r in rows]
        found = candidates([texts[r] for r in members])
        key, name, is_existing = _pick_name([texts[r] for r in members], existing, taken, found)
        if key in taken:
            taken[key].extend(members)
            found_of.pop(key, None)
            continue
        taken[key] = members
        names[key] = (name, is_existing)
        found_of[key] = found

    groups = []
    for key, members in taken.items():
        members.sort()
        name, is_existing = names[key]
        found = found_of.get(key) or candidates([texts[r] for r in members])
        terms = [c.surface for c in found if c.key != key]
        groups.append(
            ClusterGroup(
                ids=[ids[r] for r in members],
                name=name[:MAX_NAME_LENGTH],
                terms=terms[:5],
                existing=is_existing,
            )
        )
    return sorted(groups, key=lambda g: (-len(g.ids), g.ids[0]))


def head_phrase(
    texts: Sequence[str], word_key: str, found: Sequence[Candidate]
) -> tuple[str, str] | None:
    """(key, surface) of the group's head phrase: the 2-4 meaningful words of one member that
    contain `word_key` and whose terms the other members share most ("paris hotels" rather than
    "paris", "vitamin d deficiency" rather than "vitamin")."""
    coverage = {c.key: c.count for c in found if len(c.key.split()) == 1}
    surfaces: dict[str, Counter[str]] = {}
    best: tuple[float, int, str] | None = None
    for text in texts:
        for run in segments(text):
            stems = [s for s, _ in run]
            if word_key not in stems or not 2 <= len(run) <= 4:
                continue
            key = " ".join(stems)
            surfaces.setdefault(key, Counter())[" ".join(w for _, w in run)] += 1
            rank = (-sum(coverage.get(s, 0) for s in stems) / len(stems), len(run), key)
            if best is None or rank < best:
                best = rank
    if best is None or -best[0] < HEAD_MIN_SHARE * coverage.get(word_key, 1):
        return None
    return best[2], _commonest(surfaces[best[2]])


def _commonest(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _pick_name(
    texts: list[str],
    existing: dict[str, str],
    taken: dict[str, list[int]],
    found: list[Candidate],
) -> tuple[str, str, bool]:
    """(key, name, is_existing): an existing cluster's name when the group's main phrase is one,
    else its best phrase no other group has, else its most typical keyword."""
    for n, cand in enumerate(found):
        if not cand.eligible or cand.key not in existing:
            continue
        # The group's own best phrase, or a multi-word phrase nearly all members share; a
        # generic word ("running") naming an existing cluster must not swallow the group.
        if n == 0 or (len(cand.key.split()) > 1 and cand.count >= EXISTING_COVERAGE * len(texts)):
            return cand.key, existing[cand.key], True
    if len(texts) == 1:
        # A lone keyword is its own best name ("yasso 800s", not "yasso").
        text = " ".join(texts[0].lower().split())
        key = phrase_key(text) or text
        if key in existing:
            return key, existing[key], True
        if key not in taken:
            return key, text, False
    for cand in found:
        if cand.eligible and cand.key not in taken:
            if len(cand.key.split()) == 1 and len(texts) >= MIN_HEAD_GROUP:
                head = head_phrase(texts, cand.key, found)
                if head is not None and head[0] not in taken and head[0] not in existing:
                    return head[0], head[1], False
            return cand.key, cand.surface, False
    # Every phrase the group shares names a bigger group: the keyword that best represents it
    # (the shortest one containing its main phrase) tells the two apart.
    main = found[0].key if found else ""
    typical = sorted(texts, key=lambda t: (main not in phrase_key(t), len(t), t))
    for text in typical:
        name = " ".join(text.lower().split())
        key = phrase_key(name) or name
        if key not in taken:
            return key, name, False
    base = " ".join(typical[0].lower().split())
    suffix = 2
    while phrase_key(f"{base} {suffix}") in taken:
        suffix += 1
    return phrase_key(f"{base} {suffix}"), f"{base} {suffix}", False
