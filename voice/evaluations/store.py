"""Scorecards with versions, and the evaluations QA saves: :class:`EvaluationStore`.

Versioning rule: saving a scorecard whose questions changed edits its current version in
place while no evaluation uses that version, and otherwise adds version ``n + 1`` (which new
evaluations then use). An evaluation is always checked and scored against the version it
was first saved with, also when it is updated later, so editing a scorecard never changes
past scores. Name, description and the active flag are not versioned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from voice.evaluations.errors import (
    CallToEvaluateNotFoundError,
    EvaluationExistsError,
    EvaluationNotFoundError,
    InactiveScorecardError,
    InvalidScorecardError,
    NotYourEvaluationError,
    ScorecardNotFoundError,
)
from voice.evaluations.periods import DateRange, made_in
from voice.evaluations.scorecards import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    Section,
    parse_sections,
    sections_from_json,
)
from voice.evaluations.scoring import check_answers, check_comments, overall_score
from voice.store.models import (
    Agent,
    Call,
    Evaluation,
    QueueEntry,
    Recording,
    Scorecard,
    ScorecardVersion,
)

RECENT_LIMIT = 50


@dataclass(frozen=True)
class ScorecardView:
    """A scorecard with the sections of one of its versions (the current one by default)."""

    id: int
    name: str
    description: str | None
    active: bool
    version: int
    shown_version: int
    sections: tuple[Section, ...]
    updated_at: datetime
    updated_by: str
    evaluations: int = 0
    version_evaluations: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for the API and the evaluation panel."""
        return {"id": self.id, "name": self.name, "description": self.description,
                "active": self.active, "version": self.version,
                "shown_version": self.shown_version,
                "sections": [s.to_dict() for s in self.sections],
                "updated_at": self.updated_at.isoformat(), "updated_by": self.updated_by,
                "evaluations": self.evaluations}


