"""The QA recordings list query (:mod:`voice.qa.archive`) on SQLite and PostgreSQL: every
filter narrows the list to exactly the right recordings, search needs every word in one
segment and marks them, and the keyset pages walk the whole list both ways."""

from __future__ import annotations

from datetime import timedelta

import pytest
from qa_data import T0, CallSpec, add_call

from voice.compose import Services
from voice.qa import archive
from voice.qa.archive import ArchiveFilters, Cursor, caller_variants, list_recordings, mark_words
from voice.qa.errors import ArchiveFilterError

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def calls(services: Services) -> Services:
    """Five calls (see each spec) on three days."""
    for spec in (
        CallSpec("c1", T0, "+15550101", agent="alice", duration=100, auth="verified",
                 said=[("caller", 1.0, 3.0, "I want a refund please"),
                       ("agent", 4.0, 6.0, "the refund is on its way")]),
        CallSpec("c2", T0 + HOUR, "+15550102", queue="support", agent="bob", duration=30,
                 auth="failed", said=[("caller", 2.0, 4.0, "my router has a red light")]),
        CallSpec("c3", T0 + 2 * HOUR, "+15550103", flow="sales", agent="alice", duration=300,
                 said=[("caller", 1.0, 2.0, "red"), ("agent", 3.0, 4.0, "router")]),
        CallSpec("c4", T0 + DAY, "+15550101", queue=None, duration=75, kind="voicemail",
                 said=[("caller", 0.5, 4.0, "call me back about the refund")]),
        CallSpec("c5", T0 + 2 * DAY, "+15550105", queue="support", agent="bob", duration=45,
                 auth="verified"),
    ):
        add_call(services, spec)
    return services


def ids(services: Services, **filters: object) -> list[str]:
    with services.session_factory() as session:
        page = list_recordings(session, ArchiveFilters(**filters))  # type: ignore[arg-type]
    return [row.call_id for row in page.rows]


def test_newest_call_first_with_what_the_list_shows(calls: Services) -> None:
    with calls.session_factory() as session:
        page = list_recordings(session, ArchiveFilters())
    assert [r.call_id for r in page.rows] == ["c5", "c4", "c3", "c2", "c1"]
    assert page.total == 5 and page.older is None and page.newer is None
    c1 = page.rows[-1]
    assert (c1.from_number, c1.flow_id, c1.queue, c1.agent, c1.duration_s, c1.auth,
            c1.kind) == ("+15550101", "main", "billing", "alice", 100.0, "verified", "call")
    assert page.rows[1].kind == "voicemail" and page.rows[1].duration_s == 60.0
    assert page.rows[2].auth is None and page.rows[3].auth == "failed"


@pytest.mark.parametrize(("filters", "expected"), [
    ({"since": T0 + HOUR, "until": T0 + DAY}, ["c3", "c2"]),
    ({"flow": "sales"}, ["c3"]),
    ({"queue": "billing"}, ["c3", "c1"]),
    ({"agent": "bob"}, ["c5", "c2"]),
    ({"caller": "1 555-0101"}, ["c4", "c1"]),
    ({"caller": "+1 (555) 010.1"}, ["c4", "c1"]),
    ({"caller": "+15550109"}, []),
    ({"min_duration": 45, "max_duration": 100}, ["c5", "c4", "c1"]),
    ({"verified": True}, ["c5", "c1"]),
    ({"verified": False}, ["c4", "c3", "c2"]),
    ({"query": "refund"}, ["c4", "c1"]),
    ({"query": "REFUND, please!"}, ["c1"]),
    ({"query": "router red"}, ["c2"]),  # c3 has the words, but in two segments
    ({"query": "zebra"}, []),
    ({"query": "refund", "caller": "15550101", "verified": True}, ["c1"]),
    ({"queue": "support", "min_duration": 40}, ["c5"]),
])
def test_each_filter_narrows_the_list(calls: Services, filters: dict[str, object],
                                      expected: list[str]) -> None:
    assert ids(calls, **filters) == expected


