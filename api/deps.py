"""Dependencies of the routes: database session, settings, Temporal client, the caller.

No blocking I/O on the event loop, one pattern throughout: a route that only works with the
database is a plain `def` (FastAPI runs it, like every sync dependency here, in its thread
pool). A route that awaits Temporal is `async def`, takes no `SessionDep`, and does its
database work in sync functions called with `await asyncio.to_thread(...)` that open a short
session of their own (`caller_site` below, `services.progress_feed.load_run`), so no connection
is held while Temporal answers. The async services it calls (`services.runs`,
`services.schedules`) follow the same rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from temporalio.client import Client

from core.config import Settings
from core.db import read_session
from core.temporal import connect
from models import Account, Site
from models.schemas import MAX_ID, MAX_PAGE
from services.accounts import authenticate, record_use
from services.progress_hub import ProgressHub
from services.sites import get_site

TEMPORAL_CONNECT_TIMEOUT_SECONDS = 5.0


def get_session() -> Iterator[Session]:
    """A read session per request. Routes write through `core.db.session_scope()`, which on
    SQLite takes the write lock up front (a read-then-write transaction could fail there)."""
    with read_session() as session:
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


def get_progress_hub(request: Request, client: TemporalDep) -> ProgressHub:
    """The app's shared progress readers (one per run, however many people watch it)."""
    state = request.app.state
    hub: ProgressHub | None = getattr(state, "progress_hub", None)
    if hub is None or hub.client is not client:
        hub = state.progress_hub = ProgressHub(client)
    return hub


ProgressHubDep = Annotated[ProgressHub, Depends(get_progress_hub)]


def get_current_account(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Account:
    """The account whose API key the request carries; 401 when missing, unknown or revoked.
    Read in a session of its own, closed at once: an async route holds no connection."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401, "Missing API key: send `Authorization: Bearer <key>`", headers=challenge
        )
    with read_session() as session:
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


def caller_site(account: Account, site_id: int) -> Site:
    """get_site_or_404 in a session of its own, for async routes: `await
    asyncio.to_thread(caller_site, account, site_id)`."""
    with read_session() as session:
        return get_site_or_404(session, account, site_id)


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
