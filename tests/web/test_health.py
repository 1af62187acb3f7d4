"""GET /healthz: ok when the database is usable, 503 with the reason when it is not."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from voice.app import create_app
from voice.settings import Settings
from voice.store.migrate import upgrade


def test_healthy(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_sqlite_data_dir_removed(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    data_dir = tmp_path / "data"
    settings = make_settings(f"sqlite:///{data_dir / 'voice.db'}", data_dir)
    upgrade(settings.database_url)
    app = create_app(settings)
    try:
        client = app.test_client()
        assert client.get("/healthz").status_code == 200

        shutil.rmtree(data_dir)
        response = client.get("/healthz")

        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "error"
        assert "voice.db is missing" in body["database"]
    finally:
        app.extensions["voice"].close()


def test_postgresql_unreachable(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/voice"
    app = create_app(make_settings(url, tmp_path / "data"))
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.extensions["voice"].close()

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert "127.0.0.1:1" in body["database"]


def test_schema_not_migrated(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    data_dir = tmp_path / "data"
    app = create_app(make_settings(f"sqlite:///{data_dir / 'voice.db'}", data_dir))
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.extensions["voice"].close()

    assert response.status_code == 503
    assert "run 'voice db upgrade'" in response.get_json()["database"]
