"""Account → Site → Sector, and the API keys of an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, datetime_field, json_list_field


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    credits_balance: int = 0
    created_at: datetime = created_at_field()


class ApiKey(SQLModel, table=True):
    """An API key, stored as a SHA-256 hash; only `prefix` is ever shown again."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(default="default", max_length=200)
    prefix: str = Field(max_length=32)
    key_hash: str = Field(max_length=128, unique=True, index=True)
    scopes: list[str] = json_list_field()
    revoked: bool = False
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = datetime_field()


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(max_length=200)
    domain: str | None = Field(default=None, max_length=255)
    # WordPress connection. The application password is encrypted (core.crypto) and never
    # leaves the database in clear except inside the activity that calls WordPress.
    wp_url: str | None = Field(default=None, max_length=500)
    wp_username: str | None = Field(default=None, max_length=200)
    wp_app_password_encrypted: str | None = Field(default=None, max_length=2000)
    wp_last_sync_at: datetime | None = datetime_field()
    auto_publish: bool = False
    publish_status: str = Field(default="draft", max_length=20)  # draft | publish
    created_at: datetime = created_at_field()


class Sector(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=200)
    created_at: datetime = created_at_field()
