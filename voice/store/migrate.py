"""Schema migrations: run Alembic programmatically against a database URL.

Owns where the migration scripts live (inside this package, so it works from any working
directory and from an installed wheel) and the three questions a process asks about the
schema: bring it up to date (:func:`upgrade`), which revision is it at
(:func:`current_revision`), and is it the one this code needs (:func:`check_schema`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from voice.store.db import create_db_engine
from voice.store.errors import SchemaOutdatedError

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at this package's scripts; ``connection`` is used if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Upgrade the database at ``url`` to ``revision``; return the revision it is at after.

    Running it on an up-to-date database changes nothing.
    """
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
        return _current(engine)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or None if it was never migrated."""
    engine = create_db_engine(url)
    try:
        return _current(engine)
    finally:
        engine.dispose()


@cache
def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise RuntimeError(f"no Alembic revisions found in {MIGRATIONS_DIR}")
    return head


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutdatedError` unless the database is at :func:`head_revision`."""
    current = _current(engine)
    if current != head_revision():
        raise SchemaOutdatedError(current, head_revision())


def _current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
