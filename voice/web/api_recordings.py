"""REST API of call recordings, for QA, supervisors and admins: ``/api/recordings``.

``GET /api/recordings?call=&flow=&since=&until=&limit=`` lists recordings newest first
(``since``/``until``: ISO 8601 dates or times, UTC unless an offset is given; ``until`` is
exclusive); ``GET /api/recordings/<id>`` shows one with its transcript segments (speaker,
start_s, end_s, text, confidence, node) when it has been transcribed;
``GET /api/recordings/<id>/audio`` serves the clear WAV, decrypted when stored encrypted, with
single byte ranges (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``: 206; unsatisfiable: 416) so
players can seek. Every route needs role qa, supervisor or admin. An unknown id, and a row
whose path leads outside the recordings folder, are both 404 and never reveal a path.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request

from voice.moments import parse_moment
from voice.recordings.errors import (
    RecordingFileMissingError,
    RecordingKeyError,
    RecordingTamperedError,
    UnsafeRecordingPathError,
)
from voice.recordings.records import RecordingInfo
from voice.recordings.service import RecordingService
from voice.web import services
from voice.web.access import require_role
from voice.web.errors import ApiError

bp = Blueprint("api_recordings", __name__, url_prefix="/api/recordings")
ROLES = ("qa", "supervisor", "admin")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

log = logging.getLogger(__name__)


class RecordingQueryError(ApiError):
    """A list filter has a value that cannot be used."""

    status = 400
    error_id = "invalid-query"


class RecordingMissingError(ApiError):
    """No recording with this id (or one whose file may not be served)."""

    status = 404
    error_id = "recording-not-found"

    def __init__(self, recording_id: str) -> None:
        super().__init__(
            f"there is no recording '{recording_id}'; list recordings with GET /api/recordings",
            recording_id=recording_id)


class RecordingAudioMissingError(ApiError):
    """The recording's row exists, its audio file does not."""

    status = 404
    error_id = "recording-audio-missing"

    def __init__(self, recording_id: int) -> None:
        super().__init__(
            f"recording {recording_id} is known but its audio file is missing; an admin "
            "should check VOICE_RECORDINGS_DIR and the server log", recording_id=recording_id)


class RecordingUnreadableError(ApiError):
    """The audio is encrypted with a key the server lacks, or fails its integrity check."""

    status = 500
    error_id = "recording-unreadable"

    def __init__(self, recording_id: int) -> None:
        super().__init__(
            f"recording {recording_id} cannot be decrypted (wrong or missing "
            "VOICE_RECORDINGS_KEY, or the file was changed); an admin should check the "
            "server log", recording_id=recording_id)


def recording_service() -> RecordingService:
    """The process's recording service."""
    service = services().recording_service
    assert service is not None  # build_services always sets it
    return service


def _recording(recording_id: str) -> RecordingInfo:
    """The recording with this id whose path stays in the recordings folder, else 404."""
    if not recording_id.isascii() or not recording_id.isdigit() or len(recording_id) > 18:
        raise RecordingMissingError(recording_id)
    service = recording_service()
    info = service.repository.get(int(recording_id))
    if info is None:
        raise RecordingMissingError(recording_id)
    try:
        service.file_of(info, must_exist=False)
    except UnsafeRecordingPathError as exc:
        log.warning("refused recording %s: %s", info.id, exc)
        raise RecordingMissingError(recording_id) from None
    return info


def clear_audio(info: RecordingInfo) -> bytes:
    """The recording's clear WAV. A missing file raises RecordingAudioMissingError, audio that
    cannot be decrypted RecordingUnreadableError; both are logged for the admin to fix."""
    try:
        return recording_service().open_audio(info)
    except (RecordingFileMissingError, UnsafeRecordingPathError) as exc:
        log.error("recording %s: %s", info.id, exc)
        raise RecordingAudioMissingError(info.id) from None
    except (RecordingKeyError, RecordingTamperedError) as exc:
        log.error("recording %s: %s", info.id, exc)
        raise RecordingUnreadableError(info.id) from None


def _when(name: str, *, end: bool = False) -> datetime | None:
    """Query parameter ``name`` as an aware datetime; a bare date means its midnight (UTC).

    For ``until`` a bare date includes that whole day.
    """
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_moment(raw, end=end)
    except ValueError as exc:
        raise RecordingQueryError(f"{name} {exc}", parameter=name) from None


def _limit() -> int:
    raw = request.args.get("limit", "").strip()
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise RecordingQueryError(f"limit '{raw}' must be a whole number from 1 to {MAX_LIMIT}",
                                  parameter="limit")
    return int(raw)


@bp.get("")
@require_role(*ROLES)
def list_recordings() -> Response:
    """Recordings newest first, filtered by call, flow and creation time."""
    limit = _limit()
    since, until = _when("since"), _when("until", end=True)
    found = recording_service().repository.list_recordings(
        call=request.args.get("call") or None, flow=request.args.get("flow") or None,
        since=since, until=until, limit=limit)
    return jsonify(recordings=[r.to_dict() for r in found], limit=limit)


@bp.get("/<recording_id>")
@require_role(*ROLES)
def show_recording(recording_id: str) -> Response:
    """One recording's metadata and, once transcribed, its transcript segments."""
    info = _recording(recording_id)
    transcript = recording_service().repository.transcript(info.id)
    body: dict[str, Any] = {**info.to_dict(),
                            "transcript": transcript.to_dict() if transcript else None}
    return jsonify(body)


@bp.get("/<recording_id>/audio")
@require_role(*ROLES)
def recording_audio(recording_id: str) -> Response:
    """The clear WAV, whole or one byte range of it."""
    info = _recording(recording_id)
    data = clear_audio(info)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store",
               "Content-Disposition": f'inline; filename="recording-{info.id}.wav"'}
    wanted = byte_range(request.headers.get("Range"), len(data))
    if wanted is None:
        return Response(data, status=200, mimetype="audio/wav", headers=headers)
    if wanted == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{len(data)}"
        return Response(b"", status=416, mimetype="audio/wav", headers=headers)
    start, stop = wanted
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{len(data)}"
    return Response(data[start:stop], status=206, mimetype="audio/wav", headers=headers)


def byte_range(header: str | None, length: int) -> tuple[int, int] | str | None:
    """The ``Range`` header as ``(start, stop)`` for a body of ``length`` bytes.

    None means "send the whole body" (no header, a syntax error, or several ranges, which
    RFC 9110 lets a server ignore); ``"unsatisfiable"`` means 416.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # bytes=-n: the last n bytes
        suffix = int(last)
        if suffix == 0 or length == 0:
            return "unsatisfiable"
        return max(length - suffix, 0), length
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= length:
        return "unsatisfiable"
    stop = min(int(last) + 1, length) if last else length
    return start, stop

