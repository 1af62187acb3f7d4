"""The QA recordings list: filtered, searchable, paginated, fast on a large archive.

Owns :func:`list_recordings`, the one query behind ``/qa/recordings``. A row is a recording
(a whole call or a voicemail) with its call. Rows are ordered newest call first (``calls.
started_at`` descending, then the recording id) and paginated with a keyset cursor
(:class:`Cursor`: the last row of a page), so page 500 costs what page 1 costs; there are no
page numbers to jump to, only "older" and "newer".

Filters (all optional, combined with AND): the call's start ``[since, until)``, its flow,
the recording's queue and agent, the caller's number (exact after removing spaces, dashes,
dots and brackets; ``5551234`` also finds ``+5551234``), the recording's length in seconds
``[min_duration, max_duration]``, whether the caller was verified (an ``authenticate`` visit
of the call's IVR path ended ``verified``; "not verified" is every other call, asked or
not), and ``query``: words that must all occur in one transcript segment (SQLite FTS5 /
PostgreSQL ``to_tsvector('simple', ...)``, as :meth:`voice.transcripts.store.TranscriptStore.
search` does). With a query each row carries its first matching segment as a snippet (the
matched words marked) and the second to listen from.

Indexes: the list walks ``ix_calls_started_at`` newest first and finds each call's
recordings by ``ix_recordings_call_id`` and its ``authenticate`` visits by the ``(call_id,
seq)`` unique index of ``call_events``; a caller's calls come from ``ix_calls_from_number``
(migration 0012). Plans and their costs at 100,000 calls: ``bench/qa_archive.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from voice.customers.records import normalise_phone
from voice.qa.errors import ArchiveFilterError
from voice.store.models import Call, CallEvent, Recording, Transcript, TranscriptSegment
from voice.transcripts.matching import FTS_ROWIDS_SQL, fts_match, fts_rowids, segment_match
from voice.transcripts.store import narrow_recordings

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
#: at most this many rows are counted; more shows as "more than ..."
COUNT_CAP = 1000
MAX_QUERY_WORDS = 8
#: SQLite: a search matching at most this many segments starts from the full-text index
FEW_HITS = 2000
#: PostgreSQL: a search whose rarest word the planner expects in at most this many segments
#: starts from the matches (sorting 40,000 matches costs what a walk costs to fill a page)
PG_FEW_HITS = 40_000
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Cursor:
    """A position in the list: the call start and recording id of a row."""

    started_at: datetime
    recording_id: int

    def encode(self) -> str:
        """The cursor as a URL parameter value: ``<ISO time>~<recording id>``."""
        return f"{self.started_at.isoformat()}~{self.recording_id}"

    @classmethod
    def decode(cls, raw: str, name: str) -> Cursor:
        """A cursor from :meth:`encode`'s form; ``name`` is the parameter, for the error."""
        # a '+' typed or pasted unencoded into a URL arrives as a space
        moment, _, number = raw.strip().replace(" ", "+").partition("~")
        try:
            started = datetime.fromisoformat(moment)
        except ValueError:
            started = None
        if started is None or started.tzinfo is None or not number.isdigit():
            raise ArchiveFilterError(name, f"{name} '{raw}' is not a list position; use the "
                                     "Older/Newer links of the list instead of typing one")
        return cls(started, int(number))


@dataclass(frozen=True)
class ArchiveFilters:
    """What the list is narrowed to (None: not filtered on that)."""

    since: datetime | None = None
    until: datetime | None = None
    flow: str | None = None
    queue: str | None = None
    agent: str | None = None
    caller: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    verified: bool | None = None
    query: str | None = None

    def words(self) -> list[str]:
        """The words of ``query`` a search looks for (at most :data:`MAX_QUERY_WORDS`)."""
        return query_words(self.query)


@dataclass(frozen=True)
class ArchiveRow:
    """One recording in the list, with what QA filters and sorts by."""

    recording_id: int
    call_id: str
    kind: str
    started_at: datetime
    from_number: str
    flow_id: str
    queue: str | None
    agent: str | None
    duration_s: float
    outcome: str | None
    auth: str | None = None
    #: with a search: the first matching segment as (text, matched) parts, and its start
    snippet: list[tuple[str, bool]] = field(default_factory=list)
    snippet_speaker: str | None = None
    snippet_at: float | None = None

    @property
    def cursor(self) -> Cursor:
        """This row's position."""
        return Cursor(self.started_at, self.recording_id)


@dataclass(frozen=True)
class ArchivePage:
    """A page of rows and the cursors of the pages next to it (None: no such page)."""

    rows: list[ArchiveRow]
    older: Cursor | None
    newer: Cursor | None
    #: rows matching the filters, counted up to :data:`COUNT_CAP` + 1 (None: not counted)
    total: int | None = None

    @property
    def total_capped(self) -> bool:
        """Whether there are more matches than were counted."""
        return self.total is not None and self.total > COUNT_CAP


