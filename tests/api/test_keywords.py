"""Keyword import: JSON lists and CSV uploads, duplicates, rejected rows, all or nothing."""

from __future__ import annotations

import httpx
import pytest

from models import Keyword
from tests.helpers import Tenant, count


def upload(content: bytes, name: str = "keywords.csv") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, content, "text/csv")}


async def test_csv_with_bom_header_any_order_duplicates_and_rejections(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    await api.post(
        f"/sites/{tenant.site_id}/keywords",
        headers=tenant.headers,
        json=[{"keyword": "Trail Running Shoes"}],
    )
    csv_text = (
        "Volume,KEYWORD,Intent,difficulty,CPC,country\r\n"
        "1200,best trail shoes,commercial,45,1.20,us\r\n"
        "300,  Best   TRAIL shoes ,informational,10,0.5,\r\n"  # duplicate in the file
        "90,trail running shoes,,20,,\r\n"  # already on the site
        "abc,waterproof trail shoes,,,,\r\n"  # volume not an integer
        "10,ultra vest,,140,,\r\n"  # difficulty out of range
        "10,,,,,\r\n"  # empty keyword
        "10,hydration pack,shopping,,,\r\n"  # unknown intent
        f"10,{'x' * 301},,,,\r\n"  # too long
        "\r\n"
        '5,"trail, mountain and road",navigational,0,0,de\r\n'
    )
    r = await api.post(
        f"/sites/{tenant.site_id}/keywords/import",
        headers=tenant.headers,
        files=upload("\ufeff".encode() + csv_text.encode()),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["duplicates_in_file"], body["duplicates_existing"]) == (2, 1, 1)
    reasons = {row["line"]: row["reason"] for row in body["rejected"]}
    assert sorted(reasons) == [5, 6, 7, 8, 9] and body["rejected_total"] == 5
    assert "volume" in reasons[5] and "difficulty" in reasons[6]
    assert "empty" in reasons[7] and "intent" in reasons[8] and "300" in reasons[9]
    listed = await api.get(
        f"/sites/{tenant.site_id}/keywords", headers=tenant.headers, params={"q": "TRAIL"}
    )
    texts = {k["text"]: k for k in listed.json()["items"]}
    assert set(texts) == {"best trail shoes", "Trail Running Shoes", "trail, mountain and road"}
    assert texts["best trail shoes"]["volume"] == 1200
    assert texts["best trail shoes"]["intent"] == "commercial"
    assert texts["best trail shoes"]["country"] == "US"


async def test_csv_without_header_uses_the_documented_order(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await api.post(
        f"/sites/{tenant.site_id}/keywords/import",
        headers=tenant.headers,
        files=upload(b"running socks,500,12,0.3,transactional,GB\nrunning hat\n"),
    )
    assert r.json()["created"] == 2, r.text
    items = (
        await api.get(
            f"/sites/{tenant.site_id}/keywords",
            headers=tenant.headers,
            params={"intent": "transactional"},
        )
    ).json()["items"]
    assert [(k["text"], k["volume"], k["difficulty"], k["country"]) for k in items] == [
        ("running socks", 500, 12, "GB")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (bytes(range(256)) * 40, "UTF-8"),
        ("keyword\nCafé crème\n".encode("latin-1"), "UTF-8"),
        (b'keyword\n"unterminated\n', "CSV"),
        (b"", "no rows"),
        (b"volume,difficulty\n1,2\n", "keyword column"),
        (b"keyword\n" + b"k%d\n" * 0, "created"),
    ],
)
async def test_malformed_csv_is_refused_and_writes_nothing(
    api: httpx.AsyncClient, tenant: Tenant, content: bytes, message: str
) -> None:
    before = count(Keyword, site_id=tenant.site_id)
    r = await api.post(
        f"/sites/{tenant.site_id}/keywords/import", headers=tenant.headers, files=upload(content)
    )
    if message == "created":  # a header alone is a valid, empty import
        assert r.status_code == 200 and r.json()["created"] == 0
        return
    assert r.status_code == 422, r.text
    assert message in r.json()["error"]["message"]
    assert count(Keyword, site_id=tenant.site_id) == before


async def test_more_than_100000_rows_is_refused_whole(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    rows = "\n".join(f"keyword number {i}" for i in range(100_001))
    r = await api.post(
        f"/sites/{tenant.site_id}/keywords/import",
        headers=tenant.headers,
        files=upload(("keyword\n" + rows).encode()),
    )
    assert r.status_code == 422 and "100,000" in r.json()["error"]["message"]
    assert count(Keyword, site_id=tenant.site_id) == 0, "nothing of the first 100,000 stays"


async def test_json_list_reports_positions_and_refuses_bad_types(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    url = f"/sites/{tenant.site_id}/keywords"
    r = await api.post(
        url,
        headers=tenant.headers,
        json=[
            {"keyword": "gps watch", "volume": 900, "difficulty": 30, "intent": "Commercial"},
            {"keyword": "GPS  watch"},
            {"keyword": "  "},
            {"keyword": "altimeter", "difficulty": -1},
        ],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 1 and body["duplicates_in_file"] == 1
    assert [x["line"] for x in body["rejected"]] == [3, 4]
    before = count(Keyword, site_id=tenant.site_id)
    for bad in (
        [],
        {"keyword": "x"},
        [{"keyword": "a", "volume": "lots"}],
        [{"volume": 1}],
        [{"keyword": "y" * 1001}],
        [{"keyword": "ok"}, {"keyword": 5}],
        [{"keyword": "a\x00"}],
        [{"keyword": "ok", "unknown": 1}],
        [{"keyword": "x"}] * 10_001,
    ):
        r = await api.post(url, headers=tenant.headers, json=bad)
        assert r.status_code == 422, (str(bad)[:80], r.text[:300])
    assert count(Keyword, site_id=tenant.site_id) == before


async def test_keyword_filters_and_pagination(api: httpx.AsyncClient, tenant: Tenant) -> None:
    url = f"/sites/{tenant.site_id}/keywords"
    await api.post(url, headers=tenant.headers, json=[{"keyword": f"kw {i}"} for i in range(7)])
    page = (await api.get(url, headers=tenant.headers, params={"limit": 3, "offset": 5})).json()
    assert (page["total"], page["limit"], page["offset"]) == (7, 3, 5)
    assert [k["text"] for k in page["items"]] == ["kw 5", "kw 6"]
    assert (await api.get(url, headers=tenant.headers, params={"q": "100%_"})).json()["total"] == 0
    for params in (
        {"limit": 501},
        {"limit": 0},
        {"offset": -1},
        {"status": "weird"},
        {"cluster_id": "x"},
        {"q": "a" * 301},
    ):
        r = await api.get(url, headers=tenant.headers, params=params)
        assert r.status_code == 422, params
