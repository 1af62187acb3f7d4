"""Alembic migrations on SQLite and PostgreSQL: they create the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from voice.store.db import create_db_engine
from voice.store.migrate import current_revision, head_revision, upgrade
from voice.store.models import Base, include_in_autogenerate

TABLES = {"flows", "flow_versions", "calls", "call_events"}


def test_fresh_database_has_no_revision(db_url: str) -> None:
    assert current_revision(db_url) is None


def test_upgrade_creates_the_tables(db_url: str) -> None:
    assert upgrade(db_url) == head_revision()

    engine = create_db_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()
    assert current_revision(db_url) == head_revision()


def test_upgrading_twice_changes_nothing(db_url: str) -> None:
    upgrade(db_url)
    engine = create_db_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO flows (id, name, created_at) VALUES ('main', 'Main', :now)"),
                {"now": "2025-01-01 00:00:00"},
            )
        assert upgrade(db_url) == head_revision()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM flows")).scalars().all() == ["main"]
    finally:
        engine.dispose()


def test_models_match_the_migrations(db_url: str) -> None:
    upgrade(db_url)
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": include_in_autogenerate})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'voice.db'}"
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
