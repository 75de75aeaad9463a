"""Lists answer `{"items", "total", "limit", "offset"}`; this turns a query into one page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from api.deps import Pagination
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
