"""The softphone's HTTP client of the voice service's agent API (httpx, HTTP Basic).

:class:`ServiceClient` does the request/answer calls (``GET /api/agents/me``, ``PUT
.../contact``, ``POST .../state``) and turns failures into :mod:`voice.softphone.errors` with
messages naming what to fix. :class:`EventFollower` follows ``GET /api/agents/me/events``
(Server-Sent Events) on a background thread with its own connection, reconnecting after a drop,
and hands each ``(event, data)`` to a callback. Neither touches pjsua2.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from voice.softphone.errors import (
    LoginRejectedError,
    NotAnAgentError,
    ServerUnreachableError,
    ServiceRequestError,
    SoftphoneError,
)

log = logging.getLogger(__name__)

EVENTS_PATH = "/api/agents/me/events"
#: the service sends a comment every 15 s; twice that without a byte means the link is dead
READ_TIMEOUT_S = 35.0
RECONNECT_S = 2.0
MAX_RECONNECT_S = 30.0


class ServiceClient:
    """Calls the agent API as one agent (see module docstring)."""

    def __init__(self, server: str, user: str, password: str, *, timeout: float = 10.0) -> None:
        self.server = server.rstrip("/")
        self.user = user
        self._auth = httpx.BasicAuth(user, password)
        self._timeout = timeout
        self._http = self.new_http()

    def new_http(self, read_timeout: float | None = None) -> httpx.Client:
        """A new connection pool with this agent's credentials (one per thread)."""
        timeout = httpx.Timeout(self._timeout, read=read_timeout or self._timeout)
        return httpx.Client(base_url=self.server, auth=self._auth, timeout=timeout,
                            headers={"User-Agent": "voice-softphone"})

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def me(self) -> dict[str, Any]:
        """The agent as the service sees them; proves the login works."""
        return self._call("checking the login", "GET", "/api/agents/me")

    def report_contact(self, contact: str | None) -> dict[str, Any]:
        """Tell the service where this softphone rings (None: it is gone)."""
        return self._call("reporting the contact", "PUT", "/api/agents/me/contact",
                          {"contact": contact})

    def set_state(self, state: str, reason: str | None = None) -> dict[str, Any]:
        """Choose ``available``, ``away`` (with a reason) or ``offline``."""
        body: dict[str, Any] = {"state": state}
        if reason:
            body["reason"] = reason
        return self._call(f"going {state}", "POST", "/api/agents/me/state", body)

    def _call(self, what: str, method: str, path: str,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ServerUnreachableError(self.server, describe(exc)) from None
        check(response, self.server, self.user, what)
        data = response.json()
        return data if isinstance(data, dict) else {"value": data}


def check(response: httpx.Response, server: str, user: str, what: str) -> None:
    """Raise the softphone error matching a failed answer (nothing for 2xx)."""
    if response.is_success:
        return
    detail = error_message(response)
    if response.status_code == 401:
        raise LoginRejectedError(server, user)
    if response.status_code in (403, 404):
        raise NotAnAgentError(user, detail)
    raise ServiceRequestError(what, response.status_code, detail)


def error_message(response: httpx.Response) -> str:
    """The ``message`` of the service's JSON error, else the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return str(data)[:200]


def describe(exc: httpx.HTTPError) -> str:
    """A short reason for a transport failure (connection refused, timeout, ...)."""
    cause: BaseException = exc
    while cause.__context__ is not None and not str(cause):
        cause = cause.__context__
    text = str(cause) or type(cause).__name__
    return text.splitlines()[0]


def parse_sse(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """``(event, data)`` pairs of a Server-Sent Events stream; ``("retry", ms)`` for retry."""
    event, data = "message", []
    for line in lines:
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "retry" and value.isdigit():
            yield "retry", value


class EventFollower:
    """Follows the agent's event stream on a daemon thread (see module docstring).

    ``on_event(event, data)`` gets each decoded event; ``on_problem(text)`` a line saying the
    stream dropped or came back (it is called once per outage, not once per retry).
    """

    def __init__(self, client: ServiceClient, on_event: Callable[[str, dict[str, Any]], None],
                 on_problem: Callable[[str], None]) -> None:
        self.client = client
        self.on_event = on_event
        self.on_problem = on_problem
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="agent-events", daemon=True)
        self._http: httpx.Client | None = None
        self.connected = threading.Event()
        self._down = False

    def start(self) -> None:
        """Start following."""
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop following (the thread is a daemon: it never holds the process up)."""
        self._stop.set()
        http = self._http
        if http is not None:
            http.close()
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = RECONNECT_S
        while not self._stop.is_set():
            self.connected.clear()
            try:
                self._follow()
                problem = "the event stream ended"
            except httpx.HTTPError as exc:
                problem = f"the event stream dropped ({describe(exc)})"
            except SoftphoneError as exc:  # e.g. the password was changed meanwhile
                problem = str(exc)
            except Exception as exc:  # a bug must not silently end the screen pops
                log.exception("event stream failed")
                problem = f"the event stream failed ({exc})"
            if self._stop.is_set():
                return
            if self.connected.is_set():  # it had worked: a fresh outage
                delay, self._down = RECONNECT_S, False
            if not self._down:
                self.on_problem(f"{problem}; reconnecting")
                self._down = True
            self._stop.wait(delay)
            delay = min(delay * 2, MAX_RECONNECT_S)

    def _follow(self) -> None:
        self._http = http = self.client.new_http(read_timeout=READ_TIMEOUT_S)
        try:
            with http.stream("GET", EVENTS_PATH) as response:
                if not response.is_success:
                    response.read()
                    check(response, self.client.server, self.client.user,
                          "following the agent events")
                self.connected.set()
                if self._down:
                    self.on_problem("the event stream is back")
                    self._down = False
                for event, data in parse_sse(response.iter_lines()):
                    if self._stop.is_set():
                        return
                    if event == "retry":
                        continue
                    try:
                        decoded = json.loads(data)
                    except ValueError:
                        log.warning("event %s: data is not JSON: %.100s", event, data)
                        continue
                    if isinstance(decoded, dict):
                        self.on_event(event, decoded)
        finally:
            http.close()
