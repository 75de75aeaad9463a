"""Accounts and their API keys.

A key reads `igny8_<prefix>_<secret>`. Only its SHA-256 hash and the prefix are stored: the
key itself is shown once, when it is made, and cannot be recovered afterwards.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import ConflictError, NotFoundError, ValidationError
from models import Account, ApiKey
from services import credits

KEY_PATTERN = re.compile(r"^igny8_([0-9a-f]{8})_[A-Za-z0-9_-]{20,100}$")
# Writing last_used_at on every request would make every read a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def generate_key() -> tuple[str, str]:
    """A new (key, prefix)."""
    prefix = secrets.token_hex(4)
    return f"igny8_{prefix}_{secrets.token_urlsafe(32)}", prefix


def create_api_key(session: Session, account_id: int, name: str = "default") -> tuple[ApiKey, str]:
    """Make a key for the account; returns the row and the key (shown once). Not committed."""
    raw, prefix = generate_key()
    row = ApiKey(account_id=account_id, name=name, prefix=prefix, key_hash=hash_key(raw))
    session.add(row)
    session.flush()
    return row, raw


def create_account(session: Session, name: str, signup_credits: int) -> tuple[Account, str]:
    """An account with its first API key and signup credits. Not committed."""
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("An account name has 1 to 200 characters")
    if signup_credits < 0:
        raise ValidationError("Signup credits cannot be negative")
    account = Account(name=name)
    session.add(account)
    session.flush()
    assert account.id is not None
    if signup_credits:
        credits.top_up(
            session, account.id, signup_credits, f"signup:{account.id}", reference="signup credits"
        )
        session.refresh(account)
    _, raw = create_api_key(session, account.id)
    return account, raw


def authenticate(session: Session, raw_key: str) -> tuple[Account, ApiKey] | None:
    """The account and key a raw key stands for; None for a malformed, unknown or revoked key.
    Reads only: call `record_use` afterwards, outside any write session."""
    if not KEY_PATTERN.match(raw_key):
        return None
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(raw_key))).first()
    if key is None or key.revoked:
        return None
    account = session.get(Account, key.account_id)
    return (account, key) if account is not None else None


def record_use(key: ApiKey) -> None:
    """Note when the key was last used (at most once a minute), in a short write of its own."""
    now = datetime.now(UTC)
    last = key.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite hands back naive datetimes
        last = last.replace(tzinfo=UTC)
    if last is None or now - last > LAST_USED_RESOLUTION:
        with session_scope() as writer:
            writer.execute(update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now))


def list_api_keys(session: Session, account_id: int) -> list[ApiKey]:
    return list(
        session.exec(
            select(ApiKey).where(ApiKey.account_id == account_id).order_by(col(ApiKey.id))
        ).all()
    )


def revoke_api_key(session: Session, account_id: int, key_id: int) -> ApiKey:
    """Revoke one of the account's keys (not committed)."""
    key = session.get(ApiKey, key_id)
    if key is None or key.account_id != account_id:
        raise NotFoundError(f"API key {key_id} not found")
    if not key.revoked and not any(
        k.id != key.id and not k.revoked for k in list_api_keys(session, account_id)
    ):
        raise ConflictError("This is the account's last active key: create another one first")
    key.revoked = True
    session.add(key)
    return key
