"""The web console's static files, served with headers that keep the page to itself."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONSOLE_DIR = Path(__file__).resolve().parent / "console"
# Articles are shown in a sandboxed frame (srcdoc); images come as blobs fetched with the key.
CSP = (
    "default-src 'self'; img-src 'self' blob: data: https: http:; style-src 'self'; "
    "script-src 'self'; frame-src 'self' blob: about:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class ConsoleFiles(StaticFiles):
    """StaticFiles plus a content security policy; revalidated on each load (no stale JS)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-cache"
        return response
