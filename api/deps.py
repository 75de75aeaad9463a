"""Dependencies of the routes: database session, settings, Temporal client, the caller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from temporalio.client import Client

from core.config import Settings
from core.db import get_engine
from core.temporal import connect
from models import Account, Site
from models.schemas import MAX_ID, MAX_PAGE
from services.accounts import authenticate, record_use
from services.sites import get_site

TEMPORAL_CONNECT_TIMEOUT_SECONDS = 5.0


def get_session() -> Iterator[Session]:
    """A read session per request. Routes write through `core.db.session_scope()`, which on
    SQLite takes the write lock up front (a read-then-write transaction could fail there)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_temporal(request: Request) -> Client:
    """The app's Temporal client: made at start-up, or on first use if Temporal was down then."""
    state = request.app.state
    if state.temporal is None:
        async with state.temporal_lock:
            if state.temporal is None:
                settings: Settings = state.settings
                try:
                    state.temporal = await asyncio.wait_for(
                        connect(settings), TEMPORAL_CONNECT_TIMEOUT_SECONDS
                    )
                except Exception as exc:
                    raise HTTPException(
                        503, f"Temporal is not reachable at {settings.temporal_address}"
                    ) from exc
    return state.temporal  # type: ignore[no-any-return]


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key: `Authorization: Bearer igny8_<prefix>_<secret>`",
)
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


def get_current_account(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    """The account whose API key the request carries; 401 when missing, unknown or revoked."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401, "Missing API key: send `Authorization: Bearer <key>`", headers=challenge
        )
    found = authenticate(session, credentials.credentials)
    if found is None:
        raise HTTPException(401, "Invalid or revoked API key", headers=challenge)
    account, key = found
    record_use(key)
    return account


CurrentAccount = Annotated[Account, Depends(get_current_account)]


def get_site_or_404(session: Session, account: Account, site_id: int) -> Site:
    """The caller's site; 404 for a missing site and for another account's site alike."""
    assert account.id is not None
    return get_site(session, account.id, site_id)


SiteId = Annotated[int, Path(ge=1, le=MAX_ID, description="The site's id")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
RunId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="The run's id, as returned when it started",
    ),
]


class Pagination:
    """`limit` (1-500, default 50) and `offset` query parameters."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


PageDep = Annotated[Pagination, Depends()]
