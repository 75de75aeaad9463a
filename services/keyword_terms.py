"""Keyword text to meaningful terms: normalising, light stemming, stopwords and generic modifiers.

Shared by the clustering algorithm and the local AI provider so both read keywords the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


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
    deal deals discount coupon clearance price prices pricing cost explained vs beginner
    beginners women womens women's men mens men's kid kids kid's seniors students adults teens
    families alternative alternatives comparison compared worth reddit today easy quick faq
    faqs checklist checklists"""
)

# Question and instruction frames: words that say what is asked, not what about ("how long do
# trail shoes last" is about trail shoes, "do i need a vest" about vests). They break runs like
# stopwords do, so they never hold a cluster together nor name one. A frame word counts as one
# only right after its lead word; `_FRAME_TAIL` words only in a keyword that opened a "how long".
_FRAME_AFTER: dict[str, frozenset[str]] = {
    "how": word_set("long often far fast soon old big hard early late"),
    "i": word_set("need needs"),
    "you": word_set("need needs"),
    "we": word_set("need needs"),
}
_FRAME_BEFORE: dict[str, frozenset[str]] = {"to": word_set("way ways")}  # "best way to", "ways to"
_FRAME_TAIL = word_set("last lasts take takes")  # "how long do X last", "... does it take to"
# Set phrases that modify any topic, read as frames wherever they stand.
_FRAME_PHRASES: tuple[tuple[str, ...], ...] = (("step", "by", "step"), ("pros", "and", "cons"))

_WORD_RE = re.compile(r"[a-z0-9]+(?:['’\-][a-z0-9]+)*")
_YEAR_OR_NUMBER_RE = re.compile(r"^\d+$")
# Words that end in "s" without being plurals; stemming them would merge unrelated words.
_NOT_PLURAL: frozenset[str] = word_set(
    """gps news series species bus gas plus lens yes less loss boss class glass grass pass
    canvas bias chaos atlas christmas always sometimes analysis basis crisis thesis tennis
    fitness wellness business witness wilderness success access paris iris"""
)
# Words whose "-er", "-ing" or "-ed" ending is part of the word: stripping it would make them
# collide with another word ("corner" is not "corn", "ceiling" is not "ceil").
_KEEP_ENDING: frozenset[str] = word_set(
    """water paper power tower corner number summer winter silver super river liner boxer
    ceiling wedding king ring string spring thing nothing morning evening sterling starter bed red
    need speed feed seed weed breed bred shed sled hundred sacred wicked naked"""
)
_VOWELS = frozenset("aeiouy")
# Near-synonyms searchers use for the same thing, by stem: the left side is read as the right.
# Small and curated: a wrong entry merges topics, a missing one only keeps a variant apart.
_SYNONYM_WORDS: dict[str, str] = {
    "sneaker": "shoe",
    "jog": "run",
    "jogging": "run",
    "tap": "faucet",
    "cupboard": "cabinet",
    "sheetrock": "drywall",
    "airfare": "flight",
    "airline": "flight",
    "refi": "refinance",
    "refinancing": "refinance",
    "pup": "puppy",
    "housebreaking": "potty",
    "housebreak": "potty",
    "toilet": "potty",
    "renovation": "remodel",
    "makeover": "remodel",
    "mildew": "mold",
    "c25k": "couch 5k",
    "hysa": "high yield savings",
    "ketogenic": "keto",
    "tooth": "teeth",
    "cupcake": "muffin",
}
# Two-word near-synonyms ("fish tank" is an aquarium, a "hydration pack" a hydration vest).
_SYNONYM_PAIRS: dict[tuple[str, str], str] = {
    ("fish", "tank"): "aquarium",
    ("plane", "ticket"): "flight",
    ("airline", "ticket"): "flight",
    ("hydration", "pack"): "hydration vest",
    ("interest", "saving"): "high yield savings",
    ("house", "train"): "potty train",
}


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """A light suffix stripper in the spirit of Porter's: plurals, "-ing", "-ed", "-er", so run,
    running and runners are one term; `_KEEP_ENDING` holds the words it must not cut."""
    word = _plural(word)
    if len(word) <= 4 or word in _KEEP_ENDING or not word.isalpha():
        return word
    for suffix in ("ing", "ed", "er"):
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if len(base) >= 3 and _VOWELS & set(base):
                return _undouble(base)
    if word.endswith("e") and len(word) > 4:
        return word[:-1]  # "remove" and "removing" meet at "remov"
    return word


