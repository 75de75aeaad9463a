"""The application as a whole: health, error shape, body limits, CORS, docs."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api.deps import get_temporal
from api.main import create_app
from core.config import get_settings
from tests.helpers import Tenant


def client_for(app: FastAPI, prefix: str = "") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://t{prefix}")


async def test_health_reports_database_and_temporal(app: FastAPI) -> None:
    async with client_for(app) as http:
        r = await http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "temporal": "ok"}


async def test_temporal_down_is_503_not_500(tenant: Tenant) -> None:
    app = create_app(get_settings().model_copy(update={"temporal_address": "127.0.0.1:9"}))
    async with client_for(app, "/api/v1") as http:
        health = await http.get("/healthz")
        assert health.status_code == 503 and health.json()["database"] == "ok"
        assert health.json()["temporal"].startswith("unavailable")
        r = await http.post(f"/sites/{tenant.site_id}/runs", headers=tenant.headers)
        assert r.status_code == 503 and r.json()["error"]["type"] == "ServiceUnavailable"
        listed = await http.get(f"/sites/{tenant.site_id}/keywords", headers=tenant.headers)
        assert listed.status_code == 200, "what needs no Temporal keeps working"


async def test_every_error_has_the_one_shape(api: httpx.AsyncClient, tenant: Tenant) -> None:
    for r in (
        await api.get("/no-such-route", headers=tenant.headers),
        await api.put("/sites", headers=tenant.headers),
        await api.get("/sites/abc", headers=tenant.headers),
        await api.get("/sites/0", headers=tenant.headers),
        await api.get("/sites/99999999999", headers=tenant.headers),
        await api.get("/runs/bad%20id", headers=tenant.headers),
        await api.post("/sites", headers=tenant.headers, json={"name": "x" * 10_000}),
        await api.post(
            "/sites",
            headers=tenant.headers,
            content=b"\xff\x00",
        ),
    ):
        body = r.json()
        assert 400 <= r.status_code < 500, r.text
        assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "details"}
        assert "x" * 1000 not in r.text, "huge inputs are not echoed back"


async def test_oversized_bodies_are_413(api: httpx.AsyncClient, tenant: Tenant) -> None:
    big = b'[{"keyword": "' + b"a" * (9 * 1024 * 1024) + b'"}]'
    r = await api.post(
        f"/sites/{tenant.site_id}/keywords",
        headers={**tenant.headers, "content-type": "application/json"},
        content=big,
    )
    assert r.status_code == 413 and r.json()["error"]["type"] == "PayloadTooLarge"


async def test_cors_follows_the_settings(client: Client) -> None:
    settings = get_settings().model_copy(update={"cors_origins": ["https://app.example"]})
    app = create_app(settings)
    app.dependency_overrides[get_temporal] = lambda: client
    async with client_for(app, "/api/v1") as http:
        r = await http.options(
            "/sites",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        other = await http.options(
            "/sites",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers


async def test_openapi_documents_auth_errors_and_every_design_route(app: FastAPI) -> None:
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    paths = spec["paths"]
    for path in (
        "/api/v1/sites",
        "/api/v1/sites/{site_id}",
        "/api/v1/sites/{site_id}/keywords",
        "/api/v1/sites/{site_id}/keywords/import",
        "/api/v1/sites/{site_id}/runs",
        "/api/v1/sites/{site_id}/runs/estimate",
        "/api/v1/runs/{run_id}",
        "/api/v1/runs/{run_id}/stages/{stage}/queue",
        "/api/v1/runs/{run_id}/events",
        "/api/v1/sites/{site_id}/ai/{stage_name}",
        "/api/v1/credits",
        "/api/v1/credits/transactions",
        "/api/v1/sites/{site_id}/automation",
        "/api/v1/content/{content_id}",
        "/healthz",
    ):
        assert path in paths, path
    for verb in ("pause", "resume", "cancel", "retry"):
        assert f"/api/v1/runs/{{run_id}}/{verb}" in paths
    for kind in ("clusters", "ideas", "tasks", "content", "images"):
        assert f"/api/v1/sites/{{site_id}}/{kind}" in paths
    for path, operations in paths.items():
        for method, op in operations.items():
            assert op.get("description"), (method, path)
