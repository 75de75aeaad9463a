"""The one allowed set of article HTML, enforced with nh3 (the Ammonia sanitiser) wherever HTML
comes in: provider output, posts imported from WordPress, and edits through the API.

Scripts, styles, forms, frames, event-handler attributes (`onerror=`...) and URLs other than
http(s), mailto and relative ones are removed; links get `rel="noopener noreferrer"`. HTML
comments stay: WordPress keeps its block structure and igny8 its post markers in them, and a
comment is inert in a browser (the parser guarantees it cannot close early).
"""

from __future__ import annotations

import html as html_lib

import nh3

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        *("h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span", "section"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col"),
        *("figure", "figcaption", "img", "picture", "source"),
        *("a", "strong", "b", "em", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup"),
        *("blockquote", "q", "cite", "code", "pre", "kbd", "abbr", "time"),
    }
)
# Per tag; `class` (WordPress's block classes) and `title` are allowed on every tag.
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "hreflang"}),
    "img": frozenset({"src", "alt", "width", "height", "title", "loading", "srcset", "sizes"}),
    "source": frozenset({"srcset", "sizes", "media", "type", "width", "height"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "td": frozenset({"colspan", "rowspan"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
    "time": frozenset({"datetime"}),
    "abbr": frozenset({"title"}),
    "*": frozenset({"class", "title", "lang", "dir"}),
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

# The sentence the API documentation shows for every HTML field.
ALLOWED_DESCRIPTION = (
    "Sanitised on the way in: kept are the tags "
    + ", ".join(sorted(ALLOWED_TAGS))
    + "; the attributes "
    + "; ".join(
        f"{tag}: {', '.join(sorted(attrs))}" for tag, attrs in sorted(ALLOWED_ATTRIBUTES.items())
    )
    + ' (* = every tag); URLs only http, https, mailto or relative; links get rel="'
    + LINK_REL
    + '". Everything else (scripts, styles, event handlers, javascript: URLs) is removed.'
)


def sanitize_html(html: str) -> str:
    """The HTML with everything outside the allowed set removed."""
    if not html:
        return html
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        # The contents of these go too, not just the tags (nh3 keeps the text of others).
        clean_content_tags={"script", "style", "noscript", "template", "iframe", "object"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=False,
    )


def plain_text(markup: str) -> str:
    """Text with every tag removed (for a title that arrives as HTML, e.g. from WordPress)."""
    if not markup:
        return markup
    stripped = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style"})
    return html_lib.unescape(stripped).strip()
