"""An S3-protocol server for the storage tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass
class S3Server:
    """An S3-protocol server (moto's) on 127.0.0.1, with the settings that reach it."""

    endpoint: str
    access_key: str = "igny8-test-key-id"
    secret_key: str = "igny8-test-secret-DO-NOT-LEAK-4242"

    def env(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """Environment variables pointing igny8's storage at `bucket`."""
        return {
            "IGNY8_STORAGE": "s3",
            "IGNY8_S3_BUCKET": bucket,
            "IGNY8_S3_ENDPOINT_URL": self.endpoint,
            "IGNY8_S3_REGION": "us-east-1",
            "IGNY8_S3_ACCESS_KEY_ID": self.access_key,
            "IGNY8_S3_SECRET_ACCESS_KEY": self.secret_key,
            "IGNY8_S3_PREFIX": prefix,
        }

    def make_bucket(self) -> str:
        name = f"igny8-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def keys(self, bucket: str) -> list[str]:
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(o["Key"] for o in answer.get("Contents", []))
