"""Read-side values of the call log: :class:`CallRecord` and its IVR path of :class:`PathStep`.

Owns the shape callers see (CLI, REST API, screen pops later) and its JSON form: times are
ISO 8601 strings in UTC, everything else is already JSON-ready. Plain frozen data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHANNELS = ("sim", "sip", "twilio")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class PathStep:
    """One node visit of a call: which node of which flow, when, how it ended, what was input.

    ``input`` is exactly what the engine recorded, i.e. already masked for sensitive gathers.
    """

    seq: int
    at: datetime
    flow: str
    node: str
    type: str
    outcome: str | None
    input: str | None
    detail: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; keys match the entry mappings given to ``append_path``."""
        return {
            "seq": self.seq,
            "at": _iso(self.at),
            "flow": self.flow,
            "node": self.node,
            "type": self.type,
            "outcome": self.outcome,
            "input": self.input,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CallRecord:
    """One call with the flow version it ran and its IVR path ordered by ``seq``."""

    id: str
    channel: str
    flow_id: str
    flow_version: int | None
    flow_sha256: str | None
    from_number: str
    to_number: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    simulated: bool
    worker: str | None
    path: list[PathStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form including the full path."""
        return {
            "id": self.id,
            "channel": self.channel,
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "flow_sha256": self.flow_sha256,
            "from_number": self.from_number,
            "to_number": self.to_number,
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "outcome": self.outcome,
            "simulated": self.simulated,
            "worker": self.worker,
            "auth": self.auth,
            "path": [step.to_dict() for step in self.path],
        }

    @property
    def auth(self) -> dict[str, Any] | None:
        """The caller's authentication result (the last ``authenticate`` step), or None.

        ``outcome`` is verified, identified (caller ID only: not proof) or failed; the
        account is masked as the path stores it.
        """
        step = next((s for s in reversed(self.path)
                     if s.type == "authenticate" and s.outcome is not None), None)
        if step is None:
            return None
        detail = step.detail or {}
        return {"verified": step.outcome == "verified", "outcome": step.outcome,
                "method": detail.get("method"), "level": detail.get("level"),
                "customer_id": detail.get("customer_id"), "account": step.input}
