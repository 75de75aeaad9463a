"""Liveness of the API and what it depends on."""

from __future__ import annotations

import asyncio
import inspect

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from api.deps import get_temporal
from core.db import get_engine

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 3.0


def _database_ok() -> str:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"


async def _temporal(request: Request) -> Client:
    """The app's client, honouring a dependency override (tests) as the routes do."""
    override = request.app.dependency_overrides.get(get_temporal)
    if override is None:
        return await get_temporal(request)
    client = override()
    return await client if inspect.isawaitable(client) else client  # type: ignore[no-any-return]


async def _check(name: str, request: Request) -> str:
    try:
        if name == "database":
            return await asyncio.wait_for(asyncio.to_thread(_database_ok), CHECK_TIMEOUT_SECONDS)
        client = await _temporal(request)
        await asyncio.wait_for(
            client.workflow_service.get_system_info(GetSystemInfoRequest()), CHECK_TIMEOUT_SECONDS
        )
        return "ok"
    except Exception as exc:  # any failure is the answer here, not an error
        return f"unavailable: {type(exc).__name__}"


@router.get("/healthz")
async def health_check(request: Request) -> JSONResponse:
    """200 when the database and Temporal answer, 503 (with which one failed) otherwise."""
    database, temporal = await asyncio.gather(
        _check("database", request), _check("temporal", request)
    )
    ok = database == "ok" and temporal == "ok"
    body = {"status": "ok" if ok else "degraded", "database": database, "temporal": temporal}
    return JSONResponse(body, status_code=200 if ok else 503)
