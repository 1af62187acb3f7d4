"""Flow drafts saved from the web editor (one per flow), before they are published.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create flow_drafts."""
    op.create_table(
        "flow_drafts",
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("saved_at", TS, nullable=False),
        sa.Column("saved_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", name="pk_flow_drafts"),
    )


def downgrade() -> None:
    """Drop the table created by :func:`upgrade`."""
    op.drop_table("flow_drafts")
