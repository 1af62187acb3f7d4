"""The demo scorecard and the evaluations ``voice demo seed`` gives a share of answered calls.

:func:`ensure_demo_scorecard` creates "Demo call quality" once (through
:class:`~voice.evaluations.store.EvaluationStore`, so it is checked like an admin's) and
returns its current version; :func:`demo_evaluation` builds one ``evaluations`` row for a
Core insert, its answers drawn from the seeder's random generator (deterministic with
``--seed``), its score computed by the real rules, and one or two comments anchored in the
agent part of the recording. Evaluator: ``demo-qa`` (a name only, not a user).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voice.evaluations.scorecards import Section, questions_of, sections_from_json
from voice.evaluations.scoring import NA, overall_score
from voice.evaluations.store import EvaluationStore
from voice.store.models import Scorecard, ScorecardVersion

NAME = "Demo call quality"
EVALUATOR = "demo-qa"
#: the share of answered calls that get an evaluation
SHARE = 0.10
SECTIONS: list[dict[str, Any]] = [
    {"title": "Opening", "questions": [
        {"text": "Greeted the caller and named the team", "kind": "yes_no", "weight": 1},
        {"text": "Verified the caller where the request needed it", "kind": "yes_no",
         "weight": 2, "allow_na": True}]},
    {"title": "Resolution", "questions": [
        {"text": "Understood what the caller needed", "kind": "scale", "min": 1, "max": 5,
         "weight": 3},
        {"text": "Resolved the issue or agreed a clear next step", "kind": "yes_no",
         "weight": 3}]},
    {"title": "Manner", "questions": [
        {"text": "Courtesy and tone", "kind": "scale", "min": 1, "max": 5, "weight": 2},
        {"text": "Closed the call properly", "kind": "yes_no", "weight": 1}]},
]
COMMENTS = ("Good empathy here.", "Should have confirmed the account first.",
            "Clear explanation of the next step.", "Long silence while checking.",
            "Nice recovery after the caller got upset.", "Offer made at the right moment.")


@dataclass(frozen=True)
class DemoScorecard:
    """The demo scorecard's ids and sections (its current version)."""

    id: int
    version_id: int
    version: int
    sections: tuple[Section, ...]


def ensure_demo_scorecard(session_factory: sessionmaker[Session],
                          now: datetime) -> DemoScorecard:
    """The demo scorecard, created (as ``demo``) when it does not exist yet."""
    with session_factory() as session:
        card_id = session.scalar(select(Scorecard.id).where(Scorecard.name == NAME))
    if card_id is None:
        card_id = EvaluationStore(session_factory, lambda: now).create_scorecard(
            name=NAME, description="Made by voice demo seed.", active=True,
            sections=SECTIONS, actor="demo").id
    with session_factory() as session:
        row = session.execute(
            select(ScorecardVersion.id, ScorecardVersion.version, ScorecardVersion.sections)
            .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
            .where(Scorecard.id == card_id, ScorecardVersion.version == Scorecard.version)
        ).one()
    return DemoScorecard(id=card_id, version_id=row.id, version=row.version,
                         sections=sections_from_json(row.sections))


def demo_evaluation(rng: random.Random, card: DemoScorecard, *, call_id: str,
                    agent: str | None, queue: str | None, started_at: datetime,
                    talk_start: datetime, ended_at: datetime,
                    now: datetime) -> dict[str, Any]:
    """One evaluation row of an answered demo call (most agents do well, some do not)."""
    skill = rng.betavariate(5, 2)  # this call's quality, mostly good
    answers: dict[str, str | int] = {}
    for question in questions_of(card.sections):
        if question.allow_na and rng.random() < 0.3:
            answers[question.key] = NA
        elif question.kind == "yes_no":
            answers[question.key] = "yes" if rng.random() < 0.35 + 0.6 * skill else "no"
        else:
            assert question.min is not None and question.max is not None
            spread = question.max - question.min
            answers[question.key] = min(question.max, max(question.min, round(
                question.min + spread * skill + rng.uniform(-1, 1))))
    talk_from = (talk_start - started_at).total_seconds()
    length = (ended_at - started_at).total_seconds()
    comments = sorted(({"at_seconds": round(min(length, talk_from + rng.uniform(3, 90)), 1),
                        "text": rng.choice(COMMENTS), "author": EVALUATOR}
                       for _ in range(rng.randint(1, 2))), key=lambda c: c["at_seconds"])
    evaluated = min(now, ended_at + timedelta(minutes=rng.uniform(30, 3 * 24 * 60)))
    return {"call_id": call_id, "scorecard_id": card.id, "scorecard_version_id": card.version_id,
            "scorecard_version": card.version, "evaluator": EVALUATOR, "agent": agent,
            "queue": queue, "call_started_at": started_at, "answers": answers,
            "comments": comments, "score": overall_score(card.sections, answers),
            "created_at": evaluated, "updated_at": evaluated, "updated_by": EVALUATOR}
