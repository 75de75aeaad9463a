"""A fake OpenAI-compatible HTTP server for tests: real sockets (the `openai` client talks
through httpx2, so no in-process transport mock reaches it), deterministic answers, recorded
requests and faults injected from the test.

    with FakeOpenAI() as fake:
        fake.inject("rate_limit", times=2, retry_after=3)
        settings = Settings(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY=fake.api_key)
"""

from __future__ import annotations

import functools
import json
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers import fake_openai_answers as answers

ENDPOINTS = {"/v1/chat/completions": "chat", "/v1/embeddings": "embeddings"}
ENDPOINTS["/v1/images/generations"] = "images"
# Faults about the model's answer only make sense for chat; HTTP faults hit any endpoint.
CONTENT_FAULTS = {"malformed_json", "truncated", "schema_miss", "drop_item", "refusal", "flaw"}
HTTP_FAULTS = {"rate_limit", "server_error", "status", "hang", "broken_body"}


@dataclass
class Fault:
    kind: str
    endpoint: str | None = None  # "chat" | "embeddings" | "images" | None (any)
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    code: str | None = None
    message: str | None = None
    edit: Callable[[dict[str, Any]], None] | None = None  # "flaw": changes the built answer
    schema: str | None = None  # only chat requests for this response schema take the fault


@dataclass
class Recorded:
    endpoint: str
    body: dict[str, Any]
    headers: dict[str, str]
    fault: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (for timelines)

    @property
    def prompt(self) -> str:
        """All message texts of a chat request, joined."""
        return "\n".join(str(m.get("content") or "") for m in self.body.get("messages", []))

    @property
    def schema_name(self) -> str:
        spec = self.body.get("response_format")  # images send response_format="b64_json"
        return str(spec.get("json_schema", {}).get("name", "")) if isinstance(spec, dict) else ""


