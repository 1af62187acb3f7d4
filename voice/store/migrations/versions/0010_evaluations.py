"""QA evaluations: scorecards (sections, questions, weights) and the scores QA gives calls.

``scorecards`` holds each form and its current version, ``scorecard_versions`` the frozen
sections and questions of every version (JSON), ``evaluations`` one score of one call
against one version, with the call's agent and queue copied in for rollups.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create scorecards, scorecard_versions and evaluations."""
    op.create_table(
        "scorecards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scorecards"),
        sa.UniqueConstraint("name", name="uq_scorecards_name"),
    )
    op.create_table(
        "scorecard_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(["scorecard_id"], ["scorecards.id"],
                                name="fk_scorecard_versions_scorecard_id_scorecards"),
        sa.PrimaryKeyConstraint("id", name="pk_scorecard_versions"),
        sa.UniqueConstraint("scorecard_id", "version",
                            name="uq_scorecard_versions_scorecard_id_version"),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_version_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("evaluator", sa.String(100), nullable=False),
        sa.Column("agent", sa.String(100), nullable=True),
        sa.Column("queue", sa.String(100), nullable=True),
        sa.Column("call_started_at", TS, nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_evaluations_call_id_calls"),
        sa.ForeignKeyConstraint(["scorecard_id"], ["scorecards.id"],
                                name="fk_evaluations_scorecard_id_scorecards"),
        sa.ForeignKeyConstraint(["scorecard_version_id"], ["scorecard_versions.id"],
                                name="fk_evaluations_scorecard_version_id_scorecard_versions"),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
        sa.UniqueConstraint("call_id", "scorecard_id", "evaluator",
                            name="uq_evaluations_call_id_scorecard_id_evaluator"),
    )
    for column in ("call_id", "scorecard_id", "evaluator", "agent", "queue", "created_at"):
        op.create_index(f"ix_evaluations_{column}", "evaluations", [column])


def downgrade() -> None:
    """Drop the tables created by :func:`upgrade`."""
    op.drop_table("evaluations")
    op.drop_table("scorecard_versions")
    op.drop_table("scorecards")
