"""The softphone's parts without pjsua2: event-stream parsing and reconnecting, the screen
pop, account masking and the line-based keys."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from softphone_harness import wait_until
from werkzeug.serving import make_server

from voice.softphone.console import Console, ScreenPop, mask_account, screen_pop
from voice.softphone.keys import Command, KeyReader
from voice.softphone.service_client import EventFollower, ServiceClient, parse_sse


def test_parse_sse_yields_events_and_skips_comments() -> None:
    lines = ["retry: 2000", "", ": keep-alive", "", "event: state", 'data: {"a":1}', "",
             "event: call", "data: {", "data: }", ""]
    assert list(parse_sse(lines)) == [("retry", "2000"), ("state", '{"a":1}'),
                                      ("call", "{\n}")]


@pytest.mark.parametrize(("account", "shown"), [("10001234", "****1234"), ("1234", "****"),
                                                ("****1234", "****1234"), (None, None)])
def test_accounts_are_masked_but_for_the_last_four(account: str | None,
                                                   shown: str | None) -> None:
    assert mask_account(account) == shown


def test_screen_pop_of_an_unverified_caller() -> None:
    pop = {"call_id": "c1", "from": "+15550100", "to": "1000", "channel": "twilio",
           "ivr_path": [{"node": "greeting", "outcome": None},
                        {"node": "auth", "outcome": "failed"}],
           "authentication": {"verified": False, "outcome": "failed", "method": None},
           "queue": {"name": "billing", "wait_seconds": 75.2}}
    text = "\n".join(screen_pop(pop))
    assert "Identity  NOT VERIFIED\n" in text
    assert "Queue     billing, waited 1m15s" in text
    assert "IVR path  greeting -> auth: failed" in text


def test_a_call_pops_once_and_states_print_on_change() -> None:
    out = io.StringIO()
    pop = ScreenPop(Console(out))
    call = {"state": "reserved", "payload": {"call_id": "c1", "from": "+1555",
                                             "authentication": {"verified": False}}}
    pop.handle("state", {"state": "available", "reason": None})
    pop.handle("state", {"state": "available", "reason": None})
    pop.handle("call", call)
    pop.handle("call", {**call, "state": "on_call"})
    pop.handle("state", {"state": "away", "reason": "missed call"})
    status = [line for line in out.getvalue().splitlines() if line[:1].isupper()]
    assert status == ["STATE available",
                      "OFFERED call=c1 from=+1555 verified=false customer=-",
                      "STATE away reason=missed call"]


def test_line_keys_become_commands() -> None:
    got: list[Command] = []
    typed = io.StringIO("a\nd 12#\nd\n9\nw lunch break\nx\nd 1z\nq\n")
    reader = KeyReader(got.append, Console(io.StringIO()), typed)
    assert not reader.tty
    reader.start()
    wait_until(lambda: len(got) == 5, 5, "five commands")
    reader.stop()
    assert got == [Command("answer"), Command("dtmf", "12#"), Command("dtmf", "9"),
                   Command("away", "lunch break"), Command("quit")]


class _DroppingStream:
    """A WSGI app whose event stream sends one state event and then ends."""

    def __init__(self) -> None:
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        self.requests += 1
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        state = "available" if self.requests == 1 else "away"
        return iter([f'event: state\ndata: {{"state": "{state}"}}\n\n'.encode()])


def test_the_event_stream_reconnects_after_a_drop() -> None:
    app = _DroppingStream()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    events: list[tuple[str, dict[str, Any]]] = []
    notes: list[str] = []
    client = ServiceClient(f"http://127.0.0.1:{server.server_port}", "alice", "pw")
    follower = EventFollower(client, lambda e, d: events.append((e, d)), notes.append)
    try:
        follower.start()
        wait_until(lambda: len(events) >= 2, 20, "a second connection")
    finally:
        follower.stop()
        client.close()
        server.shutdown()
        thread.join(5)
    assert events[:2] == [("state", {"state": "available"}), ("state", {"state": "away"})]
    assert notes and "reconnecting" in notes[0]
