"""The database schema's version (Alembic, revisions in migrations/): upgrade, check, compare."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import migrations
from core.db import immediate_transactions
from core.errors import SchemaOutOfDateError

log = logging.getLogger("igny8.db")
# Alembic's own INFO lines ("Context impl SQLiteImpl") say nothing an operator needs; upgrade()
# logs what changed.
logging.getLogger("alembic").setLevel(logging.WARNING)
MIGRATIONS_DIR = Path(migrations.__file__).resolve().parent
# The first revision: today's schema as create_all made it before migrations existed.
BASELINE = "0001_baseline"
UPGRADE_HINT = "run `igny8 db upgrade` (with the same DATABASE_URL) and start again"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config for igny8's migrations, bound to a connection when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The revision this code needs."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "migrations/versions holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never upgraded)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _made_before_migrations(conn: Connection) -> bool:
    """Tables from create_all but no version table: a database from before Alembic."""
    tables = set(inspect(conn).get_table_names())
    return "alembic_version" not in tables and "account" in tables


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to `revision` in one transaction; returns (before, after). A database made by
    create_all before migrations existed is adopted as the baseline first."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Batch mode recreates SQLite tables; with foreign keys enforced, dropping a table
            # others refer to would fail. The pragma only takes effect outside a transaction,
            # so it goes straight to the driver; the keys are checked before committing.
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with immediate_transactions(), conn.begin():
                before = MigrationContext.configure(conn).get_current_revision()
                cfg = alembic_config(conn)
                if before is None and _made_before_migrations(conn):
                    command.stamp(cfg, BASELINE)
                command.upgrade(cfg, revision)
                after = MigrationContext.configure(conn).get_current_revision()
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the upgrade left rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    if before != after:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    return before, after


def ensure_current(engine: Engine) -> None:
    """Refuse to go on unless the database is at the head revision."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    state = "has no igny8 schema yet" if current is None else f"is at revision {current}"
    raise SchemaOutOfDateError(
        f"The database {where} {state}; this igny8 needs revision {head}: {UPGRADE_HINT}",
        details={"current": current, "head": head},
    )


def differences(engine: Engine) -> list[Any]:
    """What the models have that the database lacks, or the other way round (empty: in step)."""
    import models  # noqa: F401  (registers every table on SQLModel.metadata)

    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(ctx, SQLModel.metadata))
