"""The WordPress client against httpx.MockTransport: error classification, the ?rest_route=
fallback, term_exists, pagination; plus the markup, the credentials' encryption and the
activities' error mapping."""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from activities.errors import to_application_error
from core import crypto
from core.config import get_settings
from integrations.wordpress.client import WordPressClient
from integrations.wordpress.diagnostics import check_connection
from integrations.wordpress.errors import (
    WordPressAuthError,
    WordPressNotFoundError,
    WordPressPermissionError,
    WordPressRejectedError,
    WordPressUnavailableError,
)
from models import Content, Image
from services import publishing, wp_markup

Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler) -> WordPressClient:
    # A fresh host per test: the client remembers each site's REST mode for the process.
    url = f"http://wp-{uuid.uuid4().hex[:8]}.test"
    return WordPressClient(url, "editor", "abcd efgh ijkl", transport=httpx.MockTransport(handler))


def wp_error(status: int, code: str, message: str = "", **data: object) -> httpx.Response:
    return httpx.Response(
        status, json={"code": code, "message": message, "data": {"status": status, **data}}
    )


def route(request: httpx.Request) -> str:
    return request.url.params.get("rest_route") or request.url.path.removeprefix("/wp-json")


@pytest.mark.parametrize(
    ("response", "kind", "retryable", "words"),
    [
        (wp_error(401, "rest_not_logged_in"), WordPressAuthError, False, "Authorization header"),
        (wp_error(401, "incorrect_password"), WordPressAuthError, False, "application password"),
        (wp_error(403, "rest_cannot_create"), WordPressPermissionError, False, "role"),
        (wp_error(404, "rest_post_invalid_id"), WordPressNotFoundError, False, "404"),
        (wp_error(400, "rest_invalid_param"), WordPressRejectedError, False, "400"),
        (wp_error(500, "internal_server_error"), WordPressUnavailableError, True, "500"),
        (httpx.Response(502, text="<html>Bad gateway</html>"), WordPressUnavailableError, True, ""),
        (httpx.Response(503, text="busy"), WordPressUnavailableError, True, "503"),
        (
            httpx.Response(301, headers={"Location": "https://example.org/wp-json/wp/v2/users/me"}),
            WordPressRejectedError,
            False,
            "https://example.org",
        ),
    ],
)
def test_http_errors_are_classified(
    response: httpx.Response, kind: type, retryable: bool, words: str
) -> None:
    client = make_client(lambda request: response)
    with pytest.raises(kind) as caught:
        client.me()
    assert caught.value.retryable is retryable
    assert words in caught.value.message


