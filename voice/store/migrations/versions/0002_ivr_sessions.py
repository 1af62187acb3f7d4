"""IVR sessions: a live call's saved state between webhooks (Twilio) and across workers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ivr_sessions."""
    op.create_table(
        "ivr_sessions",
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.Text(), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("timers", sa.JSON(), nullable=False),
        sa.Column("adapter", sa.JSON(), nullable=False),
        sa.Column("queue", sa.String(100), nullable=True),
        sa.Column("queue_priority", sa.Integer(), nullable=True),
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_key", sa.String(255), nullable=True),
        sa.Column("last_reply", sa.Text(), nullable=True),
        sa.Column("ended", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"],
                                name="fk_ivr_sessions_call_id_calls", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id", name="pk_ivr_sessions"),
    )
    op.create_index("ix_ivr_sessions_queue", "ivr_sessions", ["queue"])


def downgrade() -> None:
    """Drop ivr_sessions."""
    op.drop_index("ix_ivr_sessions_queue", table_name="ivr_sessions")
    op.drop_table("ivr_sessions")
