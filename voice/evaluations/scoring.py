"""How an evaluation's answers become a score: pure functions, no I/O.

The rules (the same in ``static/evaluation.js``'s preview):

1. Each answered question scores between 0 and 1: a yes/no question ``yes`` = 1, ``no`` = 0;
   a scale question ``(answer - min) / (max - min)``, so on a 1-5 scale 1 -> 0, 3 -> 0.5,
   5 -> 1.
2. N/A (only where the question allows it) leaves the question out entirely: it neither
   helps nor hurts.
3. The overall score is the weighted mean of the question scores over the questions not
   N/A, as a percentage: ``100 * sum(weight * score) / sum(weight)``, rounded to 2 decimals.
4. When every question is N/A the evaluation has no score (None); rollups skip it in the
   average, minimum and maximum but still count it.

Every question must be answered (with N/A where allowed): a half-filled form is refused
with the list of what is missing, so a score never silently depends on skipped questions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from voice.evaluations.errors import InvalidEvaluationError
from voice.evaluations.scorecards import Question, Section, questions_of

NA = "na"
YES_NO = ("yes", "no")
MAX_COMMENTS = 200
MAX_COMMENT = 2000
MAX_SECONDS = 24 * 3600


def question_score(question: Question, answer: str | int) -> float | None:
    """One answer's score between 0 and 1 (None for N/A); the answer is already checked."""
    if answer == NA:
        return None
    if question.kind == "yes_no":
        return 1.0 if answer == "yes" else 0.0
    assert question.min is not None and question.max is not None and isinstance(answer, int)
    return (answer - question.min) / (question.max - question.min)


def overall_score(sections: Sequence[Section], answers: Mapping[str, str | int]) -> float | None:
    """The weighted percentage of checked ``answers`` (rules in the module docstring)."""
    total = weights = 0.0
    for question in questions_of(sections):
        value = question_score(question, answers[question.key])
        if value is None:
            continue
        total += question.weight * value
        weights += question.weight
    if weights == 0:
        return None
    return round(100 * total / weights, 2)


def check_answers(sections: Sequence[Section], raw: object) -> dict[str, str | int]:
    """The answers in stored form (``"yes"``, ``"no"``, a whole number, ``"na"``) by question
    key; raises InvalidEvaluationError listing every missing or wrong answer."""
    if not isinstance(raw, Mapping):
        raise InvalidEvaluationError(["send 'answers' as an object of question key -> answer"])
    questions = questions_of(sections)
    known = {q.key for q in questions}
    problems = [f"there is no question {key!r} on this scorecard version"
                for key in raw if key not in known]
    answers: dict[str, str | int] = {}
    missing: list[str] = []
    for question in questions:
        value = raw.get(question.key)
        if value is None or value == "":
            missing.append(f"{question.key} '{question.text}'")
            continue
        answer = _answer(question, value)
        if answer is None:
            problems.append(f"question {question.key} '{question.text}': {_expected(question)}"
                            f" (got {value!r})")
        else:
            answers[question.key] = answer
    if missing:
        problems.insert(0, "answer every question (N/A where it is offered); missing: "
                        + ", ".join(missing))
    if problems:
        raise InvalidEvaluationError(problems)
    return answers


def _answer(question: Question, value: Any) -> str | int | None:
    if isinstance(value, str) and value.strip().lower() in ("na", "n/a"):
        return NA if question.allow_na else None
    if question.kind == "yes_no":
        if isinstance(value, bool):
            return "yes" if value else "no"
        text = str(value).strip().lower()
        return text if text in YES_NO else None
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    assert question.min is not None and question.max is not None
    return int(number) if question.min <= number <= question.max else None


def _expected(question: Question) -> str:
    na = " or na" if question.allow_na else ""
    if question.kind == "yes_no":
        return f"answer yes or no{na}"
    return f"answer a whole number from {question.min} to {question.max}{na}"


def check_comments(raw: object) -> list[dict[str, Any]]:
    """Comments as ``[{at_seconds, text}]`` sorted by time (seconds rounded to 0.1);
    raises InvalidEvaluationError listing every problem. ``author`` is kept when given."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidEvaluationError(["send 'comments' as a list of {at_seconds, text}"])
    problems: list[str] = []
    if len(raw) > MAX_COMMENTS:
        problems.append(f"an evaluation has at most {MAX_COMMENTS} comments")
    comments: list[dict[str, Any]] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            problems.append(f"comment {index}: expected an object with at_seconds and text")
            continue
        text = str(item.get("text") or "").strip()
        seconds = item.get("at_seconds")
        if not text:
            problems.append(f"comment {index}: write something")
        elif len(text) > MAX_COMMENT:
            problems.append(f"comment {index}: longer than {MAX_COMMENT} characters")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
                or not math.isfinite(seconds) or not 0 <= seconds <= MAX_SECONDS:
            problems.append(f"comment {index}: at_seconds must be a number of seconds into "
                            f"the recording, 0 to {MAX_SECONDS} (got {seconds!r})")
            continue
        # an "author" sent along is ignored: the store credits whoever saves (or kept) it
        comments.append({"at_seconds": round(float(seconds), 1), "text": text})
    if problems:
        raise InvalidEvaluationError(problems)
    return sorted(comments, key=lambda c: c["at_seconds"])
