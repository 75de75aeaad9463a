"""The prompts of every AI function, in one place: defaults here, per-account overrides in the
`PromptOverride` table. Templates use `{name}` placeholders; other braces are left alone."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, select

from contracts.stages import STAGES, Stage
from core.errors import ValidationError
from models.base import utcnow
from models.prompts import PromptOverride
from services.ai.schemas import ArticleBrief, ClusterBrief, ImagePromptBrief, OutlineSection

CLUSTER_NAMING = STAGES[Stage.CLUSTER_KEYWORDS].name
IDEAS = STAGES[Stage.GENERATE_IDEAS].name
ARTICLE = STAGES[Stage.GENERATE_CONTENT].name
IMAGE_PROMPTS = STAGES[Stage.GENERATE_IMAGE_PROMPTS].name

# Placeholders each function's user template may use. The required ones are appended to the
# rendered prompt when an override leaves them out: the outline must always reach the writer.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    CLUSTER_NAMING: ("clusters", "existing_clusters", "count"),
    IDEAS: ("cluster_name", "cluster_description", "intent", "keywords", "site_name"),
    ARTICLE: (
        "title",
        "description",
        "outline",
        "primary_keyword",
        "keywords",
        "content_type",
        "content_structure",
        "target_word_count",
        "site_name",
        "role",
        "internal_links",
        "link_policy",
    ),  # fmt: skip
    IMAGE_PROMPTS: ("title", "primary_keyword", "section_headings", "max_in_article"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    CLUSTER_NAMING: ("clusters", "existing_clusters"),
    IDEAS: ("cluster_name", "keywords"),
    ARTICLE: (
        "title",
        "outline",
        "primary_keyword",
        "keywords",
        "content_type",
        "content_structure",
        "target_word_count",
        "internal_links",
        "link_policy",
    ),  # fmt: skip
    IMAGE_PROMPTS: ("title", "section_headings", "max_in_article"),
}
PROMPT_FUNCTIONS: tuple[str, ...] = tuple(PLACEHOLDERS)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class PromptTemplate(BaseModel):
    """A system prompt and a user template for one AI function."""

    model_config = ConfigDict(frozen=True)

    function: str
    system: str
    user: str

    def messages(self, values: Mapping[str, object]) -> list[dict[str, str]]:
        """The chat messages with the values filled in (missing required values appended)."""
        known = PLACEHOLDERS[self.function]
        user = _PLACEHOLDER.sub(
            lambda m: str(values[m[1]]) if m[1] in known and m[1] in values else m[0], self.user
        )
        used = set(_PLACEHOLDER.findall(self.user))
        missing = [n for n in REQUIRED[self.function] if n not in used and n in values]
        if missing:
            # A multi-line value (the outline, the links) starts on a line of its own.
            extra = [
                f"{n.replace('_', ' ').capitalize()}:{_spaced(str(values[n]))}" for n in missing
            ]
            user += "\n\n" + "\n".join(extra)
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]


def _spaced(value: str) -> str:
    return f"\n{value}" if "\n" in value else f" {value}"


DEFAULT_PROMPTS: dict[str, PromptTemplate] = {
    CLUSTER_NAMING: PromptTemplate(
        function=CLUSTER_NAMING,
        system="You are an SEO strategist. You name and describe keyword clusters.",
        user="""Name each of the {count} keyword clusters below for an SEO content plan.

For every cluster give its number exactly as given, a short topical name (2-6 words, title case), \
a one-sentence description of the topic it covers, and its dominant search intent: \
informational, commercial, transactional or navigational.
When a cluster covers the same topic as one of the site's existing clusters, reuse that existing \
name exactly. Give different clusters different names. Answer once for every cluster number.

Existing clusters of the site:
{existing_clusters}

Clusters to name:
{clusters}""",
    ),
    IDEAS: PromptTemplate(
        function=IDEAS,
        system="You are a senior SEO content strategist: you plan articles that help readers.",
        user="""Plan 3 to 7 distinct content ideas for this keyword cluster: its hub article and \
