"""The two stores behind integrations.storage: the data folder and an S3-protocol server."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Settings
from integrations.storage import (
    InvalidKeyError,
    StorageError,
    StorageNotFoundError,
    image_key,
    storage_for,
)
from tests.helpers.s3 import S3Server

PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
BAD_KEYS = ["", "/etc/passwd", "../secret.key", "images/../../x", "images//x.png", "a\\b", "./x"]


def s3_settings(s3: S3Server, bucket: str, **extra: str) -> Settings:
    return Settings(**{**s3.env(bucket), **extra})  # type: ignore[arg-type]


def test_local_store_keeps_files_under_the_data_folder(tmp_path: Path) -> None:
    store = storage_for(Settings(IGNY8_DATA_DIR=tmp_path))  # type: ignore[call-arg]
    key = image_key(1, 2, 3)
    store.put(key, PNG)
    store.put(key, PNG + b"again")  # a retry overwrites in place
    assert (tmp_path / "images/site-1/content-2/image-3.png").read_bytes() == PNG + b"again"
    assert store.get(key) == PNG + b"again" and store.exists(key)
    assert [p.name for p in (tmp_path / "images/site-1/content-2").iterdir()] == ["image-3.png"]
    store.delete(key)
    with pytest.raises(StorageNotFoundError, match="image-3.png"):
        store.get(key)
    for bad in BAD_KEYS:
        with pytest.raises(InvalidKeyError):
            store.get(bad)


def test_s3_store_round_trip_with_prefix(s3_server: S3Server) -> None:
    bucket = s3_server.make_bucket()
    store = storage_for(s3_settings(s3_server, bucket, IGNY8_S3_PREFIX="prod/igny8/"))
    store.check()
    key = image_key(4, 5, 6)
    store.put(key, PNG, "image/png")
    assert s3_server.keys(bucket) == [f"prod/igny8/{key}"]
    head = s3_server.client().head_object(Bucket=bucket, Key=f"prod/igny8/{key}")
    assert head["ContentType"] == "image/png"
    assert store.get(key) == PNG and store.exists(key)
    assert not store.exists(image_key(4, 5, 7))
    with pytest.raises(StorageNotFoundError):
        store.get(image_key(4, 5, 7))
    for bad in BAD_KEYS:
        with pytest.raises(InvalidKeyError):
            store.put(bad, PNG)
    store.delete(key)
    assert s3_server.keys(bucket) == []


def test_s3_misconfiguration_fails_with_what_to_fix(s3_server: S3Server) -> None:
    missing = storage_for(s3_settings(s3_server, "no-such-bucket-igny8"))
    with pytest.raises(StorageError, match="does not exist.*IGNY8_S3_BUCKET") as err:
        missing.put("images/x.png", PNG)
    assert not err.value.retryable
    # Nothing listens there: transient, so Temporal retries the activity.
    down = storage_for(
        s3_settings(s3_server, "b", IGNY8_S3_ENDPOINT_URL="http://127.0.0.1:9", IGNY8_S3_PREFIX="p")
    )
    with pytest.raises(StorageError, match="Could not reach S3 at http://127.0.0.1:9") as err:
        down.get("images/x.png")
    assert err.value.retryable
    assert s3_server.secret_key not in str(err.value)
    with pytest.raises(StorageError, match="IGNY8_S3_BUCKET"):
        storage_for(Settings(IGNY8_STORAGE="s3"))  # type: ignore[call-arg]
