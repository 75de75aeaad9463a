"""Storage errors: a file that is not there, and a store that cannot be used right now."""

from __future__ import annotations

from core.errors import Igny8Error


class StorageError(Igny8Error):
    """The store failed. Retryable unless it refused the request (credentials, bucket, key)."""

    action = "retry"

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
        if not retryable:
            self.action = "fix_input"


class StorageNotFoundError(StorageError):
    """No object is stored under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Nothing is stored under {key!r}", retryable=False)
        self.key = key


class InvalidKeyError(StorageError):
    """The key is not a clean relative path (absolute, `..`, empty parts)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Not a valid storage key: {key!r}", retryable=False)