the articles that support it.

Site: {site_name}
Cluster: {cluster_name}
Description: {cluster_description}
Search intent: {intent}
Keywords (most searched first): {keywords}

Exactly one idea has the role "hub": the cluster's pillar article on the broad topic, with its \
most searched keyword as primary keyword. Every other idea has the role "supporting" (one angle, \
question or comparison within the topic) or "attribute" (one attribute or variant of the topic, \
e.g. a material, an audience, a price range). The hub will link to every other article and each \
of them back to the hub, so together they cover the cluster without repeating each other.

For each idea give: its role; a compelling title that contains its primary keyword; a one or \
two sentence description; an outline of 3-8 H2 sections, each with 0-4 H3 subheadings; the \
primary keyword (one of the cluster's keywords); the other cluster keywords it covers; \
content_type (post, page, product or service); content_structure (article, listicle, guide, \
comparison, review or how_to); and a target word count between 800 and 3000. Each idea takes a \
different angle or primary keyword.""",
    ),
    ARTICLE: PromptTemplate(
        function=ARTICLE,
        system="You are an expert SEO writer: accurate, well-structured articles in HTML.",
        user="""Write this article for {site_name}.

Title: {title}
Summary: {description}
Content type: {content_type}
Structure: {content_structure}
Role in its topic cluster: {role}
Primary keyword: {primary_keyword}
Secondary keywords: {keywords}
Target length: {target_word_count} words

Follow this outline in order: one <h2> per section and one <h3> per subheading, with the \
headings' exact wording.
{outline}

Link to each of these articles of the same cluster once, where it fits the text, with an <a> \
whose href is exactly the one given (it becomes the article's address when published):
{internal_links}

{link_policy}

content_html is well-formed body markup only (<h2>, <h3>, <p>, <ul>, <ol>, <li>, <strong>, <em>, \
<a>, <table>), every element closed: no <html>, <body>, <h1>, <script>, <iframe>, <style> or \
event attributes. Reach the target length within 10%. Keep the title, and make sure it contains \
the primary keyword exactly as written. Use the primary keyword exactly as written in the first \
paragraph (a <p>) and in one heading, and the secondary keywords where they fit naturally. Also \
give an excerpt (1-2 sentences), a meta title of at most 60 characters, a meta description of \
120 to 160 characters that contains the primary keyword, the primary and secondary keywords, \
3-8 tags and 1-3 categories.""",
    ),
    IMAGE_PROMPTS: PromptTemplate(
        function=IMAGE_PROMPTS,
        system="You are an art director. You write prompts for an image model, and alt texts.",
        user="""Write image prompts for the article "{title}" (primary keyword: {primary_keyword}).

Give one featured image and at most {max_in_article} in-article images, each for a different \
section among:
{section_headings}

Each prompt describes one photographic or illustrated scene in 1-3 sentences (subject, setting, \
style, lighting), with no text, letters, logos or watermarks in the image. Each alt text \
describes the image for a screen reader in under 125 characters.""",
    ),
}


# --- values for each function -------------------------------------------------------------------


def outline_text(outline: list[OutlineSection]) -> str:
    """The outline as indented H2/H3 lines, the way the writer prompt shows it."""
    lines: list[str] = []
    for section in outline:
        lines.append(f"H2: {section.heading}")
        lines.extend(f"  H3: {sub}" for sub in section.subheadings)
    return "\n".join(lines)


def cluster_naming_values(groups: list[list[str]], existing: list[str]) -> dict[str, object]:
    """Clusters are numbered from 1 in the prompt; the answer is matched back by number."""
    clusters = "\n".join(f"Cluster {n}: {', '.join(kws)}" for n, kws in enumerate(groups, 1))
    return {
        "clusters": clusters,
        "existing_clusters": "\n".join(f"- {name}" for name in existing) or "(none)",
        "count": len(groups),
    }


