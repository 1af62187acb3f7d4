"""voice calls list: the call log as a table and as JSON, including the IVR path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from voice.cli import main
from voice.compose import Services

START = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def record_call(services: Services) -> None:
    calls = services.call_repository
    calls.start_call(
        call_id="CA123", channel="twilio", flow_id="main", flow_version=3, flow_sha256="f" * 64,
        from_number="+15550123", to_number="+15550100", started_at=START, simulated=False,
    )
    calls.append_path(
        "CA123",
        [
            {"seq": 1, "at": START, "flow": "main", "node": "greeting", "type": "say",
             "outcome": "done", "input": None, "detail": None},
            {"seq": 2, "at": START + timedelta(seconds=4), "flow": "payments", "node": "card",
             "type": "gather", "outcome": "collected", "input": "************1111",
             "detail": {"sensitive": True}},
            {"seq": 3, "at": START + timedelta(seconds=20), "flow": "main", "node": "billing",
             "type": "queue", "outcome": "enqueued", "input": None, "detail": None},
        ],
    )
    calls.end_call("CA123", ended_at=START + timedelta(minutes=1), outcome="queued")


def env_for(services: Services) -> dict[str, str]:
    settings = services.settings
    return {
        "VOICE_DATA_DIR": str(settings.data_dir),
        "VOICE_DATABASE_URL": settings.database_url,
        "VOICE_FLOWS_DIR": str(settings.flows_dir),
    }


def test_calls_list_json_shows_the_path(runner: CliRunner, services: Services) -> None:
    record_call(services)

    result = runner.invoke(main, ["calls", "list", "--json"], env=env_for(services))

    assert result.exit_code == 0, result.output
    [call] = json.loads(result.stdout)
    assert (call["id"], call["flow_id"], call["flow_version"]) == ("CA123", "main", 3)
    assert (call["from_number"], call["to_number"]) == ("+15550123", "+15550100")
    assert call["started_at"] == "2025-03-14T09:00:00+00:00"
    assert call["ended_at"] == "2025-03-14T09:01:00+00:00"
    assert [s["node"] for s in call["path"]] == ["greeting", "card", "billing"]
    assert call["path"][1]["input"] == "************1111"
    assert call["path"][1]["at"] == "2025-03-14T09:00:04+00:00"


def test_calls_list_table(runner: CliRunner, services: Services) -> None:
    record_call(services)

    result = runner.invoke(main, ["calls", "list"], env=env_for(services))

    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header.split() == ["ID", "CHANNEL", "FLOW", "FROM", "TO", "START", "END", "OUTCOME",
                              "PATH"]
    assert row.startswith("CA123")
    for cell in ("twilio", "main@3", "+15550123", "2025-03-14 09:00:00Z", "queued"):
        assert cell in row
    assert row.endswith("greeting > card > billing")


def test_calls_list_when_empty(runner: CliRunner, services: Services) -> None:
    result = runner.invoke(main, ["calls", "list"], env=env_for(services))

    assert result.exit_code == 0
    assert "No calls yet" in result.stdout
