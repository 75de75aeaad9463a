"""Requests to tenant URLs in production: a WordPress URL at a private address, at a name that
resolves to one, or redirecting to one is refused with a 422 that says why, on create, patch,
the connection test and in the sync activity; answers are bounded in size. Real HTTP servers on
127.0.0.2, which the tests allow-list as a stand-in for a public WordPress."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi import FastAPI
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.wordpress import WordPressActivities
from contracts.wordpress import SyncPageInput
from core.config import Settings
from core.crypto import encrypt
from core.db import session_scope
from core.outbound import OutboundPolicy, OutboundRefusedError, ResponseTooLargeError
from integrations.wordpress.client import WordPressClient
from models import Site
from services.wp_connection import client_factory
from tests.helpers.tenants import Tenant

STAND_IN = "127.0.0.2"  # "public" WordPress of these tests: allow-listed, nothing else is
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class StubServer:
    """An HTTP server on 127.0.0.2 answering every request with `reply(path)`."""

    reply: Callable[[str], Reply]
    seen: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{STAND_IN}:{self._server.server_address[1]}"

    def __enter__(self) -> StubServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append({"path": self.path, **{k: v for k, v in self.headers.items()}})
                status, headers, body = outer.reply(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    if value:  # "" leaves the header out: no length, read until close
                        self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((STAND_IN, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def redirect_to(target: str) -> Callable[[str], Reply]:
    return lambda _path: (302, {"Location": target}, b"")


def production(allow: str = STAND_IN) -> Settings:
    return Settings(env="production", outbound_allow=allow)  # type: ignore[call-arg]


@pytest.fixture
def prod_app(app: FastAPI) -> FastAPI:
    """The test app (its Temporal client and task queue), but in production mode."""
    app.state.settings = production().model_copy(
        update={"task_queue": app.state.settings.task_queue}
    )
    return app


@pytest.fixture
async def prod_api(prod_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http


def wordpress(url: str) -> dict[str, object]:
    return {"wordpress": {"url": url, "username": "editor", "app_password": "abcd efgh ijkl"}}


def stored_site(tenant: Tenant, url: str) -> int:
    """Point the tenant's site at `url` behind the API's back (as if DNS changed since)."""
    with session_scope() as s:
        site = s.get(Site, tenant.site_id)
        assert site is not None
        site.wp_url, site.wp_username = url, "editor"
        site.wp_app_password_encrypted = encrypt("abcd efgh ijkl")
        s.add(site)
    return tenant.site_id


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names -> addresses for this test, in front of the system resolver."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: object, port: object, *args: object, **kw: object) -> list:  # type: ignore[type-arg]
        if isinstance(host, str) and host in names:
            family = socket.AF_INET6 if ":" in names[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


# --- the address rules ------------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::1", "loopback"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("ff02::1", "multicast"),
    ],
)
def test_non_public_addresses_are_refused_in_production(address: str, kind: str) -> None:
    reason = OutboundPolicy.from_settings(production(allow="")).refusal(
        ipaddress.ip_address(address)
    )
    assert reason is not None and kind in reason


@pytest.mark.sqlite_only
def test_public_allow_listed_and_development_addresses_pass() -> None:
    prod = OutboundPolicy.from_settings(production(allow="10.9.0.0/16, wp.internal"))
    assert prod.refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert prod.refusal(ipaddress.ip_address("2606:2800:220:1::1")) is None
    assert prod.refusal(ipaddress.ip_address("10.9.3.4")) is None
    assert prod.refusal(ipaddress.ip_address("10.8.3.4")) is not None
    by_name = OutboundPolicy(
        allow_private=False,
        allowed_hosts=prod.allowed_hosts,
        resolve=lambda _h, _p: ["10.0.0.1"],
    )
    assert by_name.addresses("wp.internal", 80) == ["10.0.0.1"]  # allow-listed by name
    dev = OutboundPolicy.from_settings(Settings(env="development"))  # type: ignore[call-arg]
    assert dev.refusal(ipaddress.ip_address("127.0.0.1")) is None  # local WordPress, as today
    assert dev.refusal(ipaddress.ip_address("192.168.1.5")) is None
    assert dev.refusal(ipaddress.ip_address("169.254.169.254")) is not None  # metadata: never


@pytest.mark.sqlite_only
def test_every_address_of_a_name_must_pass() -> None:
    policy = OutboundPolicy(
        allow_private=False, resolve=lambda _h, _p: ["93.184.216.34", "10.0.0.7"]
    )
    with pytest.raises(OutboundRefusedError, match="resolves to 10.0.0.7"):
        policy.addresses("two-faced.example", 443)


# --- through the API --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.5/", "10.0.0.5: it is a private-network address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:127.0.0.1]:8089", "loopback"),
        ("http://localhost:8089", "resolves to 127.0.0.1, which is a loopback address"),
        ("https://wp.attacker.example", "resolves to 192.168.7.7, which is a private-network"),
        ("http://[not-an-address", "must be an http:// or https:// address with a host name"),
    ],
)
async def test_create_and_patch_refuse_private_wordpress_urls(
    prod_api: httpx.AsyncClient, tenant: Tenant, fake_dns: dict[str, str], url: str, why: str
) -> None:
    fake_dns["wp.attacker.example"] = "192.168.7.7"
    created = await prod_api.post(
        "/sites", json={"name": "Evil", **wordpress(url)}, headers=tenant.headers
    )
    assert created.status_code == 422, created.text
    error = created.json()["error"]
    assert error["type"] == "OutboundRefusedError"
    assert why in error["message"]
    patched = await prod_api.patch(
        f"/sites/{tenant.site_id}", json=wordpress(url), headers=tenant.headers
    )
    assert patched.status_code == 422, patched.text
    assert why in patched.json()["error"]["message"]
    site = await prod_api.get(f"/sites/{tenant.site_id}", headers=tenant.headers)
    assert site.json()["wordpress"] is None  # nothing was stored


async def test_development_still_takes_a_local_wordpress(
    api: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await api.post(
        "/sites",
        json={"name": "Local", **wordpress("http://127.0.0.1:8089")},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:8089/wp-json/", "loopback"),
        ("/../../", None),  # same host: allowed, and then the REST API is simply missing
    ],
)
async def test_connection_test_refuses_a_redirect_into_the_private_network(
    prod_api: httpx.AsyncClient, tenant: Tenant, target: str, why: str | None
) -> None:
    with StubServer(redirect_to(target)) as server:
        created = await prod_api.patch(
            f"/sites/{tenant.site_id}", json=wordpress(server.url), headers=tenant.headers
        )
        assert created.status_code == 200, created.text  # the stand-in itself is allowed
        tested = await prod_api.post(
            f"/sites/{tenant.site_id}/wordpress/test", headers=tenant.headers
        )
    if why is None:
        assert tested.status_code == 200 and not tested.json()["ok"]
        return
    assert tested.status_code == 422, tested.text
    message = tested.json()["error"]["message"]
    assert f"{STAND_IN} redirects to {target}" in message and why in message
    assert len(server.seen) == 1  # the redirect was not followed anywhere


async def test_every_request_checks_again(
    prod_api: httpx.AsyncClient, tenant: Tenant, fake_dns: dict[str, str]
) -> None:
    """A name that resolved to a public address on create and to a private one later."""
    fake_dns["rebinding.example"] = "93.184.216.34"
    created = await prod_api.patch(
        f"/sites/{tenant.site_id}",
        json=wordpress("http://rebinding.example"),
        headers=tenant.headers,
    )
    assert created.status_code == 200, created.text
    fake_dns["rebinding.example"] = "169.254.169.254"
    tested = await prod_api.post(f"/sites/{tenant.site_id}/wordpress/test", headers=tenant.headers)
    assert tested.status_code == 422, tested.text
    assert "resolves to 169.254.169.254" in tested.json()["error"]["message"]


def test_sync_activity_fails_at_once_with_a_typed_error(tenant: Tenant) -> None:
    site_id = stored_site(tenant, "http://127.0.0.1:8089")
    policy = OutboundPolicy.from_settings(production())
    activities = WordPressActivities(client_factory(timeout=5, policy=policy))
    with pytest.raises(ApplicationError) as caught:
        ActivityEnvironment().run(
            activities.sync_wordpress_page,
            SyncPageInput(account_id=tenant.account_id, site_id=site_id, page=1, per_page=10),
        )
    assert caught.value.type == "OutboundRefusedError"
    assert caught.value.non_retryable
    assert "loopback" in caught.value.message


# --- the connection itself -----------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_the_connection_goes_to_the_checked_address_with_the_original_host(
    fake_dns: dict[str, str],
) -> None:
    body = b'{"name": "Stand-in"}'
    reply = (200, {"Content-Type": "application/json"}, body)
    with StubServer(lambda _p: reply) as server:
        port = server.url.rsplit(":", 1)[1]
        lookups: list[str] = []

        def resolve(host: str, _port: int) -> list[str]:
            lookups.append(host)
            return [STAND_IN]

        policy = OutboundPolicy(
            allow_private=False,
            allowed_networks=(ipaddress.ip_network(STAND_IN),),
            resolve=resolve,
        )
        with WordPressClient(f"http://wp.pinned.example:{port}", "u", "p", policy=policy) as wp:
            assert wp.index()["name"] == "Stand-in"
    assert lookups == ["wp.pinned.example"]  # resolved once, by the guard, not again by httpx
    assert server.seen[0]["Host"] == f"wp.pinned.example:{port}"
    assert server.seen[0]["Accept-Encoding"] == "identity"


def _bounded_client(server: StubServer, limit: int) -> WordPressClient:
    policy = OutboundPolicy(
        allow_private=False,
        allowed_networks=(ipaddress.ip_network(STAND_IN),),
        max_response_bytes=limit,
    )
    return WordPressClient(server.url, "u", "p", policy=policy)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("how", ["announced", "unannounced", "gzip bomb"])
def test_oversized_answers_are_cut_off(how: str) -> None:
    big = b'{"name": "' + b"x" * 300_000 + b'"}'
    headers = {"Content-Type": "application/json"}
    if how == "unannounced":
        headers["Content-Length"] = ""
    if how == "gzip bomb":
        big = gzip.compress(b'{"name": "' + b"0" * 50_000_000 + b'"}')
        headers["Content-Encoding"] = "gzip"
    assert len(big) < 300_100

    with (
        StubServer(lambda _p: (200, headers, big)) as server,
        _bounded_client(server, 100_000) as wp,
        pytest.raises(ResponseTooLargeError, match="100,000"),
    ):
        wp.index()


@pytest.mark.sqlite_only
def test_answers_within_the_bound_are_read_whole() -> None:
    body = gzip.compress(b'{"name": "' + b"y" * 50_000 + b'"}')
    reply = (200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, body)
    with StubServer(lambda _p: reply) as server, _bounded_client(server, 100_000) as wp:
        assert len(wp.index()["name"]) == 50_000
