"""Transcripts, their segments (full-text searchable), transcription jobs; recording
retention and encryption columns.

Full-text search: on SQLite an FTS5 table ``transcript_segments_fts`` over the segments'
text (external content, kept in step by triggers); on PostgreSQL a GIN index on
``to_tsvector('simple', text)`` ('simple': no language-specific stemming, so any model's
language works).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE transcript_segments_fts USING fts5("
    "text, content='transcript_segments', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER transcript_segments_ai AFTER INSERT ON transcript_segments BEGIN "
    "INSERT INTO transcript_segments_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER transcript_segments_ad AFTER DELETE ON transcript_segments BEGIN "
    "INSERT INTO transcript_segments_fts(transcript_segments_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER transcript_segments_au AFTER UPDATE ON transcript_segments BEGIN "
    "INSERT INTO transcript_segments_fts(transcript_segments_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO transcript_segments_fts(rowid, text) VALUES (new.id, new.text); END",
)
PG_FTS = ("CREATE INDEX ix_transcript_segments_fts ON transcript_segments "
          "USING gin (to_tsvector('simple', text))")


def upgrade() -> None:
    """Create transcripts, transcript_segments (+ search index), transcription_jobs."""
    with op.batch_alter_table("recordings") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("wrapped_key", sa.Text(), nullable=True))
        batch.create_index("ix_recordings_expires_at", ["expires_at"])
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("processing_s", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE",
                                name="fk_transcripts_recording_id_recordings"),
        sa.PrimaryKeyConstraint("id", name="pk_transcripts"),
        sa.UniqueConstraint("recording_id", name="uq_transcripts_recording_id"),
    )
    op.create_index("ix_transcripts_call_id", "transcripts", ["call_id"])
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transcript_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(16), nullable=False),
        sa.Column("start_s", sa.Float(), nullable=False),
        sa.Column("end_s", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("words", sa.JSON(), nullable=True),
        sa.Column("node", sa.String(100), nullable=True),
        sa.Column("phase", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(["transcript_id"], ["transcripts.id"], ondelete="CASCADE",
                                name="fk_transcript_segments_transcript_id_transcripts"),
        sa.PrimaryKeyConstraint("id", name="pk_transcript_segments"),
    )
    op.create_index("ix_transcript_segments_transcript_id", "transcript_segments",
                    ["transcript_id"])
    op.create_index("ix_transcript_segments_call_id", "transcript_segments", ["call_id"])
    op.create_table(
        "transcription_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"], ondelete="CASCADE",
                                name="fk_transcription_jobs_recording_id_recordings"),
        sa.PrimaryKeyConstraint("id", name="pk_transcription_jobs"),
        sa.UniqueConstraint("recording_id", name="uq_transcription_jobs_recording_id"),
    )
    op.create_index("ix_transcription_jobs_state", "transcription_jobs", ["state"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else (PG_FTS,):
        op.execute(statement)


def downgrade() -> None:
    """Drop what upgrade() created."""
    if op.get_bind().dialect.name == "sqlite":
        for name in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS transcript_segments_{name}")
        op.execute("DROP TABLE IF EXISTS transcript_segments_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_transcript_segments_fts")
    op.drop_index("ix_transcription_jobs_state", table_name="transcription_jobs")
    op.drop_table("transcription_jobs")
    op.drop_index("ix_transcript_segments_call_id", table_name="transcript_segments")
    op.drop_index("ix_transcript_segments_transcript_id", table_name="transcript_segments")
    op.drop_table("transcript_segments")
    op.drop_index("ix_transcripts_call_id", table_name="transcripts")
    op.drop_table("transcripts")
    with op.batch_alter_table("recordings") as batch:
        batch.drop_index("ix_recordings_expires_at")
        batch.drop_column("wrapped_key")
        batch.drop_column("expires_at")
