"""Bad input on every body: wrong types, missing fields, huge strings, unknown ids. Each is a
4xx with the error shape, and the database has exactly the rows it had before."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import SQLModel

import models  # noqa: F401  (every table on the metadata)
from core.db import session_scope
from tests.helpers import Tenant

HUGE = "x" * 100_000


def row_counts() -> dict[str, int]:
    with session_scope() as s:
        return {
            t.name: int(s.execute(select(func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
        }


def bodies(t: Tenant) -> list[tuple[str, str, Any]]:
    site = f"/sites/{t.site_id}"
    cases: list[tuple[str, str, Any]] = []
    for method, path, shapes in (
        ("POST", "/accounts", [{}, {"name": 1}, {"name": HUGE}, {"name": None}]),
        ("POST", "/api-keys", [{"name": HUGE}, {"name": ""}, []]),
        (
            "POST",
            "/sites",
            [
                {},
                {"name": HUGE},
                {"name": "s", "domain": HUGE},
                {"name": "s", "wordpress": {"url": "x"}},
                {"name": ["s"]},
            ],
        ),
        ("PATCH", site, [{"name": 5}, {"wordpress": {"url": HUGE}}, "text"]),
        (
            "PUT",
            f"{site}/automation",
            [{"stages": "1"}, {"batch_sizes": {"1": -1}}, {"concurrency": {HUGE: 1}}],
        ),
        (
            "POST",
            f"{site}/keywords",
            [[{"keyword": HUGE}], [{}], {"keyword": "k"}, [{"keyword": "k", "cpc": "cheap"}]],
        ),
        ("POST", f"{site}/runs", [{"stages": [0]}, {"stages": HUGE}, [1, 2]]),
        ("POST", f"{site}/runs/estimate", [{"stages": ["one"]}, {"stages": [1] * 8}]),
        ("POST", f"{site}/ai/generate_ideas", [{"ids": [123456789]}, {"ids": "1"}, {}]),
        ("POST", f"{site}/ai/not_a_stage", [{"ids": [1]}]),
        ("POST", "/runs/no-such-run/pause", [{"mode": "now"}, {"mode": HUGE}]),
        ("POST", "/runs/no-such-run/retry", [{"stage": 8}, {"item_ids": "all"}]),
        ("POST", "/runs/no-such-run/resume", [{}]),
        (
            "POST",
            "/credits/top-up",
            [
                {},
                {"amount": 0, "idempotency_key": "k"},
                {"amount": 10**12, "idempotency_key": "k"},
                {"amount": 5, "idempotency_key": HUGE},
                {"amount": "5", "idempotency_key": ""},
            ],
        ),
        ("PATCH", "/content/987654321", [{"title": "t"}, {"title": HUGE}]),
    ):
        cases += [(method, path, shape) for shape in shapes]
    return cases


async def test_bad_bodies_are_refused_and_write_nothing(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = row_counts()
    for method, path, body in bodies(tenant):
        r = await api.request(method, path, json=body, headers=tenant.headers)
        assert 400 <= r.status_code < 500, (method, path, str(body)[:80], r.text[:200])
        assert set(r.json()["error"]) == {"type", "message", "details"}
    for path in (f"/sites/{tenant.site_id}/keywords", f"/sites/{tenant.site_id}/runs"):
        for raw in (b"{", b"\x00\xff", b"[" * 10_000, b'{"a": ' + b"1" * 5000 + b"}"):
            r = await api.post(
                path, content=raw, headers={**tenant.headers, "content-type": "application/json"}
            )
            assert r.status_code in (400, 422), (path, raw[:20], r.text[:200])
    assert row_counts() == before
