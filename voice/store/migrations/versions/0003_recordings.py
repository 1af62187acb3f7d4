"""Recordings: the audio files of calls (whole-call, two channels) and voicemails.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create recordings."""
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=True),
        sa.Column("queue", sa.String(100), nullable=True),
        sa.Column("agent", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_recordings_call_id_calls"),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.UniqueConstraint("source", "source_id", name="uq_recordings_source_source_id"),
        sa.UniqueConstraint("path", name="uq_recordings_path"),
    )
    op.create_index("ix_recordings_call_id", "recordings", ["call_id"])


def downgrade() -> None:
    """Drop recordings."""
    op.drop_index("ix_recordings_call_id", table_name="recordings")
    op.drop_table("recordings")
