"""Temporal client factory (plain, mTLS or Temporal Cloud); the search attribute keys are
re-exported for its callers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from core.config import Settings
from core.errors import TemporalConnectionError, TemporalTLSError
from core.search_attributes import SA_ACCOUNT, SA_SITE, SA_STAGE, SA_STATUS, SEARCH_ATTRIBUTES
from core.tracing import client_interceptors

__all__ = ["SA_ACCOUNT", "SA_SITE", "SA_STAGE", "SA_STATUS", "SEARCH_ATTRIBUTES", "connect"]
TLS_SETTINGS = "TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA and TEMPORAL_TLS_SERVER_NAME"
# Phrases in the SDK's connect error -> what is wrong and which setting fixes it. The SDK reports
# every connect failure as one RuntimeError carrying the Rust (rustls/tonic) error's text: there is
# no typed error to inspect, so the text is all there is to tell a person which setting to fix.
_TLS_CAUSES = (
    (
        "certificaterequired",
        "the server wants a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY",
    ),
    (
        "unknownca",
        "the server does not trust our client certificate: check TEMPORAL_TLS_CERT and "
        "TEMPORAL_TLS_KEY (a certificate signed by the CA the server checks)",
    ),
    (
        "badcertificate",
        "the server refused our client certificate: check TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY",
    ),
    ("certificateexpired", "a certificate has expired: renew TEMPORAL_TLS_CERT"),
    (
        "invalidcertificate",
        "we do not trust the server's certificate: set TEMPORAL_TLS_CA "
        "to the CA that signed it, and TEMPORAL_TLS_SERVER_NAME to the name in it",
    ),
    (
        "h2notnegotiated",
        "the TLS endpoint does not speak HTTP/2 (ALPN h2): point "
        "TEMPORAL_ADDRESS at Temporal's gRPC port, or enable h2 on the proxy",
    ),
    ("handshake", f"check {TLS_SETTINGS}"),
    ("alert", f"check {TLS_SETTINGS}"),
)
# TLS 1.3 checks the client certificate after the client thinks the handshake is done, so a
# refusal often shows only as the first call's stream being cut ("... after connection").
_CUT_AFTER_HANDSHAKE = ("broken pipe", "connection closed", "connection reset", "connectionreset")
# The usual reasons a server is simply not there, said in a few words.
_PLAIN_CAUSES = (
    ("connection refused", "connection refused (is the server up? is TEMPORAL_ADDRESS right?)"),
    ("dns error", "the host name does not resolve (check TEMPORAL_ADDRESS)"),
    ("timed out", "no answer in time (network, firewall, or a server still starting)"),
)
_CUT_CAUSE = (
    "the server cut the connection right after the handshake, which is how it refuses a missing "
    "or untrusted client certificate: check TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"
)


def _pem(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise TemporalTLSError(f"{setting}: cannot read {path}: {exc.strerror}") from exc


def tls_config(settings: Settings) -> TLSConfig | bool:
    """The client's TLS: off, on with the system roots, or mTLS/custom CA from the settings."""
    cert = _pem(settings.temporal_tls_cert, "TEMPORAL_TLS_CERT")
    key = _pem(settings.temporal_tls_key, "TEMPORAL_TLS_KEY")
    if (cert is None) != (key is None):
        raise TemporalTLSError(
            "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both (client certificate "
            "and its private key) or neither"
        )
    ca = _pem(settings.temporal_tls_ca, "TEMPORAL_TLS_CA")
    if cert or ca or settings.temporal_tls_server_name:
        return TLSConfig(
            server_root_ca_cert=ca,
            client_cert=cert,
            client_private_key=key,
            domain=settings.temporal_tls_server_name,
        )
    return bool(settings.temporal_tls or settings.temporal_api_key)


def _explain(exc: BaseException, settings: Settings, tls: TLSConfig | bool) -> Exception:
    """The SDK's connect error as an igny8 error saying what to check (never the API key)."""
    reason = str(exc) or type(exc).__name__
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else ""
    if api_key:
        reason = reason.replace(api_key, "***")
    where = f"{settings.temporal_address} (namespace {settings.temporal_namespace})"
    lowered = reason.lower()
    causes = [cause for phrase, cause in _TLS_CAUSES if phrase in lowered]
    if "after connection" in lowered and any(p in lowered for p in _CUT_AFTER_HANDSHAKE):
        causes.append(_CUT_CAUSE)
    if tls and causes:
        return TemporalTLSError(
            f"TLS handshake with Temporal at {where} failed: {causes[0]} ({reason})"
        )
    if "unauthenticated" in lowered or "permission" in lowered:
        return TemporalTLSError(
            f"Temporal at {where} refused the credentials: check TEMPORAL_API_KEY or the client "
            f"certificate ({reason})"
        )
    hint = "" if tls else "; if the server wants TLS, set TEMPORAL_TLS_* or TEMPORAL_API_KEY"
    for phrase, short in _PLAIN_CAUSES:
        if phrase in lowered:
            return TemporalConnectionError(f"Temporal is not reachable at {where}: {short}")
    return TemporalConnectionError(f"Temporal is not reachable at {where}: {reason}{hint}")


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client with the pydantic data converter (every payload is a pydantic model), with TLS and
    an API key when configured; `runtime` exports the SDK's metrics, tracing is on when configured.
    Raises TemporalTLSError / TemporalConnectionError."""
    tls = tls_config(settings)
    timeout = settings.temporal_connect_timeout_seconds
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                tls=tls,
                api_key=(
                    settings.temporal_api_key.get_secret_value()
                    if settings.temporal_api_key
                    else None
                ),
                connect_timeout=timedelta(seconds=timeout),
                runtime=runtime,
                interceptors=client_interceptors(settings),
            ),
            timeout + 5,
        )
    except (TimeoutError, RuntimeError, OSError) as exc:
        raise _explain(exc, settings, tls) from None
