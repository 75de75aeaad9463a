"""A fake WordPress REST API in memory, fast and exact: the routes igny8's client and publishing
use (the index, users/me, posts with the marker search and slugs, media with upload and
lookup, categories and tags with `term_exists`), an optional latency per request, and counters
that tell whether any article was posted twice. Tests that publish more articles than a real
WordPress could take in their time use it; bench/ runs it in a process of its own."""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

LOOPBACK = "127.0.0.1"
# The marker igny8 writes into every post it makes (how a lost answer's post is found again).
MARKER = re.compile(r"igny8-\d+-[0-9a-f]{10}")


def _now_gmt() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:190] or "post"


class WordPressError(Exception):
    def __init__(self, status: int, code: str, message: str, data: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.data = status, code, data or {}

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self),
            "data": {"status": self.status, **self.data},
        }


class FakeWordPress:
    """The REST API's data: posts, media and terms in memory, with the indexes igny8's look-ups
    need (marker, slug, parent), so a look-up stays cheap however many posts there are."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.username, self.password = username, password
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.posts: dict[int, dict[str, Any]] = {}
        self.media: dict[int, dict[str, Any]] = {}
        self.terms: dict[str, dict[int, dict[str, Any]]] = {"categories": {}, "tags": {}}
        self.term_names: dict[str, dict[str, int]] = {"categories": {}, "tags": {}}
        self.by_marker: dict[str, set[int]] = {}
        self.post_slugs: dict[str, int] = {}
        self.media_slugs: dict[str, int] = {}
        self.media_files: set[str] = set()
        self.requests: Counter[str] = Counter()
        self.posts_created = 0
        self.first_post_at: float | None = None
        self.bytes_uploaded = 0

    # -- helpers
    def _post_json(self, p: dict[str, Any]) -> dict[str, Any]:
        content = zlib.decompress(p["content"]).decode()
        return {
            "id": p["id"],
            "type": "post",
            "date_gmt": p["date_gmt"],
            "modified_gmt": p["modified_gmt"],
            "slug": p["slug"],
            "status": p["status"],
            "link": f"{self.base_url}/{p['slug']}/",
            "author": 1,
            "title": {"raw": p["title"], "rendered": html.escape(p["title"])},
            "content": {"raw": content, "rendered": content, "protected": False},
            "excerpt": {"raw": p["excerpt"], "rendered": p["excerpt"], "protected": False},
            "featured_media": p["featured_media"],
            "categories": list(p["categories"]),
            "tags": list(p["tags"]),
            "meta": dict(p["meta"]),
        }

    def _unique_slug(self, wanted: str, own_id: int | None) -> str:
        slug, n = wanted, 2
        while self.post_slugs.get(slug, own_id) != own_id:
            slug, n = f"{wanted}-{n}", n + 1
        return slug

    def _save_post(self, post_id: int | None, data: dict[str, Any]) -> dict[str, Any]:
        now = _now_gmt()
        post = self.posts.get(post_id) if post_id else None
        if post_id and post is None:
            raise WordPressError(404, "rest_post_invalid_id", "Invalid post ID.")
        if post is None:
            post = {
                "id": next(self.ids),
                "date_gmt": now,
                "title": "",
                "content": zlib.compress(b""),  # compressed: 100,000 articles stay small
                "excerpt": "",
                "status": "draft",
                "slug": "",
                "featured_media": 0,
                "categories": [],
                "tags": [],
                "meta": {},
            }
            self.posts_created += 1
            if self.first_post_at is None:
                self.first_post_at = time.time()
        for key in ("title", "excerpt"):
            if key in data:
                post[key] = str(data[key] or "")
        if "content" in data:
            post["content"] = zlib.compress(str(data["content"] or "").encode())
        for key in ("categories", "tags"):
            if key in data:
                post[key] = [int(i) for i in data[key] or []]
        if "featured_media" in data:
            post["featured_media"] = int(data["featured_media"] or 0)
        if isinstance(data.get("meta"), dict):
            post["meta"].update({str(k): v for k, v in data["meta"].items()})
        if "status" in data:
            post["status"] = str(data["status"])
        if data.get("date_gmt"):
            post["date_gmt"] = str(data["date_gmt"])
            if post["status"] == "publish" and post["date_gmt"] > now:
                post["status"] = "future"
        elif post["status"] == "publish" and "status" in data:
            post["date_gmt"] = now
        if post["slug"] and self.post_slugs.get(post["slug"]) == post["id"]:
            del self.post_slugs[post["slug"]]
        wanted = _slugify(str(data.get("slug") or post["slug"] or post["title"]))
        post["slug"] = self._unique_slug(wanted, post["id"])
        self.post_slugs[post["slug"]] = post["id"]
        post["modified_gmt"] = now
        self.posts[post["id"]] = post
        for marker in MARKER.findall(str(data.get("content") or "")):
            self.by_marker.setdefault(marker, set()).add(post["id"])
        return self._post_json(post)

    @staticmethod
    def _page(items: list[Any], query: dict[str, str], default: int = 10) -> tuple[list, dict]:
        per_page = max(1, min(int(query.get("per_page", default)), 100))
        page = max(1, int(query.get("page", 1)))
        total = len(items)
        pages = max(math.ceil(total / per_page), 1) if total else 0
        if page > 1 and page > pages:
            raise WordPressError(400, "rest_post_invalid_page_number", "Page out of range.")
        chunk = items[(page - 1) * per_page : page * per_page]
        return chunk, {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}

    @staticmethod
    def _fields(items: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = [f for f in query.get("_fields", "").split(",") if f]
        return [{k: v for k, v in i.items() if k in wanted} for i in items] if wanted else items

    # -- routes
    def handle(
        self, method: str, route: str, query: dict[str, str], body: bytes, headers: Any
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in route.split("/") if p]
        self.requests[f"{method} /{'/'.join(p if not p.isdigit() else '{id}' for p in parts)}"] += 1
        with self.lock:
            if parts == []:
                return 200, self._index(), {}
            if parts[:2] != ["wp", "v2"] or len(parts) < 3:
                raise WordPressError(404, "rest_no_route", "No route was found.")
            kind, rest = parts[2], parts[3:]
            if kind == "users" and rest == ["me"]:
                return 200, self._me(), {}
            if kind == "posts":
                return self._posts(method, rest, query, body)
            if kind == "media":
                return self._media(method, rest, query, body, headers)
            if kind in ("categories", "tags"):
                return self._terms(kind, method, rest, query, body)
        raise WordPressError(404, "rest_no_route", "No route was found.")

    def _index(self) -> dict[str, Any]:
        return {
            "name": "igny8 bench WordPress",
            "url": self.base_url,
            "namespaces": ["wp/v2"],
            "authentication": {"application-passwords": {"endpoints": {}}},
        }

    def _me(self) -> dict[str, Any]:
        caps = ("edit_posts", "publish_posts", "upload_files", "manage_categories")
        return {
            "id": 1,
            "username": self.username,
            "name": self.username,
            "slug": self.username,
            "roles": ["administrator"],
            "capabilities": dict.fromkeys(caps, True),
        }

    def _posts(
        self, method: str, rest: list[str], query: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        data = json.loads(body or b"{}") if method == "POST" else {}
        if not rest:
            if method == "POST":
                return 201, self._save_post(None, data), {}
            return self._list_posts(query)
        post_id = int(rest[0])
        if method == "POST":
            return 200, self._save_post(post_id, data), {}
        post = self.posts.get(post_id)
        if post is None:
            raise WordPressError(404, "rest_post_invalid_id", "Invalid post ID.")
        if method == "DELETE":
            del self.posts[post_id]
            if self.post_slugs.get(post["slug"]) == post_id:
                del self.post_slugs[post["slug"]]
            for ids in self.by_marker.values():
                ids.discard(post_id)
            return 200, {"deleted": True, "previous": self._post_json(post)}, {}
        return 200, self._post_json(post), {}

    def _list_posts(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        status = query.get("status", "publish")
        search = query.get("search", "")
        if search and MARKER.fullmatch(search):
            found = [
                self.posts[i] for i in sorted(self.by_marker.get(search, ())) if i in self.posts
            ]
        elif query.get("slug"):
            pid = self.post_slugs.get(query["slug"])
            found = [self.posts[pid]] if pid in self.posts else []
        else:
            found = list(self.posts.values())
            if search:
                s = search.casefold()
                found = [
                    p
                    for p in found
                    if s in p["title"].casefold() or s in zlib.decompress(p["content"]).decode()
                ]
        if status == "any":
            found = [p for p in found if p["status"] != "trash"]
        else:
            found = [p for p in found if p["status"] in status.split(",")]
        if query.get("modified_after"):
            after = query["modified_after"][:19]
            found = [p for p in found if p["modified_gmt"] > after]
        found.sort(key=lambda p: p["id"])
        chunk, headers = self._page(found, query)
        return 200, self._fields([self._post_json(p) for p in chunk], query), headers

    def _media_json(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": m["id"],
            "type": "attachment",
            "date_gmt": m["date_gmt"],
            "slug": m["slug"],
            "status": "inherit",
            "title": {"raw": m["title"], "rendered": html.escape(m["title"])},
            "alt_text": m["alt_text"],
            "media_type": "image",
            "mime_type": m["mime_type"],
            "post": m["post"] or None,
            "source_url": f"{self.base_url}/wp-content/uploads/{m['file']}",
            "media_details": {"file": m["file"], "filesize": m["size"]},
        }

    def _media(
        self, method: str, rest: list[str], query: dict[str, str], body: bytes, headers: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if not rest and method == "POST":
            disposition = headers.get("Content-Disposition", "")
            match = re.search(r'filename="?([^";]+)"?', disposition)
            filename = match.group(1) if match else "upload.png"
            stem, dot, suffix = filename.rpartition(".")
            file, n = filename, 1
            while file in self.media_files:
                file, n = f"{stem}-{n}{dot}{suffix}", n + 1
            slug = _slugify(query.get("slug") or stem)
            while slug in self.media_slugs:
                slug += "-2"
            media = {
                "id": next(self.ids),
                "date_gmt": _now_gmt(),
                "slug": slug,
                "title": query.get("title") or stem,
                "alt_text": query.get("alt_text", ""),
                "mime_type": headers.get("Content-Type", "image/png"),
                "post": 0,
                "file": file,
                "size": len(body),
            }
            self.bytes_uploaded += len(body)
            self.media[media["id"]] = media
            self.media_slugs[slug] = media["id"]
            self.media_files.add(file)
            return 201, self._media_json(media), {}
        if not rest:
            if query.get("slug"):
                mid = self.media_slugs.get(query["slug"])
                found = [self.media[mid]] if mid in self.media else []
            else:
                found = sorted(self.media.values(), key=lambda m: m["id"])
                if query.get("parent"):
                    found = [m for m in found if m["post"] == int(query["parent"])]
                if query.get("search"):
                    s = query["search"].casefold()
                    found = [m for m in found if s in m["file"].casefold() or s in m["title"]]
            chunk, page_headers = self._page(found, query)
            items = self._fields([self._media_json(m) for m in chunk], query)
            return 200, items, page_headers
        media_id = int(rest[0])
        media = self.media.get(media_id)
        if media is None:
            raise WordPressError(404, "rest_post_invalid_id", "Invalid post ID.")
        if method == "DELETE":
            del self.media[media_id]
            self.media_slugs.pop(media["slug"], None)
            return 200, {"deleted": True, "previous": self._media_json(media)}, {}
        if method == "POST":
            data = json.loads(body or b"{}")
            if "post" in data:
                media["post"] = int(data["post"] or 0)
            for key in ("alt_text", "title"):
                if key in data:
                    media[key] = str(data[key])
        return 200, self._media_json(media), {}

    def _terms(
        self, base: str, method: str, rest: list[str], query: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        terms, names = self.terms[base], self.term_names[base]
        if rest:
            term = terms.get(int(rest[0]))
            if term is None:
                raise WordPressError(404, "rest_term_invalid", "Term does not exist.")
            return 200, term, {}
        if method == "POST":
            name = str(json.loads(body or b"{}").get("name", "")).strip()
            if not name:
                raise WordPressError(400, "rest_missing_callback_param", "Missing name.")
            existing = names.get(name.casefold())
            if existing is not None:
                raise WordPressError(
                    400, "term_exists", "A term with that name exists.", {"term_id": existing}
                )
            term_id = len(terms) + 1
            taxonomy = "category" if base == "categories" else "post_tag"
            terms[term_id] = {
                "id": term_id,
                "name": html.escape(name, quote=False),
                "slug": _slugify(name),
                "taxonomy": taxonomy,
                "count": 0,
            }
            names[name.casefold()] = term_id
            return 201, terms[term_id], {}
        found = sorted(terms.values(), key=lambda t: t["id"])
        if query.get("search"):
            s = query["search"].casefold()
            found = [t for t in found if s in html.unescape(t["name"]).casefold()]
        if query.get("include"):
            wanted = {int(i) for i in query["include"].split(",") if i.strip()}
            found = [t for t in found if t["id"] in wanted]
        chunk, headers = self._page(found, query)
        return 200, chunk, headers

    def stats(self) -> dict[str, Any]:
        with self.lock:
            duplicates = sum(1 for ids in self.by_marker.values() if len(ids) > 1)
            return {
                "posts": len(self.posts),
                "posts_created": self.posts_created,
                "published": sum(1 for p in self.posts.values() if p["status"] == "publish"),
                "media": len(self.media),
                "bytes_uploaded": self.bytes_uploaded,
                "markers_with_several_posts": duplicates,
                "first_post_at": self.first_post_at,
                "requests": sum(self.requests.values()),
                "by_route": dict(self.requests.most_common()),
            }


def make_handler(wp: FakeWordPress, latency: float) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{wp.username}:{wp.password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _serve(self) -> None:
            body = self._body()
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            if url.path == "/bench/stats":
                self._send(200, wp.stats(), {})
                return
            if url.path.startswith("/wp-json"):
                route = unquote(url.path[len("/wp-json") :]) or "/"
            elif "rest_route" in query:
                route = query.pop("rest_route")
            else:
                self._send(404, {"code": "not_found", "message": "Not a REST route"}, {})
                return
            time.sleep(latency)
            if self.headers.get("Authorization") != expected and route not in ("/", ""):
                error = WordPressError(401, "incorrect_password", "Wrong application password.")
                self._send(401, error.body(), {})
                return
            try:
                status, payload, headers = wp.handle(self.command, route, query, body, self.headers)
            except WordPressError as exc:
                status, payload, headers = exc.status, exc.body(), {}
            except (ValueError, KeyError) as exc:
                status, payload, headers = (
                    400,
                    {"code": "rest_invalid_param", "message": str(exc)},
                    {},
                )
            self._send(status, payload, headers)

        do_GET = do_POST = do_DELETE = do_PUT = _serve

    return Handler


@contextmanager
def fake_wordpress(
    username: str = "igny8", password: str = "fake-app-password", latency: float = 0.0
) -> Iterator[FakeWordPress]:
    """The fake WordPress served on a loopback port in this process (its URL: `.base_url`)."""
    server = ThreadingHTTPServer((LOOPBACK, 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    wp = FakeWordPress(f"http://{LOOPBACK}:{server.server_address[1]}", username, password)
    server.RequestHandlerClass = make_handler(wp, latency)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield wp
    finally:
        server.shutdown()
        server.server_close()
