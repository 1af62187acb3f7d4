"""What an outbound webhook says: the event types, message ids and the JSON body.

Owns the integrator-facing body of the Standard Webhooks contract (DESIGN.md, "Screen pop
and other events"): ``{"type": ..., "timestamp": ..., "data": {...}}`` with ``timestamp`` in
ISO-8601 UTC (``2025-03-14T09:00:00.000Z``). The body is serialised once, stored with the
delivery and sent (and signed) byte for byte on every attempt. Message ids are ``msg_`` +
128 random bits; one id belongs to one delivery for ever (retries and replays keep it), so
receivers can use it to drop duplicates.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from webhooks.errors import UnknownEventTypeError

#: the events endpoints can subscribe to (DESIGN.md); ``call.offered`` is the screen pop
EVENT_TYPES = (
    "call.started",
    "call.offered",
    "call.answered",
    "call.ended",
    "recording.ready",
    "transcript.ready",
)
#: subscribes an endpoint to every event (stored as an empty list)
ALL_EVENTS = "*"
#: the ping ``voice webhooks test`` sends to one endpoint, whatever it subscribed to
TEST_EVENT = "webhook.test"


def new_msg_id() -> str:
    """A fresh ``webhook-id``: ``msg_`` and 32 hex digits."""
    return "msg_" + secrets.token_hex(16)


def iso_utc(moment: datetime) -> str:
    """``moment`` as ISO-8601 UTC with milliseconds and a ``Z``."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {moment!r} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_event_type(event_type: str) -> str:
    """``event_type`` if producers may emit it; raises UnknownEventTypeError otherwise."""
    if event_type not in EVENT_TYPES and event_type != TEST_EVENT:
        raise UnknownEventTypeError(event_type, EVENT_TYPES)
    return event_type


def event_body(event_type: str, data: dict[str, Any], timestamp: datetime) -> str:
    """The JSON body of one event (compact, UTF-8 text; datetimes in ``data`` become ISO)."""
    payload = {"type": check_event_type(event_type), "timestamp": iso_utc(timestamp),
               "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value)
    raise TypeError(f"webhook data cannot hold {type(value).__name__} values ({value!r}); "
                    "pass text, numbers, booleans, lists, mappings or datetimes")
