"""Read-side values of the recordings store: :class:`RecordingInfo`, its transcript, JSON.

Owns the shape callers see (QA pages, the REST API, the CLI, transcription,
``recording.ready`` webhooks later), the allowed values of ``kind`` and ``source`` and the
rule of what a stored ``path`` may look like (:func:`is_safe_path`). Plain frozen data, no
I/O. The wrapped file key of an encrypted recording is never part of these values; only
whether there is one (``encrypted``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
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
    #: when the retention purge removes it (None: kept until removed by hand)
    expires_at: datetime | None = None
    #: the file on disk is AES-256-GCM encrypted (read it with RecordingService.open_audio)
    encrypted: bool = False

    def file_in(self, recordings_dir: Path) -> Path:
        """The absolute path of the audio file under ``recordings_dir``."""
        return recordings_dir.joinpath(*self.path.split("/"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``created_at``/``expires_at`` as ISO 8601 in UTC."""
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
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "encrypted": self.encrypted,
        }


@dataclass(frozen=True)
class SegmentInfo:
    """One utterance of a transcript: who spoke, when (seconds into the audio), what."""

    speaker: str
    start_s: float
    end_s: float
    text: str
    confidence: float | None
    node: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"speaker": self.speaker, "start_s": self.start_s, "end_s": self.end_s,
                "text": self.text, "confidence": self.confidence, "node": self.node}


@dataclass(frozen=True)
class TranscriptInfo:
    """The transcript of one recording: the model that made it and its segments in order."""

    model: str
    created_at: datetime
    segments: tuple[SegmentInfo, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``created_at`` as ISO 8601 in UTC."""
        return {"model": self.model, "created_at": self.created_at.isoformat(),
                "segments": [segment.to_dict() for segment in self.segments]}


def is_safe_path(path: str) -> bool:
    """Whether ``path`` is relative, with ``/`` separators and no ``..`` part.

    Paths the repository stores always are; a row written some other way may not be, and
    its file must then never be read or deleted.
    """
    pure = PurePosixPath(path)
    return bool(path) and not pure.is_absolute() and ".." not in pure.parts \
        and "\\" not in path and "\0" not in path
