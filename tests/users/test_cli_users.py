"""voice users add/passwd/list/api-key/disable: staff users from the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from voice.cli import main
from voice.compose import Services
from voice.users.service import UserService

PASSWORD = "correct horse"


def add(runner: CliRunner, env: dict[str, str], name: str, role: str = "admin") -> None:
    result = runner.invoke(main, ["users", "add", name, "--role", role, "--password", PASSWORD],
                           env=env)
    assert result.exit_code == 0, result.output


def test_add_then_list_json(runner: CliRunner, cli_env: dict[str, str]) -> None:
    result = runner.invoke(
        main, ["users", "add", "alice", "--role", "admin", "--password", PASSWORD], env=cli_env)

    assert result.exit_code == 0, result.output
    assert "Added user 'alice' with role admin" in result.stdout
    add(runner, cli_env, "bob", role="agent")

    listed = runner.invoke(main, ["users", "list", "--json"], env=cli_env)

    assert listed.exit_code == 0, listed.output
    users = json.loads(listed.stdout)
    assert [(u["username"], u["role"], u["has_api_key"], u["disabled"]) for u in users] == [
        ("alice", "admin", False, False), ("bob", "agent", False, False)]
    assert users[0]["created_at"].endswith("+00:00")
    assert PASSWORD not in listed.stdout and "hash" not in listed.stdout


def test_list_table_and_empty_list(runner: CliRunner, cli_env: dict[str, str]) -> None:
    empty = runner.invoke(main, ["users", "list"], env=cli_env)
    assert empty.exit_code == 0, empty.output
    assert "No users yet" in empty.stdout

    add(runner, cli_env, "alice")
    runner.invoke(main, ["users", "api-key", "alice"], env=cli_env)
    table = runner.invoke(main, ["users", "list"], env=cli_env)

    header, row = table.stdout.splitlines()
    assert header.split() == ["USERNAME", "ROLE", "API", "KEY", "STATUS", "CREATED"]
    assert row.split()[:4] == ["alice", "admin", "yes", "active"]


def test_password_from_environment_variable(
    runner: CliRunner, cli_env: dict[str, str], users: UserService
) -> None:
    env = {**cli_env, "VOICE_USER_PASSWORD": "from the environment"}

    result = runner.invoke(main, ["users", "add", "carol", "--role", "qa"], env=env)

    assert result.exit_code == 0, result.output
    assert users.check_password("carol", "from the environment") is not None


def test_password_from_hidden_prompt(
    runner: CliRunner, cli_env: dict[str, str], users: UserService
) -> None:
    result = runner.invoke(main, ["users", "add", "dave", "--role", "supervisor"], env=cli_env,
                           input="typed secret\ntyped secret\n")

    assert result.exit_code == 0, result.output
    assert "typed secret" not in result.output  # hidden input is not echoed
    assert users.check_password("dave", "typed secret") is not None


def test_duplicate_and_invalid_users_exit_1_with_the_reason(
    runner: CliRunner, cli_env: dict[str, str]
) -> None:
    add(runner, cli_env, "alice")

    again = runner.invoke(
        main, ["users", "add", "alice", "--role", "qa", "--password", PASSWORD], env=cli_env)
    short = runner.invoke(
        main, ["users", "add", "erin", "--role", "qa", "--password", "short"], env=cli_env)
    role = runner.invoke(
        main, ["users", "add", "erin", "--role", "root", "--password", PASSWORD], env=cli_env)

    assert again.exit_code == 1
    assert "error: a user called 'alice' already exists" in again.stderr
    assert short.exit_code == 1
    assert "at least 8" in short.stderr
    assert role.exit_code == 2  # click rejects the choice and lists the roles
    assert "admin" in role.stderr and "agent" in role.stderr


def test_passwd_changes_the_password(
    runner: CliRunner, cli_env: dict[str, str], users: UserService
) -> None:
    add(runner, cli_env, "alice")

    result = runner.invoke(main, ["users", "passwd", "alice", "--password", "brand new pw"],
                           env=cli_env)

    assert result.exit_code == 0, result.output
    assert users.check_password("alice", PASSWORD) is None
    assert users.check_password("alice", "brand new pw") is not None
    unknown = runner.invoke(main, ["users", "passwd", "nobody", "--password", "brand new pw"],
                            env=cli_env)
    assert unknown.exit_code == 1
    assert "no user is called 'nobody'" in unknown.stderr


def test_api_key_is_printed_once_and_works(
    runner: CliRunner, cli_env: dict[str, str], users: UserService
) -> None:
    add(runner, cli_env, "alice")

    result = runner.invoke(main, ["users", "api-key", "alice"], env=cli_env)

    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("vk_") and "\n" not in key
    assert "shown once" in result.stderr
    user = users.check_api_key(key)
    assert user is not None and user.username == "alice"
    missing = runner.invoke(main, ["users", "api-key", "nobody"], env=cli_env)
    assert missing.exit_code == 1
    assert "no user is called 'nobody'" in missing.stderr


def test_disable_and_enable(
    runner: CliRunner, cli_env: dict[str, str], users: UserService
) -> None:
    add(runner, cli_env, "alice")

    disabled = runner.invoke(main, ["users", "disable", "alice"], env=cli_env)

    assert disabled.exit_code == 0, disabled.output
    assert users.check_password("alice", PASSWORD) is None
    assert runner.invoke(main, ["users", "enable", "alice"], env=cli_env).exit_code == 0
    assert users.check_password("alice", PASSWORD) is not None


def test_disabling_an_agent_puts_them_offline(
    runner: CliRunner, cli_env: dict[str, str], services: Services
) -> None:
    """A disabled agent must not be offered callers: the login stops and the state goes
    offline, as `voice agents disable` does; enabling keeps them offline."""
    assert services.acd is not None
    services.acd.agents.add("ann", PASSWORD, queues=["support"])
    assert services.acd.agents.set_state("ann", "available").state == "available"

    disabled = runner.invoke(main, ["users", "disable", "ann"], env=cli_env)

    assert disabled.exit_code == 0, disabled.output
    assert services.acd.agents.get("ann").state == "offline"
    assert runner.invoke(main, ["users", "enable", "ann"], env=cli_env).exit_code == 0
    assert services.acd.agents.get("ann").state == "offline"
    assert services.user_service is not None
    assert services.user_service.check_password("ann", PASSWORD) is not None
