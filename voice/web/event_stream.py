"""Server-Sent Events responses of the staff pages (agent desktop, supervisor wallboard).

:func:`event_stream` polls a function for the current snapshot and sends its events whenever
the snapshot's key changes, a comment every :data:`KEEPALIVE_S` seconds of quiet (so proxies
keep the connection open), and a ``retry`` hint of 2 s for the browser's reconnects. A thread
per open stream (gunicorn's threaded workers) sleeps between polls.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from flask import Response, stream_with_context

KEEPALIVE_S = 15.0
#: one snapshot: its change key and the (event name, data) pairs to send when it changed
Snapshot = tuple[Hashable, list[tuple[str, Any]]]


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event with ``data`` as compact JSON."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def event_stream(snapshot: Callable[[], Snapshot], poll_s: float, *,
                 once: bool = False) -> Response:
    """A ``text/event-stream`` response sending ``snapshot()``'s events on every change,
    checked every ``poll_s`` seconds; ``once``: the first snapshot, then the end."""

    def stream() -> Iterator[str]:
        last: Hashable = object()
        quiet_since = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            key, events = snapshot()
            if key != last:
                last, quiet_since = key, time.monotonic()
                yield "".join(sse(name, data) for name, data in events)
            elif time.monotonic() - quiet_since > KEEPALIVE_S:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            if once:
                return
            time.sleep(poll_s)

    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
