"""An S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Ceph...) through boto3 (`igny8[s3]`).

Every worker and the API reach the same bucket, so a file written on one host is read on any
other. boto3 clients are thread-safe: one per store, shared by the activity threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core import metrics
from core.config import Settings
from integrations.storage.base import clean_key, content_type_for
from integrations.storage.errors import StorageError, StorageNotFoundError

CREDENTIAL_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden"}
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


class S3Storage:
    name = "s3"

    def __init__(self, settings: Settings) -> None:
        if not settings.s3_bucket:
            raise StorageError("IGNY8_STORAGE=s3 needs IGNY8_S3_BUCKET", retryable=False)
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix.strip("/") + "/" if settings.s3_prefix.strip("/") else ""
        self.endpoint = settings.s3_endpoint_url or "AWS S3"
        self._client = _make_client(settings)

    def _key(self, key: str) -> str:
        return self.prefix + clean_key(key)

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        with self._errors("put", key):
            self._client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type or content_type_for(key),
            )
        metrics.storage_op(self.name, "put", "ok", len(data))

    def get(self, key: str) -> bytes:
        with self._errors("get", key):
            body = self._client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            data: bytes = body.read()
        metrics.storage_op(self.name, "get", "ok", len(data))
        return data

    def exists(self, key: str) -> bool:
        try:
            with self._errors("head", key):
                self._client.head_object(Bucket=self.bucket, Key=self._key(key))
        except StorageNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def check(self) -> None:
        with self._errors("check", ""):
            self._client.head_bucket(Bucket=self.bucket)

    @contextmanager
    def _errors(self, operation: str, key: str) -> Iterator[None]:
        """boto's exceptions as StorageErrors whose message says what to fix (no secrets)."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            if code in MISSING_CODES and key:
                metrics.storage_op(self.name, operation, "not_found")
                raise StorageNotFoundError(key) from None
            metrics.storage_op(self.name, operation, "error")
            raise self._client_error(code, status) from None
        except NoCredentialsError:
            metrics.storage_op(self.name, operation, "error")
            msg = "No S3 credentials: set IGNY8_S3_ACCESS_KEY_ID and IGNY8_S3_SECRET_ACCESS_KEY"
            raise StorageError(msg, retryable=False) from None
        except BotoCoreError as exc:
            metrics.storage_op(self.name, operation, "error")
            reason = type(exc).__name__
            raise StorageError(f"Could not reach S3 at {self.endpoint} ({reason})") from None

    def _client_error(self, code: str, status: int) -> StorageError:
        where = f"bucket {self.bucket!r} at {self.endpoint}"
        if code == "NoSuchBucket" or (status == 404 and code in MISSING_CODES):
            return StorageError(f"The {where} does not exist (IGNY8_S3_BUCKET)", retryable=False)
        if code in CREDENTIAL_CODES or status in (401, 403):
            return StorageError(
                f"S3 refused access to the {where} ({code or status}): check "
                "IGNY8_S3_ACCESS_KEY_ID, IGNY8_S3_SECRET_ACCESS_KEY and the bucket's policy",
                retryable=False,
            )
        retryable = status >= 500 or status in (408, 429) or code in ("SlowDown", "RequestTimeout")
        return StorageError(f"S3 failed on the {where} ({code or status})", retryable=retryable)


def _make_client(settings: Settings) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StorageError(
            "IGNY8_STORAGE=s3 needs boto3: pip install 'igny8[s3]'", retryable=False
        ) from None
    secret = settings.s3_secret_access_key
    config = Config(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        # Custom endpoints (MinIO, moto, Ceph) usually serve buckets by path, not by host name.
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
        # Only the checksums S3 requires: several S3-compatible stores reject the newer ones.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # Without explicit keys boto3 uses its own chain (AWS_* variables, instance roles).
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.s3_endpoint_url or None,
        region_name=settings.s3_region or None,
        aws_access_key_id=settings.s3_access_key_id or None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
        config=config,
    )
