"""Indexes and statistics the QA recordings list and its filters need on a large archive.

The list (``voice.qa.archive``) walks ``calls`` newest first along ``ix_calls_started_at``
and finds each call's recordings by ``ix_recordings_call_id``, all older indexes. This
revision adds:

* ``ix_calls_from_number``: the caller-number filter finds a caller's few calls directly
  instead of walking;
* ``ix_call_events_authenticate`` (partial: ``node_type = 'authenticate'``): the "verified"
  filter and column read a small index of authentication visits, not every IVR step;
* on PostgreSQL, extended statistics on ``call_events (node_type, outcome)``: the two are
  strongly dependent ("verified" is only ever an authenticate outcome), and the planner,
  assuming independence, guessed 1,700 verified calls where there were 27,000 in 100,000
  and chose nested loops that took seconds.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTHENTICATE = sa.text("node_type = 'authenticate'")


def upgrade() -> None:
    """Index calls by the caller's number and authentication visits by call."""
    op.create_index("ix_calls_from_number", "calls", ["from_number"])
    op.create_index("ix_call_events_authenticate", "call_events", ["call_id", "outcome"],
                    postgresql_where=AUTHENTICATE, sqlite_where=AUTHENTICATE)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS st_call_events_node_type_outcome (dependencies, mcv) "
                   "ON node_type, outcome FROM call_events")


def downgrade() -> None:
    """Undo :func:`upgrade`."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_call_events_node_type_outcome")
    op.drop_index("ix_call_events_authenticate", table_name="call_events")
    op.drop_index("ix_calls_from_number", table_name="calls")