@dataclass
class FakeOpenAI:
    """The server; `inject()` queues faults, `requests` records what arrived."""

    api_key: str = "sk-test-SECRET0123456789abcdef"
    latency: float = 0.0  # seconds added to every answer
    model_suffix: str = ""  # e.g. "-2024-07-18": answers name a dated snapshot, like OpenAI's
    # Per schema name, a function that edits the built answer in place before it is sent.
    edits: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    # Like a paid plan: calls beyond `max_in_flight` at once get 429 with Retry-After.
    max_in_flight: int | None = None
    cap_retry_after: float = 1.0
    # Random faults at this rate, of these kinds (content faults only hit chat calls).
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = (
        "rate_limit",
        "server_error",
        "hang",
        "malformed_json",
        "truncated",
    )
    hang_seconds: float = 3.0
    seed: int = 7
    # What a provider's dashboard would show.
    in_flight: int = 0
    peak_in_flight: int = 0
    rejected_at_cap: int = 0
    served_seconds: float = 0.0  # time spent on calls that were served (not refused at the cap)
    faults_injected: int = 0
    _random: random.Random = field(default_factory=random.Random)
    _faults: deque[Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    # --- control --------------------------------------------------------------------------------

    def inject(self, kind: str, times: int = 1, *, endpoint: str | None = None, **kw: Any) -> None:
        """Queue `times` faults, taken in order by the next matching requests. HTTP faults:
        rate_limit (retry_after=), server_error, status (status=, code=, message=), hang
        (seconds=), broken_body. Chat answer faults: malformed_json, truncated (finish_reason
        "length"), schema_miss (a required field gone), drop_item (last list item gone), refusal,
        flaw (edit=: a function that changes the valid answer, e.g. to break the article
        contract). `schema=` limits a fault to chat requests for one schema ("ArticleDraft")."""
        if kind not in CONTENT_FAULTS | HTTP_FAULTS:
            raise ValueError(f"unknown fault {kind!r}")
        if kind in CONTENT_FAULTS:
            endpoint = "chat"
        with self._lock:
            self._faults.extend(Fault(kind, endpoint, **kw) for _ in range(times))

    def chat_requests(self, schema_name: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.endpoint == "chat" and (schema_name is None or r.schema_name == schema_name)
        ]

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        fake = self
        self._random.seed(self.seed)

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving --------------------------------------------------------------------------------

    def _take_fault(self, endpoint: str, schema: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (None, endpoint) and fault.schema in (None, schema):
                    self._faults.remove(fault)
                    return fault
        return None

    def _random_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            if not self.fault_rate or self._random.random() >= self.fault_rate:
                return None
            kinds = [k for k in self.fault_kinds if endpoint == "chat" or k in HTTP_FAULTS]
            if not kinds:
                return None
            self.faults_injected += 1
            kind = self._random.choice(kinds)
        return Fault(kind, endpoint, retry_after=self.cap_retry_after, seconds=self.hang_seconds)

    def answer(self, endpoint: str, body: dict[str, Any], headers: dict[str, str]) -> _Reply:
        with self._lock:
            if self.max_in_flight is not None and self.in_flight >= self.max_in_flight:
                self.rejected_at_cap += 1
                reply = _error(429, "Too many requests in flight", "rate_limit_exceeded")
                return _Reply(429, reply.body, {"retry-after": f"{self.cap_retry_after:g}"})
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        started = time.monotonic()
        try:
            return self._answer(endpoint, body, headers)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.served_seconds += time.monotonic() - started

    def _answer(self, endpoint: str, body: dict[str, Any], headers: dict[str, str]) -> _Reply:
        schema = Recorded(endpoint, body, headers).schema_name
        fault = self._take_fault(endpoint, schema) or self._random_fault(endpoint)
        self.requests.append(Recorded(endpoint, body, headers, fault.kind if fault else None))
        if self.latency:
            self._stopping.wait(self.latency)
        if headers.get("authorization") != f"Bearer {self.api_key}":
            # Real OpenAI quotes (part of) the key back: the provider must never repeat it.
            given = headers.get("authorization", "").removeprefix("Bearer ")
            return _error(401, f"Incorrect API key provided: {given}.", "invalid_api_key")
        if fault is not None and fault.kind in HTTP_FAULTS:
            return self._http_fault(fault, body)
        if endpoint == "embeddings":
            return _Reply(200, _embeddings(body, self.model_suffix))
        if endpoint == "images":
            return _Reply(200, _images(body))
        answer = _chat(body, fault, self.model_suffix, self.edits)
        return _Reply(200, answer)

    def _http_fault(self, fault: Fault, body: dict[str, Any]) -> _Reply:
        if fault.kind == "rate_limit":
            headers = {} if fault.retry_after is None else {"retry-after": f"{fault.retry_after:g}"}
            reply = _error(
                429, f"Rate limit reached for {body.get('model')}", "rate_limit_exceeded"
            )
            return _Reply(429, reply.body, headers)
        if fault.kind == "server_error":
            return _error(500, "The server had an error while processing your request.", None)
        if fault.kind == "status":
            said = fault.message or f"Request refused ({fault.status})"
            return _error(fault.status, said, fault.code)
        if fault.kind == "hang":
            self._stopping.wait(fault.seconds)
            return _Reply(200, {})
        return _Reply(200, "<html>bad gateway</html>")  # broken_body


@dataclass
class _Reply:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str, code: str | None) -> _Reply:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return _Reply(status, {"error": error})


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _chat(
    body: dict[str, Any],
    taken: Fault | None,
    suffix: str,
    edits: dict[str, Callable[[dict[str, Any]], None]],
) -> dict[str, Any]:
    messages = body.get("messages", [])
    # The brief is in the first user message; a repair turn appends to the conversation.
    prompt = next((str(m["content"]) for m in messages if m.get("role") == "user"), "")
    spec = body.get("response_format", {}).get("json_schema", {})
    build = answers.BUILDERS.get(spec.get("name", ""))
    schema = spec.get("schema", {})
    value = build(prompt) if build else answers.minimal_instance(schema, schema.get("$defs", {}))
    if edit := edits.get(spec.get("name", "")):
        edit(value)
    fault = taken.kind if taken else None
    if fault == "flaw" and taken is not None and taken.edit is not None:
        taken.edit(value)
    text = json.dumps(value)
    finish, refusal = "stop", None
    if fault == "schema_miss":
        value.pop(next(iter(value)))
        text = json.dumps(value)
    elif fault == "drop_item":
        items = next(v for v in value.values() if isinstance(v, list))
        items.pop()
        text = json.dumps(value)
    elif fault == "malformed_json":
        text = text[: len(text) // 2] + "...}"
    elif fault == "truncated":
        text, finish = text[: len(text) // 2], "length"
    elif fault == "refusal":
        refusal = "I'm sorry, I can't help with that request."
    content = None if refusal else text
    prompt_tokens = _tokens("".join(str(m.get("content") or "") for m in messages))
    completion_tokens = _tokens(content or refusal or "")
    message = {"role": "assistant", "content": content, "refusal": refusal}
    return {
        "id": f"chatcmpl-{len(prompt)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": f"{body.get('model')}{suffix}",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _embeddings(body: dict[str, Any], suffix: str) -> dict[str, Any]:
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    encoding = body.get("encoding_format", "float")
    data = [
        {"object": "embedding", "index": i, "embedding": answers.embedding_payload(t, encoding)}
        for i, t in enumerate(texts)
    ]
    tokens = sum(_tokens(t) for t in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": f"{body['model']}{suffix}", "usage": usage}


def _images(body: dict[str, Any]) -> dict[str, Any]:
    size = str(body.get("size") or "1024x1024")
    width, height = (int(x) for x in (size if size != "auto" else "1024x1024").split("x"))
    answer: dict[str, Any] = {
        "created": int(time.time()),
        "data": [{"b64_json": answers.png_b64(width, height, body.get("prompt", ""))}],
    }
    if str(body.get("model", "")).startswith("gpt-image"):
        text_tokens = _tokens(body.get("prompt", ""))
        answer["usage"] = {
            "input_tokens": text_tokens,
            "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
            "output_tokens": 1056,
            "total_tokens": text_tokens + 1056,
        }
    return answer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API
    server_fake: FakeOpenAI

    def do_POST(self) -> None:
        endpoint = ENDPOINTS.get(self.path.split("?")[0])
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        if endpoint is None:
            self._send(_error(404, f"Unknown path {self.path}", "unknown_url"))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._send(self.server_fake.answer(endpoint, json.loads(raw or b"{}"), headers))

    def _send(self, reply: _Reply) -> None:
        is_json = not isinstance(reply.body, str)
        data = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
        try:
            self.send_response(reply.status)
            self.send_header("content-type", "application/json" if is_json else "text/html")
            self.send_header("content-length", str(len(data)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a hang longer than its timeout)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output
