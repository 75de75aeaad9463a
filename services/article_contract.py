"""The article contract: what every article from every provider must meet before it is saved as
a draft. `check_article` is pure; it reports each rule's verdict and never changes the article.

Rules: word count within ±15 % of the target; the outline's headings present in order; one H1
at most (the title is separate); well-formed body HTML; no script; meta title 1-60 characters;
meta description 120-160 characters; the primary keyword in the title, the first paragraph and
the meta description; links only to the site itself, a known source, or a sibling article
(placeholder); every sibling the article must link to linked.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from contracts.quality import ArticleQuality, RuleResult
from core.html_sanitize import sanitize_html
from services.ai.local_markup import visible_word_count
from services.ai.schemas import ArticleBrief, ArticleDraft, SiteLinks
from services.internal_links import PLACEHOLDER_PREFIX, placeholder_idea_id

WORD_TOLERANCE = 0.15
META_TITLE_MAX = 60
META_DESCRIPTION_RANGE = (120, 160)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
DOCUMENT_TAGS = {"html", "head", "body", "title", "meta", "link", "base", "style"}
SCRIPT_TAGS = {"script", "iframe", "object", "embed", "applet", "frame", "frameset", "noscript"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"}
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
_CONTROL = re.compile(r"[\x00-\x20]+")


@dataclass
class _Scan:
    """What one pass of the parser found in the body HTML."""

    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text) of h1-h6
    first_paragraph: str | None = None
    links: list[str] = field(default_factory=list)  # href of every <a>
    structure: list[str] = field(default_factory=list)  # well-formedness problems
    scripts: list[str] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = _Scan()
        self._open: list[str] = []
        self._heading: list[str] | None = None
        self._paragraph: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in VOID:
            self._open.append(tag)
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = []
        if tag == "p" and self.scan.first_paragraph is None and self._paragraph is None:
            self._paragraph = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)  # <br/>: nothing to close

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SCRIPT_TAGS:
            self.scan.scripts.append(f"<{tag}> element")
        if tag in DOCUMENT_TAGS:
            self.scan.structure.append(f"<{tag}> does not belong in an article body")
        for name, value in attrs:
            if name.startswith("on"):
                self.scan.scripts.append(f"{name}= handler on <{tag}>")
            elif name in URL_ATTRIBUTES and value is not None:
                squeezed = _CONTROL.sub("", value).lower()
                if squeezed.startswith(_SCRIPT_SCHEMES):
                    self.scan.scripts.append(f"{squeezed.split(':')[0]}: URL in <{tag} {name}>")
        if tag == "a":
            self.scan.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if tag not in self._open:
            self.scan.structure.append(f"</{tag}> closes nothing")
            return
        while self._open:
            top = self._open.pop()
            if top == tag:
                break
            self.scan.structure.append(f"<{top}> is not closed before </{tag}>")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} and self._heading is not None:
            self.scan.headings.append((int(tag[1]), "".join(self._heading)))
            self._heading = None
        if tag == "p" and self._paragraph is not None and self.scan.first_paragraph is None:
            self.scan.first_paragraph = "".join(self._paragraph)
            self._paragraph = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._paragraph is not None:
            self._paragraph.append(data)

    def finish(self) -> _Scan:
        self.close()
        self.scan.structure += [f"<{tag}> is never closed" for tag in self._open]
        return self.scan


def scan_html(content_html: str) -> _Scan:
    """Parse the body once: headings, first paragraph, links, structure and script problems."""
    scanner = _Scanner()
    scanner.feed(content_html)
    return scanner.finish()


def normalized(text: str) -> str:
    """Text for phrase matching: entities decoded, case-folded, punctuation as spaces."""
    return " ".join(re.sub(r"[^\w']+", " ", html.unescape(text).casefold()).split())


def contains_phrase(text: str, phrase: str) -> bool:
    """Whether `phrase` occurs in `text` as whole words (case and punctuation ignored)."""
    wanted = normalized(phrase)
    return bool(wanted) and f" {wanted} " in f" {normalized(text)} "


def host_of(value: str) -> str:
    """The lower-case host of a URL or bare domain, without port and leading `www.`."""
    raw = value.strip()
    host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
    return host.lower().removeprefix("www.")


def _on_domain(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains if d)


# --- the rules ----------------------------------------------------------------------------------


def _rule(rule: str, passed: bool, reason: str) -> RuleResult:
    return RuleResult(rule=rule, passed=passed, reason=reason)


def _word_count(article: ArticleDraft, brief: ArticleBrief) -> RuleResult:
    words, target = visible_word_count(article.content_html), brief.target_word_count
    if target <= 0:
        return _rule("word_count", True, f"{words:,} words (no target)")
    low, high = round(target * (1 - WORD_TOLERANCE)), round(target * (1 + WORD_TOLERANCE))
    said = f"{words:,} words; the target is {target:,} (±15 %: {low:,}-{high:,})"
    return _rule("word_count", low <= words <= high, said)


def _outline(scan: _Scan, brief: ArticleBrief) -> RuleResult:
    expected: list[tuple[int, str]] = []
    for section in brief.outline:
        expected.append((2, section.heading))
        expected += [(3, sub) for sub in section.subheadings]
    found = [(level, normalized(text)) for level, text in scan.headings]
    position, missing = 0, []
    for level, heading in expected:
        key = (level, normalized(heading))
        try:
            position = found.index(key, position) + 1
        except ValueError:
            missing.append(f'H{level} "{heading}"')
    if not expected:
        return _rule("outline", True, "no outline given")
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        reason = (
            f"{len(missing)} of {len(expected)} outline headings missing or out of order: {shown}"
        )
        return _rule("outline", False, reason)
    return _rule("outline", True, f"all {len(expected)} outline headings, in order")


def _single_h1(scan: _Scan) -> RuleResult:
    h1 = sum(1 for level, _ in scan.headings if level == 1)
    reason = f"{h1} <h1> in the body (the title is separate: use none, or one at most)"
    return _rule("single_h1", h1 <= 1, reason if h1 > 1 else f"{h1} <h1> in the body")


def _valid_html(scan: _Scan) -> RuleResult:
    if not scan.structure:
        return _rule("valid_html", True, "well-formed body HTML")
    shown = "; ".join(scan.structure[:5])
    more = f" (and {len(scan.structure) - 5} more)" if len(scan.structure) > 5 else ""
    return _rule("valid_html", False, shown + more)


def _no_script(scan: _Scan) -> RuleResult:
    if not scan.scripts:
        return _rule("no_script", True, "no script")
    return _rule("no_script", False, "script found: " + "; ".join(scan.scripts[:5]))


def _meta_title(article: ArticleDraft) -> RuleResult:
    n = len(article.meta_title.strip())
    ok = 1 <= n <= META_TITLE_MAX
    return _rule("meta_title", ok, f"{n} characters (1-{META_TITLE_MAX} allowed)")


def _meta_description(article: ArticleDraft) -> RuleResult:
    n, (low, high) = len(article.meta_description.strip()), META_DESCRIPTION_RANGE
    return _rule("meta_description", low <= n <= high, f"{n} characters ({low}-{high} allowed)")


def _keyword_in(rule: str, where: str, text: str | None, keyword: str) -> RuleResult:
    if not keyword.strip():
        return _rule(rule, True, "no primary keyword given")
    if text is None:
        return _rule(rule, False, f"there is no {where}")
    found = contains_phrase(text, keyword)
    said = "contains" if found else "does not contain"
    return _rule(rule, found, f'the {where} {said} the primary keyword "{keyword}"')


def _known_links(scan: _Scan, brief: ArticleBrief, site: SiteLinks) -> RuleResult:
    own = [host_of(d) for d in site.own_domains]
    sources = [host_of(d) for d in site.source_domains]
    siblings = {t.idea_id for t in brief.links_to}
    bad: list[str] = []
    for href in scan.links:
        target = href.strip()
        if target.startswith(PLACEHOLDER_PREFIX):
            if placeholder_idea_id(target) not in siblings:
                bad.append(f"{target} (not an article this one links to)")
            continue
        if not target:
            continue  # anchor text without a target (a dropped javascript: link) links nowhere
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            continue  # a path or fragment on the site itself
        if parts.scheme not in {"", "http", "https"}:
            bad.append(f"{target[:80]} (only http(s) links)")
        elif not _on_domain(host_of(target), own + sources):
            bad.append(f"{target[:80]} (not the site's and not a known source)")
    if not bad:
        return _rule("known_links", True, f"{len(scan.links)} links, all to known places")
    allowed = ", ".join(d for d in own + sources if d) or "none"
    reason = f"{len(bad)} unknown links: {'; '.join(bad[:5])}. Allowed domains: {allowed}"
    return _rule("known_links", False, reason)


def _internal_links(scan: _Scan, brief: ArticleBrief) -> RuleResult:
    if not brief.links_to:
        return _rule("internal_links", True, "no sibling articles to link to")
    linked = {placeholder_idea_id(h) for h in scan.links}
    missing = [t for t in brief.links_to if t.idea_id not in linked]
    if missing:
        shown = "; ".join(f'"{t.title}" (href="{t.href}")' for t in missing[:8])
        return _rule("internal_links", False, f"missing links to {shown}")
    return _rule("internal_links", True, f"links to all {len(brief.links_to)} sibling articles")


def check_clean_article(
    article: ArticleDraft, brief: ArticleBrief, site: SiteLinks
) -> tuple[ArticleDraft, ArticleQuality]:
    """The article with its HTML sanitised (a model's output is untrusted markup: scripts and
    event handlers are dropped, not argued over) and the contract's verdict on that."""
    clean = article.model_copy(update={"content_html": sanitize_html(article.content_html)})
    return clean, check_article(clean, brief, site)


def check_article(article: ArticleDraft, brief: ArticleBrief, site: SiteLinks) -> ArticleQuality:
    """Every rule's verdict on the article (pure: the article is not changed)."""
    scan = scan_html(article.content_html)
    keyword = brief.primary_keyword.strip() or article.primary_keyword.strip()
    rules = [
        _word_count(article, brief),
        _outline(scan, brief),
        _single_h1(scan),
        _valid_html(scan),
        _no_script(scan),
        _meta_title(article),
        _meta_description(article),
        _keyword_in("keyword_in_title", "title", article.title, keyword),
        _keyword_in("keyword_in_first_paragraph", "first paragraph", scan.first_paragraph, keyword),
        _keyword_in(
            "keyword_in_meta_description", "meta description", article.meta_description, keyword
        ),
        _known_links(scan, brief, site),
        _internal_links(scan, brief),
    ]
    return ArticleQuality(passed=all(r.passed for r in rules), rules=rules)
