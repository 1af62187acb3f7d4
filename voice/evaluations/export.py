"""Evaluations as CSV: one row per evaluation, then one column per question.

Fixed columns: ``evaluation_id, evaluated_at, updated_at, call_id, call_started_at, agent,
queue, evaluator, scorecard, scorecard_version, score, comments`` (times ISO 8601 UTC;
score a percentage, empty when every answer was N/A; comments as ``m:ss text`` joined by
`` | ``). Then one column per question of the scorecards in the export, headed
``<scorecard> <key>: <question>`` (the key keeps a question's column across versions; the
text is the newest version's), holding ``yes``, ``no``, a number, ``na``, or nothing when
the evaluation's version did not have the question. Text that a spreadsheet would run as a
formula (starting with ``= + - @``) is prefixed with ``'``. Rows stream in order of
``evaluated_at``, so large ranges never sit in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice.evaluations.periods import DateRange, made_in
from voice.evaluations.scorecards import questions_of, sections_from_json
from voice.moments import clock_text
from voice.reports.csv_export import spreadsheet_safe as safe
from voice.store.models import Evaluation, Scorecard, ScorecardVersion

FIXED = ("evaluation_id", "evaluated_at", "updated_at", "call_id", "call_started_at", "agent",
         "queue", "evaluator", "scorecard", "scorecard_version", "score", "comments")
BATCH = 500


def export_csv(sessions: sessionmaker[Session], period: DateRange,
               scorecard_id: int | None = None) -> Iterator[str]:
    """The CSV text of the evaluations made in ``period``, in chunks (header first)."""
    with sessions() as session:
        version_ids = session.scalars(made_in(
            select(Evaluation.scorecard_version_id).distinct(), period, scorecard_id)).all()
        columns = _question_columns(session, list(version_ids))
        names = dict(session.execute(select(Scorecard.id, Scorecard.name)).all())
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([*FIXED, *(safe(header) for _, _, header in columns)])
        rows = session.scalars(made_in(select(Evaluation), period, scorecard_id)
                               .order_by(Evaluation.created_at, Evaluation.id)
                               .execution_options(yield_per=BATCH))
        for count, row in enumerate(rows, start=1):
            writer.writerow([*_fixed(row, names.get(row.scorecard_id, "")),
                             *(row.answers.get(key, "") if row.scorecard_id == card else ""
                               for card, key, _ in columns)])
            if count % BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()


def _question_columns(session: Session, version_ids: list[int]) -> list[tuple[int, str, str]]:
    """(scorecard id, question key, header) for every question of these versions: by
    scorecard name, then in the newest version's order, then keys only older ones had."""
    if not version_ids:
        return []
    versions = session.execute(
        select(ScorecardVersion.scorecard_id, ScorecardVersion.version,
               ScorecardVersion.sections, Scorecard.name)
        .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
        .where(ScorecardVersion.id.in_(version_ids))
        .order_by(Scorecard.name, Scorecard.id, ScorecardVersion.version.desc())).all()
    columns: list[tuple[int, str, str]] = []
    seen: set[tuple[int, str]] = set()
    for version in versions:
        for question in questions_of(sections_from_json(version.sections)):
            if (version.scorecard_id, question.key) in seen:
                continue
            seen.add((version.scorecard_id, question.key))
            columns.append((version.scorecard_id, question.key,
                            f"{version.name} {question.key}: {question.text}"))
    return columns


def _fixed(row: Evaluation, scorecard: str) -> list[Any]:
    comments = " | ".join(f"{clock_text(c['at_seconds'])} {c['text']}" for c in row.comments)
    return [row.id, row.created_at.isoformat(), row.updated_at.isoformat(), safe(row.call_id),
            row.call_started_at.isoformat() if row.call_started_at else "",
            safe(row.agent or ""), safe(row.queue or ""), safe(row.evaluator),
            safe(scorecard), row.scorecard_version,
            "" if row.score is None else f"{row.score:.2f}", safe(comments)]

