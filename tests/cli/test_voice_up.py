"""voice up end to end: a real process migrates, publishes the demo flows, serves and stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from voice.sip.kamailio import sip_options_ping

STARTUP_LIMIT_S = 30
STOP_LIMIT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def voice_command() -> list[str]:
    script = Path(sys.executable).with_name("voice")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from voice.cli import main; main()"]


def wait_until_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> dict:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"voice up exited with {process.returncode}:\n{log.read_text()}")
        try:
            response = httpx.get(f"{base}/healthz", timeout=2)
            if response.status_code == 200:
                return response.json()
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    pytest.fail(f"/healthz not ok within {STARTUP_LIMIT_S}s ({last}):\n{log.read_text()}")


def test_voice_up_serves_published_flows_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    sip_port = free_udp_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICE_")}
    env.update(
        VOICE_DATA_DIR=str(tmp_path / "data"),
        VOICE_WEB_PORT=str(port),
        VOICE_WEB_WORKERS="1",
        VOICE_SIP_PORT=str(sip_port),
    )
    log = tmp_path / "voice-up.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*voice_command(), "up"], env=env, stdout=output, stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        try:
            assert wait_until_healthy(process, base, log) == {"status": "ok", "database": "ok"}
            assert httpx.get(f"{base}/api/flows", timeout=5).status_code == 401  # staff only
            subprocess.run([*voice_command(), "users", "add", "ada", "--role", "admin",
                            "--password", "a long admin password"], env=env, cwd=tmp_path,
                           check=True, capture_output=True)
            flows = httpx.get(f"{base}/api/flows", timeout=5,
                              auth=("ada", "a long admin password")).json()["flows"]
            assert flows, "voice up published no flows"
            assert all(flow["published_by"] == "voice up" for flow in flows)
            # the demo queues are configured, and the agent desktop asks for a login
            page = httpx.get(f"{base}/agent", timeout=5)
            assert page.status_code == 303 and "/login" in page.headers["location"]
            deadline = time.monotonic() + STARTUP_LIMIT_S
            # `voice sip` says it is ready once its worker listens; only then ping it (a ping
            # sent earlier could take the still-free port as its own source port)
            while f"SIP: calls to udp:127.0.0.1:{sip_port}" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
            assert sip_options_ping("127.0.0.1", sip_port, timeout=2) == 200  # it answers SIP
            while "queue sqlite" not in log.read_text():  # the task worker runs too
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)

            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=STOP_LIMIT_S)
        finally:
            if process.poll() is None:  # a failed check: stop it the way an operator would,
                process.send_signal(signal.SIGTERM)  # so its children stop too
                try:
                    process.wait(timeout=STOP_LIMIT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    text = log.read_text()
    assert returncode == 0, text
    assert f"Web: http://127.0.0.1:{port}/" in text
    assert f"SIP: udp:127.0.0.1:{sip_port}" in text
    assert "/twilio/voice" in text
    assert "Configured queues from queues.yaml: billing, support, general" in text
    assert f"Agents: http://127.0.0.1:{port}/agent" in text
    assert f"Staff: http://127.0.0.1:{port}/login" in text and "voice demo seed" in text
    assert "Worker: no VOICE_VOSK_MODEL" in text and "worker worker-" in text
    assert (tmp_path / "data" / "voice.db").is_file()
