"""A softphone session: log in, report the contact, ring, pop screens, sign off.

:class:`Softphone` ties the parts together, each on its own thread:

- main thread: the pjsua2 loop (:class:`~voice.softphone.phone.Phone`), which also carries
  out the agent's key commands between SIP events;
- ``agent-events``: the service's event stream (:class:`EventFollower`), printing state
  changes and screen pops (:class:`~voice.softphone.console.ScreenPop`);
- ``keys``: the key reader (:class:`~voice.softphone.keys.KeyReader`);
- ``service``: state changes asked for by keys (HTTP, so the SIP loop never waits on it).

On start the login is checked (``GET /api/agents/me``) before anything listens; on quit,
SIGTERM or SIGINT the call is hung up, the contact cleared, the agent set offline and the
endpoint destroyed. A second SIGINT ends the process at once.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from voice.softphone.console import Console, ScreenPop
from voice.softphone.errors import SoftphoneError
from voice.softphone.keys import HELP_TEXT, Command, KeyReader
from voice.softphone.phone import Phone, PhoneOptions
from voice.softphone.service_client import EventFollower, ServiceClient

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True)
class SoftphoneOptions:
    """Everything ``voice softphone`` was asked for."""

    server: str
    password: str
    phone: PhoneOptions
    go_available: bool = False
    keys: bool = True


class Softphone:
    """One agent's softphone session (see module docstring)."""

    def __init__(self, options: SoftphoneOptions, console: Console | None = None) -> None:
        self.options = options
        self.console = console or Console()
        self.commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self.stopping = False
        self._client: ServiceClient | None = None
        self._phone: Phone | None = None
        self._service = ThreadPoolExecutor(max_workers=1, thread_name_prefix="service")

    def run(self) -> None:
        """Run until quit or a stop signal; raises SoftphoneError when it cannot start."""
        options = self.options
        client = ServiceClient(options.server, options.phone.user, options.password)
        self._client = client
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            me = client.me()
            queues = ", ".join(me.get("queues") or []) or "none"
            self.console.info(f"logged in to {client.server} as {me.get('name')} "
                              f"(state {me.get('state')}; queues: {queues})")
            phone = Phone(contact_host(options.phone, client.server), self.console)
            self._phone = phone
            contact = phone.start()
            try:
                self._serve(client, phone, contact)
            finally:
                self._sign_off(client, phone)
        finally:
            self._service.shutdown(wait=True)
            client.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _serve(self, client: ServiceClient, phone: Phone, contact: str) -> None:
        client.report_contact(contact)
        self.console.status(f"READY contact={contact}")
        events = EventFollower(client, ScreenPop(self.console).handle, self.console.info)
        events.start()
        reader = KeyReader(self.commands.put, self.console) if self.options.keys else None
        try:
            if self.options.go_available:
                client.set_state("available")
            if reader is not None:
                reader.start()
                self.console.info(HELP_TEXT)
            phone.run(lambda: self.stopping, self._idle)
        finally:
            if reader is not None:
                reader.stop()
            events.stop()

    def _sign_off(self, client: ServiceClient, phone: Phone) -> None:
        """Hang up, clear the contact, go offline, destroy the endpoint (in this order)."""
        try:
            if phone.endpoint is not None:
                phone.finish_calls()
            for step in (lambda: client.report_contact(None),
                         lambda: client.set_state("offline")):
                try:
                    step()
                except SoftphoneError as exc:
                    self.console.info(f"signing off: {exc}")
        finally:
            phone.close()
        self.console.status("STOPPED")

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping and signum == signal.SIGINT:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C: out at once
        self.stopping = True

    # -- the agent's commands (main thread, between SIP events) -------------------------
    def _idle(self) -> None:
        while True:
            try:
                command = self.commands.get_nowait()
            except queue.Empty:
                return
            self._command(command)

    def _command(self, command: Command) -> None:
        phone = self._phone
        assert phone is not None
        kind = command.kind
        if kind == "answer":
            phone.answer()
        elif kind == "hangup":
            phone.hang_up()
        elif kind == "hold":
            phone.toggle_hold()
        elif kind == "mute":
            phone.toggle_mute()
        elif kind == "dtmf":
            phone.send_dtmf(command.arg)
        elif kind == "available":
            self._service.submit(self._change_state, "available", None)
        elif kind == "away":
            self._service.submit(self._change_state, "away", command.arg or None)
        elif kind == "quit":
            self.stopping = True

    def _change_state(self, state: str, reason: str | None) -> Any:
        assert self._client is not None
        try:
            return self._client.set_state(state, reason)
        except SoftphoneError as exc:
            self.console.info(str(exc))
        return None


def contact_host(options: PhoneOptions, server: str) -> PhoneOptions:
    """``options`` with the address the service should ring: ``--host`` itself, or for a
    wildcard (0.0.0.0, ::) this machine's address on the route to the service."""
    if options.host not in ("0.0.0.0", "::", ""):
        return options
    target = urlsplit(server).hostname or "127.0.0.1"
    family = socket.AF_INET6 if options.host == "::" else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((target, 9))  # UDP: nothing is sent, the route is looked up
            address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1" if family == socket.AF_INET else "::1"
    return replace(options, contact_host=address)


def run_softphone(options: SoftphoneOptions, console: Console | None = None) -> None:
    """Run a session (what ``voice softphone`` does); raises SoftphoneError."""
    softphone = Softphone(options, console)
    with contextlib.suppress(KeyboardInterrupt):
        softphone.run()
