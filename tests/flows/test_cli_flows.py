"""``voice flows`` commands as an admin uses them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from voice.cli import main
from voice.compose import Services


def _contains_digits(dump: str, *secrets: str) -> bool:
    """Whether any secret appears as a whole digit run (not inside a random hex id)."""
    return any(re.search(rf"(?<![0-9A-Za-z]){s}(?![0-9A-Za-z])", dump) for s in secrets)

REPO = Path(__file__).resolve().parents[2]
CARD = "4111111111111111"
TUESDAY = "2026-11-24T10:00:00-05:00"


@pytest.fixture
def voice(demo_customers: Services, flows_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """Run ``voice ...`` against the test database (with the demo customers) and the flows
    copy."""
    services = demo_customers
    monkeypatch.setenv("VOICE_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("VOICE_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("VOICE_FLOWS_DIR", str(flows_dir))

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(main, list(args), input=input)

    return run


def test_simulate_prints_the_dialogue_and_the_path(voice) -> None:
    result = voice("flows", "simulate", "main", "--at", TUESDAY, "--customer", "10001234",
                   "--input", "1", "--input", "10001234#", "--input", "1234#",
                   "--lookup", 'crm={"vip": false}')
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "IVR:    Thanks for calling Acme. Calls are recorded for quality and training." in lines
    assert "CALLER: presses 1" in lines
    assert "CALLER: presses ****" in lines  # the PIN, masked
    assert "  verifies account_pin for ****1234: verified (Dana Smith)" in lines
    assert "  queued in 'billing' (priority 10, skills billing, max wait 300 s)" in lines
    assert result.stdout.rstrip().splitlines()[-2] == (
        "Path: greeting(said) > hours(open) > main_menu(1) > auth(verified) > crm(ok) > "
        "vip(if customer.tier == 'gold' or vars.crm.vip) > billing_priority(waiting)")
    assert "presses 1234" not in result.stdout


def test_a_bad_canned_lookup_is_named(voice) -> None:
    for value, message in (("crm", "'crm' must look like NODE=JSON or NODE=error"),
                           ("crm={vip", "'{vip' is not JSON")):
        result = voice("flows", "simulate", "main", "--at", TUESDAY, "--no-record",
                       "--lookup", value)
        assert result.exit_code == 1 and f"error: --lookup {message}" in result.stderr


def test_simulate_interleaves_keys_and_speech_in_typed_order(voice) -> None:
    result = voice("flows", "simulate", "main", "--at", TUESDAY, "--no-record",
                   "--say", "support please", "--input", "12345#", "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert [s["node"] for s in run["path"]] == ["greeting", "hours", "main_menu",
                                                 "support_zip", "support"]
    assert run["vars"]["zip"] == "12345"
    assert run["final"] == {"type": "enqueue", "queue": "support", "priority": 0,
                            "skills": ["support"]}


def test_simulate_reads_keys_from_the_terminal(voice) -> None:
    result = voice("flows", "simulate", "main", "--at", "2026-11-29T12:00:00-05:00",
                   "--no-record", input="")
    assert result.exit_code == 0, result.output
    assert "Our office is closed." in result.stdout  # Sunday: voicemail, no keys needed
    result = voice("flows", "simulate", "main", "--at", TUESDAY, "--no-record",
                   input="0\nagent:alice\n")
    assert "agent alice answers" in result.stdout
    assert '"type": "agent"' in result.stdout


def test_simulated_calls_are_logged_with_card_digits_masked_everywhere(
        voice, services: Services) -> None:
    result = voice("flows", "simulate", "main", "--at", TUESDAY, "--input", "3",
                   "--input", f"{CARD}#", "--input", "1228", "--input", "50#",
                   "--lookup", 'charge={"approved": true, "confirmation": "Z9"}')
    assert result.exit_code == 0, result.output
    assert CARD not in result.stdout
    listed = voice("calls", "list", "--json")
    calls = json.loads(listed.stdout)
    assert len(calls) == 1 and calls[0]["channel"] == "sim" and calls[0]["simulated"]
    steps = {s["node"]: s for s in calls[0]["path"]}
    assert steps["card"]["input"] == "****1111" and steps["expiry"]["input"] == "****"
    assert steps["charge"]["flow"] == "payments"
    with services.engine.connect() as db:
        dump = " ".join(str(row) for table in ("calls", "call_events")
                        for row in db.execute(text(f"SELECT * FROM {table}")))
    assert "****1111" in dump and not _contains_digits(dump, CARD, "1228")


def test_flow_tests_pass_and_report_coverage(voice) -> None:
    result = voice("flows", "test")
    assert result.exit_code == 0, result.output
    assert "flow tests: 18 passed, 0 failed" in result.stdout
    assert "every node reached: main" in result.stdout


def test_a_failing_flow_test_says_why_and_which_nodes_no_test_reached(
        voice, tmp_path: Path) -> None:
    case = tmp_path / "t.yaml"
    case.write_text("flow: main\ntests:\n  - name: wrong\n    input: ['2', '10001#']\n"
                    "    expect:\n      final: {type: enqueue, queue: billing}\n")
    result = voice("flows", "test", str(case))
    assert result.exit_code == 1
    assert "FAIL main: wrong" in result.stdout
    assert "t.yaml:3: expected final.queue = 'billing', got 'support'" in result.stdout
    assert "not reached by any test: main: spanish, auth, crm" in result.stdout
    assert "flow tests: 0 passed, 1 failed" in result.stdout


def test_graph_formats(voice) -> None:
    dot = voice("flows", "graph", "main", "--format", "dot")
    assert dot.exit_code == 0
    assert '"main_menu" -> "auth" [label="1"];' in dot.stdout
    assert '"hours" -> "holiday" [label="holiday"];' in dot.stdout
    mermaid = voice("flows", "graph", "main")
    assert 'n_main_menu -->|"0"| n_agents' in mermaid.stdout
    assert 'n_vip -->|"if customer.tier == #quot;' not in mermaid.stdout  # single quotes stay
    assert "n_vip -->|\"if customer.tier == 'gold' or vars.crm.vip\"| n_billing_priority" \
        in mermaid.stdout


def test_publish_versions_rollback(voice, flows_dir: Path) -> None:
    first = voice("flows", "publish", "--by", "alice")
    assert first.exit_code == 0, first.output
    assert "published main version 1" in first.stdout
    assert "published payments version 1" in first.stdout
    path = flows_dir / "main.yaml"
    path.write_text(path.read_text().replace("Goodbye.", "Bye now."))
    assert "published main version 2" in voice("flows", "publish", "main").stdout
    path.write_text(path.read_text().replace("next: voicemail\n\n  holiday", "next: nowhere\n\n"
                                                                            "  holiday"))
    refused = voice("flows", "publish", "main")
    assert refused.exit_code == 1
    assert "node 'after_hours': field 'next': 'nowhere' names no node" in refused.stderr
    assert "nothing was changed" in refused.stderr
    kept = voice("flows", "rollback", "main", "--to", "1", "--by", "carol")
    assert kept.exit_code == 1 and "main.yaml holds changes that were never published" \
        in kept.stderr and "next: nowhere" in path.read_text()  # the edit is not lost
    back = voice("flows", "rollback", "main", "--to", "1", "--by", "carol", "--force")
    assert back.stdout.strip() == "published main version 3 (content of version 1)"
    assert "Goodbye." in path.read_text() and "nowhere" not in path.read_text()
    assert "unchanged" in voice("flows", "publish", "main").stdout  # file and live agree
    versions = json.loads(voice("flows", "versions", "main", "--json").stdout)
    assert [(v["version"], v["published_by"], v["live"]) for v in versions] == [
        (1, "alice", False), (2, versions[1]["published_by"], False), (3, "carol", True)]
    assert versions[0]["sha256"] == versions[2]["sha256"] != versions[1]["sha256"]
    missing = voice("flows", "versions", "nope")
    assert missing.exit_code == 1 and "never been published" in missing.stderr
    # each publish and the rollback is in the audit log (door cli); refusals are not
    audited = json.loads(voice("audit", "list", "--json", "--entity-type", "flow").stdout)
    rows = [(row["action"], row["entity_id"], row["details"]["version"], row["via"])
            for row in audited]
    assert rows[:2] == [("flow.rollback", "main", 3, "cli"), ("flow.publish", "main", 2, "cli")]
    assert sorted(rows[2:]) == [("flow.publish", "main", 1, "cli"),
                                ("flow.publish", "payments", 1, "cli")]
    assert audited[0]["details"]["to_version"] == 1


def test_simulate_published_version(voice, flows_dir: Path) -> None:
    voice("flows", "publish")
    path = flows_dir / "main.yaml"
    path.write_text(path.read_text().replace("Thanks for calling Acme.", "Draft greeting."))
    draft = voice("flows", "simulate", "main", "--at", TUESDAY, "--no-record", input="")
    live = voice("flows", "simulate", "main", "--published", "--at", TUESDAY, "--no-record",
                 input="")
    assert "Draft greeting." in draft.stdout
    assert "Thanks for calling Acme." in live.stdout
