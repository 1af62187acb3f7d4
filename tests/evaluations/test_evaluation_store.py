"""Scorecards with versions and evaluations in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from scorecard_samples import NOW, SECTIONS, Clock, add_call

from voice.compose import Services
from voice.evaluations.errors import (
    CallToEvaluateNotFoundError,
    EvaluationExistsError,
    InactiveScorecardError,
    InvalidEvaluationError,
    InvalidScorecardError,
    NotYourEvaluationError,
)
from voice.evaluations.store import EvaluationStore

ANSWERS = {"q1": "yes", "q2": "no", "q3": 5}  # 50 %


@pytest.fixture
def store(services: Services) -> EvaluationStore:
    assert services.evaluations is not None
    return services.evaluations


def create(store: EvaluationStore, name: str = "Quality") -> int:
    return store.create_scorecard(name=name, description="How calls go", active=True,
                                  sections=SECTIONS, actor="ada").id


def test_create_and_read_a_scorecard(store: EvaluationStore) -> None:
    card = store.get_scorecard(create(store))
    assert (card.name, card.version, card.active, card.updated_by) == ("Quality", 1, True, "ada")
    assert [s.title for s in card.sections] == ["Opening", "Manner"]
    assert card.sections[1].questions[0].to_dict() == {
        "key": "q3", "text": "Courtesy", "kind": "scale", "weight": 2.0, "allow_na": False,
        "min": 1, "max": 5}
    with pytest.raises(InvalidScorecardError, match="already exists"):
        create(store)
    with pytest.raises(InvalidScorecardError) as caught:
        store.create_scorecard(name=" ", description=None, active=True, sections=[],
                               actor="ada")
    assert caught.value.problems == ["give the scorecard a name",
                                     "add at least one section with at least one question"]


def test_evaluating_copies_agent_and_queue_and_scores(services: Services,
                                                      store: EvaluationStore) -> None:
    card_id = create(store)
    add_call(services, "call-1", agent="ann", queue="billing")
    made = store.create_evaluation("call-1", card_id, answers=ANSWERS,
                                   comments=[{"at_seconds": 42, "text": "Nice",
                                              "author": "sue"}],  # not theirs to claim
                                   evaluator="quinn")
    assert (made.agent, made.queue, made.score, made.scorecard_version) == (
        "ann", "billing", 50.0, 1)
    assert made.comments == [{"at_seconds": 42.0, "text": "Nice", "author": "quinn"}]
    assert made.call_started_at == NOW
    with pytest.raises(EvaluationExistsError) as exists:
        store.create_evaluation("call-1", card_id, answers=ANSWERS, comments=[],
                                evaluator="quinn")
    assert exists.value.evaluation_id == made.id
    with pytest.raises(CallToEvaluateNotFoundError):
        store.create_evaluation("nope", card_id, answers=ANSWERS, comments=[],
                                evaluator="quinn")
    with pytest.raises(InvalidEvaluationError):
        store.create_evaluation("call-1", card_id, answers={"q1": "yes"}, comments=[],
                                evaluator="vic")
    other = store.create_evaluation("call-1", card_id, answers={**ANSWERS, "q2": "na"},
                                    comments=[], evaluator="vic")
    assert other.score == pytest.approx(100.0)  # q2 N/A: (1 + 2) / 3
    assert [e.evaluator for e in store.evaluations_of_call("call-1")] == ["quinn", "vic"]


def test_only_the_evaluator_or_a_supervisor_changes_an_evaluation(
        services: Services, store: EvaluationStore, clock: Clock) -> None:
    card_id = create(store)
    add_call(services, "call-1", queue="support")  # abandoned: no agent
    made = store.create_evaluation("call-1", card_id, answers=ANSWERS,
                                   comments=[{"at_seconds": 1, "text": "first"}],
                                   evaluator="quinn")
    assert (made.agent, made.queue) == (None, "support")
    with pytest.raises(NotYourEvaluationError):
        store.update_evaluation(made.id, answers=ANSWERS, comments=[], actor="vic",
                                may_change_others=False)
    clock.advance(hours=1)
    changed = store.update_evaluation(
        made.id, answers={**ANSWERS, "q2": "yes"},
        comments=[{"at_seconds": 1, "text": "first"},
                  {"at_seconds": 9, "text": "more", "author": "ada"}],
        actor="sue", may_change_others=True)
    assert changed.score == 100.0 and changed.updated_by == "sue"
    assert changed.updated_at > changed.created_at
    assert [c["author"] for c in changed.comments] == ["quinn", "sue"]


def test_editing_a_used_scorecard_makes_a_version_and_keeps_past_scores(
        services: Services, store: EvaluationStore) -> None:
    card_id = create(store)
    edited = [s.to_dict() for s in store.get_scorecard(card_id).sections]  # with keys
    edited[0]["questions"][0]["weight"] = 10
    # not used yet: edited in place
    card, new_version = store.update_scorecard(card_id, name="Quality", description=None,
                                               active=True, sections=edited, actor="ada")
    assert (card.version, new_version) == (1, False)
    assert card.sections[0].questions[0].weight == 10
    add_call(services, "call-1", agent="ann", queue="billing")
    old = store.create_evaluation("call-1", card_id, answers=ANSWERS, comments=[],
                                  evaluator="quinn")
    assert old.score == 80.0  # (10*1 + 3*0 + 2*1) / 15
    # used now: a new version; keys are kept, a new question gets a fresh key
    stored = [s.to_dict() for s in card.sections]
    stored[0]["questions"][0]["weight"] = 1
    stored[1]["questions"].append({"text": "Closed the call", "kind": "yes_no", "weight": 1})
    card, new_version = store.update_scorecard(card_id, name="Quality v2", description="",
                                               active=True, sections=stored, actor="ada")
    assert (card.version, new_version, card.name) == (2, True, "Quality v2")
    assert [q.key for s in card.sections for q in s.questions] == ["q1", "q2", "q3", "q4"]
    assert store.get_scorecard(card_id, version=1).sections[0].questions[0].weight == 10
    # the old evaluation keeps version 1 and its score, also when it is updated
    again = store.update_evaluation(old.id, answers=ANSWERS, comments=[], actor="quinn",
                                    may_change_others=False)
    assert (again.scorecard_version, again.score) == (1, 80.0)
    with pytest.raises(InvalidEvaluationError, match="missing: q4"):
        store.create_evaluation("call-1", card_id, answers=ANSWERS, comments=[],
                                evaluator="vic")
    new = store.create_evaluation("call-1", card_id, answers={**ANSWERS, "q4": "yes"},
                                  comments=[], evaluator="vic")
    assert (new.scorecard_version, new.score) == (2, pytest.approx(4 / 7 * 100, abs=0.01))
    # saving without changing questions makes no version
    same = [s.to_dict() for s in card.sections]
    _, new_version = store.update_scorecard(card_id, name="Quality v2", description=None,
                                            active=False, sections=same, actor="ada")
    assert not new_version and store.get_scorecard(card_id).version == 2
    with pytest.raises(InactiveScorecardError):
        store.create_evaluation("call-1", card_id, answers={**ANSWERS, "q4": "yes"},
                                comments=[], evaluator="zed")
    assert [c.name for c in store.list_scorecards(active_only=True)] == []
    [listed] = store.list_scorecards()
    assert listed.evaluations == 2


def test_scorecard_names_stay_unique_on_edit(store: EvaluationStore) -> None:
    first = create(store, "A")
    create(store, "B")
    with pytest.raises(InvalidScorecardError, match="'B' already exists"):
        store.update_scorecard(first, name="B", description=None, active=True,
                               sections=SECTIONS, actor="ada")
