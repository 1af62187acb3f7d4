"""Database engines and sessions, configured per backend.

Owns how a database URL becomes a SQLAlchemy engine: SQLite gets WAL journaling (readers never
block the writer), foreign keys on and a busy timeout so concurrent writers wait instead of
failing; PostgreSQL gets a connect timeout and pre-ping so a restarted server is noticed. Also
owns the liveness check used by ``/healthz``. It never creates an engine on its own: callers
(the composition root, migrations, tests) call :func:`create_db_engine` and dispose of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from voice.store.errors import DatabaseUnavailableError

SQLITE_BUSY_TIMEOUT_S = 30
PG_CONNECT_TIMEOUT_S = 5


def create_db_engine(url: str) -> Engine:
    """Create an engine for ``sqlite:///PATH`` or ``postgresql+psycopg://...`` URLs.

    For SQLite the database file's directory is created if missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    return create_engine(
        parsed,
        pool_pre_ping=True,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def check_database(engine: Engine) -> None:
    """Raise :class:`DatabaseUnavailableError` unless the database answers a query.

    For SQLite it also checks that the database file still exists: a pooled connection to a
    deleted file keeps answering while every write silently goes nowhere.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_file():
            raise DatabaseUnavailableError(
                f"SQLite database file {path} is missing (was the data directory removed?); "
                "restore it or run 'voice db upgrade' to create a new one"
            )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailableError(describe_db_error(engine, exc)) from exc


def describe_db_error(engine: Engine, exc: SQLAlchemyError) -> str:
    """A one-line, password-free description of a database error for users and /healthz."""
    original: Any = getattr(exc, "orig", None) or exc
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else repr(exc)
    where = engine.url.render_as_string(hide_password=True)
    return f"cannot use database {where}: {first_line}"


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        # Safe with WAL: a power loss may drop the last commits but never corrupts the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
