"""Encryption of stored credentials (WordPress application passwords) with Fernet.

The Fernet key is derived with HKDF-SHA256 from IGNY8_SECRET_KEY. Without one, a random secret
is generated once into `<data_dir>/secret.key` (mode 0600) and reused, so the embedded default
works out of the box; production must set IGNY8_SECRET_KEY on every API and worker process
(core.config refuses to start without it under IGNY8_ENV=production).
"""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.config import get_settings
from core.errors import ValidationError

SECRET_FILE_NAME = "secret.key"
# Changing this label invalidates every stored credential: it is part of the key derivation.
_HKDF_INFO = b"igny8 stored credentials v1"


class DecryptionError(ValidationError):
    """A stored credential cannot be decrypted: the secret key changed since it was saved."""


def _secret_file(data_dir: Path) -> bytes:
    """The generated secret in the data folder, created (0600) on first use."""
    path = data_dir / SECRET_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: when two processes start at once, exactly one writes the file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    secret = path.read_bytes().strip()
    if not secret:
        raise DecryptionError(
            f"The secret key file {path} is empty: delete it or set IGNY8_SECRET_KEY"
        )
    return secret


def _secret() -> bytes:
    settings = get_settings()
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return _secret_file(settings.data_dir)


@lru_cache(maxsize=8)
def _fernet_for(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str) -> str:
    """The credential encrypted for storage (URL-safe text)."""
    return _fernet_for(_secret()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The stored credential in clear; DecryptionError when the key does not fit."""
    try:
        return _fernet_for(_secret()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError(
            "A stored credential cannot be decrypted: IGNY8_SECRET_KEY (or the data folder's "
            "secret.key) changed since it was saved. Restore the old key, or enter the "
            "WordPress application password again."
        ) from exc
