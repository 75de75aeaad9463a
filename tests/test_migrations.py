"""Alembic migrations: an empty database upgrades to exactly the models, a baseline database with
data in it upgrades without losing any, and an out-of-date schema stops the API with what to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from api.main import create_app
from core.config import get_settings
from core.db import engine_for, init_db, session_scope
from core.errors import SchemaOutOfDateError
from core.schema import BASELINE, current_revision, differences, head_revision, upgrade
from models import Account, AutomationRun, Keyword, Site


@pytest.fixture
def point_settings_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Switch the process settings to another database for one test."""

    def switch(url: str | None, data_dir: Path | None = None) -> None:
        if url is None:
            monkeypatch.delenv("DATABASE_URL", raising=False)
        else:
            monkeypatch.setenv("DATABASE_URL", url)
        if data_dir is not None:
            monkeypatch.setenv("IGNY8_DATA_DIR", str(data_dir))
        get_settings.cache_clear()

    yield switch
    monkeypatch.undo()
    get_settings.cache_clear()


def _seed(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        account = Account(name="Migrated agency", credits_balance=1234)
        s.add(account)
        s.flush()
        site = Site(account_id=account.id, name="Migrated site", domain="migrated.test")
        s.add(site)
        s.flush()
        for i, word in enumerate(("trail shoes", "road shoes", "running socks")):
            s.add(
                Keyword(
                    account_id=account.id,
                    site_id=site.id,
                    text=word,
                    normalized=word,
                    volume=100 * (i + 1),
                    status="new",
                )
            )
        s.add(
            AutomationRun(
                id="run-migrated",
                account_id=account.id,
                site_id=site.id,
                status="completed",
                stages=[1, 2, 3],
                stage_results={"1": {"keywords": 3, "clusters": 1}},
            )
        )
        return account.id, site.id  # type: ignore[return-value]


def _index_names(engine, table: str) -> set[str | None]:  # type: ignore[no-untyped-def]
    return {index["name"] for index in inspect(engine).get_indexes(table)}


def test_an_empty_database_upgrades_to_exactly_the_models(new_database: str) -> None:
    engine = engine_for(new_database)
    assert current_revision(engine) is None
    before, after = upgrade(engine)
    assert (before, after) == (None, head_revision())
    assert differences(engine) == []  # what `alembic check` / `igny8 db check` compare
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    # Upgrading again changes nothing.
    assert upgrade(engine) == (head_revision(), head_revision())


def test_the_partial_unique_index_holds_after_migrations(new_database: str) -> None:
    engine = engine_for(new_database)
    upgrade(engine)
    account_id, site_id = _seed(engine)
    with session_scope(engine) as s:
        s.add(AutomationRun(id="run-a", account_id=account_id, site_id=site_id, status="running"))
    # A finished run beside an active one is fine; a second active run is refused.
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(AutomationRun(id="run-b", account_id=account_id, site_id=site_id, status="paused"))


def test_a_baseline_database_with_data_upgrades_to_head_intact(new_database: str) -> None:
    engine = engine_for(new_database)
    upgrade(engine, BASELINE)
    assert current_revision(engine) == BASELINE
    assert "ix_keyword_site_status" not in _index_names(engine, "keyword")
    account_id, site_id = _seed(engine)

    before, after = upgrade(engine)

    assert (before, after) == (BASELINE, head_revision())
    assert differences(engine) == []
    assert "ix_keyword_site_status" in _index_names(engine, "keyword")
    with Session(engine) as s:
        account = s.get(Account, account_id)
        assert account is not None and account.credits_balance == 1234
        words = s.exec(select(Keyword.text).where(Keyword.site_id == site_id)).all()
        assert sorted(words) == ["road shoes", "running socks", "trail shoes"]
        run = s.get(AutomationRun, "run-migrated")
        assert run is not None and run.stages == [1, 2, 3]
        assert run.stage_results == {"1": {"keywords": 3, "clusters": 1}}


def test_a_database_made_before_migrations_is_adopted(new_database: str) -> None:
    engine = engine_for(new_database)
    # What create_all made before migrations existed is the baseline, without Alembic's table.
    upgrade(engine, BASELINE)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    _seed(engine)

    before, after = upgrade(engine)

    assert (before, after) == (None, head_revision())
    assert differences(engine) == []
    with Session(engine) as s:
        assert len(s.exec(select(Keyword)).all()) == 3


def test_the_api_refuses_an_out_of_date_schema(new_database: str, point_settings_at) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(new_database)
    upgrade(engine, BASELINE)
    point_settings_at(new_database)

    with pytest.raises(SchemaOutOfDateError) as caught:
        init_db()
    assert "igny8 db upgrade" in caught.value.message
    assert BASELINE in caught.value.message and head_revision() in caught.value.message

    app = create_app()
    with pytest.raises(SchemaOutOfDateError, match="igny8 db upgrade"), TestClient(app):
        pass
    assert current_revision(engine) == BASELINE  # refused, not silently upgraded


def test_the_embedded_default_upgrades_itself(tmp_path: Path, point_settings_at) -> None:  # type: ignore[no-untyped-def]
    point_settings_at(None, tmp_path)
    init_db()
    engine = engine_for(get_settings().sqlalchemy_url)
    assert get_settings().sqlalchemy_url.endswith(str(tmp_path / "igny8.db"))
    assert current_revision(engine) == head_revision()
    engine.dispose()
