"""Alembic environment for the voice schema.

Owns how Alembic connects when it runs: ``voice.store.migrate`` hands over an open connection
(the normal path, used by ``voice db upgrade`` and ``voice up``); the ``alembic`` command line
(``alembic -c voice/store/alembic.ini revision --autogenerate -m ...``) falls back to the
``sqlalchemy.url`` option or the configured VOICE_DATABASE_URL. SQLite runs in batch mode so
later revisions can alter columns there too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from voice.store.db import create_db_engine
from voice.store.models import Base, include_in_autogenerate

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from voice.settings import load_settings

    return load_settings().database_url


def run_migrations_online() -> None:
    """Run migrations on the given connection, or on a new engine for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_url())
    try:
        with engine.begin() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run 'voice db upgrade'")
run_migrations_online()
