"""Editing an article by hand: its fields and the editorial status moves a person may make."""

from __future__ import annotations

from contracts.status import EditorialStatus as E
from core.errors import ConflictError
from models import Content
from models.base import utcnow
from models.item_schemas import ContentUpdate
from services.stages.writing import html_word_count

# Moves an editor makes by hand. `published` is reached by publishing to WordPress only.
EDITORIAL_TRANSITIONS: dict[E, frozenset[E]] = {
    E.DRAFT: frozenset({E.REVIEW, E.ARCHIVED}),
    E.REVIEW: frozenset({E.DRAFT, E.APPROVED, E.ARCHIVED}),
    E.APPROVED: frozenset({E.REVIEW, E.DRAFT, E.ARCHIVED}),
    E.PUBLISHED: frozenset({E.ARCHIVED}),
    E.ARCHIVED: frozenset({E.DRAFT}),
}


def check_transition(current: str, wanted: E) -> None:
    """ConflictError unless an editor may move an article from `current` to `wanted`."""
    if current == wanted.value:
        return
    allowed = EDITORIAL_TRANSITIONS.get(E(current), frozenset()) if current in set(E) else set()
    if wanted not in allowed:
        names = ", ".join(sorted(a.value for a in allowed)) or "nothing"
        raise ConflictError(
            f"An article in {current!r} cannot be moved to {wanted.value!r} (allowed: {names})"
            + (": publish it instead" if wanted == E.PUBLISHED else ""),
            details={"from": current, "to": wanted.value, "allowed": sorted(allowed)},
        )


EDITABLE_FIELDS = (
    "title",
    "content_html",
    "excerpt",
    "meta_title",
    "meta_description",
    "slug",
    "primary_keyword",
    "secondary_keywords",
    "tags",
    "categories",
)


def edit_content(content: Content, body: ContentUpdate) -> Content:
    """Apply the fields that were sent (not committed); word count follows the HTML."""
    sent = body.model_fields_set
    if "status" in sent and body.status is not None:
        check_transition(content.status, body.status)
        content.status = body.status.value
    for field in EDITABLE_FIELDS:
        value = getattr(body, field)
        if field in sent and value is not None:
            setattr(content, field, value)
    if "content_html" in sent and body.content_html is not None:
        content.word_count = html_word_count(body.content_html)
    content.updated_at = utcnow()
    return content
