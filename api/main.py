"""The igny8 HTTP API: `uvicorn api.main:app` (or `igny8 dev`, with the worker and Temporal)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.console_files import CONSOLE_DIR, ConsoleFiles
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.metrics import install_metrics
from api.routes import (
    accounts,
    content,
    credits,
    events,
    generation,
    health,
    keywords,
    planning,
    prompts,
    runs,
    schedules,
    sites,
    wordpress,
    wordpress_status,
)
from core.config import Settings, get_settings, log_safety_summary
from core.db import init_db
from core.logging import configure_logging
from core.temporal import connect
from models.schemas import ErrorResponse

log = logging.getLogger("igny8.api")

DESCRIPTION = """
Turn keywords into published WordPress articles through a durable, seven-stage pipeline
(cluster → ideas → tasks → articles → image prompts → images → review/publish).

**Getting a key.** `POST /api/v1/accounts` with `{"name": "..."}` creates an account with
signup credits and answers with its API key, once (in production signup, signup credits and
self top-up are off unless the operator turns them on; operators use
`igny8 accounts create NAME --credits N`). Send the key on every other call:
`Authorization: Bearer igny8_...`. Everything is scoped to the key's account; another
account's site, run or article answers 404.

**A typical session.** Create a site (`POST /sites`), add keywords (`POST
/sites/{id}/keywords` or a CSV to `/sites/{id}/keywords/import`), check the cost (`POST
/sites/{id}/runs/estimate`), start a run (`POST /sites/{id}/runs` → `run_id`), follow it
(`GET /runs/{run_id}/events`, server-sent events, or `GET /runs/{run_id}`), steer it
(`/pause`, `/resume`, `/cancel`, `/retry`), then read what it made (`/clusters`, `/ideas`,
`/tasks`, `/content`, `/images`).

**Lists** answer `{"items": [...], "total": n, "limit": l, "offset": o}` (`limit` ≤ 500).
**Errors** answer `{"error": {"type": "...", "message": "...", "details": ...}}`: 401 bad
or missing key, 402 not enough credits, 404 not found (or not yours), 409 conflicts with the
current state (e.g. the site already has an active run), 413 body too large, 422 invalid
input, 503/504 Temporal unreachable or not answering.
"""

TAGS = [
    {"name": "accounts", "description": "Signup, the caller's account, API keys."},
    {"name": "sites", "description": "Sites, their WordPress connection and automation settings."},
    {"name": "keywords", "description": "Keyword import (JSON or CSV) and lists."},
    {"name": "planning", "description": "Clusters, content ideas and writer tasks."},
    {"name": "content", "description": "Articles and images; editorial changes."},
    {"name": "runs", "description": "Automation and manual AI runs: start, follow, steer."},
    {"name": "credits", "description": "Balance, ledger, top-ups."},
    {"name": "prompts", "description": "The AI prompts, overridable per account."},
    {"name": "wordpress", "description": "Connection test, publishing, import from WordPress."},
    {"name": "schedules", "description": "Recurring campaigns (Temporal Schedules) per site."},
    {"name": "health", "description": "Is the API up, with its database and Temporal?"},
]
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in (
        (401, "Missing, unknown or revoked API key"),
        (404, "Not found, or not the caller's"),
        (422, "Invalid input"),
    )
}


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Create missing tables and connect to Temporal once (lazily later if it is down now)."""
    settings: Settings = app.state.settings
    configure_logging(settings)
    log_safety_summary(settings, "api")
    await asyncio.to_thread(init_db)
    try:
        app.state.temporal = await asyncio.wait_for(connect(settings), 5)
    except Exception as exc:
        log.warning("Temporal not reachable at %s yet: %s", settings.temporal_address, exc)
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, with its settings (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="igny8 API",
        version="1.0.0",
        summary="Durable AI SEO content pipeline on Temporal",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.temporal = None
    app.state.temporal_lock = asyncio.Lock()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    v1 = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
    routers = (accounts, sites, keywords, planning, content, runs, events, generation, credits)
    for module in (*routers, prompts):
        v1.include_router(module.router)
    v1.include_router(wordpress.router)
    v1.include_router(schedules.router)
    v1.include_router(wordpress_status.router)
    v1.include_router(health.router, include_in_schema=False)
    app.include_router(v1)
    app.include_router(health.router)
    install_metrics(app)
    # The web console: static files, no build step; last, so every API path is matched first.
    app.mount("/", ConsoleFiles(directory=CONSOLE_DIR, html=True), name="console")
    return app


app = create_app()
