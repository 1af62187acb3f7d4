"""baresip as a real softphone in SIP tests, driven through its ``ctrl_tcp`` module.

``Softphone.start(folder)`` writes a baresip 1.0 configuration into ``folder`` (SIP on
127.0.0.1 on a free port, no registration, no sound card: the microphone is a quiet tone read
by ``aufile`` from a WAV file and the speaker is an ``aubridge`` device nobody listens to;
G.711 only; ``menu`` for the call commands; ``ctrl_tcp`` on another free port), starts
``baresip -f folder`` and connects to the control socket.

The control protocol is JSON in netstrings (``<length>:<json>,``) both ways:

* command: ``{"command": "dial", "params": "sip:2000@127.0.0.1:5060", "token": "3"}``; the
  answer is ``{"response": true, "ok": true, "data": "...", "token": "3"}``. The commands are
  those of the ``menu`` module: ``dial``, ``hangup``, ``sndcode`` (send DTMF, RFC 2833 when
  the call negotiated telephone-event), ``listcalls``, ``transfer``, ...
* event: ``{"event": true, "type": "CALL_ESTABLISHED", "class": "call", "id": "<Call-ID>",
  "peeruri": "sip:...", "param": "..."}``; types used here: CALL_RINGING, CALL_ESTABLISHED,
  TRANSFER (a REFER was accepted; ``param`` is the Refer-To target), CALL_CLOSED (``param``
  the reason).

baresip also runs with ``-v -s`` so its log (``Softphone.output()``) has the SIP trace.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sip_harness import free_port, require_tools

#: where Debian's baresip-core puts its modules (and other common places)
MODULE_DIRS = ("/usr/lib/baresip/modules", "/usr/lib/x86_64-linux-gnu/baresip/modules",
               "/usr/local/lib/baresip/modules")
MODULES = ("g711", "aufile", "aubridge", "account", "menu", "ctrl_tcp")

Event = dict[str, Any]


def module_dir() -> Path:
    """The baresip module folder holding every module the tests load; fail under CI=true
    (skip otherwise) when baresip or one of the modules is missing."""
    require_tools("baresip")
    for folder in MODULE_DIRS:
        if all((Path(folder) / f"{name}.so").exists() for name in MODULES):
            return Path(folder)
    message = (f"baresip modules {', '.join(MODULES)} not found in {', '.join(MODULE_DIRS)}; "
               "install with apt-get install baresip-core")
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def tone_wav(path: Path, seconds: float = 60, hz: float = 440, level: float = 0.02) -> Path:
    """A quiet sine tone as 8 kHz 16-bit mono WAV: the softphone's microphone."""
    rate = 8000
    frames = b"".join(struct.pack("<h", int(level * 32767 * math.sin(2 * math.pi * hz * n / rate)))
                      for n in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def sip_port() -> int:
    """A port P free for UDP and TCP with P + 1 free for TCP: baresip 1.0 always listens on
    UDP and TCP at ``sip_listen`` and on TLS at the next port (it has no ``sip_transports``)."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


CONFIG = """\
poll_method\t\tepoll
module_path\t\t{modules}
net_interface\t\t127.0.0.1
sip_listen\t\t127.0.0.1:{sip_port}
call_local_timeout\t120
call_max_calls\t\t4
audio_player\t\taubridge,speaker
audio_alert\t\taubridge,speaker
audio_source\t\taufile,{mic}
rtp_ports\t\t20000-40000
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\taubridge.so
module_tmp\t\taccount.so
module_app\t\tmenu.so
module\t\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}
"""


@dataclass
class Softphone:
    """A running baresip and its control connection (see the module docstring)."""

    folder: Path
    sip_port: int
    ctrl_port: int
    process: subprocess.Popen[bytes]
    log: Path
    sock: socket.socket | None = None
    events: list[Event] = field(default_factory=list)
    responses: dict[str, Event] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _reader: threading.Thread | None = None
    _tokens: int = 0

    @classmethod
    def start(cls, folder: Path, user: str = "softphone") -> Softphone:
        """Configure and start baresip in ``folder``; connect to its control socket."""
        modules = module_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sip = sip_port()
        ctrl_port = free_port(socket.SOCK_STREAM)
        while ctrl_port in (sip, sip + 1):
            ctrl_port = free_port(socket.SOCK_STREAM)
        mic = tone_wav(folder / "mic.wav")
        (folder / "config").write_text(CONFIG.format(modules=modules, sip_port=sip,
                                                     mic=mic, ctrl_port=ctrl_port))
        (folder / "accounts").write_text(f"<sip:{user}@127.0.0.1>;regint=0\n")
        log = folder / "baresip.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [shutil.which("baresip") or "baresip", "-f", str(folder), "-v", "-s"],
                stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder)
        phone = cls(folder, sip, ctrl_port, process, log)
        try:
            phone._connect()
        except BaseException:
            phone.close()
            raise
        return phone

    def _connect(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"baresip exited ({self.process.returncode}):\n"
                                     f"{self.output()}")
            if "baresip is ready" in self.output():
                try:
                    self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), 1)
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"baresip did not start:\n{self.output()}")
            time.sleep(0.05)
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="baresip-ctrl", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.sock is not None
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                with self._changed:
                    self._changed.notify_all()
                return
            buffer += chunk
            while b":" in buffer:
                size, _, rest = buffer.partition(b":")
                length = int(size)
                if len(rest) < length + 1:
                    break
                message = json.loads(rest[:length])
                buffer = rest[length + 1:]  # the netstring's trailing ","
                with self._changed:
                    if message.get("response"):
                        self.responses[str(message.get("token"))] = message
                    elif message.get("event"):
                        self.events.append(message)
                    self._changed.notify_all()

    # commands ----------------------------------------------------------------------------
    def command(self, name: str, params: str = "", timeout: float = 5) -> Event:
        """Run a control command; its response (``ok`` tells whether it worked)."""
        assert self.sock is not None
        self._tokens += 1
        token = str(self._tokens)
        data = json.dumps({"command": name, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(data)).encode() + b":" + data + b",")
        response = self._until(lambda: self.responses.get(token), timeout)
        if response is None:
            raise AssertionError(f"baresip did not answer {name} {params}:\n{self.output()}")
        return response

    def dial(self, uri: str) -> None:
        """Call ``uri``."""
        response = self.command("dial", uri)
        assert response["ok"], response

    def keys(self, digits: str, gap: float = 0.3) -> None:
        """Press ``digits`` on the current call, one at a time (RFC 2833 events)."""
        for digit in digits:
            response = self.command("sndcode", digit)
            assert response["ok"], response
            time.sleep(gap)

    def hang_up(self) -> None:
        """Hang up the current call."""
        self.command("hangup")

    # events ------------------------------------------------------------------------------
    def wait_event(self, kind: str, timeout: float = 15, *, start: int = 0,
                   match: Callable[[Event], bool] = lambda _e: True) -> Event:
        """The first event of type ``kind`` (from index ``start``) that ``match`` accepts,
        waiting up to ``timeout`` seconds for it."""
        def found() -> Event | None:
            return next((e for e in self.events[start:]
                         if e.get("type") == kind and match(e)), None)
        event = self._until(found, timeout)
        if event is None:
            seen = [(e.get("type"), e.get("peeruri"), e.get("param")) for e in self.events]
            raise AssertionError(f"no {kind} event from baresip within {timeout}s; "
                                 f"events: {seen}\n{self.output()[-6000:]}")
        return event

    def _until(self, probe: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = probe()
                if value is not None:
                    return value
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    return None
                self._changed.wait(min(left, 0.2))

    # end ---------------------------------------------------------------------------------
    def output(self) -> str:
        """What baresip logged so far (with the SIP trace)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def close(self) -> None:
        """Stop baresip (SIGTERM, then SIGKILL) and close the control connection."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self._reader is not None:
            self._reader.join(2)
