"""Settings: defaults from config/defaults.toml, VOICE_* overrides, and every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice.errors import SettingsError
from voice.settings import PROJECT_ROOT, load_settings


def test_defaults_give_the_embedded_setup(tmp_path: Path) -> None:
    settings = load_settings({"VOICE_DATA_DIR": str(tmp_path / "data")})

    assert settings.data_dir == tmp_path / "data"
    assert settings.data_dir.is_dir()
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'voice.db'}"
    assert settings.sqlite_path == tmp_path / "data" / "voice.db"
    assert settings.flows_dir == PROJECT_ROOT / "ivr_flows"
    assert settings.schedules_file == PROJECT_ROOT / "config" / "schedules.yaml"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert (settings.web_host, settings.web_port, settings.web_workers) == ("127.0.0.1", 8000, 2)
    assert settings.log_level == "INFO"


def test_default_data_dir_is_var_under_the_project_root() -> None:
    assert load_settings({}).data_dir == PROJECT_ROOT / "var"


def test_environment_overrides_defaults(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    settings = load_settings(
        {
            "VOICE_DATA_DIR": "state",
            "VOICE_FLOWS_DIR": "flows",
            "VOICE_SCHEDULES_FILE": "hours.yaml",
            "VOICE_PUBLIC_URL": "https://voice.example.com/",
            "VOICE_WEB_HOST": "0.0.0.0",
            "VOICE_WEB_PORT": "9000",
            "VOICE_WEB_WORKERS": "4",
            "VOICE_LOG_LEVEL": "debug",
        },
        cwd=tmp_path,
    )

    assert settings.data_dir == tmp_path / "state"
    assert settings.flows_dir == flows
    assert settings.schedules_file == tmp_path / "hours.yaml"
    assert settings.database_url == f"sqlite:///{tmp_path / 'state' / 'voice.db'}"
    assert settings.public_url == "https://voice.example.com"
    assert (settings.web_host, settings.web_port, settings.web_workers) == ("0.0.0.0", 9000, 4)
    assert settings.log_level == "DEBUG"


def test_database_urls(tmp_path: Path) -> None:
    relative = load_settings(
        {"VOICE_DATA_DIR": str(tmp_path), "VOICE_DATABASE_URL": "sqlite:///db/x.db"}, cwd=tmp_path
    )
    assert relative.database_url == f"sqlite:///{tmp_path / 'db' / 'x.db'}"

    pg_url = "postgresql+psycopg://voice:secret@db.internal:5432/voice"
    postgres = load_settings({"VOICE_DATA_DIR": str(tmp_path), "VOICE_DATABASE_URL": pg_url})
    assert postgres.database_url == pg_url
    assert postgres.sqlite_path is None
    assert "secret" not in postgres.database_url_redacted


def test_empty_variable_means_default(tmp_path: Path) -> None:
    settings = load_settings({"VOICE_DATA_DIR": str(tmp_path), "VOICE_WEB_PORT": ""})
    assert settings.web_port == 8000


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "VOICE_DATA_DIR": str(tmp_path),
                "VOICE_WEB_PORT": "abc",
                "VOICE_WEB_WORKERS": "0",
                "VOICE_LOG_LEVEL": "LOUD",
                "VOICE_PUBLIC_URL": "ftp://files.example.com",
                "VOICE_FLOWS_DIR": str(tmp_path / "missing"),
                "VOICE_DATABASE_URL": "mysql://root@localhost/voice",
            }
        )

    problems = caught.value.problems
    assert "VOICE_WEB_PORT: 'abc' is not a port number (1-65535)" in problems
    assert len(problems) == 6
    message = str(caught.value)
    for variable in (
        "VOICE_WEB_PORT",
        "VOICE_WEB_WORKERS",
        "VOICE_LOG_LEVEL",
        "VOICE_PUBLIC_URL",
        "VOICE_FLOWS_DIR",
        "VOICE_DATABASE_URL",
    ):
        assert sum(line.strip().startswith(f"{variable}:") for line in message.splitlines()) == 1
    assert f"{tmp_path / 'missing'} does not exist" in message


def test_unknown_variable_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"VOICE_DATA_DIR": str(tmp_path), "VOICE_WEB_PROT": "9000"})

    assert caught.value.problems == [
        "VOICE_WEB_PROT: unknown setting; did you mean VOICE_WEB_PORT?"
    ]


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgresql://voice@localhost/voice", "postgresql+psycopg://"),
        ("sqlite://", "in-memory"),
        ("postgresql+psycopg://voice@localhost", "names no database"),
        ("not a url", "is not a database URL"),
    ],
)
def test_bad_database_url_says_what_to_write(tmp_path: Path, url: str, hint: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"VOICE_DATA_DIR": str(tmp_path), "VOICE_DATABASE_URL": url})

    [problem] = caught.value.problems
    assert problem.startswith("VOICE_DATABASE_URL: ")
    assert hint in problem


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(SettingsError) as caught:
        load_settings({"VOICE_DATA_DIR": str(blocker / "data")})

    [problem] = caught.value.problems
    assert problem.startswith("VOICE_DATA_DIR: ")
    assert "cannot create directory" in problem or "not a directory" in problem


def test_broken_defaults_file_is_reported(tmp_path: Path) -> None:
    defaults = tmp_path / "defaults.toml"
    defaults.write_text('web_port = 8000\nweb_prot = 1\n')

    with pytest.raises(SettingsError) as caught:
        load_settings({"VOICE_DATA_DIR": str(tmp_path)}, defaults_file=defaults)

    assert f"{defaults}: unknown key 'web_prot'; did you mean web_port?" in caught.value.problems
