"""Agents (with the queues they answer and their state history), ACD queues and queue
entries, and agents' call dispositions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create agents, agent_queues, agent_sessions, queues, queue_entries, call_dispositions."""
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("extension", sa.String(32), nullable=True),
        sa.Column("contact_uri", sa.String(255), nullable=True),
        sa.Column("registered_contact", sa.String(255), nullable=True),
        sa.Column("twilio_identity", sa.String(100), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.String(100), nullable=True),
        sa.Column("state_since", TS, nullable=False),
        sa.Column("after_call", sa.String(16), nullable=True),
        sa.Column("after_call_reason", sa.String(100), nullable=True),
        sa.Column("call_id", sa.String(255), nullable=True),
        sa.Column("wrap_up_until", TS, nullable=True),
        sa.Column("idle_since", TS, nullable=True),
        sa.Column("last_offered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_agents_user_id_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
        sa.UniqueConstraint("name", name="uq_agents_name"),
        sa.UniqueConstraint("user_id", name="uq_agents_user_id"),
    )
    op.create_index("ix_agents_state", "agents", ["state"])
    op.create_index("ix_agents_call_id", "agents", ["call_id"])
    op.create_table(
        "agent_queues",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"],
                                name="fk_agent_queues_agent_id_agents", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("agent_id", "queue", name="pk_agent_queues"),
    )
    op.create_index("ix_agent_queues_queue", "agent_queues", ["queue"])
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("call_id", sa.String(255), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"],
                                name="fk_agent_sessions_agent_id_agents", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_agent_sessions"),
    )
    op.create_index("ix_agent_sessions_agent_id", "agent_sessions", ["agent_id"])
    op.create_index("ix_agent_sessions_started_at", "agent_sessions", ["started_at"])
    op.create_table(
        "queues",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("ring_timeout", sa.Integer(), nullable=False),
        sa.Column("wrap_up", sa.Integer(), nullable=False),
        sa.Column("max_wait", sa.Integer(), nullable=True),
        sa.Column("overflow", sa.String(100), nullable=True),
        sa.Column("service_level", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_queues"),
    )
    op.create_table(
        "queue_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("queue", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("from_number", sa.String(255), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("enqueued_at", TS, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", TS, nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("estimated_wait", sa.Float(), nullable=True),
        sa.Column("callback", sa.Boolean(), nullable=False),
        sa.Column("callback_number", sa.String(255), nullable=True),
        sa.Column("tried", sa.JSON(), nullable=False),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_queue_entries"),
    )
    for column in ("call_id", "queue", "status", "enqueued_at", "agent_id"):
        op.create_index(f"ix_queue_entries_{column}", "queue_entries", [column])
    op.create_table(
        "call_dispositions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("disposition", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_dispositions"),
    )
    op.create_index("ix_call_dispositions_call_id", "call_dispositions", ["call_id"])
    op.create_index("ix_call_dispositions_customer_id", "call_dispositions", ["customer_id"])


def downgrade() -> None:
    """Drop the tables created by :func:`upgrade`."""
    op.drop_table("call_dispositions")
    op.drop_table("queue_entries")
    op.drop_table("queues")
    op.drop_table("agent_sessions")
    op.drop_table("agent_queues")
    op.drop_table("agents")
