"""Initial schema: flows, flow versions, calls and call events (the IVR path).

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables of the first release."""
    op.create_table(
        "flows",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flows"),
    )
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["flow_id"], ["flows.id"], name="fk_flow_versions_flow_id_flows"),
        sa.PrimaryKeyConstraint("id", name="pk_flow_versions"),
        sa.UniqueConstraint("flow_id", "version", name="uq_flow_versions_flow_id_version"),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=True),
        sa.Column("flow_sha256", sa.String(64), nullable=True),
        sa.Column("from_number", sa.String(255), nullable=False),
        sa.Column("to_number", sa.String(255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(100), nullable=True),
        sa.Column("simulated", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
    )
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("node", sa.String(100), nullable=False),
        sa.Column("node_type", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(100), nullable=True),
        sa.Column("input", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name="fk_call_events_call_id_calls",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_call_events"),
        sa.UniqueConstraint("call_id", "seq", name="uq_call_events_call_id_seq"),
    )


def downgrade() -> None:
    """Drop the tables of the first release."""
    op.drop_table("call_events")
    op.drop_index("ix_calls_started_at", table_name="calls")
    op.drop_table("calls")
    op.drop_table("flow_versions")
    op.drop_table("flows")