def query_words(query: str | None) -> list[str]:
    """The searchable words of ``query`` (letters and digits; punctuation dropped)."""
    return _WORD.findall(query or "")[:MAX_QUERY_WORDS]


def caller_variants(raw: str) -> list[str]:
    """The stored forms a typed caller number can have: as typed without spaces, dashes,
    dots and brackets, with and without a leading ``+``."""
    number = normalise_phone(raw)
    if not number:
        return []
    bare = number.lstrip("+")
    return [bare, f"+{bare}"] if bare else [number]


def list_recordings(session: Session, filters: ArchiveFilters, *, before: Cursor | None = None,
                    after: Cursor | None = None, size: int = DEFAULT_PAGE_SIZE,
                    count: bool = True) -> ArchivePage:
    """One page of recordings matching ``filters``: older than ``before``, or (for the
    "newer" link) the ``size`` rows just newer than ``after``; else the newest."""
    if size not in PAGE_SIZES:
        raise ArchiveFilterError("size", f"page size {size} is not offered; use one of "
                                 f"{', '.join(map(str, PAGE_SIZES))}")
    dialect = session.get_bind().dialect.name
    words = filters.words()
    plan = _plan(session, words, dialect)
    base = _filtered(select(Recording.id, Recording.call_id, Recording.kind, Call.started_at,
                            Call.from_number, Call.flow_id, Recording.queue, Recording.agent,
                            Recording.duration_s, Call.outcome), filters, dialect, plan)
    newest_first = after is None
    statement = base
    # PostgreSQL, first page of a search from its matches: the sort sees every match anyway,
    # so it counts them in the same pass (a second query would redo the whole search)
    counted_here = (count and words and plan == "hits" and dialect == "postgresql"
                    and before is None and after is None)
    if counted_here:
        statement = statement.add_columns(func.count().over())
    # the plain bound lets the plan seek the time index to the cursor instead of walking
    # there from the newest call (the OR alone is not used as an index range)
    if before is not None:
        statement = statement.where(Call.started_at <= before.started_at, or_(
            Call.started_at < before.started_at,
            and_(Call.started_at == before.started_at, Recording.id < before.recording_id)))
    if after is not None:
        statement = statement.where(Call.started_at >= after.started_at, or_(
            Call.started_at > after.started_at,
            and_(Call.started_at == after.started_at, Recording.id > after.recording_id)))
    order = (Call.started_at.desc(), Recording.id.desc()) if newest_first \
        else (Call.started_at.asc(), Recording.id.asc())
    found = session.execute(statement.order_by(*order).limit(size + 1)).all()
    more = len(found) > size
    found = found[:size]
    if not newest_first:
        found.reverse()
    rows = [ArchiveRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9])
            for r in found]
    rows = _with_auth(session, rows)
    if words and rows:
        rows = _with_snippets(session, rows, words, dialect)
    if newest_first:
        older = rows[-1].cursor if more and rows else None
        newer = rows[0].cursor if before is not None and rows else None
    else:
        older = rows[-1].cursor if rows else None
        newer = rows[0].cursor if more and rows else None
    total = None
    if counted_here:
        total = min(found[0][-1], COUNT_CAP + 1) if found else 0
    elif count and not (words and plan == "walk"):  # a search that walks is not counted
        capped = base.limit(COUNT_CAP + 1).subquery()
        total = session.scalar(select(func.count()).select_from(capped))
    return ArchivePage(rows, older, newer, total)


def _plan(session: Session, words: list[str], dialect: str) -> str:
    """How the list query reaches its rows (see :func:`_filtered`): ``walk`` the calls
    newest first, or start from the transcript segments that match (``hits``).

    A search walks when its words are common: a page then fills after a few hundred calls,
    while sorting every match would cost more. On SQLite "common" is more than
    :data:`FEW_HITS` matching segments, counted in FTS5. On PostgreSQL it is the planner's
    estimate for the rarest word (its statistics of the full-text index), more than
    :data:`PG_FEW_HITS`: a word it has no statistics for is rare, and a rare word is
    cheap to start from whatever the estimate, whereas left to itself the planner walks the
    whole archive for a word said nowhere.
    """
    if not words:
        return "walk"
    if dialect != "sqlite":
        rarest = min(_expected_segments(session, word) for word in words)
        return "hits" if rarest <= PG_FEW_HITS else "walk"
    hits = session.scalar(text(f"SELECT count(*) FROM ({FTS_ROWIDS_SQL} LIMIT :cap)")
                          .bindparams(match=fts_match(words), cap=FEW_HITS + 1)) or 0
    return "hits" if hits <= FEW_HITS else "walk"


def _expected_segments(session: Session, word: str) -> int:
    """PostgreSQL: the planner's estimate of the transcript segments containing ``word``."""
    plan = session.scalar(text(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM transcript_segments WHERE "
        "to_tsvector('simple', transcript_segments.text) @@ plainto_tsquery('simple', :word)"
    ).bindparams(word=word))
    return int(plan[0]["Plan"]["Plan Rows"])


