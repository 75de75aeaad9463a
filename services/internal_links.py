"""Links between the articles of one cluster: who links to whom, the placeholder href a writer
puts in, and its resolution to the WordPress URL when an article is published.

The hub links to every other article of its cluster; each other article links to the hub.
While written, an article cannot know its siblings' URLs (they are not published yet), so it
links to `#igny8-idea-<idea id>`: an in-page fragment, which every HTML sanitiser keeps (a custom
`igny8:` scheme would be stripped). Publishing replaces it with the sibling's WordPress URL when
that sibling is live, and otherwise leaves the anchor text without a link. When a sibling goes
live later, the posts that link to it are updated on their own (services.link_refresh): nobody
has to publish the hub again once its supporting articles are live.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from contracts.status import IdeaRole

PLACEHOLDER_PREFIX = "#igny8-idea-"
# <a ... href="#igny8-idea-12" ...>text</a>: the whole anchor, its idea id and its inner HTML.
_ANCHOR = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*([\"'])#igny8-idea-(\d+)\1[^>]*>(.*?)</a\s*>",
    re.IGNORECASE | re.DOTALL,
)
_HREF = re.compile(r"\bhref\s*=\s*([\"'])#igny8-idea-\d+\1", re.IGNORECASE)


def placeholder_href(idea_id: int) -> str:
    """The href a writer uses for a sibling article (by the sibling's idea id)."""
    return f"{PLACEHOLDER_PREFIX}{idea_id}"


def placeholder_idea_id(href: str) -> int | None:
    """The idea id of a placeholder href, or None when it is not one."""
    rest = href.strip().removeprefix(PLACEHOLDER_PREFIX)
    return int(rest) if rest != href.strip() and rest.isdigit() else None


@dataclass(frozen=True)
class Sibling:
    idea_id: int
    title: str
    role: str


def link_targets(role: str, siblings: Iterable[Sibling]) -> list[Sibling]:
    """Whom an article of `role` links to: the hub links to all the others, the others to the
    hub (a cluster without a hub has no internal links)."""
    others = list(siblings)
    if role == IdeaRole.HUB:
        return [s for s in others if s.role != IdeaRole.HUB]
    return [s for s in others if s.role == IdeaRole.HUB]


def placeholder_ids(content_html: str) -> list[int]:
    """Idea ids the article links to through placeholders, in order of first use."""
    return list(dict.fromkeys(int(m[2]) for m in _ANCHOR.finditer(content_html)))


def resolve_placeholders(content_html: str, urls: Mapping[int, str]) -> str:
    """Placeholder anchors pointed at their targets' URLs; a target without a URL (not live
    yet) keeps its anchor text without the link."""

    def replace(match: re.Match[str]) -> str:
        url = urls.get(int(match[2]))
        if not url:
            return match[3]
        href = 'href="' + html.escape(url, quote=True) + '"'
        return _HREF.sub(lambda _m: href, match[0], count=1)

    return _ANCHOR.sub(replace, content_html)


def same_but_links(content_html: str, post_html: str, render: Callable[[str], str]) -> bool:
    """Whether `post_html` is `render(content_html)` with each placeholder either pointed at some
    URL or left as its text: the post holds this very article, whichever siblings were live
    when it was sent."""
    anchors: list[re.Match[str]] = []

    def slot(match: re.Match[str]) -> str:
        anchors.append(match)
        return f"\x00{len(anchors) - 1}\x00"

    # Rendered around the slots (render adds figures and a marker), then each slot may hold the
    # anchor as resolve_placeholders writes it, with any URL, or its text alone.
    pieces = re.split("\x00(\\d+)\x00", render(_ANCHOR.sub(slot, content_html)))
    pattern = "".join(
        _either_state(anchors[int(piece)]) if i % 2 else re.escape(piece)
        for i, piece in enumerate(pieces)
    )
    return re.fullmatch(pattern, post_html, re.DOTALL) is not None


def _either_state(anchor: re.Match[str]) -> str:
    href = _HREF.search(anchor[0])
    assert href is not None  # _ANCHOR matched this very attribute
    linked = (
        re.escape(anchor[0][: href.start()]) + 'href="[^"]*"' + re.escape(anchor[0][href.end() :])
    )
    return f"(?:{linked}|{re.escape(anchor[3])})"
