"""Fixtures for the Twilio front-end tests (the harness itself is ``twilio_harness.py``)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from demo_data import import_demo_customers
from fakes.twilio_api import FakeTwilioApi, serve_fake_twilio
from twilio_harness import PUBLIC, TOKEN, TUESDAY_10AM_NY, Clock, TwilioLine, _Backend

from voice.app import create_app
from voice.settings import Settings
from voice.store.migrate import upgrade


@pytest.fixture
def backend() -> Iterator[ThreadingHTTPServer]:
    """A local CRM + payment server the flows' lookups call instead of the internet."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    server.charges = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    _Backend.slow_seconds = 0.0
    server.shutdown()
    server.server_close()


@pytest.fixture
def local_flows(tmp_path: Path, backend: ThreadingHTTPServer) -> Path:
    """The demo flows with their CRM and payment URLs pointed at ``backend``."""
    target = tmp_path / "flows"
    shutil.copytree(Path(__file__).resolve().parents[2] / "ivr_flows", target)
    base = f"http://127.0.0.1:{backend.server_address[1]}"
    for path in target.glob("*.yaml"):
        path.write_text(path.read_text()
                        .replace("https://crm.acme.example", base)
                        .replace("https://payments.acme.example", base))
    return target


@pytest.fixture
def twilio_cloud() -> Iterator[FakeTwilioApi]:
    """Twilio's REST API (recordings), faked on loopback, with this file's auth token."""
    with serve_fake_twilio(FakeTwilioApi(auth_token=TOKEN)) as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock(TUESDAY_10AM_NY)


@pytest.fixture
def twilio_app(db_url: str, tmp_path: Path, make_settings, clock: Clock,
               local_flows: Path, twilio_cloud: FakeTwilioApi) -> Iterator:
    """The web app with TWILIO_AUTH_TOKEN set, the demo flows published, a frozen clock."""
    settings: Settings = make_settings(db_url, tmp_path / "data", VOICE_PUBLIC_URL=PUBLIC,
                                       **twilio_cloud.settings_env(),
                                       VOICE_FLOWS_DIR=str(local_flows),
                                       VOICE_LOOKUP_BUDGET="0.5")
    upgrade(settings.database_url)
    app = create_app(settings, clock=clock)
    services = app.extensions["voice"]
    services.flow_catalog.publish(published_by="test")
    import_demo_customers(services)
    try:
        yield app
    finally:
        services.close()


@pytest.fixture
def line(twilio_app, clock: Clock) -> TwilioLine:
    return TwilioLine(twilio_app.test_client(), clock)
