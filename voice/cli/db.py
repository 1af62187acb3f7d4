"""``voice db``: database schema commands (``upgrade``, ``current``).

Owns the operator's view of migrations: bring the configured database to the newest schema,
or show where it is. Works on SQLite and PostgreSQL alike; the URL comes from settings.
"""

from __future__ import annotations

import click

from voice.cli.common import load_settings_or_exit, reports_errors
from voice.store import migrate


@click.group()
def db() -> None:
    """Database schema: upgrade it or show its revision."""


@db.command()
@reports_errors
def upgrade() -> None:
    """Create or upgrade the database schema to the newest revision (safe to repeat)."""
    settings = load_settings_or_exit()
    revision = migrate.upgrade(settings.database_url)
    click.echo(f"Database {settings.database_url_redacted} is at revision {revision} (newest).")


@db.command()
@reports_errors
def current() -> None:
    """Show the schema revision of the configured database."""
    settings = load_settings_or_exit()
    revision = migrate.current_revision(settings.database_url)
    head = migrate.head_revision()
    where = settings.database_url_redacted
    if revision == head:
        click.echo(f"Database {where} is at revision {revision} (newest).")
    else:
        click.echo(
            f"Database {where} is at revision {revision or 'none'}; newest is {head}. "
            "Run 'voice db upgrade'."
        )