@dataclass(frozen=True)
class EvaluationView:
    """One evaluation as pages, the API and the CSV show it."""

    id: int
    call_id: str
    scorecard_id: int
    scorecard_name: str
    scorecard_version: int
    evaluator: str
    agent: str | None
    queue: str | None
    call_started_at: datetime | None
    answers: dict[str, Any]
    comments: list[dict[str, Any]]
    score: float | None
    created_at: datetime
    updated_at: datetime
    updated_by: str

    def to_dict(self) -> dict[str, Any]:
        """JSON for the API."""
        return {"id": self.id, "call_id": self.call_id, "scorecard_id": self.scorecard_id,
                "scorecard_name": self.scorecard_name,
                "scorecard_version": self.scorecard_version, "evaluator": self.evaluator,
                "agent": self.agent, "queue": self.queue,
                "call_started_at": self.call_started_at.isoformat()
                if self.call_started_at else None,
                "answers": self.answers, "comments": self.comments, "score": self.score,
                "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "updated_by": self.updated_by}


class EvaluationStore:
    """Reads and writes scorecards and evaluations (module docstring: the versioning)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    # --- scorecards ------------------------------------------------------------------------

    def list_scorecards(self, *, active_only: bool = False) -> list[ScorecardView]:
        """Every scorecard (or the active ones) by name, with its current version."""
        with self._sessions() as session:
            query = select(Scorecard).order_by(Scorecard.name)
            if active_only:
                query = query.where(Scorecard.active.is_(True))
            counts = dict(session.execute(
                select(Evaluation.scorecard_id, func.count()).group_by(Evaluation.scorecard_id)
            ).all())
            return [self._view(session, card, None, counts.get(card.id, 0))
                    for card in session.scalars(query)]

    def get_scorecard(self, scorecard_id: int, version: int | None = None) -> ScorecardView:
        """One scorecard with the sections of ``version`` (default: the current one)."""
        with self._sessions() as session:
            card = session.get(Scorecard, scorecard_id)
            if card is None:
                raise ScorecardNotFoundError(scorecard_id)
            total = session.scalar(select(func.count()).select_from(Evaluation)
                                   .where(Evaluation.scorecard_id == card.id)) or 0
            return self._view(session, card, version, total)

    def create_scorecard(self, *, name: str, description: str | None, active: bool,
                         sections: object, actor: str) -> ScorecardView:
        """A new scorecard at version 1; raises InvalidScorecardError listing every problem."""
        name, description = self._check_names(name, description, sections)
        parsed = parse_sections(sections)
        now = self._clock()
        try:
            with self._sessions.begin() as session:
                self._refuse_taken_name(session, name, None)
                card = Scorecard(name=name, description=description, active=active, version=1,
                                 created_at=now, updated_at=now, updated_by=actor)
                session.add(card)
                session.flush()
                session.add(ScorecardVersion(scorecard_id=card.id, version=1,
                                             sections=[s.to_dict() for s in parsed],
                                             created_at=now, created_by=actor))
                card_id = card.id
        except IntegrityError:
            raise InvalidScorecardError([f"a scorecard named '{name}' already exists; "
                                         "pick another name"]) from None
        return self.get_scorecard(card_id)

    def update_scorecard(self, scorecard_id: int, *, name: str, description: str | None,
                         active: bool, sections: object,
                         actor: str) -> tuple[ScorecardView, bool]:
        """Save an edit; True with the view when it made a new version (module docstring)."""
        name, description = self._check_names(name, description, sections)
        now = self._clock()
        new_version = False
        with self._sessions.begin() as session:
            card = session.get(Scorecard, scorecard_id, with_for_update=True)
            if card is None:
                raise ScorecardNotFoundError(scorecard_id)
            self._refuse_taken_name(session, name, card.id)
            current = self._version_row(session, card.id, card.version)
            used = {q["key"] for v in session.scalars(
                select(ScorecardVersion.sections).where(
                    ScorecardVersion.scorecard_id == card.id))
                for s in v for q in s["questions"]}
            stored = [s.to_dict() for s in parse_sections(sections, used)]
            if stored != current.sections:
                in_use = session.scalar(select(func.count()).select_from(Evaluation).where(
                    Evaluation.scorecard_version_id == current.id)) or 0
                if in_use:
                    new_version = True
                    card.version += 1
                    session.add(ScorecardVersion(scorecard_id=card.id, version=card.version,
                                                 sections=stored, created_at=now,
                                                 created_by=actor))
                else:
                    current.sections = stored
            card.name, card.description, card.active = name, description, active
            card.updated_at, card.updated_by = now, actor
        return self.get_scorecard(scorecard_id), new_version

    @staticmethod
    def _check_names(name: str, description: str | None,
                     sections: object) -> tuple[str, str | None]:
        """Name and description cleaned; their problems and the sections' together."""
        problems: list[str] = []
        name = (name or "").strip()
        description = (description or "").strip() or None
        if not name:
            problems.append("give the scorecard a name")
        elif len(name) > MAX_TITLE:
            problems.append(f"the name is longer than {MAX_TITLE} characters")
        if description and len(description) > MAX_DESCRIPTION:
            problems.append(f"the description is longer than {MAX_DESCRIPTION} characters")
        if problems:
            try:
                parse_sections(sections)
            except InvalidScorecardError as exc:
                problems.extend(exc.problems)
            raise InvalidScorecardError(problems)
        return name, description

    @staticmethod
    def _refuse_taken_name(session: Session, name: str, own_id: int | None) -> None:
        other = session.scalar(select(Scorecard.id).where(Scorecard.name == name))
        if other is not None and other != own_id:
            raise InvalidScorecardError([f"a scorecard named '{name}' already exists; pick "
                                         "another name"])

    @staticmethod
    def _version_row(session: Session, scorecard_id: int, version: int) -> ScorecardVersion:
        row = session.scalar(select(ScorecardVersion).where(
            ScorecardVersion.scorecard_id == scorecard_id, ScorecardVersion.version == version))
        if row is None:
            raise ScorecardNotFoundError(scorecard_id, version)
        return row

    def _view(self, session: Session, card: Scorecard, version: int | None,
              total: int) -> ScorecardView:
        row = self._version_row(session, card.id, version or card.version)
        in_version = session.scalar(select(func.count()).select_from(Evaluation).where(
            Evaluation.scorecard_version_id == row.id)) or 0
        return ScorecardView(
            id=card.id, name=card.name, description=card.description, active=card.active,
            version=card.version, shown_version=row.version,
            sections=sections_from_json(row.sections), updated_at=card.updated_at,
            updated_by=card.updated_by, evaluations=total, version_evaluations=in_version)

    # --- evaluations -----------------------------------------------------------------------

    def create_evaluation(self, call_id: str, scorecard_id: int, *, answers: object,
                          comments: object, evaluator: str) -> EvaluationView:
        """Score ``call_id`` with the scorecard's current version; the call's agent and queue
        are copied in. Raises EvaluationExistsError when ``evaluator`` already did."""
        now = self._clock()
        try:
            with self._sessions.begin() as session:
                card = session.get(Scorecard, scorecard_id)
                if card is None:
                    raise ScorecardNotFoundError(scorecard_id)
                if not card.active:
                    raise InactiveScorecardError(card.name)
                version = self._version_row(session, card.id, card.version)
                sections = sections_from_json(version.sections)
                checked = check_answers(sections, answers)
                notes = [{**c, "author": evaluator} for c in check_comments(comments)]
                call = session.get(Call, call_id)
                if call is None:
                    raise CallToEvaluateNotFoundError(call_id)
                self._refuse_duplicate(session, call_id, card.id, evaluator)
                agent, queue = call_agent_and_queue(session, call_id)
                row = Evaluation(
                    call_id=call_id, scorecard_id=card.id, scorecard_version_id=version.id,
                    scorecard_version=version.version, evaluator=evaluator, agent=agent,
                    queue=queue, call_started_at=call.started_at, answers=checked,
                    comments=notes, score=overall_score(sections, checked), created_at=now,
                    updated_at=now, updated_by=evaluator)
                session.add(row)
                session.flush()
                evaluation_id = row.id
        except IntegrityError:
            with self._sessions() as session:
                self._refuse_duplicate(session, call_id, scorecard_id, evaluator)
            raise
        return self.get_evaluation(evaluation_id)

    @staticmethod
    def _refuse_duplicate(session: Session, call_id: str, scorecard_id: int,
                          evaluator: str) -> None:
        existing = session.scalar(select(Evaluation.id).where(
            Evaluation.call_id == call_id, Evaluation.scorecard_id == scorecard_id,
            Evaluation.evaluator == evaluator))
        if existing is not None:
            raise EvaluationExistsError(existing, evaluator)

    def update_evaluation(self, evaluation_id: int, *, answers: object, comments: object,
                          actor: str, may_change_others: bool) -> EvaluationView:
        """Replace answers and comments, checked and scored against the evaluation's own
        scorecard version. Comments keep their author; new ones get ``actor``."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(Evaluation, evaluation_id, with_for_update=True)
            if row is None:
                raise EvaluationNotFoundError(evaluation_id)
            if row.evaluator != actor and not may_change_others:
                raise NotYourEvaluationError(evaluation_id, row.evaluator)
            version = session.get(ScorecardVersion, row.scorecard_version_id)
            assert version is not None  # a foreign key
            sections = sections_from_json(version.sections)
            checked = check_answers(sections, answers)
            authors = {(c["at_seconds"], c["text"]): c.get("author") for c in row.comments}
            row.comments = [{**c, "author": authors.get((c["at_seconds"], c["text"])) or actor}
                            for c in check_comments(comments)]
            row.answers = checked
            row.score = overall_score(sections, checked)
            row.updated_at, row.updated_by = now, actor
        return self.get_evaluation(evaluation_id)

    def get_evaluation(self, evaluation_id: int) -> EvaluationView:
        """One evaluation; raises EvaluationNotFoundError."""
        found = self._select(lambda q: q.where(Evaluation.id == evaluation_id))
        if not found:
            raise EvaluationNotFoundError(evaluation_id)
        return found[0]

    def evaluations_of_call(self, call_id: str) -> list[EvaluationView]:
        """A call's evaluations, oldest first."""
        return self._select(lambda q: q.where(Evaluation.call_id == call_id)
                            .order_by(Evaluation.created_at, Evaluation.id))

    def recent(self, period: DateRange, *, scorecard_id: int | None = None,
               limit: int = RECENT_LIMIT) -> list[EvaluationView]:
        """The newest evaluations made in ``period``."""
        return self._select(lambda q: made_in(q, period, scorecard_id).order_by(
            Evaluation.created_at.desc(), Evaluation.id.desc()).limit(limit))

    def _select(self, narrow: Callable[[Any], Any]) -> list[EvaluationView]:
        with self._sessions() as session:
            rows = session.execute(narrow(
                select(Evaluation, Scorecard.name)
                .join(Scorecard, Scorecard.id == Evaluation.scorecard_id))).all()
            return [evaluation_view(row, name) for row, name in rows]


def evaluation_view(row: Evaluation, scorecard_name: str) -> EvaluationView:
    """The view of an ``evaluations`` row."""
    return EvaluationView(
        id=row.id, call_id=row.call_id, scorecard_id=row.scorecard_id,
        scorecard_name=scorecard_name, scorecard_version=row.scorecard_version,
        evaluator=row.evaluator, agent=row.agent, queue=row.queue,
        call_started_at=row.call_started_at, answers=dict(row.answers),
        comments=list(row.comments), score=row.score, created_at=row.created_at,
        updated_at=row.updated_at, updated_by=row.updated_by)


def call_agent_and_queue(session: Session, call_id: str) -> tuple[str | None, str | None]:
    """Who answered the call and in which queue: the last answered queue stay, else the last
    stay's queue, else what the call's recording says; (None, None) when nothing does."""
    stay = session.execute(
        select(QueueEntry.queue, Agent.name)
        .outerjoin(Agent, Agent.id == QueueEntry.agent_id)
        .where(QueueEntry.call_id == call_id)
        .order_by(QueueEntry.answered_at.is_(None), QueueEntry.answered_at.desc(),
                  QueueEntry.enqueued_at.desc())
        .limit(1)).first()
    if stay is not None and stay.name is not None:
        return stay.name, stay.queue
    recording = session.execute(
        select(Recording.agent, Recording.queue)
        .where(Recording.call_id == call_id, Recording.kind == "call")
        .order_by(Recording.id.desc()).limit(1)).first()
    if recording is not None and (recording.agent or recording.queue):
        return recording.agent, recording.queue or (stay.queue if stay else None)
    return None, stay.queue if stay else None
