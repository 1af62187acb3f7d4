"""``voice audit list`` and the audit rows of the CLI commands that change queues, agents,
users, webhooks and customers (door ``cli``, actor the login name, never a secret)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tooling import TEST_HASHING

from voice.audit.log import cli_actor
from voice.cli import main
from voice.compose import Services

PASSWORD = "correct horse battery"


@pytest.fixture
def voice(services: Services, runner: CliRunner) -> Callable[..., Result]:
    """Run ``voice ARGS...`` on the test database; fails the test on a non-zero exit."""
    env = {"VOICE_DATA_DIR": str(services.settings.data_dir),
           "VOICE_DATABASE_URL": services.settings.database_url,
           "VOICE_FLOWS_DIR": str(services.settings.flows_dir), **TEST_HASHING}

    def run(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(main, list(args), env=env)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_cli_changes_are_audited_and_listed(voice: Callable[..., Result], services: Services,
                                            tmp_path: Path) -> None:
    voice("users", "add", "ada", "--role", "admin", "--password", PASSWORD)
    key = voice("users", "api-key", "ada").stdout.strip()
    voice("users", "passwd", "ada", "--password", "another long one")
    voice("users", "disable", "ada")
    voice("users", "enable", "ada")
    voice("queues", "set", "billing", "--wrap-up", "45")
    voice("queues", "set", "billing", "--wrap-up", "60")
    voice("agents", "add", "ann", "--password", PASSWORD, "--queues", "billing")
    voice("agents", "set", "ann", "--skills", "billing:3")
    voice("agents", "state", "ann", "available")
    added = json.loads(voice("webhooks", "add", "http://127.0.0.1:9/hook", "--json").stdout)
    rotated = json.loads(voice("webhooks", "rotate", str(added["id"]), "--json").stdout)
    voice("webhooks", "disable", str(added["id"]))
    voice("webhooks", "enable", str(added["id"]))
    voice("webhooks", "remove", str(added["id"]))
    voice("customers", "add", "10001234", "--first-name", "Ada", "--last-name", "Lovelace",
          "--pin", "4321")
    csv = tmp_path / "customers.csv"
    csv.write_text("account_number,first_name,last_name,phones,tier,pin\n"
                   "20005678,Bob,Stone,+15550199,standard,8765\n")
    voice("customers", "import", str(csv))
    voice("customers", "unlock", "10001234")

    listed = json.loads(voice("audit", "list", "--json", "--limit", "100").stdout)
    assert [row["action"] for row in reversed(listed)] == [
        "user.add", "user.api_key", "user.passwd", "user.disable", "user.enable",
        "queue.add", "queue.update", "agent.add", "agent.update", "agent.state",
        "webhook.add", "webhook.rotate", "webhook.disable", "webhook.enable",
        "webhook.remove", "customer.add", "customer.import", "customer.unlock"]
    assert {(row["actor"], row["via"]) for row in listed} == {(cli_actor(), "cli")}
    everything = json.dumps(listed)
    for secret in (key, added["secret"], rotated["secret"], PASSWORD, "4321", "8765",
                   "10001234"):
        assert secret not in everything

    queues = json.loads(voice("audit", "list", "--json", "--entity-type", "queue").stdout)
    assert queues[0]["details"] == {"changes": {"wrap_up": [45, 60]}}
    assert json.loads(voice("audit", "list", "--json", "--actor", "nobody").stdout) == []
    limited = json.loads(voice("audit", "list", "--json", "--limit", "2").stdout)
    assert [row["action"] for row in limited] == ["customer.unlock", "customer.import"]


def test_table_output_and_empty_log(voice: Callable[..., Result], services: Services) -> None:
    assert "No audit entries match." in voice("audit", "list").stdout
    assert services.audit is not None
    services.audit.record(actor="ada", actor_role="admin", via="web", action="queue.update",
                          entity_type="queue", entity_id="billing",
                          summary="Changed queue billing: wrap_up")
    header, row = voice("audit", "list").stdout.splitlines()
    assert header.split()[:4] == ["ID", "WHEN", "(UTC)", "ACTOR"]
    assert "ada (admin)" in row and "queue billing" in row
    assert row.endswith("Changed queue billing: wrap_up")
    bad = voice("audit", "list", "--limit", "0", ok=False)
    assert bad.exit_code == 2


def test_voice_actor_names_who_ran_the_command(services: Services, runner: CliRunner) -> None:
    env = {"VOICE_DATA_DIR": str(services.settings.data_dir),
           "VOICE_DATABASE_URL": services.settings.database_url,
           "VOICE_FLOWS_DIR": str(services.settings.flows_dir), "VOICE_ACTOR": "deploy-bot",
           **TEST_HASHING}
    result = runner.invoke(main, ["queues", "set", "billing", "--wrap-up", "45"], env=env)
    assert result.exit_code == 0, result.output
    assert services.audit is not None
    [entry] = services.audit.entries()
    assert (entry.actor, entry.via, entry.action) == ("deploy-bot", "cli", "queue.add")


def test_a_user_id_without_a_name_is_logged_as_unknown(
        voice: Callable[..., Result], services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In a container whose user id has no passwd entry (and no USER), getpass fails: the
    command must still finish (the change is already committed) and print its result."""
    import getpass

    def nameless() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.delenv("VOICE_ACTOR", raising=False)
    monkeypatch.setattr(getpass, "getuser", nameless)
    result = voice("webhooks", "add", "http://127.0.0.1:9/crm")
    assert "whsec_" in result.stdout  # the secret, shown once, was not lost to a traceback
    assert services.audit is not None
    [entry] = services.audit.entries()
    assert (entry.actor, entry.action) == ("unknown", "webhook.add")
    published = voice("flows", "publish", "main")
    assert "main" in published.stdout
    [version] = services.flow_catalog.repository.versions("main")
    assert version.published_by == "unknown"
