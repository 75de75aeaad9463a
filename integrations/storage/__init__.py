"""Storage every worker reaches: the local folder (embedded default) or an S3-compatible bucket.

    storage_for(settings).put("images/site-1/content-2/image-3.png", png_bytes)

Rows keep the key, never a host's path; IGNY8_STORAGE picks the store (docs/storage.md).
"""

from __future__ import annotations

import threading

from core.config import Settings
from integrations.storage.base import Storage, clean_key, content_type_for
from integrations.storage.errors import InvalidKeyError, StorageError, StorageNotFoundError

__all__ = [
    "InvalidKeyError",
    "Storage",
    "StorageError",
    "StorageNotFoundError",
    "clean_key",
    "content_type_for",
    "image_key",
    "storage_for",
]


def image_key(site_id: int, content_id: int, image_id: int, suffix: str = ".png") -> str:
    """Where an image's file is stored: the same key on every attempt and every host."""
    return f"images/site-{site_id}/content-{content_id}/image-{image_id}{suffix}"


def storage_for(settings: Settings) -> Storage:
    """The store the settings name (one instance per distinct configuration)."""
    secret = settings.s3_secret_access_key
    key = (
        settings.storage,
        str(settings.data_dir.resolve()),
        settings.s3_bucket,
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_access_key_id,
        secret.get_secret_value() if secret else None,
        settings.s3_prefix,
    )
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = _build(settings)
    return store


_stores: dict[tuple[object, ...], Storage] = {}
_lock = threading.Lock()


def _build(settings: Settings) -> Storage:
    if settings.storage == "s3":
        from integrations.storage.s3 import S3Storage

        return S3Storage(settings)
    from integrations.storage.local import LocalStorage

    return LocalStorage(settings.data_dir)