def test_429_honours_retry_after() -> None:
    client = make_client(lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={}))
    with pytest.raises(WordPressUnavailableError) as caught:
        client.get_post(1)
    assert caught.value.retryable and caught.value.retry_after_seconds == 7.0
    error = to_application_error(caught.value)
    assert error.type == "WordPressError" and not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=7)


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ConnectError("refused"), "unreachable"),
        (httpx.ReadTimeout("slow"), "timed out"),
        (httpx.RemoteProtocolError("Server disconnected"), "connection"),
    ],
)
def test_transport_failures_are_retryable(exc: Exception, words: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(WordPressUnavailableError) as caught:
        make_client(handler).create_post({"title": "x"})
    assert caught.value.retryable and words in caught.value.message


def test_permanent_errors_map_to_non_retryable_application_errors() -> None:
    client = make_client(lambda r: wp_error(401, "rest_not_logged_in"))
    with pytest.raises(WordPressAuthError) as caught:
        client.me()
    error = to_application_error(caught.value)
    assert error.type == "WordPressError" and error.non_retryable
    assert error.details[0]["kind"] == "WordPressAuthError"


def test_falls_back_to_rest_route_when_permalinks_are_plain() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.startswith("/wp-json"):
            # What a site with plain permalinks answers: its home page.
            return httpx.Response(
                200, text="<html>home</html>", headers={"content-type": "text/html"}
            )
        assert request.url.params["rest_route"] == "/wp/v2/posts/5"
        assert request.url.params["context"] == "edit"
        return httpx.Response(200, json={"id": 5})

    client = make_client(handler)
    assert client.get_post(5) == {"id": 5}
    assert client.rest_mode == "plain"
    assert client.get_post(5) == {"id": 5}
    assert len(seen) == 3  # the probe once, then straight to ?rest_route=


def test_rest_api_missing_everywhere_is_reported_in_words() -> None:
    client = make_client(lambda r: httpx.Response(404, text="<html>Not found</html>"))
    with pytest.raises(WordPressNotFoundError) as caught:
        client.me()
    assert "REST API" in caught.value.message
    report = check_connection(client)
    assert not report.ok and "REST API" in report.message


def test_term_exists_answer_is_success() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {route(request)}")
        if request.method == "GET" and route(request) == "/wp/v2/tags":
            return httpx.Response(200, json=[])  # not there when we looked...
        if request.method == "POST":
            assert json.loads(request.content) == {"name": "Trail Shoes"}
            return wp_error(400, "term_exists", "A term with the name exists.", term_id=42)
        assert route(request) == "/wp/v2/tags/42"
        return httpx.Response(200, json={"id": 42, "name": "Trail Shoes", "slug": "trail-shoes"})

    term = make_client(handler).find_or_create_term("tag", "Trail Shoes")
    assert (term.id, term.slug, term.taxonomy) == (42, "trail-shoes", "tags")
    assert calls == ["GET /wp/v2/tags", "POST /wp/v2/tags", "GET /wp/v2/tags/42"]


def test_existing_term_is_found_by_its_unescaped_name() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.params["search"] == "news & views"
        return httpx.Response(
            200,
            json=[
                {"id": 3, "name": "News &amp; Views Extra", "slug": "nve"},
                {"id": 4, "name": "News &amp; Views", "slug": "news-views"},
            ],
        )

    term = make_client(handler).find_or_create_term("category", "news & views")
    assert (term.id, term.name) == (4, "News & Views")


def test_other_term_errors_are_raised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        return wp_error(403, "rest_cannot_create", "Sorry, you are not allowed to create terms.")

    with pytest.raises(WordPressPermissionError):
        make_client(handler).find_or_create_term("category", "New")


def test_list_posts_pages_with_total_pages_header() -> None:
    since = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["status"] == "any" and params["context"] == "edit"
        assert params["orderby"] == "id" and params["order"] == "asc"
        assert params["modified_after"] == "2026-11-01T12:00:00+00:00"
        page = int(params["page"])
        if page > 3:
            return wp_error(400, "rest_post_invalid_page_number", "The page number is too large.")
        items = [{"id": page * 10 + i} for i in range(2 if page < 3 else 1)]
        return httpx.Response(200, json=items, headers={"X-WP-Total": "5", "X-WP-TotalPages": "3"})

    client = make_client(handler)
    pages = [client.list_posts(page=p, per_page=2, modified_after=since) for p in (1, 2, 3)]
    assert [p.total_pages for p in pages] == [3, 3, 3] and pages[0].total == 5
    assert [item["id"] for p in pages for item in p.items] == [10, 11, 20, 21, 30]
    past_the_end = client.list_posts(page=4, per_page=2, modified_after=since)
    assert past_the_end.items == [] and past_the_end.total_pages == 0


def test_upload_media_sends_the_file_with_its_name_and_alt_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Content-Disposition"] == 'attachment; filename="igny8-c1.png"'
        assert request.headers["Content-Type"] == "image/png"
        assert request.url.params["alt_text"] == "A shoe" and request.url.params["slug"] == "s1"
        assert request.content == b"\x89PNG"
        return httpx.Response(201, json={"id": 9, "source_url": "http://x/igny8-c1.png"})

    media = make_client(handler).upload_media("igny8-c1.png", b"\x89PNG", "A shoe", slug="s1")
    assert media["id"] == 9


def test_media_is_found_by_filename_including_renamed_copies() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[
                {"id": 1, "media_details": {"file": "2026/11/igny8-c1-featured-00.png"}},
                {"id": 2, "media_details": {"file": "2026/11/igny8-c1-featured-0-1.png"}},
            ],
        )

    found = make_client(handler).find_media_by_filename("igny8-c1-featured-0.png")
    assert found is not None and found["id"] == 2


