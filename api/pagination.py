"""Lists answer `{"items", "total", "limit", "offset"}`: the query of a site's rows with the
filters a list route takes, and one page of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from api.deps import Pagination, get_site_or_404
from models import Account
from models.schemas import Page

P = TypeVar("P", bound=BaseModel)


def paginate(
    session: Session,
    query: Select,  # type: ignore[type-arg]
    page: Pagination,
    schema: type[P],
    order_by: Any | tuple[Any, ...],
    convert: Callable[[Any], P] | None = None,
) -> Page[P]:
    """Count every match, then read one page of them in a stable order."""
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order = order_by if isinstance(order_by, tuple) else (order_by,)
    paged = query.order_by(*order).offset(page.offset).limit(page.limit)
    rows = session.exec(paged).all()  # type: ignore[call-overload]
    to_public = convert or (lambda row: schema.model_validate(row, from_attributes=True))
    return Page[schema](  # type: ignore[valid-type]
        items=[to_public(r) for r in rows], total=int(total), limit=page.limit, offset=page.offset
    )


def contains(column: Any, text: str) -> Any:
    """A case-insensitive substring match with LIKE wildcards in `text` taken literally."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def site_rows(
    session: Session, account: Account, site_id: int, model: Any, **equal: object
) -> Select:  # type: ignore[type-arg]
    """The rows of `model` in the caller's site (404 otherwise) whose columns equal the values
    given; a None value filters nothing."""
    site = get_site_or_404(session, account, site_id)
    query = select(model).where(model.site_id == site.id)
    for column, value in equal.items():
        if value is not None:
            query = query.where(getattr(model, column) == value)
    return query
