"""Persistence of the voice service: SQLAlchemy models, engines/sessions and Alembic migrations.

Owns the database schema (``models``), how engines are configured per backend (``db``: SQLite
in WAL mode or PostgreSQL via psycopg 3) and how the schema is brought up to date
(``migrate`` + ``migrations/``). It holds no engine or session of its own: the process's
composition root (``voice.compose``) creates one and passes it to the repositories.
"""

from __future__ import annotations
