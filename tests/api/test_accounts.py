"""Signup, API keys and authentication."""

from __future__ import annotations

import httpx

from core.config import get_settings
from tests.helpers import Tenant


async def test_signup_returns_a_working_key_once(api: httpx.AsyncClient) -> None:
    r = await api.post("/accounts", json={"name": "  Acme SEO  "})
    assert r.status_code == 201, r.text
    body = r.json()
    key = body["api_key"]
    assert key.startswith("igny8_") and body["account"]["name"] == "Acme SEO"
    assert body["account"]["credits_balance"] == get_settings().signup_credits
    me = await api.get("/account", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["id"] == body["account"]["id"]
    keys = await api.get("/api-keys", headers={"Authorization": f"Bearer {key}"})
    assert [k["prefix"] for k in keys.json()] == [key.split("_")[1]]
    assert key not in keys.text, "the secret is never shown again"


async def test_missing_malformed_and_unknown_keys_are_401(api: httpx.AsyncClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer igny8_deadbeef_" + "x" * 43},
    ):
        r = await api.get("/sites", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["type"] == "AuthenticationError"
        assert r.headers["www-authenticate"] == "Bearer"


async def test_revoked_key_is_401_and_last_key_cannot_be_revoked(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    keys = (await api.get("/api-keys", headers=tenant.headers)).json()
    only = await api.delete(f"/api-keys/{keys[0]['id']}", headers=tenant.headers)
    assert only.status_code == 409
    second = await api.post("/api-keys", json={"name": "ci"}, headers=tenant.headers)
    assert second.status_code == 201
    new_headers = {"Authorization": f"Bearer {second.json()['api_key']}"}
    revoked = await api.delete(f"/api-keys/{keys[0]['id']}", headers=new_headers)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert (await api.get("/sites", headers=tenant.headers)).status_code == 401
    assert (await api.get("/sites", headers=new_headers)).status_code == 200


async def test_signup_rejects_bad_names(api: httpx.AsyncClient) -> None:
    for body in (
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": 5},
        {"name": "a\x00b"},
        {"name": "ok", "extra": 1},
        [],
    ):
        r = await api.post("/accounts", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["type"] == "ValidationError"
    json_header = {"content-type": "application/json"}
    r = await api.post("/accounts", content=b"{not json", headers=json_header)
    assert r.status_code == 422
