"""The guard on requests to tenant URLs (a site's WordPress): which addresses they may reach.

A tenant types the URL, so without a guard the API and the workers would send authenticated
requests wherever it points: loopback, the private network, the cloud metadata address. Every
address a name resolves to is checked, on every request and redirect hop; the HTTP side
(integrations.guarded_http) then connects to the checked address itself, so a DNS answer that
changes between the check and the connection (rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.config import Settings
from core.errors import ValidationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> the addresses it resolves to; raises OSError when it does not resolve.
Resolver = Callable[[str, int], list[str]]
# Well-known NAT64 prefix: the gateway forwards to the IPv4 address in the last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefusedError(ValidationError):
    """A tenant URL leads to an address igny8 may not call (private, loopback, metadata...)."""


class ResponseTooLargeError(ValidationError):
    """A tenant's server answered more than igny8 reads from it."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for the host, in its order, without repeats."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (UnicodeError, ValueError) as exc:  # not a name DNS can carry (label too long...)
        raise OSError(f"{host!r} is not a resolvable host name: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, 6to4, Teredo), if any."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip.sixtofour:
            return ip.sixtofour
        if ip.teredo:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress) -> tuple[str, bool] | None:
    """(what the address is, whether it counts as private) for a non-public address, or None
    for a public one. Private ones may be allowed in development; the rest never by default."""
    ip = _embedded_ipv4(ip) or ip
    if ip.is_unspecified:
        return "an unspecified address", False
    if ip.is_link_local:
        return "a link-local address (this range holds cloud metadata services)", False
    if ip.is_multicast:
        return "a multicast address", False
    if ip.is_loopback:
        return "a loopback address", True
    if ip.is_reserved:
        return "a reserved address", False
    if ip.is_private:
        return "a private-network address", True
    if not ip.is_global:
        return "a non-public address", True
    return None


def _parse_allow_list(text: str) -> tuple[tuple[IPNetwork, ...], frozenset[str]]:
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for raw in text.split(","):
        entry = raw.strip().strip("[]").lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry)
    return tuple(networks), frozenset(hosts)


@dataclass(frozen=True)
class OutboundPolicy:
    """Where tenant URLs may lead, and how much and how long their servers may answer."""

    allow_private: bool
    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    max_response_bytes: int = 20 * 1024 * 1024
    connect_timeout_seconds: float = 10.0
    total_timeout_seconds: float = 300.0
    resolve: Resolver = field(default=resolve_host, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings, resolve: Resolver = resolve_host) -> OutboundPolicy:
        networks, hosts = _parse_allow_list(settings.outbound_allow)
        return cls(
            allow_private=settings.outbound_allow_private,
            allowed_networks=networks,
            allowed_hosts=hosts,
            max_response_bytes=settings.outbound_max_response_bytes,
            connect_timeout_seconds=settings.outbound_connect_timeout_seconds,
            total_timeout_seconds=settings.outbound_total_timeout_seconds,
            resolve=resolve,
        )

    def refusal(self, ip: IPAddress) -> str | None:
        """Why this address may not be called, or None when it may."""
        if any(ip in network for network in self.allowed_networks):
            return None
        embedded = _embedded_ipv4(ip)
        if embedded and any(embedded in network for network in self.allowed_networks):
            return None
        kind = address_kind(ip)
        if kind is None or (kind[1] and self.allow_private):
            return None
        return kind[0]

    def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to connect to for `host`; OutboundRefusedError if any address
        it resolves to is refused, OSError if it does not resolve."""
        name = host.strip("[]").lower().rstrip(".")
        try:
            literal: IPAddress | None = ipaddress.ip_address(name)
        except ValueError:
            literal = None
        found = [name] if literal else self.resolve(name, port)
        if name in self.allowed_hosts:
            return found
        if not found:
            raise OSError(f"{host} resolves to no address")
        for text in found:
            reason = self.refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason:
                via = "is" if literal else f"resolves to {text}, which is"
                raise OutboundRefusedError(
                    f"igny8 does not send requests to {host}: it {via} {reason}. Use the "
                    "site's public address (operators: IGNY8_OUTBOUND_ALLOW lists hosts and "
                    "networks that may be reached anyway)",
                    details={"host": host, "address": text, "reason": reason},
                )
        return found

    def check_url(self, url: str) -> None:
        """Refuse a URL whose host resolves to a refused address. A name that does not resolve
        (yet) passes: every request checks again before it connects."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError:
            host = None
        if host is None or parts.scheme not in ("http", "https"):
            raise OutboundRefusedError(
                f"The URL {url!r} must be an http:// or https:// address with a host name",
                details={"url": url},
            )
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise OutboundRefusedError(
                f"The URL {url!r} has an invalid port", details={"url": url}
            ) from None
        try:
            self.addresses(host, port)
        except OSError:
            return