def ideas_values(cluster: ClusterBrief) -> dict[str, object]:
    return {
        "cluster_name": cluster.name,
        "cluster_description": cluster.description or "(none)",
        "intent": cluster.intent,
        "keywords": ", ".join(cluster.keywords),
        "site_name": cluster.site_name or "(unnamed site)",
    }


def article_values(brief: ArticleBrief) -> dict[str, object]:
    return {
        "title": brief.title,
        "description": brief.description or "(none)",
        "outline": outline_text(brief.outline),
        "primary_keyword": brief.primary_keyword,
        "keywords": ", ".join(brief.keywords) or "(none)",
        "content_type": brief.content_type,
        "content_structure": brief.content_structure,
        "target_word_count": brief.target_word_count,
        "site_name": brief.site_name or "the site",
        "role": brief.role,
        "internal_links": internal_links_text(brief),
        "link_policy": link_policy_text(brief),
    }


def internal_links_text(brief: ArticleBrief) -> str:
    """The sibling articles to link to, one a line, with the exact href to use."""
    lines = [f'- "{t.title}" ({t.role} article): href="{t.href}"' for t in brief.links_to]
    return "\n".join(lines) or "(none: this article has no sibling to link to)"


def link_policy_text(brief: ArticleBrief) -> str:
    """Which other links the article may have: the site's own pages and known sources only."""
    allowed = [*brief.site.own_domains, *brief.site.source_domains]
    if not allowed:
        return "Other links: none."
    return f"Other links: only to pages on {', '.join(allowed)}. No other external links."


def image_prompt_values(brief: ImagePromptBrief) -> dict[str, object]:
    return {
        "title": brief.title,
        "primary_keyword": brief.primary_keyword,
        "section_headings": "\n".join(f"- {h}" for h in brief.section_headings) or "(none)",
        "max_in_article": brief.max_in_article,
    }


# --- per-account overrides ----------------------------------------------------------------------


def check_template(function: str, user_template: str) -> None:
    """Refuse an unknown function or a `{placeholder}` the function does not fill (a typo)."""
    if function not in PLACEHOLDERS:
        msg = f"Unknown prompt function {function!r}: use one of {list(PROMPT_FUNCTIONS)}"
        raise ValidationError(msg)
    unknown = sorted(set(_PLACEHOLDER.findall(user_template)) - set(PLACEHOLDERS[function]))
    if unknown:
        raise ValidationError(
            f"Unknown placeholder(s) {unknown} in the {function} prompt; "
            f"available: {list(PLACEHOLDERS[function])}"
        )


def get_prompt(session: Session, account_id: int, function: str) -> PromptTemplate:
    """The account's prompt for `function`, or the default."""
    check_template(function, "")
    row = session.exec(
        select(PromptOverride).where(
            PromptOverride.account_id == account_id, PromptOverride.function == function
        )
    ).first()
    if row is None:
        return DEFAULT_PROMPTS[function]
    return PromptTemplate(function=function, system=row.system, user=row.user_template)


def load_prompts(session: Session, account_id: int) -> dict[str, PromptTemplate]:
    """Every function's prompt for the account (overrides over defaults), in one query."""
    prompts = dict(DEFAULT_PROMPTS)
    rows = session.exec(select(PromptOverride).where(PromptOverride.account_id == account_id))
    for row in rows:
        if row.function in prompts:
            prompts[row.function] = PromptTemplate(
                function=row.function, system=row.system, user=row.user_template
            )
    return prompts


def save_prompt_override(
    session: Session, account_id: int, function: str, system: str, user_template: str
) -> PromptOverride:
    """Create or replace the account's override for `function` (the caller commits)."""
    check_template(function, user_template)
    row = session.exec(
        select(PromptOverride).where(
            PromptOverride.account_id == account_id, PromptOverride.function == function
        )
    ).first()
    if row is None:
        row = PromptOverride(account_id=account_id, function=function)
    row.system, row.user_template, row.updated_at = system, user_template, utcnow()
    session.add(row)
    return row