def _plural(word: str) -> str:
    if len(word) <= 3 or word in _NOT_PLURAL or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _undouble(base: str) -> str:
    """ "runn" -> "run", "plann" -> "plan"; "fill", "press" and "buzz" keep their pair."""
    if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in _VOWELS | {"l", "s", "z"}:
        return base[:-1]
    return base


def _stem_phrase(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in text.split())


_SYNONYM_STEMS: dict[str, tuple[str, ...]] = {
    stem(left): _stem_phrase(right) for left, right in _SYNONYM_WORDS.items()
}
_SYNONYM_STEM_PAIRS: dict[tuple[str, str], tuple[str, ...]] = {
    (stem(a), stem(b)): _stem_phrase(right) for (a, b), right in _SYNONYM_PAIRS.items()
}


def canonical(stems: list[str]) -> list[str]:
    """Stems with near-synonyms read as their canonical form (two-word pairs first)."""
    out: list[str] = []
    i = 0
    while i < len(stems):
        pair = _SYNONYM_STEM_PAIRS.get((stems[i], stems[i + 1])) if i + 1 < len(stems) else None
        if pair is not None:
            out.extend(pair)
            i += 2
            continue
        out.extend(_SYNONYM_STEMS.get(stems[i], (stems[i],)))
        i += 1
    return out


def words(text: str) -> list[str]:
    """Lower-cased words of a keyword, apostrophes and hyphens kept inside words."""
    return _WORD_RE.findall(text.lower().replace("’", "'"))


def is_meaningful(word: str) -> bool:
    """Whether a word says something about the topic (not a stopword, modifier or number)."""
    return word not in STOPWORDS and word not in MODIFIERS and not _YEAR_OR_NUMBER_RE.match(word)


def segments(text: str) -> list[list[tuple[str, str]]]:
    """Runs of meaningful words, split where a stopword, modifier or question frame stood:
    [(stem, surface)]."""
    return [list(run) for run in _segments(text)]


def frame_words(tokens: list[str]) -> list[bool]:
    """Which of a keyword's words belong to a question or instruction frame ("how long", "do i
    need", "best way to", "step by step"): they say what is asked, not about what."""
    mask = [False] * len(tokens)
    how_long = False
    for i, word in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word in _FRAME_AFTER.get(before, ()) or word in _FRAME_BEFORE.get(after, ()):
            mask[i] = True
            how_long = how_long or (before == "how" and word == "long")
        elif how_long and word in _FRAME_TAIL:
            mask[i] = True
    for phrase in _FRAME_PHRASES:
        size = len(phrase)
        for i in range(len(tokens) - size + 1):
            if tuple(tokens[i : i + size]) == phrase:
                mask[i : i + size] = [True] * size
    return mask


@lru_cache(maxsize=200_000)
def _segments(text: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """`segments`, cached: clustering and naming read each keyword several times."""
    runs: list[tuple[tuple[str, str], ...]] = []
    current: list[tuple[str, str]] = []
    tokens = words(text)
    for word, framed in zip(tokens, frame_words(tokens), strict=True):
        if not framed and is_meaningful(word):
            current.append((stem(word.replace("'", "")), word))
        elif current:
            runs.append(tuple(current))
            current = []
    if current:
        runs.append(tuple(current))
    return tuple(runs)


def features(text: str) -> list[str]:
    """Clustering features of a keyword: stemmed terms and the bigrams inside each run."""
    out: list[str] = []
    for run in _segments(text):
        stems = canonical([s for s, _ in run])
        out.extend(stems)
        out.extend(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False))
    if not out:
        # A keyword made only of generic words still deserves a vector of its own.
        out = [stem(w) for w in words(text)] or [text.strip().lower() or "?"]
    return out


def phrases(text: str, max_len: int = 3) -> Iterable[tuple[str, str]]:
    """Candidate names inside a keyword: (stemmed key, surface form) n-grams of its runs."""
    for run in _segments(text):
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
