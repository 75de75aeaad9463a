"""`GET /metrics` (Prometheus, unauthenticated: ids and counts only) and the latency middleware."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import metrics
from services.queue_metrics import register_queue_depth

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    """igny8's metrics in the Prometheus text format (queue depth read from the database)."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


class RequestLatency:
    """Observes each request's time to its response headers, labelled by the route template
    (`/api/v1/sites/{site_id}`), never the raw path: ids would make a series per row."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start" and not seen:
                seen["status"] = message["status"]
                _observe(scope, message["status"], started)
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            if not seen:  # failed before answering
                _observe(scope, 500, started)


def route_template(scope: Scope) -> str:
    """The matched route's template with its router prefix (`/api/v1` + `/sites/{site_id}`).
    The route knows only its own part; the prefix is the same leading segments of the path."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if route is None or template is None:
        return "unmatched"
    if isinstance(route, Mount):  # mounted apps (static files) sit at the top level
        return template.rstrip("/") + "/{path}"
    segments = str(scope.get("path", "")).split("/")
    own = template.count("/")
    prefix = "/".join(segments[: max(len(segments) - own, 0)]) if own else ""
    return prefix + template


def _observe(scope: Scope, status: int, started: float) -> None:
    seconds = time.perf_counter() - started
    metrics.api_request(scope.get("method", ""), route_template(scope), status, seconds)


def install_metrics(app: FastAPI) -> None:
    """The /metrics route, the latency middleware (outermost) and the queue-depth collector."""
    app.include_router(router)
    app.add_middleware(RequestLatency)
    register_queue_depth()
    metrics.process_up("api")
