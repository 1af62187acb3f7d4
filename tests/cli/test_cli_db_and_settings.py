"""voice db upgrade/current and how every command reports bad settings."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from voice import __version__
from voice.cli import main


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])

    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_db_upgrade_creates_the_database(runner: CliRunner, tmp_path: Path) -> None:
    env = {"VOICE_DATA_DIR": str(tmp_path / "data")}

    before = runner.invoke(main, ["db", "current"], env=env)
    assert before.exit_code == 0, before.output
    assert "Run 'voice db upgrade'" in before.stdout

    result = runner.invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "voice.db").is_file()
    assert "(newest)" in result.stdout

    after = runner.invoke(main, ["db", "current"], env=env)
    assert "(newest)" in after.stdout


def test_bad_settings_exit_2_listing_every_problem(runner: CliRunner, tmp_path: Path) -> None:
    env = {
        "VOICE_DATA_DIR": str(tmp_path / "data"),
        "VOICE_WEB_PORT": "abc",
        "VOICE_LOG_LEVEL": "LOUD",
        "VOICE_FLOWS_DIR": str(tmp_path / "no-flows"),
        "VOICE_WEB_PROT": "1",
    }

    result = runner.invoke(main, ["db", "upgrade"], env=env)

    assert result.exit_code == 2
    assert "VOICE_WEB_PORT: 'abc' is not a port number (1-65535)" in result.stderr
    assert "VOICE_LOG_LEVEL: 'LOUD' is not a log level" in result.stderr
    assert f"VOICE_FLOWS_DIR: {tmp_path / 'no-flows'} does not exist" in result.stderr
    assert "VOICE_WEB_PROT: unknown setting; did you mean VOICE_WEB_PORT?" in result.stderr
    assert not (tmp_path / "data" / "voice.db").exists()
    assert "Traceback" not in result.output


def test_unreachable_database_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    env = {
        "VOICE_DATA_DIR": str(tmp_path / "data"),
        "VOICE_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/voice",
    }

    result = runner.invoke(main, ["db", "upgrade"], env=env)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: database failed:")
    assert "127.0.0.1" in result.stderr
