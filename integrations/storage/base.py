"""What every store is: bytes put and got under a key like `images/site-1/content-2/image-3.png`.

The key is what rows keep (Image.file_path): the same on every host, whichever store holds it.
"""

from __future__ import annotations

import mimetypes
from typing import Protocol

from integrations.storage.errors import InvalidKeyError


class Storage(Protocol):
    name: str  # "local" | "s3": the `backend` label of the storage metrics

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store `data` under `key`, replacing what was there (a retry overwrites)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; StorageNotFoundError when there are none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key` (no error when it is already gone)."""
        ...

    def check(self) -> None:
        """Raise a StorageError saying what is wrong when the store cannot be used."""
        ...


def clean_key(key: str) -> str:
    """The key itself, or InvalidKeyError: relative, `/`-separated, no `.`/`..`/empty parts."""
    parts = key.split("/")
    if not key or "\\" in key or "\x00" in key or any(p in ("", ".", "..") for p in parts):
        raise InvalidKeyError(key)
    return key


def content_type_for(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
