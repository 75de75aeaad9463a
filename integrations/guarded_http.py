"""An httpx transport for requests to tenant servers: each request (and so each redirect hop)
is resolved and checked by core.outbound, then connected to the checked address itself, with
the original Host header and TLS server name (SNI, certificate check); answers are bounded in
size (also after decompression) and in total time."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator

import httpx

from core.outbound import OutboundPolicy, OutboundRefusedError, ResponseTooLargeError

DEFAULT_PORTS = {"http": 80, "https": 443}
# What a decompressor may produce per step: bounded, so a small "zip bomb" cannot blow up memory.
_INFLATE_STEP = 64 * 1024


class _BoundedStream(httpx.SyncByteStream):
    """The response body, cut off past `limit` bytes (decoded) or after `deadline`."""

    def __init__(
        self,
        inner: httpx.SyncByteStream,
        *,
        limit: int,
        deadline: float,
        url: str,
        gzip: bool,
    ) -> None:
        self._inner = inner
        self._limit = limit
        self._deadline = deadline
        self._url = url
        # 32 + MAX_WBITS: zlib or gzip framing, whichever the server sent.
        self._inflate = zlib.decompressobj(32 + zlib.MAX_WBITS) if gzip else None

    def _too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"The server at {self._url} answered more than {self._limit:,} bytes; igny8 stopped "
            "reading",
            details={"url": self._url, "limit_bytes": self._limit},
        )

    def _decoded(self, chunk: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            yield chunk
            return
        data = chunk
        while data:
            out = self._inflate.decompress(data, _INFLATE_STEP)
            data = self._inflate.unconsumed_tail
            yield out

    def __iter__(self) -> Iterator[bytes]:
        total = 0
        for raw in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout(f"The server at {self._url} took too long to answer")
            for chunk in self._decoded(raw):
                total += len(chunk)
                if total > self._limit:
                    raise self._too_large()
                yield chunk

    def close(self) -> None:
        self._inner.close()


class GuardedTransport(httpx.BaseTransport):
    """Checks every request against the policy and pins the connection to the checked address."""

    def __init__(self, policy: OutboundPolicy, inner: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        # No environment proxies: a proxy would connect by name, after our check.
        self._inner = inner or httpx.HTTPTransport(trust_env=False)

    def close(self) -> None:
        self._inner.close()

    def _pinned(self, request: httpx.Request) -> httpx.Request:
        url = request.url
        port = url.port or DEFAULT_PORTS.get(url.scheme, 80)
        try:
            address = self.policy.addresses(url.host, port)[0]
        except OSError as exc:
            message = f"{url.host} does not resolve: {exc}"
            raise httpx.ConnectError(message, request=request) from exc
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = url.host  # the certificate is checked against the name
        headers = request.headers.copy()
        # Compressed answers are bounded after decoding (_BoundedStream), but identity is asked.
        headers["Accept-Encoding"] = "identity"
        return httpx.Request(
            request.method,
            url.copy_with(host=address),
            headers=headers,  # keeps Host: the original name
            stream=request.stream,
            extensions=extensions,
        )

    def _check_redirect(self, request: httpx.Request, response: httpx.Response) -> None:
        location = response.headers.get("Location")
        if not (response.is_redirect and location):
            return
        target = str(request.url.join(location))
        try:
            self.policy.check_url(target)
        except OutboundRefusedError as exc:
            response.close()
            raise OutboundRefusedError(
                f"{request.url.host} redirects to {target}: {exc.message}",
                details={**(exc.details if isinstance(exc.details, dict) else {}), "url": target},
            ) from None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.policy.total_timeout_seconds
        response = self._inner.handle_request(self._pinned(request))
        self._check_redirect(request, response)
        limit = self.policy.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLargeError(
                f"The server at {request.url.host} announced {int(declared):,} bytes; igny8 "
                f"reads at most {limit:,}",
                details={"url": str(request.url), "limit_bytes": limit},
            )
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        headers = response.headers.copy()
        if encoding in ("gzip", "x-gzip", "deflate"):
            # Decoded here, bounded; httpx must not decode it a second time.
            del headers["Content-Encoding"]
            headers.pop("Content-Length", None)
        elif encoding not in ("", "identity"):
            response.close()
            raise httpx.DecodingError(
                f"The server at {request.url.host} sent {encoding!r}-encoded content although "
                "igny8 asked for none",
                request=request,
            )
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_BoundedStream(
                response.stream,
                limit=limit,
                deadline=deadline,
                url=f"{request.url.scheme}://{request.url.netloc.decode()}",
                gzip=encoding != "" and encoding != "identity",
            ),
            extensions=response.extensions,
        )
