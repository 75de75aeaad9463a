"""Database engine and sessions: SQLite by default, PostgreSQL through DATABASE_URL (psycopg)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from core.config import get_settings

# Set inside session_scope(): SQLite transactions begun there take the write lock up front.
_immediate: ContextVar[bool] = ContextVar("igny8_sqlite_immediate", default=False)


@lru_cache
def engine_for(url: str) -> Engine:
    """One engine per URL for the life of the process."""
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(eng, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API read while the worker writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            # With WAL, NORMAL syncs at checkpoints instead of at every commit: a process that
            # dies loses nothing (only a power cut can lose the last commits), and a writer's
            # commit costs no fsync, which is what bounds SQLite's items per second.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # We issue BEGIN ourselves (below); pysqlite's implicit BEGIN is deferred.
            dbapi_conn.isolation_level = None

        @event.listens_for(eng, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # A deferred transaction that reads and then writes fails at once with "database is
            # locked" when another writer committed in between (busy_timeout cannot help).
            # Write sessions (session_scope) BEGIN IMMEDIATE so writers queue instead; other
            # sessions (the API's request sessions) stay deferred so reads never block.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")

        return eng
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def get_engine() -> Engine:
    settings = get_settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return engine_for(settings.sqlalchemy_url)


def init_db(engine: Engine | None = None) -> None:
    """Make sure the schema is current before serving: the embedded default (no DATABASE_URL)
    upgrades itself; a configured database must be upgraded by `igny8 db upgrade` first."""
    from core.schema import ensure_current, upgrade

    engine = engine or get_engine()
    if get_settings().database_url:
        ensure_current(engine)
    else:
        upgrade(engine)


@contextmanager
def immediate_transactions() -> Iterator[None]:
    """SQLite transactions begun inside take the write lock up front (BEGIN IMMEDIATE)."""
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reading: on SQLite its transaction stays deferred, so it never takes (or
    waits for) the write lock. Write through session_scope()."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A write session: commits on success, rolls back on error."""
    with immediate_transactions(), Session(engine or get_engine(), expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
