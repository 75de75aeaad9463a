"""The HTTP layer under the WordPress client: Basic auth with an application password,
`/wp-json/...` with a fallback to `/?rest_route=...` for sites whose pretty permalinks are off,
JSON decoding, pagination headers, and error classification (integrations.wordpress.errors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Self

import httpx

from core.config import get_settings
from core.outbound import OutboundPolicy
from integrations.guarded_http import GuardedTransport
from integrations.wordpress.errors import (
    WordPressRejectedError,
    error_from_response,
    error_from_transport,
    wp_code,
)

RestMode = Literal["pretty", "plain"]
# Remembered per site URL for the life of the process, so only the first request probes.
_REST_MODES: dict[str, RestMode] = {}


@dataclass(frozen=True)
class Page:
    """One page of a collection and the totals WordPress reports in its headers."""

    items: list[dict[str, Any]]
    total: int
    total_pages: int


def normalize_base_url(url: str) -> str:
    """The site's root URL: no trailing slash, no `/wp-json` suffix."""
    url = url.strip().rstrip("/")
    if url.endswith("/wp-json"):
        url = url[: -len("/wp-json")]
    if not re.match(r"^https?://", url):
        raise WordPressRejectedError(
            f"The WordPress URL {url!r} must start with http:// or https://"
        )
    return url


def _is_rest_answer(response: httpx.Response) -> bool:
    # The REST API always answers JSON; an HTML page (200 home page or 404) means the
    # /wp-json/ path was not routed to it, which is what sites with plain permalinks do.
    return "json" in response.headers.get("content-type", "") and not response.is_redirect


class RestTransport:
    """Authenticated REST requests against one WordPress site. Not thread-safe."""

    def __init__(
        self,
        base_url: str,
        username: str,
        app_password: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        """`policy` guards every request (default: the settings'); a `transport` given without
        a policy is used as is (tests' MockTransport)."""
        self.base_url = normalize_base_url(base_url)
        if transport is None or policy is not None:
            policy = policy or OutboundPolicy.from_settings(get_settings())
            transport = GuardedTransport(policy, inner=transport)
            connect = min(timeout, policy.connect_timeout_seconds)
        else:
            connect = min(timeout, 10.0)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=httpx.BasicAuth(username, app_password),
            timeout=httpx.Timeout(timeout, connect=connect),
            transport=transport,
            # Redirects are reported, not followed: a POST turned into a GET, or credentials
            # dropped on a cross-host hop, would fail in confusing ways.
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "igny8 (WordPress REST client)"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rest_mode(self) -> RestMode | None:
        return _REST_MODES.get(self.base_url)

    def request(
        self,
        method: str,
        route: str,
        *,
        action: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one REST request (`route` like `/wp/v2/posts`); raise a classified error."""
        # The remembered mode first; the other one too if the site changed its permalinks since.
        modes: list[RestMode] = (
            ["plain", "pretty"] if self.rest_mode == "plain" else ["pretty", "plain"]
        )
        response: httpx.Response | None = None
        for mode in modes:
            if mode == "pretty":
                url, query = f"/wp-json{route}", dict(params or {})
            else:
                url, query = "/", {"rest_route": route, **(params or {})}
            try:
                response = self._http.request(
                    method, url, params=query, json=json, content=content, headers=headers
                )
            except httpx.HTTPError as exc:
                raise error_from_transport(exc, self.base_url, action) from exc
            if _is_rest_answer(response):
                _REST_MODES[self.base_url] = mode
                break
            if response.status_code >= 500:
                break  # the server failed: sending the request a second way could repeat it
        assert response is not None
        if not response.is_success:
            raise error_from_response(response, action)
        if not _is_rest_answer(response):
            raise WordPressRejectedError(
                f"WordPress at {self.base_url} did not answer with JSON while trying to {action} "
                f"(HTTP {response.status_code}, {response.headers.get('content-type', '?')}): is "
                "this the site's address, and is its REST API enabled?",
                status_code=response.status_code,
            )
        return response

    def _json(self, method: str, route: str, *, action: str, **kwargs: Any) -> Any:
        response = self.request(method, route, action=action, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise WordPressRejectedError(
                f"WordPress answered invalid JSON while trying to {action}: "
                f"{response.text[:200]!r}",
                status_code=response.status_code,
            ) from exc

    def _page(self, route: str, params: dict[str, Any], action: str) -> Page:
        try:
            response = self.request("GET", route, action=action, params=params)
        except WordPressRejectedError as exc:
            # Asking past the last page (items deleted while we paged) is an empty page.
            if wp_code(exc) in ("rest_post_invalid_page_number", "rest_invalid_page_number"):
                return Page(items=[], total=0, total_pages=0)
            raise
        items = response.json()
        return Page(
            items=items if isinstance(items, list) else [],
            total=int(response.headers.get("X-WP-Total", len(items) if items else 0)),
            total_pages=int(response.headers.get("X-WP-TotalPages", 1 if items else 0)),
        )
