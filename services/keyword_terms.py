"""Keyword text to meaningful terms: normalising, light stemming, stopwords and generic modifiers.

Shared by the clustering algorithm and the local AI provider so both read keywords the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def word_set(block: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated block (easier to read and edit)."""
    return frozenset(block.split())


# Function words: they carry no topic.
STOPWORDS: frozenset[str] = word_set(
    """a an the and or but nor of to for in on at by with without from into onto over under
    about above after before between during through than then so as if is are was were be been
    being am do does did doing have has had having i me my we our you your he she it its they
    them their this that these those there here what which who whom whose when where why how
    can could should would will shall may might must not no yes all any each every some more
    most other such only own same too very just also up down out off again once get got vs
    versus per via while until much many"""
)

# Modifiers searchers add to almost any topic: they say how or for whom, not what, so they must
# not pull unrelated keywords together ("best trail shoes" and "best gps watch" are different
# topics, and so are "yoga for beginners" and "golf for beginners").
MODIFIERS: frozenset[str] = word_set(
    """best top cheap cheapest affordable good great better new latest near buy review reviews
    guide guides tip tips idea ideas list lists example examples free online pdf sale sales
    deal deals discount coupon clearance price prices cost explained vs beginner beginners
    women womens women's men mens men's kid kids kid's"""
)

_WORD_RE = re.compile(r"[a-z0-9]+(?:['’\-][a-z0-9]+)*")
_YEAR_OR_NUMBER_RE = re.compile(r"^\d+$")
# Words that end in "s" without being plurals; stemming them would merge unrelated words.
_NOT_PLURAL: frozenset[str] = word_set(
    """gps news series species bus gas plus lens yes less loss boss class glass grass pass
    canvas bias chaos atlas christmas always sometimes analysis basis crisis thesis tennis
    fitness wellness business witness wilderness success access"""
)


def stem(word: str) -> str:
    """A light plural stemmer: enough to make "shoes" and "shoe" one term, nothing clever."""
    if len(word) <= 3 or word in _NOT_PLURAL or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-cased words of a keyword, apostrophes and hyphens kept inside words."""
    return _WORD_RE.findall(text.lower().replace("’", "'"))


def is_meaningful(word: str) -> bool:
    """Whether a word says something about the topic (not a stopword, modifier or number)."""
    return (
        word not in STOPWORDS
        and word not in MODIFIERS
        and not _YEAR_OR_NUMBER_RE.match(word)
        and len(word) > 1
    )


def segments(text: str) -> list[list[tuple[str, str]]]:
    """Runs of meaningful words, split where a stopword or modifier stood: [(stem, surface)]."""
    runs: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for word in words(text):
        if is_meaningful(word):
            current.append((stem(word.replace("'", "")), word))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def features(text: str) -> list[str]:
    """Clustering features of a keyword: stemmed terms and the bigrams inside each run."""
    out: list[str] = []
    for run in segments(text):
        stems = [s for s, _ in run]
        out.extend(stems)
        out.extend(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False))
    if not out:
        # A keyword made only of generic words still deserves a vector of its own.
        out = [stem(w) for w in words(text)] or [text.strip().lower() or "?"]
    return out


def phrases(text: str, max_len: int = 3) -> Iterable[tuple[str, str]]:
    """Candidate names inside a keyword: (stemmed key, surface form) n-grams of its runs."""
    for run in segments(text):
        for size in range(1, max_len + 1):
            for start in range(len(run) - size + 1):
                part = run[start : start + size]
                yield " ".join(s for s, _ in part), " ".join(w for _, w in part)


def phrase_key(text: str) -> str:
    """The stemmed form of a phrase, to compare names regardless of plurals and case."""
    return " ".join(stem(w.replace("'", "")) for w in words(text))


def core_phrase(text: str, max_words: int = 3) -> str:
    """The longest run of meaningful words of a keyword ("best trail shoes for men" → "trail
    shoes"), or the keyword itself when it has none."""
    runs = segments(text)
    if not runs:
        return text.strip().lower()
    best = max(runs, key=len)
    return " ".join(w for _, w in best[:max_words])
