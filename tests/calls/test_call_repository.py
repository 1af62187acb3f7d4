"""CallRepository on SQLite and PostgreSQL: calls with their IVR path, read back intact."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from voice.calls.errors import CallNotFoundError, DuplicateCallError, InvalidCallDataError
from voice.calls.repository import CallRepository
from voice.compose import Services

PARIS = timezone(timedelta(hours=2))
START = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=PARIS)


@pytest.fixture
def calls(services: Services) -> CallRepository:
    return services.call_repository


def start(calls: CallRepository, call_id: str, at: datetime = START, channel: str = "sip") -> None:
    calls.start_call(
        call_id=call_id, channel=channel, flow_id="main", flow_version=3, flow_sha256="ab" * 32,
        from_number="+15550123", to_number="+15550100", started_at=at, simulated=False,
        worker="sip-1",
    )


def step(seq: int, node: str, node_type: str, **extra: object) -> dict[str, object]:
    return {
        "seq": seq, "at": START + timedelta(seconds=seq), "flow": "main", "node": node,
        "type": node_type, "outcome": extra.get("outcome"), "input": extra.get("input"),
        "detail": extra.get("detail"),
    }


def test_call_round_trip_keeps_times_and_path_order(calls: CallRepository) -> None:
    start(calls, "call-1")
    calls.append_path("call-1", [step(2, "menu", "menu", outcome="1", input="1")])
    calls.append_path(
        "call-1",
        [
            step(1, "greeting", "say", outcome="done"),
            step(3, "card", "gather", outcome="collected", input="****",
                 detail={"sensitive": True, "digits": 16}),
        ],
    )
    calls.end_call("call-1", ended_at=START + timedelta(minutes=2), outcome="queued")

    record = calls.get("call-1")

    assert record is not None
    assert record.started_at == START
    assert record.started_at.tzinfo == UTC
    assert record.ended_at == START + timedelta(minutes=2)
    assert record.ended_at is not None and record.ended_at.tzinfo == UTC
    assert (record.channel, record.flow_id, record.flow_version) == ("sip", "main", 3)
    assert (record.from_number, record.to_number, record.worker) == (
        "+15550123", "+15550100", "sip-1",
    )
    assert (record.outcome, record.simulated) == ("queued", False)
    assert [s.node for s in record.path] == ["greeting", "menu", "card"]
    card = record.path[2]
    assert (card.input, card.detail) == ("****", {"sensitive": True, "digits": 16})
    assert card.at == START + timedelta(seconds=3)
    assert card.at.tzinfo == UTC


def test_to_dict_is_json_with_iso_times(calls: CallRepository) -> None:
    start(calls, "call-1")
    calls.append_path("call-1", [step(1, "greeting", "say")])

    record = calls.get("call-1")
    assert record is not None
    data = json.loads(json.dumps(record.to_dict()))

    assert data["started_at"] == "2025-03-14T07:26:53.589000+00:00"
    assert data["ended_at"] is None
    assert data["path"] == [
        {
            "seq": 1, "at": "2025-03-14T07:26:54.589000+00:00", "flow": "main",
            "node": "greeting", "type": "say", "outcome": None, "input": None, "detail": None,
        }
    ]


def test_list_calls_newest_first_with_filters(calls: CallRepository) -> None:
    start(calls, "old", at=START)
    start(calls, "new", at=START + timedelta(hours=1))
    calls.start_call(
        call_id="sim-1", channel="sim", flow_id="main", flow_version=None, flow_sha256=None,
        from_number="+15550199", to_number="1000", started_at=START + timedelta(minutes=30),
        simulated=True,
    )

    assert [c.id for c in calls.list_calls()] == ["new", "sim-1", "old"]
    assert [c.id for c in calls.list_calls(limit=1)] == ["new"]
    assert [c.id for c in calls.list_calls(channel="sim")] == ["sim-1"]
    assert calls.get("missing") is None


def test_mistakes_are_reported_clearly(calls: CallRepository) -> None:
    start(calls, "call-1")

    with pytest.raises(DuplicateCallError, match="already started"):
        start(calls, "call-1")
    with pytest.raises(CallNotFoundError, match="'ghost'"):
        calls.append_path("ghost", [step(1, "greeting", "say")])
    with pytest.raises(CallNotFoundError):
        calls.end_call("ghost", ended_at=START, outcome="hangup")
    with pytest.raises(InvalidCallDataError, match="no time zone"):
        start(calls, "call-2", at=datetime(2025, 1, 1, 12, 0))
    with pytest.raises(InvalidCallDataError, match="channel 'pstn'"):
        start(calls, "call-3", channel="pstn")
    with pytest.raises(InvalidCallDataError, match="missing node"):
        calls.append_path("call-1", [{"seq": 1, "at": START, "flow": "main", "type": "say"}])

    calls.append_path("call-1", [step(1, "greeting", "say")])
    with pytest.raises(InvalidCallDataError, match="seq 1 is already recorded"):
        calls.append_path("call-1", [step(1, "greeting", "say")])
    record = calls.get("call-1")
    assert record is not None and len(record.path) == 1
