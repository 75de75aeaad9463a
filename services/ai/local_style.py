"""Display helpers the local provider shares: title case, headings from keywords, seeded choices."""

from __future__ import annotations

import hashlib
import random
import re

from services.keyword_terms import word_set

_SMALL_WORDS = word_set("a an the and or nor but for to of in on at by with vs via per from")
_QUESTION_WORDS = word_set(
    "how what why when where which who can should is are does do did will could would"
)
_VOWELS = set("aeiouy")


def seeded_rng(*parts: str) -> random.Random:
    """A random generator fixed by its inputs, so the same brief always gives the same text."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def stable_index(text: str, size: int) -> int:
    """An index in range(size) fixed by the text."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % max(1, size)


def _cap_word(word: str, first: bool) -> str:
    lower = word.lower()
    if not first and lower in _SMALL_WORDS:
        return lower
    letters = re.sub(r"[^a-z]", "", lower)
    # Acronyms and model codes read better in capitals: GPS, HRM, GTX, VO2, 5K.
    if letters and len(lower) <= 4 and (not set(letters) & _VOWELS or re.search(r"\d", lower)):
        return word.upper()
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def title_case(text: str) -> str:
    """Headline capitalisation of a keyword ("best gps watch for trail running" → "Best GPS
    Watch for Trail Running")."""
    words = text.split()
    return " ".join(_cap_word(w, i == 0) for i, w in enumerate(words))


def sentence_case(text: str) -> str:
    """First letter capitalised, the rest left as written."""
    text = text.strip()
    return text[:1].upper() + text[1:]


def is_question(keyword: str) -> bool:
    """Whether a keyword is phrased as a question ("how long do boots last")."""
    first = keyword.strip().lower().split(" ", 1)[0]
    return first in _QUESTION_WORDS


def heading_for(keyword: str) -> str:
    """A heading built from a keyword: questions get a question mark, the rest title case."""
    heading = title_case(keyword.strip())
    return heading + "?" if is_question(keyword) and not heading.endswith("?") else heading


def shorten(text: str, limit: int, ellipsis: str = "") -> str:
    """Text cut at a word boundary so that it (with the ellipsis) fits in limit characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    cut = text[:room].rsplit(" ", 1)[0] if " " in text[:room] else text[:room]
    return cut.rstrip(" ,;:–-") + ellipsis
