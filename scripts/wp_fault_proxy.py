"""A fault-injecting HTTP proxy in front of WordPress, for tests of igny8's idempotency.

Rules match a method and a REST route (`/wp/v2/media`, whether asked as `/wp-json/...` or
`?rest_route=...`) and apply to the next `times` matching requests:

- `delay`: wait `seconds`, then forward;
- `error`: answer `status` (500 by default) without forwarding;
- `drop`: forward (WordPress does the work), then close the connection without an answer;
- `hang`: forward, then hold the answer for `seconds` and close (the client times out);
- `term_race`: forward the request twice, so a "concurrent writer" creates the term first and
  the client gets WordPress's own 400 `term_exists` answer.

Use it from Python (`FaultProxy(upstream).start()`, `add_rule(...)`) or as a program
(`python scripts/wp_fault_proxy.py --upstream http://127.0.0.1:8089 --port 8090`) steered
through `POST /__faults__` (a rule as JSON), `GET /__faults__` (rules and request log) and
`DELETE /__faults__` (clear both).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

Action = Literal["delay", "error", "drop", "hang", "term_race"]
CONTROL_PATH = "/__faults__"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


@dataclass
class Rule:
    method: str  # "POST", or "*" for any
    route: str  # a regular expression searched in the REST route
    action: Action
    times: int = 1  # matching requests it applies to; -1: all of them
    status: int = 500
    seconds: float = 0.0
    hits: int = 0

    def matches(self, method: str, route: str) -> bool:
        if self.times != -1 and self.hits >= self.times:
            return False
        return self.method in ("*", method) and re.search(self.route, route) is not None


@dataclass
class Seen:
    method: str
    route: str
    outcome: str  # the upstream status, or the fault applied


@dataclass
class _State:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    log: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


def rest_route(target: str) -> str:
    """The REST route of a request target, however the client spelled it."""
    parts = urlsplit(target)
    if parts.path.startswith("/wp-json"):
        return parts.path[len("/wp-json") :] or "/"
    route = parse_qs(parts.query).get("rest_route")
    return route[0] if route else parts.path


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib's name)
        pass  # the request log is kept in state.log instead of stderr noise

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(
        self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in headers or []:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        up = urlsplit(self.server.state.upstream)
        conn = http.client.HTTPConnection(up.hostname or "127.0.0.1", up.port or 80, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = up.netloc
        try:
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def _control(self) -> None:
        state = self.server.state
        with state.lock:
            if self.command == "POST":
                state.rules.append(Rule(**json.loads(self._body() or b"{}")))
            elif self.command == "DELETE":
                state.rules.clear()
                state.log.clear()
            answer = {
                "rules": [asdict(r) for r in state.rules],
                "log": [asdict(s) for s in state.log],
            }
        self._reply(200, json.dumps(answer).encode(), [("Content-Type", "application/json")])

    def _handle(self) -> None:
        if self.path.startswith(CONTROL_PATH):
            self._control()
            return
        state = self.server.state
        body = self._body()
        route = rest_route(self.path)
        with state.lock:
            rule = next((r for r in state.rules if r.matches(self.command, route)), None)
            if rule:
                rule.hits += 1
        action = rule.action if rule else None
        if rule and action == "error":
            state.log.append(Seen(self.command, route, f"error {rule.status}"))
            payload = {
                "code": "proxy_fault",
                "message": "Injected failure",
                "data": {"status": rule.status},
            }
            self._reply(
                rule.status, json.dumps(payload).encode(), [("Content-Type", "application/json")]
            )
            return
        if rule and action == "delay":
            state.stopping.wait(rule.seconds)
        if rule and action == "term_race":
            self._forward(body)  # the "other writer" creates the term first
        status, headers, answer = self._forward(body)
        if rule and action in ("drop", "hang"):
            state.log.append(Seen(self.command, route, f"{action} after {status}"))
            if action == "hang":
                state.stopping.wait(rule.seconds)
            self.close_connection = True
            self.connection.close()
            return
        state.log.append(
            Seen(self.command, route, str(status) + (f" ({action})" if action else ""))
        )
        self._reply(status, answer, headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: _State


class FaultProxy:
    """The proxy, run in a background thread (for tests) or in the foreground (`serve`)."""

    def __init__(self, upstream: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), _Handler)
        self._server.state = _State(upstream=upstream.rstrip("/"))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    @property
    def log(self) -> list[Seen]:
        with self._server.state.lock:
            return list(self._server.state.log)

    def add_rule(self, method: str, route: str, action: Action, **kwargs: Any) -> Rule:
        rule = Rule(method=method, route=route, action=action, **kwargs)
        with self._server.state.lock:
            self._server.state.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._server.state.lock:
            self._server.state.rules.clear()
            self._server.state.log.clear()

    def count(self, method: str, route: str) -> int:
        """Requests seen for this method whose route matches the regular expression."""
        return sum(1 for s in self.log if s.method == method and re.search(route, s.route))

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.state.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve(self) -> None:
        self._server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--upstream", required=True, help="WordPress URL, e.g. http://127.0.0.1:8089"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    proxy = FaultProxy(args.upstream, args.host, args.port)
    print(f"fault proxy on {proxy.url} -> {args.upstream} (rules: {proxy.url}{CONTROL_PATH})")
    try:
        proxy.serve()
    except KeyboardInterrupt:
        proxy.stop()


if __name__ == "__main__":
    main()