def _filtered(statement: Select[Any], filters: ArchiveFilters, dialect: str,
              plan: str) -> Select[Any]:
    """``statement`` over recordings joined to their calls, narrowed by ``filters``.

    To ``walk`` on SQLite the join is written ``+calls.id = ...``: the unary ``+`` keeps
    SQLite from looking calls up by id, which it prefers without ANALYZE statistics, sorting
    every recording of the archive to show 50; so the plan walks ``ix_calls_started_at``
    newest first and stops after a page. A search that walks joins the segments and keeps
    distinct recordings; the matching segment ids are listed once from FTS5 and each
    segment's id is tested against that list (``+`` again: SQLite would otherwise loop over
    the whole list for every segment). ``hits`` starts from the matches: on SQLite the
    planner does so by itself; on PostgreSQL the matching transcripts are a ``MATERIALIZED``
    CTE, since the planner, trusting its low default estimate for a rare word, would
    otherwise walk every call computing ``to_tsvector`` for each segment.
    """
    walk = dialect == "sqlite" and plan == "walk"
    joined = (literal_column("+calls.id") if walk else Call.id) == Recording.call_id
    statement = narrow_recordings(
        statement.select_from(Call).join(Recording, joined), since=filters.since,
        until=filters.until, flow=filters.flow, queue=filters.queue, agent=filters.agent)
    if filters.caller:
        statement = statement.where(Call.from_number.in_(caller_variants(filters.caller)))
    if filters.min_duration is not None:
        statement = statement.where(Recording.duration_s >= filters.min_duration)
    if filters.max_duration is not None:
        statement = statement.where(Recording.duration_s <= filters.max_duration)
    if filters.verified is not None:
        verified = exists().where(CallEvent.call_id == Call.id,
                                  CallEvent.node_type == "authenticate",
                                  CallEvent.outcome == "verified")
        statement = statement.where(verified if filters.verified else ~verified)
    words = filters.words()
    if words and walk:
        statement = statement.join(Transcript, Transcript.recording_id == Recording.id) \
            .join(TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id) \
            .where(literal_column("+transcript_segments.id").in_(fts_rowids(words))) \
            .distinct()
    elif words and dialect == "postgresql" and plan == "hits":
        matched = select(TranscriptSegment.transcript_id).where(
            segment_match(words, dialect)).distinct().cte("matched").prefix_with(
                "MATERIALIZED")
        statement = statement.join(Transcript, Transcript.recording_id == Recording.id) \
            .join(matched, matched.c.transcript_id == Transcript.id)
    elif words:
        statement = statement.where(Recording.id.in_(
            select(Transcript.recording_id)
            .join(TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id)
            .where(segment_match(words, dialect))))
    return statement


def _with_auth(session: Session, rows: list[ArchiveRow]) -> list[ArchiveRow]:
    """The rows with the outcome of their call's last finished ``authenticate`` visit (one
    the caller hung up in has no outcome), as the call page and the screen pop tell it."""
    if not rows:
        return rows
    found = session.execute(
        select(CallEvent.call_id, CallEvent.outcome)
        .where(CallEvent.call_id.in_({r.call_id for r in rows}),
               CallEvent.node_type == "authenticate", CallEvent.outcome.is_not(None))
        .order_by(CallEvent.call_id, CallEvent.seq)).all()
    outcome = {call_id: result for call_id, result in found}  # the last visit wins
    return [replace(r, auth=outcome.get(r.call_id)) for r in rows]


def _with_snippets(session: Session, rows: list[ArchiveRow], words: list[str],
                   dialect: str) -> list[ArchiveRow]:
    """The rows with the first segment of their transcript matching ``words``."""
    found = session.execute(
        select(Transcript.recording_id, TranscriptSegment.start_s, TranscriptSegment.speaker,
               TranscriptSegment.text)
        .join(TranscriptSegment, TranscriptSegment.transcript_id == Transcript.id)
        .where(Transcript.recording_id.in_({r.recording_id for r in rows}),
               segment_match(words, dialect, probe=True))
        .order_by(Transcript.recording_id, TranscriptSegment.start_s.desc())).all()
    first = {recording_id: (start, speaker, said)
             for recording_id, start, speaker, said in found}  # earliest start wins
    result = []
    for row in rows:
        hit = first.get(row.recording_id)
        if hit is None:
            result.append(row)
            continue
        start, speaker, said = hit
        result.append(replace(row, snippet=mark_words(said, words), snippet_speaker=speaker,
                               snippet_at=start))
    return result


def mark_words(said: str, words: list[str]) -> list[tuple[str, bool]]:
    """``said`` cut into parts, each flagged when it is one of ``words`` (any case)."""
    wanted = {w.casefold() for w in words}
    parts: list[tuple[str, bool]] = []
    last = 0
    for match in _WORD.finditer(said):
        if match.group().casefold() in wanted:
            if match.start() > last:
                parts.append((said[last:match.start()], False))
            parts.append((match.group(), True))
            last = match.end()
    if last < len(said):
        parts.append((said[last:], False))
    return parts

