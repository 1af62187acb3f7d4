"""The shape of a scorecard: sections of questions, and checking what an admin typed.

A question is ``yes_no`` (yes scores 1, no 0) or ``scale`` (a whole number from ``min`` to
``max``, e.g. 1-5); it has a ``weight`` (a number above 0, up to :data:`MAX_WEIGHT`) and may
allow N/A. Each question has a ``key`` (``q1``, ``q2`` ...) that stays with it across
versions of the scorecard: answers are stored by key, and the CSV export has one column per
key. :func:`parse_sections` checks a whole definition and reports every problem at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from voice.evaluations.errors import InvalidScorecardError

KINDS = ("yes_no", "scale")
KIND_LABELS = {"yes_no": "Yes / No", "scale": "Scale"}
MAX_SECTIONS = 30
MAX_QUESTIONS = 200
MAX_WEIGHT = 100.0
MAX_TITLE = 200
MAX_TEXT = 500
MAX_DESCRIPTION = 2000
SCALE_LIMITS = (-100, 100)
KEY_PATTERN = re.compile(r"^q([1-9][0-9]{0,5})$")


@dataclass(frozen=True)
class Question:
    """One question of a scorecard version."""

    key: str
    text: str
    kind: str
    weight: float
    allow_na: bool
    min: int | None = None
    max: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``scorecard_versions.sections``."""
        return asdict(self)


@dataclass(frozen=True)
class Section:
    """A titled group of questions."""

    title: str
    questions: tuple[Question, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in ``scorecard_versions.sections``."""
        return {"title": self.title, "questions": [q.to_dict() for q in self.questions]}


def sections_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Section, ...]:
    """Sections as stored (already checked when saved)."""
    return tuple(
        Section(title=s["title"], questions=tuple(
            Question(key=q["key"], text=q["text"], kind=q["kind"], weight=float(q["weight"]),
                     allow_na=bool(q["allow_na"]), min=q.get("min"), max=q.get("max"))
            for q in s["questions"]))
        for s in data)


def questions_of(sections: Iterable[Section]) -> list[Question]:
    """Every question, in order."""
    return [q for s in sections for q in s.questions]


def key_number(key: str) -> int:
    """The number in a question key (``q12`` -> 12), 0 for anything else."""
    found = KEY_PATTERN.match(key)
    return int(found.group(1)) if found else 0


def parse_sections(raw: object, used_keys: Iterable[str] = ()) -> tuple[Section, ...]:
    """Check a definition (a list of ``{title, questions: [{key?, text, kind, min, max,
    weight, allow_na}]}``) and give questions without a key the next free one (after
    ``used_keys``, the keys earlier versions used). Raises InvalidScorecardError listing
    every problem."""
    problems: list[str] = []
    if not isinstance(raw, list) or not raw:
        raise InvalidScorecardError(["add at least one section with at least one question"])
    if len(raw) > MAX_SECTIONS:
        problems.append(f"a scorecard has at most {MAX_SECTIONS} sections (got {len(raw)})")
    next_key = max((key_number(k) for k in used_keys), default=0)
    given = [q.get("key") for s in raw if isinstance(s, Mapping)
             for q in (s.get("questions") or []) if isinstance(q, Mapping)]
    next_key = max([next_key, *(key_number(k) for k in given if isinstance(k, str))])
    seen: set[str] = set()
    sections: list[Section] = []
    total = 0
    for s_index, section in enumerate(raw, start=1):
        where = f"section {s_index}"
        if not isinstance(section, Mapping):
            problems.append(f"{where}: expected an object with a title and questions")
            continue
        title = str(section.get("title") or "").strip()
        if not title:
            problems.append(f"{where}: give the section a title")
        elif len(title) > MAX_TITLE:
            problems.append(f"{where}: the title is longer than {MAX_TITLE} characters")
        where = f"section {s_index}" + (f" '{title}'" if title else "")
        raw_questions = section.get("questions") or []
        if not isinstance(raw_questions, list) or not raw_questions:
            problems.append(f"{where}: add at least one question")
            continue
        questions: list[Question] = []
        for q_index, raw_question in enumerate(raw_questions, start=1):
            total += 1
            spot = f"{where}, question {q_index}"
            if not isinstance(raw_question, Mapping):
                problems.append(f"{spot}: expected an object")
                continue
            key = raw_question.get("key") or None
            if key is None:
                next_key += 1
                key = f"q{next_key}"
            elif not isinstance(key, str) or not KEY_PATTERN.match(key):
                problems.append(f"{spot}: the key {key!r} is not of the form q1, q2 ...")
            elif key in seen:
                problems.append(f"{spot}: the key {key} is used twice")
            seen.add(str(key))
            question = _question(str(key), raw_question, spot, problems)
            if question is not None:
                questions.append(question)
        sections.append(Section(title=title, questions=tuple(questions)))
    if total > MAX_QUESTIONS:
        problems.append(f"a scorecard has at most {MAX_QUESTIONS} questions (got {total})")
    if problems:
        raise InvalidScorecardError(problems)
    return tuple(sections)


def _question(key: str, raw: Mapping[str, Any], spot: str,
              problems: list[str]) -> Question | None:
    """One question, or None after adding its problems to ``problems``."""
    before = len(problems)
    text = str(raw.get("text") or "").strip()
    if not text:
        problems.append(f"{spot}: write the question")
    elif len(text) > MAX_TEXT:
        problems.append(f"{spot}: the question is longer than {MAX_TEXT} characters")
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{spot}: the kind must be yes_no or scale (got {kind!r})")
    weight = _number(raw.get("weight", 1))
    if weight is None or not 0 < weight <= MAX_WEIGHT:
        problems.append(f"{spot}: the weight must be a number above 0 and at most "
                        f"{MAX_WEIGHT:g} (got {raw.get('weight')!r})")
    low = high = None
    if kind == "scale":
        low, high = _whole(raw.get("min")), _whole(raw.get("max"))
        lowest, highest = SCALE_LIMITS
        if low is None or high is None:
            problems.append(f"{spot}: a scale needs whole numbers for 'from' and 'to' "
                            f"(got {raw.get('min')!r} and {raw.get('max')!r})")
        elif not (lowest <= low < high <= highest):
            problems.append(f"{spot}: a scale must go up, from a lower to a higher whole "
                            f"number between {lowest} and {highest} (got {low} to {high})")
    if len(problems) > before:
        return None
    assert weight is not None
    return Question(key=key, text=text, kind=str(kind), weight=weight,
                    allow_na=_flag(raw.get("allow_na")), min=low, max=high)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: object) -> int | None:
    number = _number(value)
    if number is None or number != int(number):
        return None
    return int(number)


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)
