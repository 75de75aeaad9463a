"""Files under the data folder: the embedded default, for one host (or a shared volume)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from core import metrics
from integrations.storage.base import clean_key
from integrations.storage.errors import InvalidKeyError, StorageError, StorageNotFoundError


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        """Where `key` lives on this host (never outside the root)."""
        path = (self.root / clean_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidKeyError(key)  # a symlink inside the root pointing out of it
        return path

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole, then renamed: a reader never sees half a file.
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            metrics.storage_op(self.name, "put", "error")
            raise StorageError(
                f"Could not write {key!r} under {self.root}: {exc.strerror}"
            ) from None
        metrics.storage_op(self.name, "put", "ok", len(data))

    def get(self, key: str) -> bytes:
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            metrics.storage_op(self.name, "get", "not_found")
            raise StorageNotFoundError(key) from None
        except OSError as exc:
            metrics.storage_op(self.name, "get", "error")
            raise StorageError(
                f"Could not read {key!r} under {self.root}: {exc.strerror}"
            ) from None
        metrics.storage_op(self.name, "get", "ok", len(data))
        return data

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"The data folder {self.root} is not usable: {exc.strerror}"
            ) from None
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"The data folder {self.root} is not writable", retryable=False)
