"""A small synchronous client for the WordPress REST API (posts, media, terms), authenticated
with an application password; the HTTP details live in integrations.wordpress.transport."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from integrations.wordpress.errors import WordPressError, WordPressNotFoundError, wp_code
from integrations.wordpress.transport import Page, RestTransport, normalize_base_url

__all__ = ["Page", "Term", "WordPressClient", "normalize_base_url"]

# Our taxonomy types → their REST bases.
TAXONOMY_BASES = {
    "category": "categories",
    "tag": "tags",
    "categories": "categories",
    "tags": "tags",
}


@dataclass(frozen=True)
class Term:
    id: int
    name: str
    slug: str
    taxonomy: str  # REST base: categories | tags


def _term(data: dict[str, Any], taxonomy: str) -> Term:
    return Term(
        id=int(data["id"]),
        name=html.unescape(str(data.get("name", ""))),
        slug=str(data.get("slug", "")),
        taxonomy=taxonomy,
    )


class WordPressClient(RestTransport):
    """REST calls against one WordPress site. Not thread-safe; cheap to create per activity."""

    # --- site ---

    def index(self) -> dict[str, Any]:
        """The REST index: site name, namespaces, authentication methods."""
        return self._json("GET", "/", action="read the REST API index")

    def me(self) -> dict[str, Any]:
        """The authenticated user with roles and capabilities (`context=edit`)."""
        return self._json(
            "GET", "/wp/v2/users/me", action="read the current user", params={"context": "edit"}
        )

    # --- posts ---

    def find_post_by_slug(self, slug: str, post_type: str = "posts") -> dict[str, Any] | None:
        """The post with this slug, whatever its status (drafts keep the slug they are given)."""
        params = {"slug": slug, "status": "any", "context": "edit", "per_page": 1}
        found = self._json("GET", f"/wp/v2/{post_type}", action="look up a post", params=params)
        return found[0] if found else None

    def find_post_by_marker(self, marker: str, post_type: str = "posts") -> dict[str, Any] | None:
        """The post whose raw content contains `marker` (see services.publishing.post_marker)."""
        params = {"search": marker, "status": "any", "context": "edit", "per_page": 20}
        found = self._json("GET", f"/wp/v2/{post_type}", action="look up a post", params=params)
        for post in found:
            if marker in str((post.get("content") or {}).get("raw", "")):
                return post
        return None

    def get_post(self, post_id: int, post_type: str = "posts") -> dict[str, Any]:
        return self._json(
            "GET",
            f"/wp/v2/{post_type}/{post_id}",
            action="read the post",
            params={"context": "edit"},
        )

    def find_post(self, post_id: int, post_type: str = "posts") -> dict[str, Any] | None:
        """The post with its raw fields (trashed ones too, status `trash`); None when deleted."""
        try:
            return self.get_post(post_id, post_type)
        except WordPressNotFoundError as exc:
            if wp_code(exc) == "rest_post_invalid_id":
                return None
            raise  # a missing route (REST API off, wrong URL) says nothing about the post

    def create_post(self, data: dict[str, Any], post_type: str = "posts") -> dict[str, Any]:
        return self._json(
            "POST",
            f"/wp/v2/{post_type}",
            action="create the post",
            json=data,
            params={"context": "edit"},
        )

    def update_post(
        self, post_id: int, data: dict[str, Any], post_type: str = "posts"
    ) -> dict[str, Any]:
        return self._json(
            "POST",
            f"/wp/v2/{post_type}/{post_id}",
            action="update the post",
            json=data,
            params={"context": "edit"},
        )

    def delete_post(self, post_id: int, force: bool = True, post_type: str = "posts") -> None:
        self.request(
            "DELETE",
            f"/wp/v2/{post_type}/{post_id}",
            action="delete the post",
            params={"force": "true" if force else "false"},
        )

    def list_posts(
        self,
        page: int = 1,
        per_page: int = 50,
        modified_after: datetime | None = None,
        status: str = "any",
        post_type: str = "posts",
        fields: list[str] | None = None,
    ) -> Page:
        """One page of posts, oldest id first (a stable order while new posts arrive)."""
        params: dict[str, Any] = {
            "page": page,
            "per_page": per_page,
            "status": status,
            "context": "edit",
            "orderby": "id",
            "order": "asc",
        }
        if modified_after is not None:
            # With an explicit offset WordPress converts to the site's timezone itself.
            aware = modified_after if modified_after.tzinfo else modified_after.replace(tzinfo=UTC)
            params["modified_after"] = aware.isoformat(timespec="seconds")
        if fields:
            params["_fields"] = ",".join(fields)
        return self._page(f"/wp/v2/{post_type}", params, "list posts")

    # --- media ---

    def upload_media(
        self,
        filename: str,
        data: bytes,
        alt_text: str = "",
        title: str = "",
        slug: str | None = None,
        mime_type: str = "image/png",
    ) -> dict[str, Any]:
        """Upload a file to the media library (raw body; alt text, title, slug as parameters)."""
        params = {"alt_text": alt_text, "title": title or PurePosixPath(filename).stem}
        if slug:
            params["slug"] = slug
        headers = {
            "Content-Type": mime_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
        }
        return self._json(
            "POST",
            "/wp/v2/media",
            action=f"upload {filename}",
            content=data,
            headers=headers,
            params=params,
        )

    def find_media_by_slug(self, slug: str) -> dict[str, Any] | None:
        found = self._json(
            "GET",
            "/wp/v2/media",
            action="look up a media item",
            params={"slug": slug, "context": "edit", "per_page": 1},
        )
        return found[0] if found else None

    def find_media_by_filename(self, filename: str) -> dict[str, Any] | None:
        """A media item whose file is `filename` (or WordPress's `-1`, `-2`... renaming of it)."""
        stem, suffix = PurePosixPath(filename).stem, PurePosixPath(filename).suffix
        pattern = re.compile(rf"^{re.escape(stem)}(-\d+)?{re.escape(suffix)}$")
        found = self._json(
            "GET",
            "/wp/v2/media",
            action="look up a media item",
            params={"search": stem, "context": "edit", "per_page": 20},
        )
        for item in found:
            file = str((item.get("media_details") or {}).get("file") or item.get("source_url", ""))
            if pattern.match(PurePosixPath(file).name):
                return item
        return None

    def update_media(self, media_id: int, data: dict[str, Any]) -> dict[str, Any]:
        return self._json(
            "POST", f"/wp/v2/media/{media_id}", action="update the media item", json=data
        )

    def attached_media_ids(self, post_id: int) -> set[int]:
        """Ids of the media items whose parent ("Uploaded to") is the post."""
        ids: set[int] = set()
        page, total_pages = 1, 1
        while page <= total_pages:
            params = {"parent": post_id, "per_page": 100, "page": page, "_fields": "id"}
            result = self._page("/wp/v2/media", params, "list the post's media")
            ids.update(int(item["id"]) for item in result.items)
            total_pages, page = result.total_pages, page + 1
        return ids

    def attach_media(self, media_id: int, post_id: int) -> dict[str, Any]:
        """Make the post the media item's parent (WordPress's "Uploaded to")."""
        return self.update_media(media_id, {"post": post_id})

    def delete_media(self, media_id: int) -> None:
        self.request(
            "DELETE",
            f"/wp/v2/media/{media_id}",
            action="delete the media item",
            params={"force": "true"},
        )

    # --- terms ---

    def get_term(self, taxonomy: str, term_id: int) -> Term:
        base = TAXONOMY_BASES[taxonomy]
        return _term(self._json("GET", f"/wp/v2/{base}/{term_id}", action="read a term"), base)

    def list_terms(
        self, taxonomy: str, page: int = 1, per_page: int = 100, include: list[int] | None = None
    ) -> tuple[list[Term], int]:
        """One page of a taxonomy's terms and the total number of pages."""
        base = TAXONOMY_BASES[taxonomy]
        params: dict[str, Any] = {"page": page, "per_page": per_page, "hide_empty": "false"}
        if include:
            params["include"] = ",".join(str(i) for i in include)
        result = self._page(f"/wp/v2/{base}", params, f"list {base}")
        return [_term(item, base) for item in result.items], result.total_pages

    def find_term(self, taxonomy: str, name: str) -> Term | None:
        base = TAXONOMY_BASES[taxonomy]
        found = self._json(
            "GET",
            f"/wp/v2/{base}",
            action=f"look up {base}",
            params={"search": name, "per_page": 100, "hide_empty": "false"},
        )
        wanted = name.strip().casefold()
        for item in found:
            if html.unescape(str(item.get("name", ""))).strip().casefold() == wanted:
                return _term(item, base)
        return None

    def find_or_create_term(self, taxonomy: str, name: str) -> Term:
        """The term named `name`, created if missing; a concurrent creator's term is fine."""
        base = TAXONOMY_BASES[taxonomy]
        found = self.find_term(base, name)
        if found:
            return found
        try:
            created = self._json(
                "POST", f"/wp/v2/{base}", action=f"create the term {name!r}", json={"name": name}
            )
        except WordPressError as exc:
            # Someone created it between our look-up and our create: WordPress names it.
            data = (exc.details or {}).get("data") if isinstance(exc.details, dict) else None
            if wp_code(exc) == "term_exists" and isinstance(data, dict) and data.get("term_id"):
                return self.get_term(base, int(data["term_id"]))
            raise
        return _term(created, base)
