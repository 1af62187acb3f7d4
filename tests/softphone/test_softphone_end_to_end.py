"""End to end over SIP with the agent's own softphone: a SIPp caller dials the queue line,
authenticates with account and PIN, queues; ``voice softphone --null-audio --auto-answer``
rings, shows the screen pop, answers and talks; a CRM receives the signed ``call.offered``
first; the recording has the agent's channel.

Real parts: SIPp, a media worker process, the web app (serving the softphone's API) on
loopback, the softphone process (pjsua2), a webhook receiver verifying with the
``standardwebhooks`` library, SQLite.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from demo_data import import_demo_customers
from sip_harness import Caller, SipSite, open_site, sox_stat
from softphone_harness import PASSWORD, VOICE, PhoneProcess, wait_until
from webhook_receiver import running_receiver
from werkzeug.serving import make_server

from voice.app import create_app
from voice.settings import load_settings

PIN_STEPS = [("wait", 1500), ("info", "10001234#"), ("wait", 1500), ("info", "1234#")]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SipSite]:
    yield from open_site(tmp_path, ["queueline"], "sipp", "espeak-ng", "sox",
                         values={"callback": "false"})


@pytest.fixture
def web(site: SipSite) -> Iterator[str]:
    """The web app over the site's database on a free loopback port; its base URL."""
    app = create_app(load_settings({**site.env, "VOICE_AUTH_HASH_TIME_COST": "1",
                                    "VOICE_AUTH_HASH_MEMORY_KIB": "8192"}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        app.extensions["voice"].close()


def _softphone(web: str, folder: Path, *args: str) -> PhoneProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")}
    env.update(VOICE_AGENT_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
    errors = folder / "softphone.err"
    with errors.open("w") as sink:
        process = subprocess.Popen(
            [str(VOICE), "softphone", "--server", web, "--user", "ann", "--null-audio",
             "--no-keys", "--auto-answer", "--available", *args], env=env, cwd=folder,
            text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sink)
    phone = PhoneProcess(process, errors)
    phone.start_reading()
    return phone


def test_caller_to_queue_to_the_agents_softphone(site: SipSite, web: str,
                                                 tmp_path: Path) -> None:
    services = site.services
    assert services is not None and services.acd is not None
    assert services.webhook_endpoints is not None
    import_demo_customers(services)
    acd = services.acd
    acd.agents.add("ann", PASSWORD, queues=["support"])
    phone = _softphone(web, tmp_path, "--answer-after", "1", "--hangup-after", "4")
    try:
        phone.wait_for("READY contact=sip:ann@127.0.0.1:")
        wait_until(lambda: acd.agents.get("ann").state == "available", what="ann available")
        with running_receiver() as crm:
            _id, crm.secret = services.webhook_endpoints.add(crm.url,
                                                             events=["call.offered"])
            worker = site.start_worker()
            caller = Caller([*PIN_STEPS, ("expect_bye", 40000)], number="2200")
            result = caller.call(worker.port, tmp_path / "caller")
            assert result.returncode == 0, result.stdout + worker.output()
            [pop] = crm.wait_for(1)
        offered = phone.wait_for("OFFERED ")
        assert "from=+15550142" in offered and "verified=true" in offered
        assert "customer=Dana Smith" in offered
        phone.wait_for("CONNECTED")
        phone.wait_for("ENDED reason=hangup")  # the agent hung up: the caller got the BYE
        wait_until(lambda: acd.agents.get("ann").state == "wrap_up", what="wrap-up")
    finally:
        assert phone.terminate() == 0, phone.stderr()
    assert pop.verified, pop.problem
    data = pop.json()["data"]
    assert data["from"] == "+15550142" and data["authentication"]["verified"] is True
    assert data["agent"]["name"] == "ann"
    assert [step["node"] for step in data["ivr_path"]] == ["hello", "auth"]
    call = services.call_repository.list_calls(channel="sip")[0]
    line = next(s for s in call.path if s.node == "line")
    assert line.outcome == "agent" and (line.detail or {}).get("agent") == "ann"
    assert acd.agents.get("ann").state == "offline"  # the softphone signed off
    worker.stop()
    assert services.recording_service is not None
    [recording] = services.recording_service._repository.list_for_call(call.id)
    wav = services.recording_service.recordings_dir / recording.path
    assert sox_stat(wav)["Length (seconds)"] > 6
