"""Fixtures of the softphone tests: the real web app on a loopback port, an agent, and
``voice softphone`` subprocesses whose output the test reads line by line.

The web app runs in-process (werkzeug, threaded because of the agents' event streams) over a
migrated SQLite database; the test's own :class:`Services` share that database. Every
softphone started is killed in ``finally``.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from softphone_harness import AGENT, FAST_HASHING, PASSWORD, QUEUE, VOICE, PhoneProcess, Site
from werkzeug.serving import BaseWSGIServer, make_server

from voice.app import create_app
from voice.compose import build_services
from voice.settings import Settings
from voice.store.migrate import upgrade


@pytest.fixture
def site(tmp_path: Path, make_settings: Callable[..., Settings]) -> Iterator[Site]:
    """The web app on a free loopback port (SQLite), with agent alice in queue support."""
    settings = make_settings(f"sqlite:///{tmp_path / 'voice.db'}", tmp_path / "data",
                             **FAST_HASHING)
    upgrade(settings.database_url)
    services = build_services(settings)
    app = create_app(settings)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="web", daemon=True)
    thread.start()
    try:
        assert services.acd is not None
        services.acd.agents.add(AGENT, PASSWORD, queues=[QUEUE])
        yield Site(f"http://127.0.0.1:{server.server_port}", services)
    finally:
        server.shutdown()
        thread.join(10)
        app.extensions["voice"].close()
        services.close()


@pytest.fixture
def start_phone(site: Site, tmp_path: Path) -> Iterator[Callable[..., PhoneProcess]]:
    """``start_phone(*args, password=, keys=, server=, stdin=, user=)``: run
    ``voice softphone`` (as agent alice by default) with ``--null-audio`` (and ``--no-keys`` unless
    ``keys``); stdin is a pipe (``PhoneProcess.send``) unless a file descriptor is given."""
    started: list[PhoneProcess] = []

    def start(*args: str, password: str = PASSWORD, keys: bool = False,
              server: str | None = None, stdin: int | None = None,
              user: str = AGENT) -> PhoneProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")}
        env["VOICE_AGENT_PASSWORD"] = password
        env["PYTHONUNBUFFERED"] = "1"
        command = [str(VOICE), "softphone", "--server", server or site.url, "--user", user,
                   "--null-audio", *([] if keys else ["--no-keys"]), *args]
        errors = tmp_path / f"softphone-{len(started)}.err"
        with errors.open("w") as sink:
            process = subprocess.Popen(command, env=env, cwd=tmp_path, text=True,
                                       stdin=stdin if stdin is not None else subprocess.PIPE,
                                       stdout=subprocess.PIPE,
                                       stderr=sink)
        phone = PhoneProcess(process, errors)
        phone.start_reading()
        started.append(phone)
        return phone

    try:
        yield start
    finally:
        for phone in started:
            phone.kill()
