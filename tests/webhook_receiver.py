"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that checks signatures.

It plays the integrator's CRM. Every POST is recorded (headers, body, whether it verified)
as soon as it arrives, before any answer. Signatures are checked with the
``standardwebhooks`` reference library: ``Webhook.verify`` when the test runs on real time,
or, when the test drives the sender with an injected clock, the library's ``sign`` compared
with every ``v1`` signature sent and the timestamp checked against that clock (the library's
own ``verify`` would compare an injected clock's hours-later timestamps with the wall clock).

Tests script the answers: :meth:`answer` (a status with headers, for the next N requests),
:meth:`stall` (hold the next requests until :meth:`release`, like a CRM that hangs) and
:meth:`stop` / :meth:`start` (the port is closed in between: connection refused).
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    problem: str | None

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header."""
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        """The body parsed."""
        return json.loads(self.body)


@dataclass
class _Plan:
    status: int
    headers: dict[str, str]
    stall: bool = False


class WebhookReceiver:
    """An HTTP server recording and verifying webhook requests; answers 200 unless told."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.secret: str | None = None
        self.clock = clock
        self.received: list[Received] = []
        self._plans: deque[_Plan] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Where to send webhooks."""
        return f"http://127.0.0.1:{self.port}/hooks/voice"

    def start(self) -> None:
        """Listen (on the same port as before, if it ran already)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Close the port: senders get connection refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def answer(self, status: int, headers: dict[str, str] | None = None,
               times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``headers``)."""
        with self._lock:
            self._plans.extend(_Plan(status, headers or {}) for _ in range(times))

    def stall(self, times: int = 1) -> None:
        """Hold the next ``times`` requests (recorded, unanswered) until :meth:`release`."""
        self._released.clear()
        with self._lock:
            self._plans.extend(_Plan(200, {}, stall=True) for _ in range(times))

    def release(self) -> None:
        """Let stalled requests be answered (200)."""
        self._released.set()

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """The requests received, once there are at least ``count`` (fails after
        ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"the receiver got {len(self.received)} of {count} requests")

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("content-length") or 0)
        body = request.rfile.read(length)
        headers = {name.lower(): value for name, value in request.headers.items()}
        problem = self._check(headers, body)
        with self._lock:
            self.received.append(Received(request.path, headers, body, problem is None,
                                          problem))
            plan = self._plans.popleft() if self._plans else _Plan(200, {})
        if plan.stall:
            self._released.wait(60)
        status = 401 if problem else plan.status
        try:
            request.send_response(status)
            for name, value in plan.headers.items():
                request.send_header(name, value)
            request.send_header("content-length", "2")
            request.end_headers()
            request.wfile.write(b"ok")
        except OSError:  # the sender gave up (timeout, killed)
            pass

    def _check(self, headers: dict[str, str], body: bytes) -> str | None:
        if self.secret is None:
            return "the receiver has no secret"
        if self.clock is None:
            try:
                Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                return str(exc)
            return None
        try:
            sent_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
            msg_id, signatures = headers["webhook-id"], headers["webhook-signature"]
        except (KeyError, ValueError):
            return "missing or bad webhook headers"
        if abs(sent_at - self.clock()) > TOLERANCE:
            return "timestamp too far from now"
        expected = Webhook(self.secret).sign(msg_id, sent_at, body.decode()).split(",")[1]
        for versioned in signatures.split(" "):
            version, _, signature = versioned.partition(",")
            if version == "v1" and hmac.compare_digest(base64.b64decode(expected),
                                                       base64.b64decode(signature)):
                return None
        return "no matching signature"


@contextmanager
def running_receiver(clock: Callable[[], datetime] | None = None
                     ) -> Iterator[WebhookReceiver]:
    """A started receiver, stopped (and stalled requests released) afterwards."""
    receiver = WebhookReceiver(clock)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.release()
        receiver.stop()
