"""Rollups per agent and per queue, and the CSV export, over date ranges."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from scorecard_samples import SECTIONS, Clock, add_call

from voice.compose import Services
from voice.evaluations.errors import InvalidDateRangeError
from voice.evaluations.export import export_csv
from voice.evaluations.periods import date_range
from voice.evaluations.rollups import rollups

YES, NO = {"q1": "yes", "q2": "yes", "q3": 5}, {"q1": "no", "q2": "no", "q3": 1}
HALF = {"q1": "yes", "q2": "no", "q3": 5}  # 50 %
ALL_NA = {"q1": "na"}


@pytest.fixture
def scored(services: Services, clock: Clock) -> Services:
    """Nov 18: ann 100 (billing), ann 50 (billing); Nov 19: bob 0 (support), an N/A-only
    card on an unanswered call (support); Nov 25: ann 100 (outside the usual range)."""
    store = services.evaluations
    assert store is not None
    card = store.create_scorecard(name="Quality", description=None, active=True,
                                  sections=SECTIONS, actor="ada").id
    maybe = store.create_scorecard(name="=Maybe", description=None, active=True, sections=[
        {"title": "S", "questions": [{"text": "+Optional", "kind": "yes_no",
                                      "allow_na": True}]}], actor="ada").id
    for call, agent, queue in (("c1", "ann", "billing"), ("c2", "ann", "billing"),
                               ("c3", "bob", "support"), ("c4", None, "support"),
                               ("c5", "ann", "billing")):
        add_call(services, call, agent=agent, queue=queue)
    clock.now = clock.now.replace(day=18)
    store.create_evaluation("c1", card, answers=YES, evaluator="quinn",
                            comments=[{"at_seconds": 65, "text": "=SUM(A1) trick"},
                                      {"at_seconds": 5, "text": "hello"}])
    store.create_evaluation("c2", card, answers=HALF, comments=[], evaluator="quinn")
    clock.now = clock.now.replace(day=19)
    store.create_evaluation("c3", card, answers=NO, comments=[], evaluator="vic")
    store.create_evaluation("c4", maybe, answers=ALL_NA, comments=[], evaluator="vic")
    clock.now = clock.now.replace(day=25)
    store.create_evaluation("c5", card, answers=YES, comments=[], evaluator="vic")
    return services


def test_rollups_per_agent_and_queue(scored: Services) -> None:
    period = date_range("2026-11-18", "2026-11-19", date(2026, 11, 30))
    with scored.session_factory() as session:
        result = rollups(session, period)
        only_quality = rollups(session, period, scorecard_id=1)
    by_agent = {r.name: (r.count, r.average, r.minimum, r.maximum) for r in result.by_agent}
    assert by_agent == {"ann": (2, 75.0, 50.0, 100.0), "bob": (1, 0.0, 0.0, 0.0),
                        None: (1, None, None, None)}
    assert [r.name for r in result.by_agent] == ["ann", "bob", None]
    by_queue = {r.name: (r.count, r.average, r.minimum, r.maximum) for r in result.by_queue}
    assert by_queue == {"billing": (2, 75.0, 50.0, 100.0), "support": (2, 0.0, 0.0, 0.0)}
    assert (result.total.count, result.total.average) == (4, 50.0)
    assert only_quality.total.count == 3
    assert result.to_dict()["from"] == "2026-11-18"
    with scored.session_factory() as session:
        wider = rollups(session, date_range("2026-11-01", None, date(2026, 11, 30)))
    assert {r.name: r.count for r in wider.by_agent}["ann"] == 3


def test_csv_has_one_row_per_evaluation_and_answer_columns(scored: Services) -> None:
    period = date_range("2026-11-18", "2026-11-19", date(2026, 11, 30))
    text = "".join(export_csv(scored.session_factory, period))
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert header[:12] == ["evaluation_id", "evaluated_at", "updated_at", "call_id",
                           "call_started_at", "agent", "queue", "evaluator", "scorecard",
                           "scorecard_version", "score", "comments"]
    # scorecards by name ("=Maybe" sorts first), made inert for spreadsheets
    assert header[12:] == ["'=Maybe q1: +Optional", "Quality q1: Greeted the caller",
                           "Quality q2: Verified the caller", "Quality q3: Courtesy"]
    assert [r[3] for r in body] == ["c1", "c2", "c3", "c4"]
    first = dict(zip(header, body[0], strict=True))
    assert first["agent"] == "ann" and first["queue"] == "billing"
    assert first["score"] == "100.00" and first["evaluated_at"].startswith("2026-11-18T15:00")
    assert first["comments"] == "0:05 hello | 1:05 =SUM(A1) trick"
    assert body[0][12:] == ["", "yes", "yes", "5"]
    assert body[3][12:] == ["na", "", "", ""] and body[3][10] == ""  # no score: all N/A
    assert body[3][8] == "'=Maybe"
    only = "".join(export_csv(scored.session_factory, period, scorecard_id=1))
    assert len(list(csv.reader(io.StringIO(only)))) == 4  # header + 3
    empty = "".join(export_csv(scored.session_factory,
                               date_range("2020-01-01", "2020-01-02", date(2026, 11, 30))))
    assert empty.strip().split(",")[:2] == ["evaluation_id", "evaluated_at"]


def test_date_ranges() -> None:
    today = date(2026, 11, 30)
    default = date_range(None, None, today)
    assert (default.first, default.last) == (date(2026, 11, 1), today)
    assert default.end.isoformat() == "2026-12-01T00:00:00+00:00"
    with pytest.raises(InvalidDateRangeError, match="YYYY-MM-DD"):
        date_range("18/11/2026", None, today)
    with pytest.raises(InvalidDateRangeError, match="swap"):
        date_range("2026-11-20", "2026-11-19", today)
    for first, last in ((None, "0001-01-03"), ("2026-11-01", "9999-12-31")):
        with pytest.raises(InvalidDateRangeError, match="outside the years 1900-9998"):
            date_range(first, last, today)
