"""Read-side value of the recordings store: :class:`RecordingInfo` and its JSON form.

Owns the shape callers see (QA pages, the REST API, transcription, ``recording.ready``
webhooks later) and the allowed values of ``kind`` and ``source``. Plain frozen data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# 'call': the whole call, caller and service/agent on separate channels; 'voicemail': <Record>.
KINDS = ("call", "voicemail")
SOURCES = ("twilio", "sip")


@dataclass(frozen=True)
class RecordingInfo:
    """One stored recording; ``path`` is relative to the recordings folder (POSIX form)."""

    id: int
    call_id: str
    kind: str
    source: str
    source_id: str
    path: str
    channels: int
    duration_s: float
    size_bytes: int
    sha256: str
    created_at: datetime
    flow_id: str | None = None
    queue: str | None = None
    agent: str | None = None

    def file_in(self, recordings_dir: Path) -> Path:
        """The absolute path of the audio file under ``recordings_dir``."""
        return recordings_dir.joinpath(*self.path.split("/"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``created_at`` as ISO 8601 in UTC."""
        return {
            "id": self.id,
            "call_id": self.call_id,
            "kind": self.kind,
            "source": self.source,
            "source_id": self.source_id,
            "path": self.path,
            "channels": self.channels,
            "duration_s": self.duration_s,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
            "flow_id": self.flow_id,
            "queue": self.queue,
            "agent": self.agent,
        }
