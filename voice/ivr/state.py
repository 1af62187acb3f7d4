"""Session state: everything a call's IVR needs to resume, as plain JSON-able data.

A Twilio call's requests land on any web worker, so a session must be saved after each event
and rebuilt elsewhere: ``SessionState.to_dict()`` / ``from_dict()`` round-trip through JSON.
Secrets (sensitive gathers, PINs in flight) live in ``secrets`` and are left out of
``to_dict()`` unless the caller asks for them (and then must encrypt what it stores).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

#: ``status`` values: before CallStarted, while the flow runs, after the IVR ended.
NEW, ACTIVE, ENDED = "new", "active", "ended"


@dataclass
class Wait:
    """What the session waits for: ``kind`` picks the legal events (see engine.LEGAL)."""

    kind: str
    request: str | None = None


@dataclass
class SessionState:
    """Plain data for one call's IVR session (see module docstring)."""

    status: str = NEW
    call: dict[str, str] = field(default_factory=dict)
    flow: str = ""
    node: str | None = None
    wait: Wait | None = None
    stack: list[dict[str, str]] = field(default_factory=list)
    scratch: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    sensitive: list[str] = field(default_factory=list)
    secrets: dict[str, Any] = field(default_factory=dict)
    customer: dict[str, Any] | None = None
    auth: dict[str, Any] = field(default_factory=dict)
    recording: str = "off"
    path: list[dict[str, Any]] = field(default_factory=list)
    counter: int = 0
    end_reason: str | None = None

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        """JSON-ready copy; ``secrets`` is emptied unless ``include_secrets``."""
        data = asdict(self)
        if not include_secrets:
            data["secrets"] = {}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionState:
        """Rebuild a state saved with ``to_dict``; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown session state keys: {sorted(unknown)}")
        values = dict(data)
        if values.get("wait") is not None:
            values["wait"] = Wait(**values["wait"])
        return cls(**values)
