"""voice agents add/state/list/show/set and voice queues set/import/list/status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from voice.cli import main
from voice.compose import Services
from voice.settings import PROJECT_ROOT

QUEUES_FILE = str(PROJECT_ROOT / "config" / "queues.yaml")


@pytest.fixture
def cli_env(services: Services) -> dict[str, str]:
    settings = services.settings
    return {"VOICE_DATA_DIR": str(settings.data_dir),
            "VOICE_DATABASE_URL": settings.database_url,
            "VOICE_FLOWS_DIR": str(settings.flows_dir),
            "VOICE_AUTH_HASH_TIME_COST": "1", "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}


def run(runner: CliRunner, env: dict[str, str], *args: str, code: int = 0):  # type: ignore[no-untyped-def]
    result = runner.invoke(main, list(args), env=env)
    assert result.exit_code == code, result.output
    return result


def test_add_an_agent_and_change_their_state(runner: CliRunner, cli_env: dict[str, str],
                                             services: Services) -> None:
    added = run(runner, cli_env, "agents", "add", "ann", "--password", "agent-password-1",
                "--queues", "billing,general", "--skills", "billing:3,spanish:2",
                "--contact", "sip:ann@192.0.2.10:5060", "--twilio-identity", "ann-web",
                "--extension", "201")
    assert "Added agent 'ann' (queues: billing, general)" in added.stdout
    shown = json.loads(run(runner, cli_env, "agents", "show", "ann").stdout)
    assert shown["skills"] == {"billing": 3, "spanish": 2} and shown["state"] == "offline"
    assert shown["contact"] == "sip:ann@192.0.2.10:5060" and shown["extension"] == "201"
    assert services.user_service is not None
    assert services.user_service.check_password("ann", "agent-password-1").role == "agent"
    run(runner, cli_env, "agents", "state", "ann", "away", "--reason", "lunch")
    listed = json.loads(run(runner, cli_env, "agents", "list", "--json").stdout)
    assert [(a["name"], a["state"], a["state_reason"]) for a in listed] == [
        ("ann", "away", "lunch")]
    table = run(runner, cli_env, "agents", "list", "--queue", "billing").stdout
    assert "ann" in table and "away (lunch)" in table
    run(runner, cli_env, "agents", "set", "ann", "--queues", "support")
    assert json.loads(run(runner, cli_env, "agents", "show", "ann").stdout)["queues"] == [
        "support"]


def test_bad_input_is_named(runner: CliRunner, cli_env: dict[str, str]) -> None:
    bad = run(runner, cli_env, "agents", "add", "ann", "--password", "agent-password-1",
              "--skills", "billing:99", "--contact", "ann@example", code=1)
    assert "level must be 1-10" in bad.output and "must be a SIP URI" in bad.output
    missing = run(runner, cli_env, "agents", "state", "nobody", "available", code=1)
    assert "no agent is called 'nobody'" in missing.output
    chosen = run(runner, cli_env, "agents", "state", "nobody", "on_call", code=2)
    assert "on_call" in chosen.output


def test_queues_from_a_file_and_the_command_line(runner: CliRunner, cli_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    run(runner, cli_env, "queues", "import", QUEUES_FILE)
    names = [q["name"] for q in json.loads(run(runner, cli_env, "queues", "list",
                                                "--json").stdout)]
    assert names == ["billing", "general", "support"]
    changed = json.loads(run(runner, cli_env, "queues", "set", "billing", "--strategy",
                             "fewest_calls", "--wrap-up", "10").stdout)
    assert (changed["strategy"], changed["wrap_up"], changed["ring_timeout"]) == (
        "fewest_calls", 10, 20)
    # --only-new keeps what was changed since
    run(runner, cli_env, "queues", "import", "--only-new", QUEUES_FILE)
    again = {q["name"]: q for q in json.loads(run(runner, cli_env, "queues", "list",
                                                   "--json").stdout)}
    assert again["billing"]["strategy"] == "fewest_calls"
    broken = tmp_path / "queues.yaml"
    broken.write_text("queues:\n  x: {strategy: fastest}\n")
    failed = run(runner, cli_env, "queues", "import", str(broken), code=1)
    assert "strategy 'fastest' is unknown" in failed.output
    status = json.loads(run(runner, cli_env, "queues", "status", "billing", "--json").stdout)
    assert status == {"billing": {"waiting": 0, "longest_wait_seconds": 0.0, "agents": {}}}