def test_post_marker_lookup_checks_the_raw_content() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert (
            request.url.params["search"] == "igny8-7-abc" and request.url.params["status"] == "any"
        )
        return httpx.Response(
            200,
            json=[
                {"id": 1, "content": {"raw": "mentions igny8-7-ab only"}},
                {"id": 2, "content": {"raw": "<p>x</p>\n<!-- igny8-7-abc -->"}},
            ],
        )

    found = make_client(handler).find_post_by_marker("igny8-7-abc")
    assert found is not None and found["id"] == 2


def test_in_article_images_follow_their_h2() -> None:
    body = "<p>intro</p><h2>One</h2><p>a</p><H2 class='x'>Two</H2 ><p>b</p>"
    images = [
        Image(
            account_id=1,
            site_id=1,
            content_id=1,
            kind="in_article",
            position=p,
            alt_text=f'alt "{p}"',
            external_media_id=100 + p,
            external_url=f"http://m/{p}.png",
        )
        for p in (2, 1, 5)
    ]
    out = wp_markup.build_post_html(body, images, "igny8-1-abcdef0123")
    assert out.index("One</h2>") < out.index("http://m/1.png") < out.index("<p>a</p>")
    assert out.index("</H2 >") < out.index("http://m/2.png") < out.index("<p>b</p>")
    assert out.index("<p>b</p>") < out.index("http://m/5.png")  # past the last H2: at the end
    assert 'alt="alt &quot;1&quot;"' in out and 'class="wp-image-101"' in out
    assert out.endswith("<!-- igny8-1-abcdef0123 -->")
    assert wp_markup.build_post_html(out, [], "igny8-1-abcdef0123").count("igny8-1-abcdef0123") == 1


def test_markers_differ_between_rows_that_share_an_id() -> None:
    first = Content(id=5, account_id=1, site_id=1, title="t", created_at=datetime(2026, 1, 1))
    again = Content(id=5, account_id=1, site_id=1, title="t", created_at=datetime(2026, 2, 1))
    assert wp_markup.post_marker(first) != wp_markup.post_marker(again)
    assert wp_markup.post_marker(first) == wp_markup.post_marker(
        Content(
            id=5, account_id=1, site_id=1, title="t", created_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
    )


@pytest.fixture
def no_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("IGNY8_SECRET_KEY", raising=False)
    monkeypatch.setenv("IGNY8_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_credentials_round_trip_and_a_changed_key_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = crypto.encrypt("abcd efgh ijkl mnop")
    assert "abcd" not in token and crypto.decrypt(token) == "abcd efgh ijkl mnop"
    monkeypatch.setenv("IGNY8_SECRET_KEY", "another-key")
    get_settings.cache_clear()
    try:
        with pytest.raises(crypto.DecryptionError, match="secret"):
            crypto.decrypt(token)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_without_a_key_one_is_generated_once(no_secret_key: Path) -> None:
    token = crypto.encrypt("s3cret")
    key_file = no_secret_key / crypto.SECRET_FILE_NAME
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    content = key_file.read_bytes()
    assert crypto.decrypt(crypto.encrypt("again")) == "again"
    assert key_file.read_bytes() == content and crypto.decrypt(token) == "s3cret"


def test_seo_meta_refused_by_the_site_is_dropped_not_fatal() -> None:
    bodies: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if "meta" in bodies[-1]:
            return wp_error(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): meta",
                params={"meta": "meta._yoast_wpseo_title is not a valid property"},
            )
        return httpx.Response(201, json={"id": 8, "status": "draft"})

    post = publishing._save_post(make_client(handler), None, {"title": "t", "meta": {"k": "v"}})
    assert post["id"] == 8 and bodies == [{"title": "t", "meta": {"k": "v"}}, {"title": "t"}]
