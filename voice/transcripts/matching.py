"""Full-text matching of transcript segments, the one place that knows both databases' forms.

SQLite searches the FTS5 table ``transcript_segments_fts`` (its rowid is the segment id);
PostgreSQL the GIN index on ``to_tsvector('simple', text)`` (migration 0005; 'simple': no
language-specific stemming, so any model's language works). A segment matches when it
contains every word. Used by transcript search (:mod:`voice.transcripts.store`) and the QA
recordings list (:mod:`voice.qa.archive`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text

from voice.store.models import TranscriptSegment

#: SQLite: the ids of the segments matching ``:match`` (an :func:`fts_match` expression)
FTS_ROWIDS_SQL = ("SELECT rowid FROM transcript_segments_fts WHERE transcript_segments_fts "
                  "MATCH :match")


def fts_rowids(words: list[str]) -> TextClause:
    """SQLite: the ids of the segments containing every one of ``words`` (for ``IN``)."""
    return text(FTS_ROWIDS_SQL).bindparams(match=fts_match(words))


def fts_match(words: list[str]) -> str:
    """An FTS5 MATCH expression: every word, each quoted (no FTS5 syntax gets through)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def segment_match(words: list[str], dialect: str, *, probe: bool = False) -> Any:
    """A WHERE clause: the transcript segment contains every one of ``words``.

    ``probe`` (SQLite): ask FTS5 about each segment by its rowid instead of listing every
    match first; the cheaper form for the few segments of one page.
    """
    if dialect == "sqlite" and probe:
        return text("EXISTS (SELECT 1 FROM transcript_segments_fts WHERE "
                    "transcript_segments_fts.rowid = transcript_segments.id AND "
                    "transcript_segments_fts MATCH :match)").bindparams(match=fts_match(words))
    if dialect == "sqlite":
        return TranscriptSegment.id.in_(fts_rowids(words))
    return text("to_tsvector('simple', transcript_segments.text) @@ "
                "plainto_tsquery('simple', :query)").bindparams(query=" ".join(words))
