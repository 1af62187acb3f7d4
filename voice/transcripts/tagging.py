"""Who spoke and where in the call: tagging transcript segments from the call's IVR path.

A recording starts when the call is answered (``calls.started_at``); a segment at ``t``
seconds into it falls in the IVR path step whose visit began last before that moment.
Channel 0 is the caller; channel 1 is the IVR, or the agent once a queue visit ended with
an agent. Visits marked ``sensitive`` (PIN or card entry) are spans no segment may come
from: such segments are dropped, even though the recording was paused with silence there.
A voicemail recording is the caller alone, at the node that recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

AGENT_OUTCOMES = ("agent", "answered", "connected")


@dataclass(frozen=True)
class Span:
    """One path visit as a time span in seconds from the recording's start."""

    start_s: float
    end_s: float
    node: str
    type: str
    sensitive: bool
    agent_after: bool  # a queue visit that ended with an agent taking the call


@dataclass(frozen=True)
class Tag:
    """What a segment is labelled with."""

    speaker: str
    node: str | None
    phase: str


def spans(path: list[dict[str, Any]], started_at: datetime,
          duration_s: float) -> list[Span]:
    """The path visits (dicts as in CallRecord.to_dict()['path']) as spans."""
    visits = []
    for step in path:
        at = step["at"]
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
        visits.append((max(0.0, (moment - started_at).total_seconds()), step))
    result = []
    for index, (start, step) in enumerate(visits):
        end = visits[index + 1][0] if index + 1 < len(visits) else max(duration_s, start)
        detail = step.get("detail") or {}
        result.append(Span(start, end, step["node"], step["type"],
                           bool(detail.get("sensitive")),
                           step["type"] == "queue" and step.get("outcome") in AGENT_OUTCOMES))
    return result


def tag(channel: int, start_s: float, end_s: float, path_spans: list[Span], *,
        voicemail: bool = False) -> Tag | None:
    """The tag of a segment, or None if it overlaps a sensitive span (drop it)."""
    if any(s.sensitive and start_s < s.end_s and end_s > s.start_s for s in path_spans):
        return None
    current = None
    for span in path_spans:
        if span.start_s <= start_s:
            current = span
    agent = any(s.agent_after and s.end_s <= start_s for s in path_spans)
    phase = "agent" if agent else (current.type if current is not None and
                                   current.type in ("queue", "transfer") else "ivr")
    speaker = "caller" if voicemail or channel == 0 else "agent" if phase == "agent" else "ivr"
    return Tag(speaker, current.node if current is not None else None, phase)
