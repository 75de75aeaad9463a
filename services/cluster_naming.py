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
# phrase instead, when the phrase's other words are, on average, this shared relative to the word.
MIN_HEAD_GROUP = 2
HEAD_MIN_SHARE = 0.3
MAX_HEAD_WORDS = 4
# A word is generic for a keyword set when a group holds less than this share of the keywords
# that contain it ("running" in a running site's keywords): it never names a group alone.
GENERIC_SHARE = 0.5


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
    frequency = word_frequency(texts)
    for rows in sorted(parts, key=lambda r: (-len(r), int(r[0]))):
        members = [int(r) for r in rows]
        found = candidates([texts[r] for r in members])
        key, name, is_existing = _pick_name(
            [texts[r] for r in members], existing, taken, found, frequency
        )
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


def word_frequency(texts: Sequence[str]) -> Counter[str]:
    """How many keywords contain each stemmed word (once per keyword)."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update({stem for run in segments(text) for stem, _ in run})
    return counts


def head_phrase(
    texts: Sequence[str],
    word_key: str,
    found: Sequence[Candidate],
    generic: frozenset[str] | set[str] = frozenset(),
) -> tuple[str, str] | None:
    """(key, surface) of the group's head phrase: 2-4 consecutive meaningful words containing
    `word_key` (a member's whole run of them, or a part several members share) whose other
    words the other members share most ("paris hotels" rather than "paris", "marathon pace"
    rather than "coros pace"; generic words add nothing). None when even the best one's other
    words are in too few members (below HEAD_MIN_SHARE of the word's own count)."""
    coverage = {c.key: c.count for c in found if len(c.key.split()) == 1}
    surfaces: dict[str, Counter[str]] = {}
    holders: Counter[str] = Counter()  # members containing the phrase
    whole: set[str] = set()  # phrases that are a member's whole run
    for text in texts:
        seen: set[str] = set()
        for run in segments(text):
            stems = [s for s, _ in run]
            if word_key not in stems:
                continue
            for start in range(len(run)):
                for size in range(2, min(MAX_HEAD_WORDS, len(run) - start) + 1):
                    part = stems[start : start + size]
                    if word_key not in part:
                        continue
                    key = " ".join(part)
                    surfaces.setdefault(key, Counter())[
                        " ".join(w for _, w in run[start : start + size])
                    ] += 1
                    seen.add(key)
                    if size == len(run):
                        whole.add(key)
        holders.update(seen)
    best: tuple[float, int, bool, int, str] | None = None
    for key, count in holders.items():
        if key not in whole and count < 2:
            continue  # a fragment of one member's words
        others = [s for s in key.split() if s != word_key and s not in generic]
        share = sum(coverage.get(s, 0) for s in others) / len(others) if others else 0.0
        # Most shared other words, in the most members; then a whole run over a fragment of
        # one ("salomon speedcross", not "salomon adv"); then the shorter.
        rank = (-share, -count, key not in whole, len(key.split()), key)
        if best is None or rank < best:
            best = rank
    if best is None or -best[0] < HEAD_MIN_SHARE * coverage.get(word_key, 1):
        return None
    return best[4], _commonest(surfaces[best[4]])


def representative(
    texts: Sequence[str], found: Sequence[Candidate], generic: set[str]
) -> list[str]:
    """The group's keywords, the most representative first: those whose own words (generic ones
    aside) the other members share most, then the shortest."""
    coverage = {c.key: c.count for c in found if len(c.key.split()) == 1}

    def score(text: str) -> float:
        stems = {s for run in segments(text) for s, _ in run} - generic
        return sum(coverage.get(s, 0) for s in stems) / len(stems) if stems else 0.0

    return sorted(texts, key=lambda t: (-score(t), len(t), t))


def _commonest(counter: Counter[str]) -> str:
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _pick_name(
    texts: list[str],
    existing: dict[str, str],
    taken: dict[str, list[int]],
    found: list[Candidate],
    frequency: Counter[str] | None = None,
) -> tuple[str, str, bool]:
    """(key, name, is_existing): an existing cluster's name when the group's main phrase is one,
    else its best phrase no other group has, else its most representative keyword.

    A single word names a group of several keywords only as a last resort: its head phrase
    comes first ("paris hotels"); a word generic for the whole set ("running") is passed over;
    any other word only when it is a keyword of the group on its own ("strava")."""
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
    frequency = frequency or Counter()
    generic = {
        c.key
        for c in found
        if len(c.key.split()) == 1 and c.count < GENERIC_SHARE * frequency.get(c.key, 0)
    }
    whole = {phrase_key(t) for t in texts}  # keywords that are a phrase on their own
    for cand in found:
        if not cand.eligible or cand.key in taken:
            continue
        if len(cand.key.split()) > 1 or len(texts) < MIN_HEAD_GROUP:
            return cand.key, cand.surface, False
        head = head_phrase(texts, cand.key, found, generic)
        if head is not None and head[0] not in taken and head[0] not in existing:
            return head[0], head[1], False
        if cand.key not in generic and cand.key in whole:
            return cand.key, cand.surface, False
    # No phrase names the group well (or each one names a bigger group): the keyword that best
    # represents it does, and tells it apart from the others.
    typical = representative(texts, found, generic)
    for text in typical:
        name = " ".join(text.lower().split())
        key = phrase_key(name) or name
        if key not in taken and key not in existing:
            return key, name, False
    base = " ".join(typical[0].lower().split())
    suffix = 2
    while phrase_key(f"{base} {suffix}") in taken:
        suffix += 1
    return phrase_key(f"{base} {suffix}"), f"{base} {suffix}", False