def test_a_search_that_walks_finds_the_same(calls: Services,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Common words walk the calls newest first (on either database): same answers."""
    monkeypatch.setattr(archive, "FEW_HITS", 0)
    monkeypatch.setattr(archive, "PG_FEW_HITS", -1)
    assert ids(calls, query="refund") == ["c4", "c1"]
    assert ids(calls, query="router red") == ["c2"]
    assert ids(calls, query="refund", verified=True) == ["c1"]
    assert ids(calls, query="zebra") == []


def test_search_rows_carry_the_first_matching_line(calls: Services) -> None:
    with calls.session_factory() as session:
        page = list_recordings(session, ArchiveFilters(query="refund"))
    c4, c1 = page.rows
    assert c1.snippet == [("I want a ", False), ("refund", True), (" please", False)]
    assert (c1.snippet_speaker, c1.snippet_at) == ("caller", 1.0)
    assert c4.snippet_at == 0.5


def test_pages_walk_the_whole_list_both_ways(services: Services) -> None:
    for n in range(60):
        add_call(services, CallSpec(f"p{n:02d}", T0 + n * HOUR, f"+1555020{n:02d}"))
    add_call(services, CallSpec("tie", T0 + 30 * HOUR, "+15550300"))  # same start as p30
    newest = [f"p{n:02d}" for n in range(59, -1, -1)]
    newest.insert(newest.index("p30"), "tie")  # a higher recording id comes first
    seen, before = [], None
    with services.session_factory() as session:
        pages = []
        while True:
            page = list_recordings(session, ArchiveFilters(), before=before, size=25)
            pages.append(page)
            seen += [row.call_id for row in page.rows]
            if page.older is None:
                break
            before = page.older
        assert seen == newest
        assert [len(p.rows) for p in pages] == [25, 25, 11]
        assert pages[0].newer is None and pages[1].newer is not None
        assert pages[0].total == 61
        back = list_recordings(session, ArchiveFilters(), after=pages[2].newer, size=25)
        assert [r.call_id for r in back.rows] == [r.call_id for r in pages[1].rows]
        assert back.newer is not None and back.older is not None
        first = list_recordings(session, ArchiveFilters(), after=back.newer, size=25)
        assert [r.call_id for r in first.rows] == newest[:25] and first.newer is None


@pytest.mark.parametrize("walk", [False, True], ids=["from the matches", "walking"])
def test_search_pages_and_their_totals(services: Services, monkeypatch: pytest.MonkeyPatch,
                                       walk: bool) -> None:
    if walk:
        monkeypatch.setattr(archive, "FEW_HITS", 0)
        monkeypatch.setattr(archive, "PG_FEW_HITS", -1)
    for n in range(40):
        said = "I need a refund" if n % 4 else "the invoice is wrong"
        add_call(services, CallSpec(f"s{n:02d}", T0 + n * HOUR, f"+1555050{n:02d}",
                                    auth="verified" if n % 2 else None,
                                    said=[("caller", 1.0, 2.0, said)]))
    refunds = [f"s{n:02d}" for n in range(39, -1, -1) if n % 4]
    with services.session_factory() as session:
        first = list_recordings(session, ArchiveFilters(query="refund"), size=25)
        second = list_recordings(session, ArchiveFilters(query="refund"), before=first.older,
                                 size=25)
        verified = list_recordings(session, ArchiveFilters(query="refund", verified=True))
        nowhere = list_recordings(session, ArchiveFilters(query="refund", agent="nobody"))
    assert [r.call_id for r in first.rows + second.rows] == refunds
    assert second.older is None and second.newer == second.rows[0].cursor
    assert [r.call_id for r in verified.rows] == [c for c in refunds if int(c[1:]) % 2]
    assert nowhere.rows == []
    # a search that walks is not counted (it would have to walk everything)
    expected = (None, None, None, None) if walk else (30, 30, 20, 0)
    assert (first.total, second.total, verified.total, nowhere.total) == expected


def test_counts_stop_at_the_cap(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "COUNT_CAP", 2)
    for n in range(4):
        add_call(services, CallSpec(f"k{n}", T0 + n * HOUR, "+15550400",
                                    said=[("caller", 1.0, 2.0, "a refund")]))
    with services.session_factory() as session:
        page = list_recordings(session, ArchiveFilters())
        search = list_recordings(session, ArchiveFilters(query="refund"))
    assert page.total == 3 and page.total_capped
    assert search.total == 3 and search.total_capped


def test_bad_values_are_refused_with_what_to_do() -> None:
    with pytest.raises(ArchiveFilterError, match="Older/Newer links"):
        Cursor.decode("yesterday~1", "before")
    with pytest.raises(ArchiveFilterError, match="Older/Newer"):
        Cursor.decode("2026-11-20T09:00:00~x", "before")  # no zone and no id
    cursor = Cursor(T0, 42)
    assert Cursor.decode(cursor.encode(), "before") == cursor
    assert Cursor.decode(cursor.encode().replace("+", " "), "before") == cursor  # unencoded
    with pytest.raises(ArchiveFilterError, match="25, 50, 100"):
        list_recordings(None, ArchiveFilters(), size=7)  # type: ignore[arg-type]


def test_caller_numbers_and_marked_words() -> None:
    assert caller_variants(" +1 (555) 010-0101 ") == ["15550100101", "+15550100101"]
    assert caller_variants("--") == []
    assert mark_words("Refund? refunds, REFUND.", ["refund"]) == [
        ("Refund", True), ("? refunds, ", False), ("REFUND", True), (".", False)]


def test_the_list_tells_authentication_as_the_call_page_does(calls: Services) -> None:
    """A later authenticate visit the caller hung up in (no outcome) does not hide that they
    were verified earlier in the call: the list, its filter and the call page agree."""
    calls.call_repository.append_path("c5", [{
        "seq": 50, "at": T0 + 2 * DAY + timedelta(seconds=30), "flow": "main",
        "node": "auth_again", "type": "authenticate", "outcome": None}])
    with calls.session_factory() as session:
        [c5] = [r for r in list_recordings(session, ArchiveFilters()).rows if r.call_id == "c5"]
    record = calls.call_repository.get("c5")
    assert record is not None and record.auth is not None
    assert c5.auth == record.auth["outcome"] == "verified"
    assert "c5" in ids(calls, verified=True)
