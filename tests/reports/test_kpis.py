"""Queue KPIs (:mod:`voice.reports.kpis`) over hand-made queue entries and agent sessions,
on SQLite and PostgreSQL, with a fixed "now" (no wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from crafted_calls import queue_entry

from voice.compose import Services
from voice.reports.aggregates import queue_kpis
from voice.reports.kpis import compute, day_window
from voice.store.models import AgentSession

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


def test_kpis_over_a_day(services: Services) -> None:
    assert services.acd is not None
    services.acd.agents.add("ann", "agent-password-1", queues=["support"])
    ann = services.acd.agents.get("ann").id
    t = DAY + timedelta(hours=9)
    with services.session_factory.begin() as session:
        session.add_all([
            # answered after 10 s, talked 100 s, wrapped 20 s: SL yes, handle 120
            queue_entry("c1", "support", t, answered=10, ended=110, outcome="answered",
                        agent_id=ann),
            # answered after 30 s (threshold 20: late), talked 60 s, wrap still open
            queue_entry("c2", "support", t, answered=30, ended=90, outcome="answered",
                        agent_id=ann),
            # abandoned after 5 s: out of the SL divisor, in the abandonment rate
            queue_entry("c3", "support", t, ended=5, outcome="abandoned"),
            # abandoned after 45 s: counts against the SL
            queue_entry("c4", "support", t, ended=45, outcome="abandoned"),
            # timed out: offered only
            queue_entry("c5", "support", t, ended=300, outcome="timeout"),
            # answered, still talking: answered, not handled
            queue_entry("c6", "support", t, answered=20, agent_id=ann),
            # still waiting
            queue_entry("c7", "support", NOW - timedelta(seconds=12)),
            # yesterday, another queue: not counted
            queue_entry("old", "support", DAY - timedelta(minutes=1), answered=1, ended=2,
                        agent_id=ann),
            queue_entry("other", "sales", t, answered=1, ended=2, agent_id=ann),
            AgentSession(agent_id=ann, state="wrap_up", call_id="c1",
                         started_at=t + timedelta(seconds=110),
                         ended_at=t + timedelta(seconds=130)),
            AgentSession(agent_id=ann, state="wrap_up", call_id="c2",
                         started_at=NOW - timedelta(seconds=15), ended_at=None),
        ])
    start, end = day_window(NOW)
    with services.session_factory() as session:
        kpis = queue_kpis(session, "support", start, end, service_level=20, now=NOW)
    assert (kpis.offered, kpis.answered, kpis.abandoned, kpis.handled) == (7, 3, 2, 2)
    assert (kpis.answered_within_threshold, kpis.abandoned_after_threshold) == (2, 1)
    assert kpis.service_level_pct == 50.0  # 2 of (3 answered + 1 late abandon)
    assert kpis.asa_seconds == 20.0  # (10 + 30 + 20) / 3
    assert kpis.aht_seconds == 97.5  # (100 + 20 + 60 + 15) / 2
    assert kpis.abandonment_rate_pct == 28.6  # 2 / 7
    assert kpis.to_dict()["start"] == "2026-11-24T00:00:00+00:00"


def test_empty_window_has_no_averages() -> None:
    kpis = compute("support", DAY, DAY + timedelta(days=1), [], service_level=20, wraps={})
    assert kpis.offered == 0
    assert (kpis.service_level_pct, kpis.asa_seconds, kpis.aht_seconds,
            kpis.abandonment_rate_pct) == (None, None, None, None)


def test_threshold_is_inclusive() -> None:
    kpis = compute("q", DAY, NOW, [queue_entry("a", "q", DAY, answered=20, outcome="answered"),
                                   queue_entry("b", "q", DAY, ended=20, outcome="abandoned")],
                   service_level=20, wraps={})
    assert (kpis.answered_within_threshold, kpis.abandoned_after_threshold) == (1, 0)
    assert kpis.service_level_pct == 100.0


@pytest.mark.parametrize(("now", "zone", "start"), [
    (datetime(2026, 11, 24, 3, 0, tzinfo=UTC), "UTC", datetime(2026, 11, 24, tzinfo=UTC)),
    # 03:00 UTC is still the 23rd in New York (UTC-5 in November)
    (datetime(2026, 11, 24, 3, 0, tzinfo=UTC), "America/New_York",
     datetime(2026, 11, 23, 5, 0, tzinfo=UTC)),
    (datetime(2026, 11, 24, 3, 0, tzinfo=UTC), "Europe/Berlin",
     datetime(2026, 11, 23, 23, 0, tzinfo=UTC)),
])
def test_day_window(now: datetime, zone: str, start: datetime) -> None:
    assert day_window(now, zone) == (start, start + timedelta(days=1))
