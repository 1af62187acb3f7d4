"""The score rules (:mod:`voice.evaluations.scoring`) and scorecard checks, without a database."""

from __future__ import annotations

import pytest
from scorecard_samples import SECTIONS

from voice.evaluations.errors import InvalidEvaluationError, InvalidScorecardError
from voice.evaluations.scorecards import parse_sections, questions_of
from voice.evaluations.scoring import (
    check_answers,
    check_comments,
    overall_score,
    question_score,
)
from voice.moments import clock_text

CARD = parse_sections(SECTIONS)


def score(**answers: object) -> float | None:
    return overall_score(CARD, check_answers(CARD, answers))


def test_keys_are_assigned_in_order_and_kept() -> None:
    assert [q.key for q in questions_of(CARD)] == ["q1", "q2", "q3"]
    again = parse_sections([s.to_dict() for s in CARD], used_keys=["q7"])
    assert [q.key for q in questions_of(again)] == ["q1", "q2", "q3"]
    grown = parse_sections([*[s.to_dict() for s in CARD],
                            {"title": "New", "questions": [{"text": "x", "kind": "yes_no"}]}],
                           used_keys=["q1", "q2", "q3", "q7"])
    assert questions_of(grown)[-1].key == "q8"  # never reuses a key an old version had


def test_yes_no_and_weights() -> None:
    # q1 (w1) yes, q2 (w3) no, q3 (w2) 5/5: (1*1 + 3*0 + 2*1) / 6
    assert score(q1="yes", q2="no", q3=5) == pytest.approx(50.0)
    assert score(q1="no", q2="yes", q3=1) == pytest.approx(50.0)  # (0 + 3 + 0) / 6
    assert score(q1="yes", q2="yes", q3=5) == 100.0
    assert score(q1="no", q2="no", q3=1) == 0.0
    assert score(q1=True, q2=False, q3="5") == pytest.approx(50.0)  # JSON booleans, strings


def test_scale_is_normalised_between_its_ends() -> None:
    [courtesy] = CARD[1].questions
    assert [question_score(courtesy, v) for v in (1, 2, 3, 4, 5)] == [0, 0.25, 0.5, 0.75, 1]
    # q1 yes (1*1), q2 yes (3*1), q3 = 3 -> 0.5 (2*0.5): 5 / 6
    assert score(q1="yes", q2="yes", q3=3) == pytest.approx(83.33)
    wide = parse_sections([{"title": "S", "questions": [
        {"text": "Scale", "kind": "scale", "min": 0, "max": 10, "weight": 1}]}])
    assert overall_score(wide, check_answers(wide, {"q1": 7})) == 70.0


def test_na_leaves_the_question_out() -> None:
    # q2 N/A: only q1 (w1) and q3 (w2) count: (1*1 + 2*0.5) / 3
    assert score(q1="yes", q2="na", q3=3) == pytest.approx(66.67)
    only_na = parse_sections([{"title": "S", "questions": [
        {"text": "Maybe", "kind": "yes_no", "allow_na": True}]}])
    assert overall_score(only_na, check_answers(only_na, {"q1": "N/A"})) is None


def test_answers_are_checked_and_every_problem_listed() -> None:
    with pytest.raises(InvalidEvaluationError) as caught:
        check_answers(CARD, {"q1": "na", "q3": 9, "q9": "yes"})
    problems = caught.value.problems
    assert problems[0].startswith("answer every question") and "q2 'Verified" in problems[0]
    assert any("no question 'q9'" in p for p in problems)
    assert any("q1 'Greeted the caller': answer yes or no (got 'na')" in p for p in problems)
    assert any("q3 'Courtesy': answer a whole number from 1 to 5" in p for p in problems)
    with pytest.raises(InvalidEvaluationError):
        check_answers(CARD, {"q1": "yes", "q2": "yes", "q3": 2.5})
    with pytest.raises(InvalidEvaluationError):
        check_answers(CARD, ["yes"])


def test_scorecard_problems_are_listed_at_once() -> None:
    with pytest.raises(InvalidScorecardError) as caught:
        parse_sections([
            {"title": "", "questions": [{"text": "ok", "kind": "yes_no"}]},
            {"title": "Scale", "questions": [
                {"text": "down", "kind": "scale", "min": 5, "max": 1},
                {"text": "", "kind": "maybe", "weight": "heavy"},
                {"text": "zero", "kind": "yes_no", "weight": 0}]},
            {"title": "Empty", "questions": []}])
    problems = caught.value.problems
    assert "section 1: give the section a title" in problems
    assert any("section 2 'Scale', question 1: a scale must go up" in p for p in problems)
    assert any("question 2: write the question" in p for p in problems)
    assert any("question 2: the kind must be yes_no or scale" in p for p in problems)
    assert any("question 2: the weight must be a number above 0" in p for p in problems)
    assert any("question 3: the weight must be" in p for p in problems)
    assert "section 3 'Empty': add at least one question" in problems
    with pytest.raises(InvalidScorecardError, match="at least one section"):
        parse_sections([])


def test_comments_are_checked_and_sorted() -> None:
    assert check_comments([{"at_seconds": 42.04, "text": " late "},
                           {"at_seconds": 3, "text": "early"}]) == [
        {"at_seconds": 3.0, "text": "early"}, {"at_seconds": 42.0, "text": "late"}]
    with pytest.raises(InvalidEvaluationError) as caught:
        check_comments([{"at_seconds": -1, "text": "x"}, {"at_seconds": 1, "text": " "},
                        {"at_seconds": True, "text": "x"}])
    assert len(caught.value.problems) == 3
    assert clock_text(42.9) == "0:42" and clock_text(3725) == "1:02:05"
