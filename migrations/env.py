"""Alembic environment: the app's engine (core.db) and every SQLModel table (models)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from core.config import get_settings
from core.db import engine_for, immediate_transactions

config = context.config
target_metadata = SQLModel.metadata
# Serialises concurrent upgrades on PostgreSQL (several processes starting at once).
PG_LOCK_KEY = 0x1687_0001


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode recreates the table. Harmless elsewhere,
        # and it makes every generated revision run on both databases.
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
    )


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: print the SQL instead of running it."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK_KEY})
        context.run_migrations()


def run_migrations_online() -> None:
    """On the connection core.schema hands over, or on the settings' database (`alembic`)."""
    given: Connection | None = config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url
    # SQLite: BEGIN IMMEDIATE, so two processes upgrading at once queue instead of racing.
    with immediate_transactions(), engine_for(url).connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
