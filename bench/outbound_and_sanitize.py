"""What the safety layer costs: sanitising article HTML with nh3, and a guarded WordPress-style
request (resolve, check, pinned connection, bounded read) against a plain httpx one.

    .venv/bin/python bench/outbound_and_sanitize.py [--articles 200] [--requests 300]
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.html_sanitize import sanitize_html  # noqa: E402
from core.outbound import OutboundPolicy  # noqa: E402
from integrations.guarded_http import GuardedTransport  # noqa: E402

PARAGRAPH = (
    "<p>Trail running shoes need grip, <strong>protection</strong> and a fit that holds the "
    'foot on descents; <a href="https://example.com/fit">our fit guide</a> explains how.</p>'
)


def article(words: int) -> str:
    sections = []
    for i in range(max(words // 120, 1)):
        sections.append(f"<h2>Section {i}</h2>" + PARAGRAPH * 5)
        sections.append("<ul>" + "<li>point</li>" * 5 + "</ul>")
    return "".join(sections)


def bench_sanitize(count: int) -> None:
    html = article(2000)
    started = time.perf_counter()
    for _ in range(count):
        sanitize_html(html)
    per = (time.perf_counter() - started) / count
    print(f"sanitize: {len(html):,}-byte article (~2,000 words): {per * 1000:.2f} ms each")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"name": "bench"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def bench_requests(count: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://localhost:{server.server_address[1]}/wp-json/"
    policy = OutboundPolicy(
        allow_private=False, allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),)
    )
    for name, transport in (
        ("plain httpx", httpx.HTTPTransport()),
        ("guarded", GuardedTransport(policy)),
    ):
        with httpx.Client(transport=transport) as client:
            client.get(url)
            started = time.perf_counter()
            for _ in range(count):
                client.get(url).json()
            per = (time.perf_counter() - started) / count
        print(f"request ({name}, HTTP/1.0 server, new connection each): {per * 1000:.2f} ms")
    server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    bench_sanitize(args.articles)
    bench_requests(args.requests)


if __name__ == "__main__":
    main()
